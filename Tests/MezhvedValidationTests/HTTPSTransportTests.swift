import Foundation
import MezhvedTestSupport
import MezhvedValidation
import Testing

/// HTTPS for CRL distribution points, OCSP responders and TSAs (issue 14): OpenSSL's HTTP client
/// over TLS against `openssl s_server -WWW` on loopback, its server certificate one of the TEST
/// TLS identities (`Certificates/tls/`, self-signed, naming 127.0.0.1).
@Suite("HTTPS transport (OpenSSL's client over TLS against openssl s_server)")
struct HTTPSTransportTests {
    /// `openssl s_server -WWW` serving `folder` with the TLS identity `identity`.
    static func server(_ folder: String, identity: String = "social-protection") throws -> LocalService {
        let port = try LocalService.freePort()
        return try LocalService(
            "openssl s_server", executable: "/usr/bin/env",
            arguments: [
                "openssl", "s_server", "-quiet", "-accept", "127.0.0.1:\(port)", "-cert",
                Repository.path("Certificates/tls/\(identity).crt"),
                "-key", Repository.path("Certificates/tls/\(identity).key"), "-WWW",
            ], port: port, currentDirectory: folder, probeByConnecting: false)
    }

    static let crl = Repository.path("Certificates/revocation/ca-revocation.crl")

    @Test("a CRL over HTTPS: the exact bytes, when the server's certificate verifies against --https-trust and names 127.0.0.1")
    func fetchedOverTLS() async throws {
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(atPath: Self.crl, toPath: folder.appendingPathComponent("ca.crl").path)
        let server = try Self.server(folder.path)
        let transport = OpenSSLHTTPTransport(
            timeout: .seconds(5), httpsTrust: HTTPSTrust(caFiles: [Repository.path("Certificates/tls/social-protection.crt")]))
        let fetched = try await transport.get("https://127.0.0.1:\(server.port)/ca.crl")
        #expect(fetched == [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.crl))))
    }

    @Test(
        "a server whose certificate the trust does not hold is refused, naming TLS; without a trust https:// is refused before connecting")
    func refused() async throws {
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(atPath: Self.crl, toPath: folder.appendingPathComponent("ca.crl").path)
        let server = try Self.server(folder.path)
        let url = "https://127.0.0.1:\(server.port)/ca.crl"
        let stranger = OpenSSLHTTPTransport(
            timeout: .seconds(5), httpsTrust: HTTPSTrust(caFiles: [Repository.path("Certificates/tls/stranger.crt")]))
        let error = await #expect(throws: ValidationError.self) { try await stranger.get(url) }
        #expect(error?.code == .unreachable)
        #expect(error?.message.contains("TLS") == true, "\(error?.description ?? "")")
        #expect(error?.openSSLErrors.contains { $0.contains("certificate verify failed") } == true, "\(error?.openSSLErrors ?? [])")
        let plain = await #expect(throws: ValidationError.self) { try await OpenSSLHTTPTransport(timeout: .seconds(5)).get(url) }
        #expect(plain?.code == .badURL)
        #expect(plain?.hint?.contains("--https-trust") == true)
        // The same server over plain HTTP is no server at all: the TLS handshake is the point.
        let unreadable = HTTPSTrust(caFiles: [folder.appendingPathComponent("ca.crl").path])
        let bad = await #expect(throws: ValidationError.self) {
            try await OpenSSLHTTPTransport(timeout: .seconds(5), httpsTrust: unreadable).get(url)
        }
        #expect(bad?.code == .configuration, "a trust file that is no PEM is named: \(bad?.description ?? "")")
    }
}
