import Foundation
import MezhvedTestSupport
import MezhvedValidation
import Testing

@Suite("HTTP transport (OpenSSL's HTTP client against a real server on loopback)")
struct HTTPTransportTests {
    @Test("GET returns the exact bytes a real HTTP server sends")
    func getReturnsBody() async throws {
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        // One DER SEQUENCE of 70,000 content bytes (long-form length), like a large CRL.
        let content = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let body: [UInt8] = [0x30, 0x83, 0x01, 0x11, 0x70] + content
        try Data(body).write(to: folder.appendingPathComponent("ca.crl"))
        let server = try LocalService.files(folder.path)
        let fetched = try await OpenSSLHTTPTransport().get("\(server.baseURL)/ca.crl")
        #expect(fetched.count == body.count)
        #expect(fetched == body, "the body differs from what was served")
    }

    @Test("a body that is not one DER object (an HTML error page) is refused")
    func notDER() async throws {
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("<html>maintenance</html>".utf8).write(to: folder.appendingPathComponent("ca.crl"))
        let server = try LocalService.files(folder.path)
        await #expect(throws: ValidationError.self) { try await OpenSSLHTTPTransport().get("\(server.baseURL)/ca.crl") }
    }

    @Test("a server that is down is an `unreachable` error naming the URL")
    func downServer() async throws {
        let port = try LocalService.freePort()
        let url = "http://127.0.0.1:\(port)/ca.crl"
        let error = await #expect(throws: ValidationError.self) { try await OpenSSLHTTPTransport(timeout: .seconds(2)).get(url) }
        #expect(error?.code == .unreachable)
        #expect(error?.message.contains(url) == true)
    }

    @Test("a missing file (404) is an error, not an empty body")
    func notFound() async throws {
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try LocalService.files(folder.path)
        await #expect(throws: ValidationError.self) { try await OpenSSLHTTPTransport().get("\(server.baseURL)/missing.crl") }
    }

    @Test("HTTPS and malformed URLs are refused with a clear error", arguments: ["https://ca.example/ca.crl", "ldap://x/y", "not a url"])
    func refusedURLs(url: String) async throws {
        let error = await #expect(throws: ValidationError.self) { try await OpenSSLHTTPTransport().get(url) }
        #expect(error?.code == .badURL)
    }

    @Test("the shared rules: one definite-length DER SEQUENCE and nothing else is a body")
    func derRule() throws {
        let url = "http://ca.example/ca.crl"
        try HTTPFetchRules.requireOneDERObject([0x30, 0x03, 0x02, 0x01, 0x07], from: url)
        try HTTPFetchRules.requireOneDERObject([0x30, 0x81, 0x80] + [UInt8](repeating: 0x05, count: 0x80), from: url)
        let refused: [(String, [UInt8])] = [
            ("empty", []), ("HTML", Array("<html>maintenance</html>".utf8)), ("an INTEGER", [0x02, 0x01, 0x07]),
            ("truncated", [0x30, 0x05, 0x02, 0x01]), ("trailing bytes", [0x30, 0x00, 0x00]),
            ("indefinite length", [0x30, 0x80, 0x00, 0x00]), ("five length bytes", [0x30, 0x85, 0, 0, 0, 0, 1, 0]),
        ]
        for (name, body) in refused {
            let error = #expect(throws: ValidationError.self, "\(name)") { try HTTPFetchRules.requireOneDERObject(body, from: url) }
            #expect(error?.code == .badResponse && error?.message.contains(url) == true, "\(name)")
        }
    }

    @Test(
        "the shared rules: only http:// URLs, HTTPS refused with the reason",
        arguments: ["https://ca.example/ca.crl", "HTTPS://X/y", "ldap://x/y", "http://", ""])
    func urlRule(url: String) throws {
        let error = #expect(throws: ValidationError.self) { try HTTPFetchRules.requirePlainHTTP(url) }
        #expect(error?.code == .badURL)
        if url.lowercased().hasPrefix("https") { #expect(error?.message.contains("HTTPS") == true) }
        try HTTPFetchRules.requirePlainHTTP("http://127.0.0.1:47932/ca-revocation.crl")
    }
}
