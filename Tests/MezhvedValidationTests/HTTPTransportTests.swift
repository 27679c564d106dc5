import Foundation
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
}
