import Foundation
import MezhvedTestSupport
import MezhvedValidation
import MezhvedXMLDSig
import Testing

/// Revocation against real services on the fixed loopback ports that the test certificates
/// name (`Certificates/make-revocation-pki.sh`): `openssl ocsp` on 47931 and an HTTP file server
/// with the CRL on 47932. Serialized: the ports are fixed.
@Suite("Revocation (real openssl ocsp responder and CRL server on loopback)", .serialized)
struct RevocationTests {
    static let ocspURL = "http://127.0.0.1:47931/"
    static let cdpURL = "http://127.0.0.1:47932/ca-revocation.crl"
    static let gostConfig = Repository.path("Certificates/openssl-gost.cnf")

    let trust: TrustStore
    let ca: Certificate
    let root: Certificate

    init() throws {
        trust = try TrustStore(directories: [Repository.path("Certificates/trust/gost")])
        ca = try Certificate.load(contentsOf: Repository.path("Certificates/gost/ca.pem"))[0]
        root = try Certificate.load(contentsOf: Repository.path("Certificates/gost/root-ca.pem"))[0]
    }

    // MARK: - Fixtures

    func certificate(_ name: String) throws -> Certificate {
        try Certificate.load(contentsOf: Repository.path("Certificates/revocation/\(name)/cert.pem"))[0]
    }

    func chain(_ name: String) throws -> [Certificate] { [try certificate(name), ca, root] }

    /// `openssl ocsp` answering from `revocation/index.txt`, signing with `signer`'s key
    /// (`ca`: the accredited CA's own key).
    func startResponder(signer: String = "responder") throws -> LocalService {
        let folder = Repository.path("Certificates/revocation")
        let (cert, key) =
            signer == "ca"
            ? (Repository.path("Certificates/gost/ca.pem"), Repository.path("Certificates/gost/ca.key.pem"))
            : ("\(folder)/\(signer)/cert.pem", "\(folder)/\(signer)/key.pem")
        return try LocalService(
            "openssl ocsp", executable: "/usr/bin/env",
            arguments: [
                "openssl", "ocsp", "-index", "\(folder)/index.txt", "-port", "47931", "-rsigner", cert, "-rkey", key, "-CA",
                Repository.path("Certificates/gost/ca.pem"), "-nmin", "60", "-ignore_err",
            ], port: 47931, environment: ["OPENSSL_CONF": Self.gostConfig], probeByConnecting: false)
    }

    /// An HTTP server on 47932 whose `ca-revocation.crl` is `crl` (default: the real CDP CRL).
    func startCRLServer(serving crl: [UInt8]? = nil) throws -> (LocalService, URL) {
        let folder = try Repository.temporaryDirectory()
        let bytes = try crl ?? [UInt8](Data(contentsOf: URL(fileURLWithPath: Repository.path("Certificates/revocation/ca-revocation.crl"))))
        try Data(bytes).write(to: folder.appendingPathComponent("ca-revocation.crl"))
        return (try LocalService.files(folder.path, port: 47932), folder)
    }

    /// Runs the openssl command line with the GOST configuration and returns its output.
    func openssl(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["OPENSSL_CONF": Self.gostConfig]) { _, new in new }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return output
    }

    func policy(ocsp: Bool = true, crl: Bool = true, files: [String] = []) -> RevocationPolicy {
        RevocationPolicy(crlFiles: files, fetchCRLs: crl, ocspFromAIA: ocsp, transport: OpenSSLHTTPTransport(timeout: .seconds(2)))
    }

    static func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }
    static let revokedBeforeDate = date("2025-06-01T00:00:00Z")
    static let revokedLaterDate = date("2040-01-01T00:00:00Z")
    static let signingTime = date("2026-03-02T10:00:00Z")

    // MARK: - OCSP

    @Test("a good certificate is good over OCSP, with the delegated responder and update times reported")
    func goodViaOCSP() async throws {
        let responder = try startResponder()
        defer { responder.stop() }
        let checker = try RevocationChecker(policy: policy(crl: false), trustStore: trust)
        let evidence = await checker.check(chain: try chain("good"), at: Self.signingTime)
        try #require(evidence.count == 2)
        let signer = evidence[0]
        #expect(signer.status == .good, "\(signer.problems)")
        #expect(signer.source == .ocsp)
        #expect(signer.location == Self.ocspURL)
        #expect(signer.certificate.sha256Fingerprint == (try certificate("good")).sha256Fingerprint)
        #expect(signer.responder?.commonName == "mezhved TEST GOST Accredited CA OCSP Responder")
        #expect(signer.revocationTime == nil)
        #expect(signer.problems.isEmpty)
        #expect(signer.timeOfInterest == Self.signingTime)
        let thisUpdate = try #require(signer.thisUpdate)
        let nextUpdate = try #require(signer.nextUpdate)
        #expect(abs(nextUpdate.timeIntervalSince(thisUpdate) - 3600) < 2, "-nmin 60")
        #expect(signer.producedAt != nil && signer.fetchedAt != nil)
        // The response itself is kept for archiving, and openssl reads it as the same answer.
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("response.der")
        try Data(try #require(signer.encoded)).write(to: file)
        let text = try openssl(["ocsp", "-respin", file.path, "-resp_text", "-noverify"])
        #expect(text.contains("Cert Status: good"), "\(text)")
        // The accredited CA's own certificate names no source: not checked, a warning only.
        #expect(evidence[1].certificate.commonName == "mezhved TEST GOST Accredited CA")
        #expect(evidence[1].status == .notChecked)
    }

    @Test("revoked before the signing time: OCSP and CRL both give 2025-06-01 and keyCompromise", arguments: ["ocsp", "crl"])
    func revokedBefore(via: String) async throws {
        let responder = via == "ocsp" ? try startResponder() : nil
        let server = via == "crl" ? try startCRLServer() : nil
        defer {
            responder?.stop()
            server?.0.stop()
        }
        let checker = try RevocationChecker(policy: policy(ocsp: via == "ocsp", crl: via == "crl"), trustStore: trust)
        let evidence = await checker.check(chain: try chain("revoked-before"), at: Self.signingTime)[0]
        #expect(evidence.status == .revoked, "\(evidence.problems)")
        #expect(evidence.revocationTime == Self.revokedBeforeDate)
        #expect(evidence.reason == "keyCompromise")
        #expect(evidence.source == (via == "ocsp" ? .ocsp : .crlHTTP))
        #expect(evidence.location == (via == "ocsp" ? Self.ocspURL : Self.cdpURL))
        #expect(evidence.revoked(atOrBefore: Self.signingTime))
    }

    @Test("revoked after the signing time: reported revoked with the 2040 date, for the caller to compare", arguments: ["ocsp", "crl"])
    func revokedLater(via: String) async throws {
        let responder = via == "ocsp" ? try startResponder() : nil
        let server = via == "crl" ? try startCRLServer() : nil
        defer {
            responder?.stop()
            server?.0.stop()
        }
        let checker = try RevocationChecker(policy: policy(ocsp: via == "ocsp", crl: via == "crl"), trustStore: trust)
        let evidence = await checker.check(chain: try chain("revoked-later"), at: Self.date("2041-01-01T00:00:00Z"))[0]
        #expect(evidence.status == .revoked, "\(evidence.problems)")
        #expect(evidence.revocationTime == Self.revokedLaterDate)
        #expect(evidence.reason == "cessationOfOperation")
        #expect(!evidence.revoked(atOrBefore: Self.signingTime), "a 2026 signature predates the 2040 revocation")
        #expect(evidence.revoked(atOrBefore: Self.date("2041-01-01T00:00:00Z")))
    }

    @Test("answers signed by the CA itself are accepted")
    func caSignedAnswers() async throws {
        let responder = try startResponder(signer: "ca")
        defer { responder.stop() }
        let checker = try RevocationChecker(policy: policy(crl: false), trustStore: trust)
        let evidence = await checker.check(chain: try chain("revoked-later"), at: Self.signingTime)[0]
        #expect(evidence.status == .revoked, "\(evidence.problems)")
        #expect(evidence.responder?.sha256Fingerprint == ca.sha256Fingerprint)
    }

    @Test("a SHA-256 CertID is answered as well (the CertID hash is independent of the GOST key)")
    func sha256CertID() async throws {
        let responder = try startResponder()
        defer { responder.stop() }
        var configured = policy(crl: false)
        configured.certIDHash = .sha256
        let checker = try RevocationChecker(policy: configured, trustStore: trust)
        let evidence = await checker.check(chain: try chain("revoked-before"), at: Self.signingTime)[0]
        #expect(evidence.status == .revoked, "\(evidence.problems)")
        #expect(evidence.revocationTime == Self.revokedBeforeDate)
    }

    @Test("a responder that is down gives `unavailable` naming it, never `good`")
    func responderDown() async throws {
        #expect(!LocalService.listening(47931))
        let checker = try RevocationChecker(policy: policy(crl: false), trustStore: trust)
        let evidence = await checker.check(chain: try chain("good"), at: Self.signingTime)[0]
        #expect(evidence.status == .unavailable)
        #expect(evidence.source == nil)
        #expect(evidence.problems.count == 1)
        #expect(evidence.problems.first?.contains(Self.ocspURL) == true, "\(evidence.problems)")
    }

    @Test("OCSP down, CRL up: the CRL answers, and the OCSP failure stays in the problems")
    func fallbackToCRL() async throws {
        let (server, _) = try startCRLServer()
        defer { server.stop() }
        let checker = try RevocationChecker(policy: policy(), trustStore: trust)
        let evidence = await checker.check(chain: try chain("revoked-before"), at: Self.signingTime)[0]
        #expect(evidence.status == .revoked)
        #expect(evidence.source == .crlHTTP)
        #expect(evidence.problems.count == 1 && evidence.problems[0].contains(Self.ocspURL), "\(evidence.problems)")
    }

    @Test("an unauthorised responder is refused", arguments: ["rogue-responder", "no-eku-responder"])
    func unauthorisedResponder(signer: String) async throws {
        let responder = try startResponder(signer: signer)
        defer { responder.stop() }
        let checker = try RevocationChecker(policy: policy(crl: false), trustStore: trust)
        let evidence = await checker.check(chain: try chain("good"), at: Self.signingTime)[0]
        #expect(evidence.status == .unavailable)
        let problem = try #require(evidence.problems.first)
        #expect(problem.contains("unauthorised responder"), "\(problem)")
        #expect(problem.contains(signer == "rogue-responder" ? "did not issue" : "id-kp-OCSPSigning"), "\(problem)")
    }

    @Test("a configured responder with a locally trusted signing certificate is accepted, also for a certificate naming no source")
    func configuredResponder() async throws {
        let responder = try startResponder(signer: "rogue-responder")
        defer { responder.stop() }
        var configured = policy(ocsp: false, crl: false)
        configured.ocspResponder = Self.ocspURL
        configured.ocspResponderCertificate = try certificate("rogue-responder")
        let checker = try RevocationChecker(policy: configured, trustStore: trust)
        let good = await checker.check(chain: try chain("no-source"), at: Self.signingTime)[0]
        #expect(good.status == .good, "\(good.problems)")
        #expect(good.responder?.commonName == "mezhved TEST Rogue OCSP Responder (root-issued)")
        let revoked = await checker.check(chain: try chain("revoked-before"), at: Self.signingTime)
        #expect(revoked[0].status == .revoked && revoked[0].revocationTime == Self.revokedBeforeDate)
        // By default the configured responder answers for the signer only: the CA's own
        // certificate keeps its (absent) sources instead of an "unknown" from a signers' responder.
        #expect(revoked[1].status == .notChecked, "\(revoked[1].problems)")
        configured.ocspResponderScope = .everyCertificate
        let everyCertificate = try RevocationChecker(policy: configured, trustStore: trust)
        let caEvidence = await everyCertificate.check(chain: try chain("good"), at: Self.signingTime)[1]
        #expect(caEvidence.status == .unknown, "the responder does not serve the root's certificates: \(caEvidence.problems)")
        #expect(caEvidence.source == .ocsp)
    }

    @Test("openssl ocsp, as an independent client, agrees with the checker", arguments: ["good", "revoked-before", "revoked-later"])
    func crossCheckWithOpenSSL(name: String) async throws {
        let responder = try startResponder()
        defer { responder.stop() }
        let checker = try RevocationChecker(policy: policy(crl: false), trustStore: trust)
        let ours = await checker.check(chain: try chain(name), at: Self.signingTime)[0]
        let cert = Repository.path("Certificates/revocation/\(name)/cert.pem")
        let output = try openssl([
            "ocsp", "-timeout", "10", "-issuer", Repository.path("Certificates/gost/ca.pem"), "-cert", cert, "-url", Self.ocspURL,
            "-CAfile", Repository.path("Certificates/gost/root-ca.pem"), "-verify_other", Repository.path("Certificates/gost/ca.pem"),
            "-resp_text",
        ])
        #expect(output.contains("Response verify OK"), "\(output)")
        let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("\(cert): ") }, "\(output)")
        #expect(line == "\(cert): \(ours.status.rawValue)")
    }

    /// A replaying "responder" on 47931: answers every POST with `response`, whatever was asked.
    func startReplay(_ response: [UInt8]) throws -> (LocalService, URL) {
        let folder = try Repository.temporaryDirectory()
        let file = folder.appendingPathComponent("response.der")
        try Data(response).write(to: file)
        let script = """
            import http.server, sys
            body = open(sys.argv[2], 'rb').read()
            class Replay(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    self.rfile.read(int(self.headers.get('Content-Length', 0)))
                    self.send_response(200)
                    self.send_header('Content-Type', 'application/ocsp-response')
                    self.send_header('Content-Length', str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                def log_message(self, *args):
                    pass
            http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), Replay).serve_forever()
            """
        let service = try LocalService(
            "OCSP replay", executable: "/usr/bin/env", arguments: ["python3", "-c", script, "47931", file.path], port: 47931)
        return (service, folder)
    }

    /// A response of the real responder about `name`, to a request with its own nonce.
    func recordedResponse(about name: String) throws -> [UInt8] {
        let responder = try startResponder()
        defer { responder.stop() }
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("response.der")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "ocsp", "-timeout", "10", "-issuer", Repository.path("Certificates/gost/ca.pem"), "-cert",
            Repository.path("Certificates/revocation/\(name)/cert.pem"), "-url", Self.ocspURL, "-noverify", "-respout", out.path,
        ]
        process.environment = ProcessInfo.processInfo.environment.merging(["OPENSSL_CONF": Self.gostConfig]) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        return [UInt8](try Data(contentsOf: out))
    }

    @Test("a replayed response (another request's nonce) is refused")
    func nonceMismatch() async throws {
        let (replay, folder) = try startReplay(try recordedResponse(about: "good"))
        defer {
            replay.stop()
            try? FileManager.default.removeItem(at: folder)
        }
        let checker = try RevocationChecker(policy: policy(crl: false), trustStore: trust)
        let evidence = await checker.check(chain: try chain("good"), at: Self.signingTime)[0]
        #expect(evidence.status == .unavailable)
        #expect(evidence.problems.first?.contains("nonce") == true, "\(evidence.problems)")
    }

    @Test("a validly signed response about another certificate is refused (CertID mismatch), not taken as good")
    func certIDMismatch() async throws {
        let (replay, folder) = try startReplay(try recordedResponse(about: "good"))
        defer {
            replay.stop()
            try? FileManager.default.removeItem(at: folder)
        }
        var configured = policy(crl: false)
        configured.ocspNonce = false
        let checker = try RevocationChecker(policy: configured, trustStore: trust)
        let evidence = await checker.check(chain: try chain("revoked-before"), at: Self.signingTime)[0]
        #expect(evidence.status == .unavailable)
        #expect(evidence.problems.first?.contains("CertID mismatch") == true, "\(evidence.problems)")
    }

    @Test("a responder answering tryLater gives `unavailable` naming the responder status")
    func tryLater() async throws {
        // OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED tryLater(3) }
        let (replay, folder) = try startReplay([0x30, 0x03, 0x0A, 0x01, 0x03])
        defer {
            replay.stop()
            try? FileManager.default.removeItem(at: folder)
        }
        let checker = try RevocationChecker(policy: policy(crl: false), trustStore: trust)
        let evidence = await checker.check(chain: try chain("good"), at: Self.signingTime)[0]
        #expect(evidence.status == .unavailable)
        #expect(evidence.problems.first?.contains("trylater") == true, "\(evidence.problems)")
    }

    // MARK: - CRL

    @Test("a good certificate is good from the distribution point's CRL, with the CRL's times and issuer")
    func goodViaCRL() async throws {
        let (server, _) = try startCRLServer()
        defer { server.stop() }
        let checker = try RevocationChecker(policy: policy(ocsp: false), trustStore: trust)
        let evidence = await checker.check(chain: try chain("good"), at: Self.signingTime)[0]
        #expect(evidence.status == .good, "\(evidence.problems)")
        #expect(evidence.source == .crlHTTP)
        #expect(evidence.location == Self.cdpURL)
        #expect(evidence.responder?.sha256Fingerprint == ca.sha256Fingerprint)
        let nextUpdate = try #require(evidence.nextUpdate)
        #expect(nextUpdate > Date().addingTimeInterval(10 * 365 * 86400), "the CDP CRL is valid ~20 years")
        #expect(evidence.producedAt == nil)
        let published = try Data(contentsOf: URL(fileURLWithPath: Repository.path("Certificates/revocation/ca-revocation.crl")))
        #expect(evidence.encoded == [UInt8](published), "the CRL is kept as published")
        // The JSON form carries every fact but the (possibly large) CRL itself.
        let json = try JSONEncoder().encode(evidence)
        #expect(!String(decoding: json, as: UTF8.self).contains("encoded"))
        let decoded = try JSONDecoder().decode(RevocationEvidence.self, from: json)
        #expect(decoded.status == .good && decoded.location == Self.cdpURL && decoded.nextUpdate == evidence.nextUpdate)
        #expect(decoded.encoded == nil)
    }

    @Test("a distribution point that is down, without OCSP, gives `unavailable`")
    func distributionPointDown() async throws {
        #expect(!LocalService.accepts(47932))
        let checker = try RevocationChecker(policy: policy(ocsp: false), trustStore: trust)
        let evidence = await checker.check(chain: try chain("good"), at: Self.signingTime)[0]
        #expect(evidence.status == .unavailable)
        #expect(evidence.problems.count == 1 && evidence.problems[0].contains(Self.cdpURL), "\(evidence.problems)")
    }

    @Test(
        "a certificate naming no source is `notChecked`; the policy's requirement is carried into the evidence", arguments: [false, true])
    func noSource(require: Bool) async throws {
        var configured = policy()
        configured.requireRevocation = require
        let checker = try RevocationChecker(policy: configured, trustStore: trust)
        let evidence = await checker.check(chain: try chain("no-source"), at: Self.signingTime)[0]
        #expect(evidence.status == .notChecked)
        #expect(evidence.revocationRequired == require)
        #expect(evidence.problems.count == 1 && evidence.problems[0].contains("revocation not checked"))
        #expect(evidence.problems[0].contains("INDETERMINATE") == require)
    }

    @Test("a CRL file: gost/ca.crl.pem revokes negative/revoked and not an agency signer")
    func crlFile() async throws {
        let file = Repository.path("Certificates/gost/ca.crl.pem")
        let checker = try RevocationChecker(policy: policy(ocsp: false, crl: false, files: [file]), trustStore: trust)
        let revoked = try Certificate.load(contentsOf: Repository.path("Certificates/negative/revoked/cert.pem"))[0]
        let evidence = await checker.check(chain: [revoked, ca, root], at: Self.signingTime)[0]
        #expect(evidence.status == .revoked, "\(evidence.problems)")
        #expect(evidence.reason == "keyCompromise")
        #expect(evidence.source == .crlFile && evidence.location == file)
        #expect(evidence.revocationTime != nil)
        let agency = try Certificate.load(contentsOf: Repository.path("Certificates/agencies/social-protection/cert.pem"))[0]
        #expect(await checker.check(chain: [agency, ca, root], at: Self.signingTime)[0].status == .good)
    }

    @Test("a tampered CRL (one signature bit flipped) is refused with a problem, from HTTP and from a file")
    func tamperedCRL() async throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Repository.path("Certificates/revocation/ca-revocation.crl"))))
        bytes[bytes.count - 3] ^= 0x01
        let (server, folder) = try startCRLServer(serving: bytes)
        defer { server.stop() }
        let overHTTP = try RevocationChecker(policy: policy(ocsp: false), trustStore: trust)
        let fetched = await overHTTP.check(chain: try chain("good"), at: Self.signingTime)[0]
        #expect(fetched.status == .unavailable)
        #expect(fetched.problems.first?.contains("bad signature") == true, "\(fetched.problems)")
        let path = folder.appendingPathComponent("ca-revocation.crl").path
        let fromFile = try RevocationChecker(policy: policy(ocsp: false, crl: false, files: [path]), trustStore: trust)
        let filed = await fromFile.check(chain: try chain("revoked-before"), at: Self.signingTime)[0]
        #expect(filed.status == .unavailable)
        #expect(filed.problems.first?.contains("bad signature") == true, "\(filed.problems)")
    }

    @Test("a stale CRL (nextUpdate 2025-02-01) is not used, and says so")
    func staleCRL() async throws {
        let stale = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Repository.path("Certificates/revocation/stale.crl"))))
        let (server, _) = try startCRLServer(serving: stale)
        defer { server.stop() }
        let checker = try RevocationChecker(policy: policy(ocsp: false), trustStore: trust)
        let evidence = await checker.check(chain: try chain("good"), at: Self.signingTime)[0]
        #expect(evidence.status == .unavailable)
        #expect(evidence.problems.first?.contains("stale") == true, "\(evidence.problems)")
    }

    @Test("a delta CRL is refused with a clear problem, from HTTP and from a file")
    func deltaCRL() async throws {
        let path = Repository.path("Certificates/revocation/delta.crl")
        let (server, _) = try startCRLServer(serving: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        defer { server.stop() }
        for configured in [policy(ocsp: false), policy(ocsp: false, crl: false, files: [path])] {
            let checker = try RevocationChecker(policy: configured, trustStore: trust)
            let evidence = await checker.check(chain: try chain("good"), at: Self.signingTime)[0]
            #expect(evidence.status == .unavailable)
            #expect(evidence.problems.first?.contains("a delta CRL") == true, "\(evidence.problems)")
        }
    }

    @Test("a CRL file of another CA is no source: the certificate stays `notChecked`")
    func crlFileOfAnotherIssuer() async throws {
        // gost/ca.crl.pem is the accredited CA's; the root issued the CA certificate itself.
        let checker = try RevocationChecker(
            policy: policy(ocsp: false, crl: false, files: [Repository.path("Certificates/gost/ca.crl.pem")]), trustStore: trust)
        let evidence = await checker.check(chain: [ca, root], at: Self.signingTime)
        #expect(evidence.count == 1)
        #expect(evidence.first?.status == .notChecked)
    }

    @Test("an unreadable CRL file or cache folder is a configuration error naming it")
    func configurationErrors() throws {
        let missing = "/nonexistent/mezhved/ca.crl"
        let error = #expect(throws: ValidationError.self) {
            try RevocationChecker(policy: policy(files: [missing]), trustStore: trust)
        }
        #expect(error?.code == .configuration && error?.message.contains(missing) == true)
        let notCRL = Repository.path("Certificates/gost/ca.pem")
        let notCRLError = #expect(throws: ValidationError.self) {
            try RevocationChecker(policy: policy(files: [notCRL]), trustStore: trust)
        }
        #expect(notCRLError?.code == .configuration && notCRLError?.message.contains(notCRL) == true)
        var underAFile = policy()
        underAFile.cacheFolder = notCRL + "/cache"
        let folderError = #expect(throws: ValidationError.self) { try RevocationChecker(policy: underAFile, trustStore: trust) }
        #expect(folderError?.code == .configuration && folderError?.message.contains(notCRL) == true)
    }

    @Test("one checker serves concurrent checks (one CRL fetch shared through the cache)")
    func concurrentChecks() async throws {
        let (server, _) = try startCRLServer()
        defer { server.stop() }
        let checker = try RevocationChecker(policy: policy(ocsp: false), trustStore: trust)
        let names = ["good", "revoked-before", "revoked-later", "good"]
        let chains = try names.map { try chain($0) }
        let results = Results()
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<16 {
                group.addTask {
                    let evidence = await checker.check(chain: chains[index % names.count], at: Self.signingTime)[0]
                    results.append(names[index % names.count], evidence.status)
                }
            }
        }
        let all = results.values
        #expect(all.count == 16)
        for (name, status) in all { #expect(status == (name == "good" ? .good : .revoked), "\(name)") }
    }

    @Test(
        "the OCSP cache: a good answer is reused while current without asking, asked again past its nextUpdate; without the cache every check asks"
    )
    func ocspCache() async throws {
        let clock = TestClock()
        let checker = try RevocationChecker(policy: policy(crl: false), trustStore: trust, clock: clock.now)
        let responder = try startResponder()
        let first = await checker.check(chain: try chain("good"), at: Self.signingTime)[0]
        #expect(first.status == .good && first.source == .ocsp, "\(first.problems)")
        responder.stop()
        #expect(!LocalService.accepts(47931))
        // Current: the kept answer, with the first fetch's time and bytes.
        let second = await checker.check(chain: try chain("good"), at: Self.signingTime)[0]
        #expect(second.status == .good, "\(second.problems)")
        #expect(second.fetchedAt == first.fetchedAt && second.encoded == first.encoded)
        // Another certificate was never asked about: nothing kept for it.
        let other = await checker.check(chain: try chain("revoked-before"), at: Self.signingTime)[0]
        #expect(other.status == .unavailable)
        // Past nextUpdate (-nmin 60) with the responder down: asked again, so unavailable.
        clock.advance(to: try #require(first.nextUpdate).addingTimeInterval(60))
        let late = await checker.check(chain: try chain("good"), at: Self.signingTime)[0]
        #expect(late.status == .unavailable, "\(late.problems)")
        // cacheOCSP off: the responder is asked every time.
        var uncached = policy(crl: false)
        uncached.cacheOCSP = false
        let asking = try RevocationChecker(policy: uncached, trustStore: trust)
        let again = try startResponder()
        #expect(await asking.check(chain: try chain("good"), at: Self.signingTime)[0].status == .good)
        again.stop()
        #expect(await asking.check(chain: try chain("good"), at: Self.signingTime)[0].status == .unavailable)
    }

    @Test("the CRL cache: reused while fresh without a request, refused once stale and the server is down, kept on disk 0600")
    func cache() async throws {
        let cacheFolder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: cacheFolder) }
        let clock = TestClock()
        var configured = policy(ocsp: false)
        configured.cacheFolder = cacheFolder.path
        let checker = try RevocationChecker(policy: configured, trustStore: trust, clock: clock.now)
        let (server, _) = try startCRLServer()
        let first = await checker.check(chain: try chain("good"), at: Self.signingTime)[0]
        #expect(first.status == .good, "\(first.problems)")
        server.stop()
        #expect(!LocalService.accepts(47932))
        // Fresh: answered from the cache, with the first fetch's time.
        let second = await checker.check(chain: try chain("revoked-before"), at: Self.signingTime)[0]
        #expect(second.status == .revoked)
        #expect(second.fetchedAt == first.fetchedAt)
        // On disk, 0600, and a new checker (empty memory) uses it without the server.
        let files = try FileManager.default.contentsOfDirectory(atPath: cacheFolder.path)
        #expect(files.count == 1 && files[0].hasSuffix(".crl"))
        let mode = try FileManager.default.attributesOfItem(atPath: cacheFolder.appendingPathComponent(files[0]).path)[.posixPermissions]
        #expect((mode as? NSNumber)?.intValue == 0o600)
        let restarted = try RevocationChecker(policy: configured, trustStore: trust, clock: clock.now)
        #expect(await restarted.check(chain: try chain("good"), at: Self.signingTime)[0].status == .good)
        // Past the CRL's nextUpdate and the server down: not good, unavailable.
        clock.advance(to: try #require(first.nextUpdate).addingTimeInterval(3600))
        let late = await checker.check(chain: try chain("good"), at: Self.signingTime)[0]
        #expect(late.status == .unavailable)
        #expect(late.problems.first?.contains("stale") == true, "\(late.problems)")
    }
}

/// Results collected from several threads.
final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [(String, RevocationEvidence.Status)] = []

    func append(_ name: String, _ status: RevocationEvidence.Status) {
        lock.lock()
        defer { lock.unlock() }
        collected.append((name, status))
    }

    var values: [(String, RevocationEvidence.Status)] {
        lock.lock()
        defer { lock.unlock() }
        return collected
    }
}

/// A clock that tests move forward.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date()

    var now: @Sendable () -> Date {
        { [self] in
            lock.lock()
            defer { lock.unlock() }
            return current
        }
    }

    func advance(to date: Date) {
        lock.lock()
        defer { lock.unlock() }
        current = date
    }
}
