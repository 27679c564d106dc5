import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import MezhvedArchive
import MezhvedGateway
import MezhvedTestSupport
import NIOCore
import Synchronization
import Testing

@testable import MezhvedServer
@testable import MezhvedWeb

/// The web pages in process (HummingbirdTesting): sign-in, sessions, CSRF, lockout, escaping,
/// roles and the access log. The browser test (WebBrowserTests) drives the same pages in Chromium.
@Suite("Web pages: sessions, CSRF, lockout, escaping")
struct WebPageTests {
    static let password = "верный-пароль-12345"

    /// A gateway with one web user per role (`clerk-desk`, `signatory-desk`, …), all with ``password``.
    static func gateway(roles: [AccessRole] = AccessRole.allCases, perSigning: Bool = false) async throws -> APIGateway {
        let gateway = try await APIGateway.make(perSigning: perSigning)
        try WebUserFile.update(gateway.folder + "/users.json") { file in
            for role in roles { _ = try file.add(name: "\(role)-desk", role: role, password: password) }
        }
        return gateway
    }

    /// A complete request form as the compose page posts it, with "sign" as its action.
    static func requestFields(csrf: String) -> [(String, String)] {
        [
            ("_csrf", csrf), ("action", "sign"), ("legalBasis[0].regulation", "562-2014"), ("legalBasis[0].clause", "2.2.7 пп. 3"),
            ("recipient", "employment"), ("service.name", "Предоставление социальных услуг в форме социального обслуживания на дому"),
            ("subject", "О предоставлении сведений о регистрации гражданина в качестве безработного"),
            ("requestedDocument", "Сведения о регистрационном учете в органах службы занятости."),
            ("informationNeeded", "Для признания гражданина нуждающимся в социальном обслуживании."),
            ("consent.required", "true"), ("consent.obtained", "true"), ("consent.date", "2026-02-27"),
            ("consent.document", "Согласие в заявлении от 27.02.2026 № 1452"), ("compiler.fullName", "Сергеева Ольга Викторовна"),
            ("compiler.position", "Ведущий специалист"), ("compiler.phone", "+7 (812) 000-01-23"),
            ("compiler.email", "o.sergeeva@social-protection.mezhved-test.invalid"),
            ("personalData[0].lastName", "Васильев"), ("personalData[0].firstName", "Андрей"),
            ("personalData[0].middleName", "Николаевич"), ("personalData[0].birthDate", "1975-06-14"),
            ("personalData[0].snils", "145-236-987 76"),
        ]
    }

    /// The cookies a browser would keep, and how it sends them.
    struct Jar {
        var cookies: [String: String] = [:]

        var header: HTTPFields {
            guard !cookies.isEmpty else { return [:] }
            return [.cookie: cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")]
        }

        mutating func keep(_ response: TestResponse) {
            for line in response.headers[values: .setCookie] {
                let pair = line.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
                let name = String(pair[0])
                let value = pair.count > 1 ? String(pair[1]) : ""
                if value.isEmpty || line.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
            }
        }
    }

    static func text(_ response: TestResponse) -> String { String(buffer: response.body) }

    static func hidden(_ name: String, in html: String) -> String? {
        guard let range = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
        let rest = html[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    static func form(_ fields: [(String, String)]) -> ByteBuffer {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return ByteBuffer(
            string: fields.map {
                "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed)!)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)"
            }
            .joined(separator: "&"))
    }

    static let formType: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    static func merged(_ a: HTTPFields, _ b: HTTPFields) -> HTTPFields {
        var out = a
        for field in b { out.append(field) }
        return out
    }

    /// Opens the sign-in page and signs in as `name`; returns the response of the POST.
    @discardableResult
    static func signIn(_ client: some TestClientProtocol, _ jar: inout Jar, name: String, password: String = password) async throws
        -> TestResponse
    {
        let page = try await client.execute(uri: "/ui/signin", method: .get, headers: jar.header)
        jar.keep(page)
        let token = try #require(hidden("_signin", in: text(page)))
        let response = try await client.execute(
            uri: "/ui/signin", method: .post, headers: merged(jar.header, formType),
            body: form([("_signin", token), ("name", name), ("password", password)]))
        jar.keep(response)
        return response
    }

    @Test("signing in gives a new session id in an HttpOnly, SameSite=Strict, Secure cookie; the server keeps only its SHA-256")
    func sessionCookie() async throws {
        let gateway = try await Self.gateway(roles: [.clerk])
        try await gateway.test { client in
            var jar = Jar()
            let unsigned = try await client.execute(uri: "/ui/journal", method: .get)
            #expect(unsigned.status == .seeOther)
            #expect(unsigned.headers[.location] == "/ui/signin")
            // A session id the attacker chose beforehand is not adopted (fixation).
            jar.cookies["mzv_session"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
            let response = try await Self.signIn(client, &jar, name: "clerk-desk")
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/ui/journal")
            let line = try #require(response.headers[values: .setCookie].first { $0.hasPrefix("mzv_session=") })
            #expect(line.contains("HttpOnly"))
            #expect(line.contains("SameSite=Strict"))
            #expect(line.contains("Secure"))
            let id = try #require(jar.cookies["mzv_session"])
            #expect(id != "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
            #expect(id.count == 43)
            let journal = try await client.execute(uri: "/ui/journal", method: .get, headers: jar.header)
            #expect(journal.status == .ok)
            #expect(Self.text(journal).contains("Журнал регистрации"))
            #expect(journal.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            // Signing in again gives yet another id, and the first one stops working.
            var second = jar
            try await Self.signIn(client, &second, name: "clerk-desk")
            #expect(second.cookies["mzv_session"] != id)
            let old = try await client.execute(uri: "/ui/journal", method: .get, headers: jar.header)
            #expect(old.status == .seeOther)
        }
    }

    @Test("a stored password is OpenSSL's PBKDF2-HMAC-SHA256: `openssl kdf` derives the same bytes; another password does not match")
    func passwordHashInterop() async throws {
        let hash = try PasswordHash.make(Self.password)
        #expect(hash.iterations == 210_000 && hash.salt.count == 16)
        let salt = hash.salt.map { String(format: "%02x", $0) }.joined()
        let derived = try await TestProcess.run(
            "openssl",
            [
                "kdf", "-keylen", "32", "-kdfopt", "digest:SHA256", "-kdfopt", "pass:\(Self.password)", "-kdfopt", "hexsalt:\(salt)",
                "-kdfopt",
                "iter:\(hash.iterations)", "PBKDF2",
            ])
        #expect(derived.status == 0, "\(derived.stderr)")
        let bytes = derived.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":").compactMap { UInt8($0, radix: 16) }
        #expect(bytes == hash.hash)
        #expect(hash.matches(Self.password))
        #expect(!hash.matches(Self.password + "x"))
        #expect(PasswordHash(hash.description) == hash)
        #expect(try PasswordHash.make("другой-пароль-12345").hash != hash.hash)
        let weak = "pbkdf2-sha256$1000$\(Data(hash.salt).base64EncodedString())$\(Data(hash.hash).base64EncodedString())"
        #expect(PasswordHash(weak) == nil)
    }

    @Test("the sessions are kept by SHA-256 only: the cookie's id is not among the server's keys")
    func digestsOnly() async throws {
        let sessions = WebSessions()
        let started = try await sessions.start(name: "clerk-desk", role: .clerk)
        #expect(try await !sessions.digests.contains(started.id))
        #expect(try await sessions.digests == [WebSecrets.digest(started.id)])
        #expect(try await sessions.person(id: started.id)?.name == "clerk-desk")
        try await sessions.end(digest: started.person.sessionDigest)
        #expect(try await sessions.person(id: started.id) == nil)
    }

    @Test("a session idle longer than the timeout is ended")
    func idleExpiry() async throws {
        let start = ContinuousClock.now
        let now = Mutex(start)
        let sessions = WebSessions(store: LocalSessionStore(clock: { now.withLock { $0 } }), idleTimeout: .seconds(60))
        let started = try await sessions.start(name: "clerk-desk", role: .clerk)
        now.withLock { $0 = start + .seconds(59) }
        #expect(try await sessions.person(id: started.id) != nil)
        now.withLock { $0 = start + .seconds(59 + 61) }
        #expect(try await sessions.person(id: started.id) == nil)
    }

    @Test("a POST without the session's CSRF token, or with another's, is refused (403) and does nothing")
    func csrf() async throws {
        let gateway = try await Self.gateway(roles: [.clerk])
        try await gateway.test { client in
            var jar = Jar()
            try await Self.signIn(client, &jar, name: "clerk-desk")
            let without = try await client.execute(
                uri: "/ui/signout", method: .post, headers: Self.merged(jar.header, Self.formType), body: ByteBuffer(string: ""))
            #expect(without.status == .forbidden)
            #expect(Self.text(without).contains("CSRF"))
            let wrong = try await client.execute(
                uri: "/ui/signout", method: .post, headers: Self.merged(jar.header, Self.formType),
                body: Self.form([("_csrf", "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB")]))
            #expect(wrong.status == .forbidden)
            // Still signed in: nothing was done.
            let journal = try await client.execute(uri: "/ui/journal", method: .get, headers: jar.header)
            #expect(journal.status == .ok)
            let token = try #require(Self.hidden("_csrf", in: Self.text(journal)))
            let signOut = try await client.execute(
                uri: "/ui/signout", method: .post, headers: Self.merged(jar.header, Self.formType), body: Self.form([("_csrf", token)]))
            #expect(signOut.status == .seeOther)
            let after = try await client.execute(uri: "/ui/journal", method: .get, headers: jar.header)
            #expect(after.status == .seeOther)
            // The sign-in form itself needs its own token (login CSRF).
            let forged = try await client.execute(
                uri: "/ui/signin", method: .post, headers: Self.formType,
                body: Self.form([("name", "clerk-desk"), ("password", Self.password)]))
            #expect(forged.status == .forbidden)
            #expect(forged.headers[values: .setCookie].allSatisfy { !$0.hasPrefix("mzv_session=") })
        }
    }

    @Test("five wrong passwords lock the login with a Russian message; then even the right password is refused")
    func lockout() async throws {
        let gateway = try await Self.gateway(roles: [.clerk])
        try await gateway.test { client in
            var jar = Jar()
            for _ in 0..<5 {
                let wrong = try await Self.signIn(client, &jar, name: "clerk-desk", password: "не тот пароль")
                #expect(wrong.status == .unauthorized)
                #expect(Self.text(wrong).contains("Неверное имя пользователя или пароль"))
            }
            let locked = try await Self.signIn(client, &jar, name: "clerk-desk")
            #expect(locked.status == .tooManyRequests)
            #expect(Self.text(locked).contains("Учётная запись временно заблокирована"))
            #expect(jar.cookies["mzv_session"] == nil)
        }
    }

    @Test("a form value <script> comes back as text, never as markup; an auditor gets a 403 page on compose")
    func escapingAndRoles() async throws {
        let gateway = try await Self.gateway(roles: [.clerk, .auditor])
        try await gateway.test { client in
            var jar = Jar()
            try await Self.signIn(client, &jar, name: "clerk-desk")
            let page = try await client.execute(uri: "/ui/compose?regulation=562-2014", method: .get, headers: jar.header)
            #expect(page.status == .ok)
            let token = try #require(Self.hidden("_csrf", in: Self.text(page)))
            let hostile = "<script>alert('x')</script>"
            let checked = try await client.execute(
                uri: "/ui/compose", method: .post, headers: Self.merged(jar.header, Self.formType),
                body: Self.form([
                    ("_csrf", token), ("action", "check"), ("legalBasis[0].regulation", "562-2014"), ("subject", hostile),
                    ("compiler.fullName", hostile),
                ]))
            let html = Self.text(checked)
            #expect(checked.status == .unprocessableContent)
            #expect(!html.contains("<script>"))
            #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
            #expect(html.contains("field-error"))
            #expect(html.contains("aria-invalid=\"true\""))
            var auditor = Jar()
            try await Self.signIn(client, &auditor, name: "auditor-desk")
            let refused = try await client.execute(uri: "/ui/compose", method: .get, headers: auditor.header)
            #expect(refused.status == .forbidden)
            #expect(Self.text(refused).contains("аудитор"))
            #expect(!Self.text(refused).contains("Новый межведомственный запрос"))
        }
    }

    @Test("the verifier reports a tampered signed file as TOTAL-FAILED and a file that is no XML as a 422 page; nothing is registered")
    func verifier() async throws {
        let gateway = try await Self.gateway(roles: [.clerk])
        let sample = try String(contentsOfFile: ServeFixture.path("Samples/request-unemployment-status.signed.xml"), encoding: .utf8)
        let tampered = sample.replacingOccurrences(of: "безработного", with: "безработных")
        try await gateway.test { client in
            var jar = Jar()
            try await Self.signIn(client, &jar, name: "clerk-desk")
            let page = try await client.execute(uri: "/ui/verify", method: .get, headers: jar.header)
            let token = try #require(Self.hidden("_csrf", in: Self.text(page)))
            func upload(_ content: String) async throws -> TestResponse {
                let boundary = "----mezhved-test-boundary"
                let body =
                    "--\(boundary)\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n\(token)\r\n"
                    + "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"tampered.xml\"\r\nContent-Type: text/xml\r\n\r\n\(content)\r\n"
                    + "--\(boundary)--\r\n"
                return try await client.execute(
                    uri: "/ui/verify", method: .post,
                    headers: Self.merged(jar.header, [.contentType: "multipart/form-data; boundary=\(boundary)"]),
                    body: ByteBuffer(string: body))
            }
            let failed = try await upload(tampered)
            #expect(failed.status == .ok)
            #expect(Self.text(failed).contains("<strong>TOTAL-FAILED</strong>"))
            let original = try await upload(sample)
            #expect(original.status == .ok)
            #expect(!Self.text(original).contains("<strong>TOTAL-FAILED</strong>"))
            let junk = try await upload("this is not XML")
            #expect(junk.status == .unprocessableContent, "\(Self.text(junk))")
            #expect(Self.text(junk).contains("Не выполнено"))
        }
        #expect(try await gateway.archive.registrar.entries(.all).isEmpty)
    }

    @Test(
        "a signatory composes, signs and sends a request from the page; the journal and document pages show it; the log holds no personal data"
    )
    func composeAndLog() async throws {
        let gateway = try await Self.gateway(roles: [.signatory, .auditor])
        let lines = LogLines()
        let logger = Logger(label: "mezhved.web.test") { _ in CapturingLog(lines: lines) }
        try await gateway.test(logger: logger) { client in
            var jar = Jar()
            try await Self.signIn(client, &jar, name: "signatory-desk")
            let page = try await client.execute(uri: "/ui/compose?regulation=562-2014", method: .get, headers: jar.header)
            let token = try #require(Self.hidden("_csrf", in: Self.text(page)))
            let fields = Self.requestFields(csrf: token)
            let sent = try await client.execute(
                uri: "/ui/compose", method: .post, headers: Self.merged(jar.header, Self.formType), body: Self.form(fields))
            #expect(sent.status == .seeOther, "\(Self.text(sent))")
            let location = try #require(sent.headers[.location])
            #expect(location.hasPrefix("/ui/document?year="))
            let document = try await client.execute(uri: location, method: .get, headers: jar.header)
            let html = Self.text(document)
            #expect(document.status == .ok)
            #expect(html.contains("01-12/000001"))
            #expect(html.contains("Сертификат действителен на момент подписания"))
            #expect(html.contains("✓"))
            #expect(html.contains("145-236-987 76"))  // a signatory may see the personal data
            let journal = try await client.execute(uri: "/ui/journal?direction=outgoing", method: .get, headers: jar.header)
            #expect(Self.text(journal).contains("01-12/000001"))
            let csv = try await client.execute(uri: "/ui/journal.csv?direction=outgoing", method: .get, headers: jar.header)
            #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            #expect(Self.text(csv).contains("01-12/000001;"))
            var auditor = Jar()
            try await Self.signIn(client, &auditor, name: "auditor-desk")
            let redacted = Self.text(try await client.execute(uri: location, method: .get, headers: auditor.header))
            #expect(redacted.contains("01-12/000001"))
            #expect(!redacted.contains("145-236-987 76"))
            #expect(!redacted.contains("Васильев"))
        }
        let log = lines.all.joined(separator: "\n")
        #expect(log.contains("signatory-desk (signatory)"))
        #expect(log.contains("personal data viewed"))
        for personal in ["Васильев", "145-236-987 76", "1975-06-14", "Сергеева", Self.password] {
            #expect(!log.contains(personal), "\(personal)")
        }
    }
}

/// The lines a logger wrote (message and metadata), for the tests.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

struct CapturingLog: LogHandler {
    let lines: LogLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        lines.append(
            "\(event.level) \(event.message) \(all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
    }
}
