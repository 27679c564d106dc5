import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import MezhvedArchive
import MezhvedGateway
import MezhvedTestSupport
import NIOCore
import Testing

@testable import MezhvedServer

/// A signatory whose key is unlocked per signing (`unlock: per-signing`), signing from the page and
/// through the API: the passphrase comes with the signing, a missing or wrong one signs nothing and
/// takes no number, and no log line holds it.
@Suite struct SigningPassphraseTests {
    typealias Page = WebPageTests

    @Test("the compose page asks for the key's passphrase: without it 422, a wrong one 403, nothing numbered; the right one signs")
    func pageSignsWithThePassphrase() async throws {
        let gateway = try await Page.gateway(roles: [.signatory], perSigning: true)
        let lines = LogLines()
        let logger = Logger(label: "mezhved.web.test") { _ in CapturingLog(lines: lines) }
        try await gateway.test(logger: logger) { client in
            var jar = Page.Jar()
            try await Page.signIn(client, &jar, name: "signatory-desk")
            let page = Page.text(try await client.execute(uri: "/ui/compose?regulation=562-2014", method: .get, headers: jar.header))
            #expect(page.contains("name=\"passphrase\" type=\"password\" autocomplete=\"off\""), "the form asks for the passphrase")
            let token = try #require(Page.hidden("_csrf", in: page))
            func sign(_ passphrase: String?) async throws -> TestResponse {
                let fields = Page.requestFields(csrf: token) + (passphrase.map { [("passphrase", $0)] } ?? [])
                return try await client.execute(
                    uri: "/ui/compose", method: .post, headers: Page.merged(jar.header, Page.formType), body: Page.form(fields))
            }
            let missing = try await sign(nil)
            #expect(missing.status == .unprocessableContent)
            #expect(Page.text(missing).contains("Ошибка: введите пароль ключа подписи"))
            let wrong = try await sign("не-тот-пароль")
            #expect(wrong.status == .forbidden)
            let wrongPage = Page.text(wrong)
            #expect(wrongPage.contains("Ошибка: пароль не подходит к ключу подписи; документ не подписан и номер не занят"))
            #expect(!wrongPage.contains("не-тот-пароль"), "a passphrase is never written back into the page")
            #expect(wrongPage.contains("Васильев"), "the rest of the form is kept for the next try")
            #expect(try await gateway.archive.registrar.entries(.all).isEmpty, "nothing numbered")
            let signed = try await sign(APIGateway.signingPassphrase)
            #expect(signed.status == .seeOther, "\(Page.text(signed).prefix(2000))")
            #expect(try await gateway.archive.registrar.entries(.all).map(\.number) == ["01-12/000001"])
        }
        let log = lines.all.joined(separator: "\n")
        #expect(log.contains("signing refused"))
        #expect(log.contains("passphrase-wrong"))
        #expect(!log.contains(APIGateway.signingPassphrase))
        #expect(!log.contains("не-тот-пароль"))
    }

    @Test("POST /api/v1/requests: the passphrase in Mezhved-Signing-Passphrase (base64); missing 422, wrong 403, not base64 400")
    func apiSignsWithThePassphrase() async throws {
        let fixture = try await APIGateway.make(perSigning: true)
        let token = try #require(fixture.tokens[.signatory])
        @Sendable func post(_ client: some TestClientProtocol, passphrase: String?) async throws -> TestResponse {
            var headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
            if let passphrase { headers[APIComposeRoutes.passphraseHeader] = passphrase }
            return try await client.execute(
                uri: "/api/v1/requests", method: .post, headers: headers, body: ByteBuffer(string: APIForms.request))
        }
        @Sendable func code(_ response: TestResponse) -> String? {
            (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])?["code"] as? String
        }
        try await fixture.test { client in
            let missing = try await post(client, passphrase: nil)
            #expect(missing.status == .unprocessableContent)
            #expect(code(missing) == "passphrase-required")
            let wrong = try await post(client, passphrase: Data("wrong".utf8).base64EncodedString())
            #expect(wrong.status == .forbidden)
            #expect(code(wrong) == "passphrase-wrong")
            let garbled = try await post(client, passphrase: "not base64 at all!")
            #expect(garbled.status == .badRequest)
            #expect(code(garbled) == "passphrase-header-invalid")
            #expect(try await fixture.archive.registrar.entries(.all).isEmpty)
            let signed = try await post(client, passphrase: Data(APIGateway.signingPassphrase.utf8).base64EncodedString())
            #expect(signed.status == .created, "\(String(buffer: signed.body))")
        }
    }
}
