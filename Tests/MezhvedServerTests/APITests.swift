import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MezhvedArchive
import MezhvedDocuments
import MezhvedGateway
import MezhvedTestSupport
import NIOCore
import Testing

@testable import MezhvedServer

/// The clerks' and auditors' API in process (HummingbirdTesting's router framework): roles and
/// tokens, the journal and its filters, the documents' views, drafts, composing, the audit.
@Suite struct APITests {
    /// Sends one request with `token` (none when nil) and a JSON body when given.
    static func call(
        _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, token: String?, json: String? = nil
    ) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if json != nil { headers[.contentType] = "application/json" }
        return try await client.execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }

    static func object(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
    }

    static func text(_ response: TestResponse) -> String { String(buffer: response.body) }

    /// The path of a number's views (the number percent-encoded, `/` too).
    static func documentPath(_ number: String, year: Int) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove("/")
        return "/api/v1/documents/\(year)/\(number.addingPercentEncoding(withAllowedCharacters: allowed)!)"
    }

    @Test func missingOrUnknownTokenIs401WithBearerChallenge() async throws {
        let fixture = try await APIGateway.make()
        try await fixture.test { client in
            for token in [nil, "mzv_" + String(repeating: "A", count: 43), "not-a-token"] {
                let response = try await Self.call(client, .get, "/api/v1/journal", token: token)
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(try Self.object(response)["status"] as? Int == 401)
            }
            var headers: HTTPFields = [.authorization: "Basic dXNlcjpwYXNz"]
            headers[.contentType] = "application/json"
            let basic = try await client.execute(uri: "/api/v1/journal", method: .get, headers: headers)
            #expect(basic.status == .unauthorized)
        }
    }

    @Test func specIsServedWithoutTokenAndIsTheDocsCopy() async throws {
        let fixture = try await APIGateway.make()
        let docs = try Data(contentsOf: URL(fileURLWithPath: TestProcess.path("docs/openapi.yaml")))
        let resource = try Data(contentsOf: URL(fileURLWithPath: TestProcess.path("Sources/MezhvedServer/openapi.yaml")))
        #expect(
            docs == resource,
            "Sources/MezhvedServer/openapi.yaml must be a copy of docs/openapi.yaml: cp docs/openapi.yaml Sources/MezhvedServer/openapi.yaml"
        )
        try await fixture.test { client in
            let response = try await Self.call(client, .get, "/api/v1/openapi.yaml", token: nil)
            #expect(response.status == .ok)
            #expect(Data(response.body.readableBytesView) == docs)
            #expect(Self.text(response).hasPrefix("openapi: 3.1"))
        }
    }

    @Test func rolesThatMayNotComposeAre403AndNothingIsRegistered() async throws {
        let fixture = try await APIGateway.make()
        let before = try await fixture.archive.registrar.entries(.all).count
        let headBefore = try await fixture.archive.storage.head()
        try await fixture.test { client in
            for role in [AccessRole.auditor, .clerk] {
                let response = try await Self.call(client, .post, "/api/v1/requests", token: fixture.tokens[role], json: APIForms.request)
                #expect(response.status == .forbidden, "\(role)")
                #expect(try Self.object(response)["code"] as? String == "role-not-allowed")
            }
            let audit = try await Self.call(client, .post, "/api/v1/audit", token: fixture.tokens[.clerk])
            #expect(audit.status == .forbidden)
            let document = try await Self.call(
                client, .get, Self.documentPath("01-12/000001", year: 2026) + "/document", token: fixture.tokens[.auditor])
            #expect(document.status == .forbidden)
        }
        #expect(try await fixture.archive.registrar.entries(.all).count == before)
        #expect(try await fixture.archive.storage.head() == headBefore)
    }

    @Test func signatoryComposesAndTheNumberIsInTheJournal() async throws {
        let fixture = try await APIGateway.make()
        try await fixture.test { client in
            let response = try await Self.call(client, .post, "/api/v1/requests", token: fixture.tokens[.signatory], json: APIForms.request)
            #expect(response.status == .created, "\(Self.text(response))")
            let body = try Self.object(response)
            let entry = try #require(body["entry"] as? [String: Any])
            let number = try #require(entry["number"] as? String)
            let year = try #require(entry["year"] as? Int)
            #expect(number.hasPrefix("01-12/"))
            #expect(body["signatory"] as? String == "head")
            #expect(entry["counterpart"] as? String == "employment")
            #expect(entry["status"] as? String == "registered")
            let deadline = try #require(entry["deadline"] as? String)
            #expect((entry["workingDaysLeft"] as? Int).map { $0 > 0 } == true)
            #expect(response.headers[.location] == Self.documentPath(number, year: year))
            let journal = try await fixture.archive.registrar.entries(JournalQuery(number: number, year: year))
            #expect(journal.count == 1)
            #expect(journal.first?.deadline == deadline)
            #expect(journal.first?.kind == .request)
        }
    }

    @Test func journalFiltersAndPaging() async throws {
        let fixture = try await APIGateway.make()
        let sent = try await OutgoingWorkflow(gateway: fixture.gateway, registrar: fixture.archive.registrar).send(
            .request(
                try DocumentComposer(context: fixture.gateway.documents).requestDraft(form: Array(APIForms.request.utf8), source: "form")))
        let deadline = try #require(sent.entry.deadline)
        let token = fixture.tokens[.auditor]
        try await fixture.test { client in
            func numbers(_ query: String) async throws -> [String] {
                let response = try await Self.call(client, .get, "/api/v1/journal" + query, token: token)
                #expect(response.status == .ok, "\(query): \(Self.text(response))")
                return try (Self.object(response)["entries"] as? [[String: Any]] ?? []).compactMap { $0["number"] as? String }
            }
            let number = sent.entry.number
            #expect(try await numbers("") == [number])
            #expect(try await numbers("?direction=outgoing&kind=request&counterpart=employment&status=registered") == [number])
            #expect(try await numbers("?counterpart=health").isEmpty)
            #expect(try await numbers("?direction=incoming").isEmpty)
            #expect(try await numbers("?kind=answer").isEmpty)
            let encoded = number.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            #expect(try await numbers("?number=\(encoded)") == [number])
            #expect(try await numbers("?overdue=true").isEmpty)
            #expect(try await numbers("?deadlineBefore=\(deadline)").isEmpty)
            #expect(try await numbers("?deadlineBefore=2999-01-01") == [number])
            #expect(try await numbers("?from=2999-01-01").isEmpty)
            #expect(try await numbers("?offset=1").isEmpty)
            // After the deadline the entry is overdue, with the working days since as negative days left.
            let later = "2999-06-01"
            #expect(try await numbers("?overdue=true&on=\(later)") == [number])
            #expect(try await numbers("?status=overdue&on=\(later)") == [number])
            let late = try Self.object(try await Self.call(client, .get, "/api/v1/journal?on=\(later)", token: token))
            let row = try #require((late["entries"] as? [[String: Any]])?.first)
            #expect(row["overdue"] as? Bool == true)
            #expect((row["workingDaysLeft"] as? Int).map { $0 < 0 } == true)
            let onTheDay = try Self.object(try await Self.call(client, .get, "/api/v1/journal?on=\(deadline)", token: token))
            #expect((onTheDay["entries"] as? [[String: Any]])?.first?["workingDaysLeft"] as? Int == 0)
            #expect((onTheDay["entries"] as? [[String: Any]])?.first?["overdue"] as? Bool == false)
            for bad in [
                "?limit=501", "?limit=0", "?status=lost", "?direction=sideways", "?from=yesterday", "?overdue=false", "?colour=red",
                "?on=2026-13-40x",
            ] {
                let response = try await Self.call(client, .get, "/api/v1/journal" + bad, token: token)
                #expect(response.status == .badRequest, "\(bad)")
            }
        }
    }

    @Test func documentEntryXMLRenderingAndReport() async throws {
        let fixture = try await APIGateway.make()
        let sent = try await OutgoingWorkflow(gateway: fixture.gateway, registrar: fixture.archive.registrar).send(
            .request(
                try DocumentComposer(context: fixture.gateway.documents).requestDraft(form: Array(APIForms.request.utf8), source: "form")))
        let path = Self.documentPath(sent.entry.number, year: sent.entry.year)
        try await fixture.test { client in
            let entry = try await Self.call(client, .get, path, token: fixture.tokens[.auditor])
            #expect(entry.status == .ok)
            #expect(try Self.object(entry)["number"] as? String == sent.entry.number)
            #expect(try Self.object(entry)["document"] as? String == path)

            let xml = try await Self.call(client, .get, path + "/document", token: fixture.tokens[.clerk])
            #expect(xml.status == .ok)
            #expect(xml.headers[.contentType] == "application/xml")
            #expect(Array(xml.body.readableBytesView) == sent.signed)

            let full = try await Self.call(client, .get, path + "/rendering", token: fixture.tokens[.clerk])
            #expect(full.status == .ok)
            #expect(full.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(Self.text(full).contains("Васильев"))
            #expect(Self.text(full).contains("подпись действительна"))
            let redacted = try await Self.call(client, .get, path + "/rendering", token: fixture.tokens[.auditor])
            #expect(redacted.status == .ok)
            #expect(!Self.text(redacted).contains("Васильев"))
            #expect(!Self.text(redacted).contains("145-236-987 76"))

            let report = try await Self.call(client, .get, path + "/report", token: fixture.tokens[.auditor])
            #expect(report.status == .ok, "\(Self.text(report))")
            #expect(try Self.object(report)["indication"] as? String == "TOTAL-PASSED")

            let unknown = try await Self.call(
                client, .get, Self.documentPath("01-12/999999", year: sent.entry.year), token: fixture.tokens[.clerk])
            #expect(unknown.status == .notFound)
            let badYear = try await Self.call(client, .get, "/api/v1/documents/20x6/1", token: fixture.tokens[.clerk])
            #expect(badYear.status == .badRequest)
        }
    }

    @Test func draftCheckListsEveryProblemAndWritesNothing() async throws {
        let fixture = try await APIGateway.make()
        let head = try await fixture.archive.storage.head()
        try await fixture.test { client in
            let good = try await Self.call(client, .post, "/api/v1/drafts/check", token: fixture.tokens[.clerk], json: APIForms.request)
            #expect(good.status == .ok, "\(Self.text(good))")
            #expect(try Self.object(good)["valid"] as? Bool == true)
            #expect(try Self.object(good)["deadline"] is String)

            let broken = APIForms.request.replacingOccurrences(of: "\"subject\":", with: "\"subjekt\":")
                .replacingOccurrences(of: "\"recipient\": \"employment\"", with: "\"recipient\": \"employmnt\"")
            let bad = try await Self.call(client, .post, "/api/v1/drafts/check", token: fixture.tokens[.clerk], json: broken)
            #expect(bad.status == .ok)
            let answer = try Self.object(bad)
            #expect(answer["valid"] as? Bool == false)
            let problems = try #require(answer["problems"] as? [[String: Any]])
            #expect(problems.contains { ($0["path"] as? String)?.contains("subjekt") == true })

            let notJSON = try await Self.call(client, .post, "/api/v1/drafts/check", token: fixture.tokens[.clerk], json: "subject: [")
            #expect(notJSON.status == .badRequest)
            var headers: HTTPFields = [.authorization: "Bearer \(fixture.tokens[.clerk]!)"]
            headers[.contentType] = "text/plain"
            let wrongType = try await client.execute(
                uri: "/api/v1/drafts/check", method: .post, headers: headers, body: ByteBuffer(string: "{}"))
            #expect(wrongType.status == .unsupportedMediaType)
            let composeInvalid = try await Self.call(client, .post, "/api/v1/requests", token: fixture.tokens[.signatory], json: broken)
            #expect(composeInvalid.status == .unprocessableContent)
            #expect((try Self.object(composeInvalid)["detail"] as? String)?.contains("subjekt") == true)
        }
        #expect(try await fixture.archive.storage.head() == head)
    }

    @Test func answerToAnIncomingRequest() async throws {
        let sender = try await APIGateway.make("social-protection")
        let receiver = try await APIGateway.make("employment")
        let sent = try await OutgoingWorkflow(gateway: sender.gateway, registrar: sender.archive.registrar).send(
            .request(
                try DocumentComposer(context: sender.gateway.documents).requestDraft(form: Array(APIForms.request.utf8), source: "form")))
        let outcome = try await IncomingWorkflow(gateway: receiver.gateway, registrar: receiver.archive.registrar).receive(
            sent.signed, sourceName: "from social-protection")
        guard case .registered(let incoming) = outcome.disposition else {
            Issue.record("the request was not registered: \(outcome.reasons)")
            return
        }
        let query = "?request=\(incoming.number.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&requestYear=\(incoming.year)"
        try await receiver.test { client in
            let withFile = APIForms.answer.replacingOccurrences(of: "\"content\":", with: "\"file\": \"/etc/passwd\", \"content\":")
            let refused = try await Self.call(client, .post, "/api/v1/answers" + query, token: receiver.tokens[.signatory], json: withFile)
            #expect(refused.status == .unprocessableContent)
            let check = try await Self.call(
                client, .post, "/api/v1/drafts/check" + query + "&kind=answer", token: receiver.tokens[.clerk], json: APIForms.answer)
            #expect(try Self.object(check)["valid"] as? Bool == true, "\(Self.text(check))")
            let response = try await Self.call(
                client, .post, "/api/v1/answers" + query, token: receiver.tokens[.signatory], json: APIForms.answer)
            #expect(response.status == .created, "\(Self.text(response))")
            let entry = try #require(try Self.object(response)["entry"] as? [String: Any])
            #expect(entry["kind"] as? String == "answer")
            #expect(entry["counterpart"] as? String == "social-protection")
            let noRequest = try await Self.call(client, .post, "/api/v1/answers", token: receiver.tokens[.signatory], json: APIForms.answer)
            #expect(noRequest.status == .badRequest)
            let unknownRequest = try await Self.call(
                client, .post, "/api/v1/answers?request=%D0%92%D0%A5-1999-000009", token: receiver.tokens[.signatory], json: APIForms.answer
            )
            #expect(unknownRequest.status == .unprocessableContent, "\(Self.text(unknownRequest))")
        }
        let request = try await receiver.archive.registrar.entry(number: incoming.number, year: incoming.year)
        #expect(request.recordedStatus == .answered)
    }

    @Test func auditorRunsTheAudit() async throws {
        let fixture = try await APIGateway.make()
        _ = try await OutgoingWorkflow(gateway: fixture.gateway, registrar: fixture.archive.registrar).send(
            .request(
                try DocumentComposer(context: fixture.gateway.documents).requestDraft(form: Array(APIForms.request.utf8), source: "form")))
        try await fixture.test { client in
            let response = try await Self.call(client, .post, "/api/v1/audit", token: fixture.tokens[.auditor])
            #expect(response.status == .ok, "\(Self.text(response))")
            let report = try Self.object(response)
            #expect(report["passed"] as? Bool == true, "\(Self.text(response))")
            let documents = try #require(report["documents"] as? [[String: Any]])
            #expect(documents.count == 1)
            #expect((documents.first?["signature"] as? [String: Any])?["level"] as? String == "full")
        }
    }

    @Test func revokedTokenIsRefusedWithoutRestart() async throws {
        let fixture = try await APIGateway.make()
        try await fixture.test { client in
            #expect(try await Self.call(client, .get, "/api/v1/journal", token: fixture.tokens[.clerk]).status == .ok)
            try AccessTokenFile.update(fixture.folder + "/tokens.json") { file in _ = try file.revoke(name: "clerk-desk") }
            try await Task.sleep(for: .milliseconds(1200))  // the registry looks at the file again after a second
            #expect(try await Self.call(client, .get, "/api/v1/journal", token: fixture.tokens[.clerk]).status == .unauthorized)
            #expect(try await Self.call(client, .get, "/api/v1/journal", token: fixture.tokens[.auditor]).status == .ok)
        }
    }

    @Test func composedDocumentsAreQueuedAndTheOutboxIsListedAndResent() async throws {
        let fixture = try await APIGateway.make()
        try await fixture.test { client in
            let composed = try await Self.call(client, .post, "/api/v1/requests", token: fixture.tokens[.signatory], json: APIForms.request)
            #expect(composed.status == .created, "\(Self.text(composed))")
            let body = try Self.object(composed)
            let message = try #require(body["message"] as? [String: Any], "\(Self.text(composed))")
            let messageID = try #require(message["messageID"] as? String)
            #expect(message["state"] as? String == "queued")
            #expect(message["peer"] as? String == "employment")
            let entry = try #require(body["entry"] as? [String: Any])
            let path = try #require(entry["document"] as? String)

            let listed = try await Self.call(client, .get, "/api/v1/outbox?state=queued&peer=employment", token: fixture.tokens[.auditor])
            #expect(listed.status == .ok, "\(Self.text(listed))")
            let messages = try #require(try Self.object(listed)["messages"] as? [[String: Any]])
            #expect(messages.map { $0["messageID"] as? String } == [messageID])
            #expect(try await Self.call(client, .get, "/api/v1/outbox?state=lost", token: fixture.tokens[.auditor]).status == .badRequest)

            // Queueing again gives the same message; an auditor may not queue or resend.
            #expect(try await Self.call(client, .post, path + "/send", token: fixture.tokens[.auditor]).status == .forbidden)
            let again = try await Self.call(client, .post, path + "/send", token: fixture.tokens[.clerk])
            #expect(again.status == .accepted, "\(Self.text(again))")
            #expect(try Self.object(again)["messageID"] as? String == messageID)
            let resendPath = "/api/v1/outbox/\(messageID)/resend"
            #expect(try await Self.call(client, .post, resendPath, token: fixture.tokens[.auditor]).status == .forbidden)
            #expect(try await Self.call(client, .post, resendPath, token: fixture.tokens[.clerk]).status == .conflict)  // still queued
            #expect(
                try await Self.call(client, .post, "/api/v1/outbox/no-such-id/resend", token: fixture.tokens[.clerk]).status == .notFound)

            _ = try await fixture.gateway.outbox(registrar: fixture.archive.registrar).recordFailure(
                messageID, error: "the peer refused the connection", permanent: true)
            let resent = try await Self.call(client, .post, resendPath, token: fixture.tokens[.clerk])
            #expect(resent.status == .ok, "\(Self.text(resent))")
            #expect(try Self.object(resent)["state"] as? String == "queued")
            #expect(try Self.object(resent)["messageID"] as? String == messageID)
        }
    }
}
