import Foundation
import HTTPTypes
import HummingbirdTesting
import MezhvedArchive
import MezhvedDocuments
import MezhvedGateway
import MezhvedTestSupport
import NIOCore
import Testing

@testable import MezhvedServer
@testable import MezhvedWeb

/// The auditor's desk runs the audit in the background: the page shows its progress (documents
/// re-verified of all, a `<progress>` bar, a self-reload each second without a script) and then
/// its result; one audit at a time.
@Suite("Web pages: the audit's progress")
struct WebAuditProgressTests {
    typealias Page = WebPageTests

    @Test("POST /ui/audit starts the audit and leads to its progress page, which reloads itself until the result is there")
    func auditRunsInTheBackground() async throws {
        let gateway = try await Page.gateway(roles: [.auditor, .signatory])
        for _ in 0..<3 {
            _ = try await OutgoingWorkflow(gateway: gateway.gateway, registrar: gateway.archive.registrar).send(
                .request(
                    try DocumentComposer(context: gateway.gateway.documents).requestDraft(
                        form: Array(APIForms.request.utf8), source: "form")))
        }
        try await gateway.test { client in
            var jar = Page.Jar()
            try await Page.signIn(client, &jar, name: "auditor-desk")
            let desk = Page.text(try await client.execute(uri: "/ui/audit", method: .get, headers: jar.header))
            #expect(!desk.contains("http-equiv=\"refresh\""), "an idle desk does not reload itself")
            let token = try #require(Page.hidden("_csrf", in: desk))
            let started = try await client.execute(
                uri: "/ui/audit", method: .post, headers: Page.merged(jar.header, Page.formType), body: Page.form([("_csrf", token)]))
            #expect(started.status == .seeOther)
            let location = try #require(started.headers[.location])
            #expect(location.hasPrefix("/ui/audit?run=") && location.count == "/ui/audit?run=".count + 43)
            var sawProgress = false
            let finished = try await Eventually.poll(seconds: 60, every: .milliseconds(100)) { () -> String? in
                let page = Page.text(try await client.execute(uri: location, method: .get, headers: jar.header))
                if page.contains("Аудит выполняется") {
                    #expect(page.contains("<meta http-equiv=\"refresh\" content=\"1\">"))
                    #expect(page.contains("<progress id=\"audit-progress\""))
                    sawProgress = true
                    return nil
                }
                return page
            }
            let result = try #require(finished, "the audit did not finish within 60 s")
            #expect(result.contains("Аудит пройден"), "\(result.prefix(3000))")
            #expect(result.contains("документов: 3."))
            #expect(result.contains("Аудит запустил(а) auditor-desk"))
            #expect(result.contains("Проверено документов: 3 из 3 (100 %)"))
            #expect(!result.contains("http-equiv=\"refresh\""), "a finished audit's page stops reloading")
            print("audit progress page seen while running: \(sawProgress)")
            let gone = Page.text(
                try await client.execute(
                    uri: "/ui/audit?run=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", method: .get, headers: jar.header))
            #expect(gone.contains("Результат этого аудита больше не хранится"))
            var signatory = Page.Jar()
            try await Page.signIn(client, &signatory, name: "signatory-desk")
            let forbidden = try await client.execute(uri: location, method: .get, headers: signatory.header)
            #expect(forbidden.status == .forbidden, "only an auditor sees the audit")
        }
    }

    @Test("one audit at a time: a second start joins the running one; progress and result are kept for the last run only")
    func oneRunAtATime() {
        let runs = AuditRuns()
        let first = runs.begin(by: "auditor-desk")
        #expect(first.started)
        let second = runs.begin(by: "auditor-2")
        #expect(!second.started && second.run.id == first.run.id && second.run.startedBy == "auditor-desk")
        #expect(WebSite.progress(of: first.run).text == "Читаются журнал и контрольные точки…")
        runs.progress(first.run.id, done: 40, total: 160)
        let running = try! #require(runs.run(first.run.id))
        let shown = WebSite.progress(of: running)
        #expect(shown.running && shown.determinate && shown.done == "40" && shown.total == "160")
        #expect(shown.text == "Проверено документов: 40 из 160 (25 %)")
        runs.progress("another-run", done: 1, total: 1)
        #expect(runs.run(first.run.id)?.done == 40, "another run's progress changes nothing")
        runs.finish(first.run.id, result: nil, failure: "Аудит не выполнен: журнал не читается")
        #expect(runs.current == nil)
        #expect(runs.run(first.run.id)?.failure == "Аудит не выполнен: журнал не читается")
        let third = runs.begin(by: "auditor-desk")
        #expect(third.started && third.run.id != first.run.id)
        runs.finish(third.run.id, result: nil)
        #expect(runs.run(first.run.id) == nil, "only the last finished run is kept")
        #expect(runs.run(third.run.id)?.failure == "аудит прерван")
    }
}
