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

/// The answer page in process: a request of social protection received by the employment
/// committee is answered from the page — problems shown in the library's Russian next to their
/// fields, the request's people carried over, the answer numbered, signed, registered and queued;
/// roles that may not sign or answer are refused and change nothing.
@Suite("Web pages: the answer to an incoming request")
struct WebAnswerPageTests {
    typealias Page = WebPageTests

    /// The employment committee's gateway (web users of every role) holding a request of social protection.
    static func receiverWithRequest() async throws -> (receiver: APIGateway, incoming: JournalEntry) {
        let sender = try await APIGateway.make("social-protection")
        let receiver = try await APIGateway.make("employment")
        try WebUserFile.update(receiver.folder + "/users.json") { file in
            for role in AccessRole.allCases { _ = try file.add(name: "\(role)-desk", role: role, password: Page.password) }
        }
        let sent = try await OutgoingWorkflow(gateway: sender.gateway, registrar: sender.archive.registrar).send(
            .request(
                try DocumentComposer(context: sender.gateway.documents).requestDraft(form: Array(APIForms.request.utf8), source: "form")))
        let outcome = try await IncomingWorkflow(gateway: receiver.gateway, registrar: receiver.archive.registrar).receive(
            sent.signed, sourceName: "from social-protection")
        guard case .registered(let incoming) = outcome.disposition else {
            throw SetupFailed(reason: "the request was not registered: \(outcome.reasons)")
        }
        return (receiver, incoming)
    }

    struct SetupFailed: Error {
        let reason: String
    }

    static func query(_ entry: JournalEntry) -> String {
        "year=\(entry.year)&number=\(entry.number.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
    }

    /// A complete answer as the page posts it: the information provided, the compiler, the request's person.
    static func answerFields(csrf: String, entry: JournalEntry, action: String) -> [(String, String)] {
        [
            ("_csrf", csrf), ("year", String(entry.year)), ("number", entry.number), ("action", action), ("result", "provided"),
            ("provided[0].name", "Сведения о регистрации гражданина в качестве безработного"),
            ("provided[0].content", "Васильев Андрей Николаевич зарегистрирован в целях поиска подходящей работы 12.11.2025."),
            ("provided[1].name", ""), ("provided[1].content", ""), ("compiler.fullName", "Лапина Ирина Геннадьевна"),
            ("compiler.position", "Ведущий специалист"), ("compiler.phone", "+7 (812) 000-03-17"), ("person", "0"),
        ]
    }

    @Test("the request's page leads to the answer form; an empty form shows every problem in Russian at its field, nothing numbered")
    func problemsInRussian() async throws {
        let (receiver, incoming) = try await Self.receiverWithRequest()
        let before = try await receiver.archive.registrar.entries(.all)
        try await receiver.test { client in
            var jar = Page.Jar()
            try await Page.signIn(client, &jar, name: "signatory-desk")
            let documentPage = Page.text(
                try await client.execute(uri: "/ui/document?" + Self.query(incoming), method: .get, headers: jar.header))
            #expect(documentPage.contains("href=\"\(WebSite.answerLink(incoming).replacingOccurrences(of: "&", with: "&amp;"))\""))
            let form = try await client.execute(uri: "/ui/answer?" + Self.query(incoming), method: .get, headers: jar.header)
            #expect(form.status == .ok)
            let html = Page.text(form)
            #expect(html.contains("от Комитет по социальной защите населения Ленинградской области"))
            #expect(html.contains("Васильев Андрей Николаевич, 14.06.1975 г. р. (заявитель)"), "the request's person can be ticked")
            #expect(html.contains("Срок ответа:"))
            let token = try #require(Page.hidden("_csrf", in: html))
            let empty = try await client.execute(
                uri: "/ui/answer", method: .post, headers: Page.merged(jar.header, Page.formType),
                body: Page.form([("_csrf", token), ("year", String(incoming.year)), ("number", incoming.number), ("action", "check")]))
            #expect(empty.status == .unprocessableContent)
            let problems = Page.text(empty)
            #expect(problems.contains("Ошибка: выберите: предоставить документы (сведения) или мотивированно отказать"))
            #expect(problems.contains("id=\"f-compiler.fullName\" name=\"compiler.fullName\" value=\"\" aria-invalid=\"true\""))
            #expect(problems.contains("Ошибка: заполните это поле"))
            #expect(!problems.contains("is required"), "no English message reaches the clerk")

            var fields = Self.answerFields(csrf: token, entry: incoming, action: "check")
            fields.removeAll { $0.0 == "result" || $0.0 == "compiler.phone" }
            fields += [("result", "refusal"), ("refusal.reason", "нет"), ("compiler.phone", "звонить Ирине"), ("refusal.clause", "2.2.7")]
            let refusal = Page.text(
                try await client.execute(
                    uri: "/ui/answer", method: .post, headers: Page.merged(jar.header, Page.formType), body: Page.form(fields)))
            #expect(refusal.contains("Ошибка: изложите причины отказа"))
            #expect(refusal.contains("Ошибка: «звонить Ирине» — не номер телефона (например, +7 (812) 611-44-00)"))
            #expect(refusal.contains("<option value=\"2.2.7\" selected>"), "the refusal's clause is kept")

            let hostile = Self.answerFields(csrf: token, entry: incoming, action: "check").map {
                $0.0 == "provided[0].name" ? ($0.0, "<script>alert(1)</script>") : $0
            }
            let preview = Page.text(
                try await client.execute(
                    uri: "/ui/answer", method: .post, headers: Page.merged(jar.header, Page.formType), body: Page.form(hostile)))
            #expect(preview.contains("Предварительный просмотр на бланке"))
            #expect(preview.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(!preview.contains("<script>alert(1)"))
        }
        #expect(try await receiver.archive.registrar.entries(.all) == before, "checking numbers nothing")
    }

    @Test("the signatory signs the answer from the page: numbered, registered, linked to the request and queued for its sender")
    func signatorySigns() async throws {
        let (receiver, incoming) = try await Self.receiverWithRequest()
        try await receiver.test { client in
            var jar = Page.Jar()
            try await Page.signIn(client, &jar, name: "signatory-desk")
            let html = Page.text(try await client.execute(uri: "/ui/answer?" + Self.query(incoming), method: .get, headers: jar.header))
            let token = try #require(Page.hidden("_csrf", in: html))
            let signed = try await client.execute(
                uri: "/ui/answer", method: .post, headers: Page.merged(jar.header, Page.formType),
                body: Page.form(Self.answerFields(csrf: token, entry: incoming, action: "sign")))
            #expect(signed.status == .seeOther, "\(Page.text(signed).prefix(3000))")
            let location = try #require(signed.headers[.location])
            #expect(location.hasPrefix("/ui/document?year="))
            let again = Page.text(try await client.execute(uri: "/ui/answer?" + Self.query(incoming), method: .get, headers: jar.header))
            #expect(again.contains("На этот запрос уже отправлен ответ"))
        }
        let answer = try #require(try await receiver.archive.registrar.entries(.all).first { $0.kind == .answer })
        #expect(answer.direction == .outgoing)
        #expect(answer.counterpart == "social-protection")
        #expect(answer.inReplyTo == incoming.documentNumber)
        let request = try await receiver.archive.registrar.entry(number: incoming.number, year: incoming.year)
        #expect(request.recordedStatus == .answered)
        #expect(request.answeredBy == [answer.number])
        let messages = try await receiver.archive.registrar.messages(MessageQuery(number: answer.number, year: answer.year))
        #expect(messages.map(\.peer) == ["social-protection"])
        // The signed answer carries the request's person and the text given, and verifies.
        let document = try await ArchivedDocuments(gateway: receiver.gateway, registrar: receiver.archive.registrar).letter(of: answer)
        guard case .answer(let composed) = document.document else {
            Issue.record("not an answer: \(document.document.kind)")
            return
        }
        #expect(composed.personalData.map(\.fullName) == ["Васильев Андрей Николаевич"])
        #expect(composed.inReplyTo.number == incoming.documentNumber)
        let report = try await ArchivedDocuments(gateway: receiver.gateway, registrar: receiver.archive.registrar).report(of: answer)
        #expect(report.indication == .totalPassed, "\(report.indication)")
    }

    @Test("a clerk checks but cannot sign (403, nothing numbered); an auditor cannot open the form; only incoming requests are answered")
    func rolesAndWrongNumbers() async throws {
        let (receiver, incoming) = try await Self.receiverWithRequest()
        let before = try await receiver.archive.registrar.entries(.all)
        try await receiver.test { client in
            var clerk = Page.Jar()
            try await Page.signIn(client, &clerk, name: "clerk-desk")
            let html = Page.text(try await client.execute(uri: "/ui/answer?" + Self.query(incoming), method: .get, headers: clerk.header))
            #expect(html.contains("Подписывает и отправляет подписант."))
            #expect(!html.contains("value=\"sign\""))
            let token = try #require(Page.hidden("_csrf", in: html))
            let refused = try await client.execute(
                uri: "/ui/answer", method: .post, headers: Page.merged(clerk.header, Page.formType),
                body: Page.form(Self.answerFields(csrf: token, entry: incoming, action: "sign")))
            #expect(refused.status == .forbidden)
            let noToken = try await client.execute(
                uri: "/ui/answer", method: .post, headers: Page.merged(clerk.header, Page.formType),
                body: Page.form(Array(Self.answerFields(csrf: token, entry: incoming, action: "check").dropFirst())))
            #expect(noToken.status == .forbidden, "no CSRF token, nothing done")

            var auditor = Page.Jar()
            try await Page.signIn(client, &auditor, name: "auditor-desk")
            let auditorPage = try await client.execute(uri: "/ui/answer?" + Self.query(incoming), method: .get, headers: auditor.header)
            #expect(auditorPage.status == .forbidden)
            let auditorDocument = Page.text(
                try await client.execute(uri: "/ui/document?" + Self.query(incoming), method: .get, headers: auditor.header))
            #expect(!auditorDocument.contains("Ответить на запрос"))

            let missing = try await client.execute(uri: "/ui/answer", method: .get, headers: clerk.header)
            #expect(missing.status == .badRequest)
            let unknown = try await client.execute(
                uri: "/ui/answer?year=\(incoming.year)&number=%D0%92%D0%A5-404", method: .get, headers: clerk.header)
            #expect(unknown.status == .notFound)
            #expect(Page.text(unknown).contains("нет номера"))
        }
        #expect(try await receiver.archive.registrar.entries(.all) == before, "nothing numbered")
    }
}
