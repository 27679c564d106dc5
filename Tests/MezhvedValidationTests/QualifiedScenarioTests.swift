import Foundation
import MezhvedTestSupport
import MezhvedValidation
import MezhvedXMLDSig
import Testing

extension RevocationTests {
    /// The scenarios of qualified validation with a real TSA (`openssl ts -reply` behind
    /// tsa_server.py), a real OCSP responder (`openssl ocsp`) and a real CRL server, on the ports the
    /// revocation test certificates name. Nested in ``RevocationTests`` so that the serialization
    /// of those ports covers them too.
    @Suite("Qualified validation scenarios: TSA, OCSP and CRL on loopback")
    struct QualifiedScenarios {
        static let gostTSA: [String] = []
        static let wrongTSA = [
            "--key", Repository.path("Certificates/tsa/wrong-tsa.key.pem"), "--cert", Repository.path("Certificates/tsa/wrong-tsa.pem"),
            "--chain", "",
        ]
        let base: RevocationTests

        init() throws { base = try RevocationTests() }

        static let request = [UInt8](
            try! Data(contentsOf: URL(fileURLWithPath: Repository.path("Samples/request-unemployment-status.xml"))))

        /// Signs the sample request (XAdES-T when a TSA is given, else XAdES-BES) as `signer`.
        func sign(_ key: String, _ cert: String, tsa: LocalService?, document: [UInt8] = request) async throws -> [UInt8] {
            let signer = try XMLSigner(
                key: SigningKey.load(contentsOf: key), certificate: Certificate.load(contentsOf: cert)[0],
                chain: [base.ca])
            var options = SigningOptions(xades: tsa == nil ? .bes : .t)
            if let tsa {
                options.timestamper = RFC3161Timestamper(url: tsa.baseURL + "/tsa", transport: OpenSSLHTTPTransport(timeout: .seconds(10)))
            }
            return try await signer.signAwaitingTimestamp(document, sourceName: "request.xml", options: options)
        }

        func sign(_ name: String, tsa: LocalService?, document: [UInt8] = request) async throws -> [UInt8] {
            let folder = Repository.path("Certificates/revocation/\(name)")
            return try await sign("\(folder)/key.pem", "\(folder)/cert.pem", tsa: tsa, document: document)
        }

        /// A document that is not on a letterhead (the revoked-later signer is of another agency
        /// than the sample request's).
        static let plain = Array("<Note xmlns=\"urn:example:note\">Служебная записка</Note>".utf8)

        func validator(requireRevocation: Bool = false) throws -> QualifiedValidator {
            let policy = RevocationPolicy(
                fetchCRLs: true, ocspFromAIA: true, requireRevocation: requireRevocation,
                transport: OpenSSLHTTPTransport(timeout: .seconds(2)))
            return QualifiedValidator(
                trustStore: base.trust, policy: QualifiedValidationPolicy(requireRevocation: requireRevocation),
                revocation: try RevocationChecker(policy: policy, trustStore: base.trust))
        }

        static func tsa(_ arguments: [String] = gostTSA) throws -> LocalService {
            let port = try LocalService.freePort()
            return try LocalService(
                "TSA", executable: "/usr/bin/env",
                arguments: ["python3", Repository.path("Tests/Interop/tsa_server.py"), String(port)] + arguments, port: port)
        }

        static func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

        @Test("valid: XAdES-T from the accredited TSA, OCSP good: TOTAL-PASSED, qualified, signing time proven by the timestamp")
        func valid() async throws {
            let tsa = try Self.tsa()
            let asked = Date().addingTimeInterval(-1)
            let signed = try await sign("good", tsa: tsa)
            let answered = Date().addingTimeInterval(1)
            let responder = try base.startResponder()
            defer { responder.stop() }
            let report = try await validator().validate(signed, sourceName: "good.xml")
            #expect(report.indication == .totalPassed, "\(report.findings)")
            #expect(report.qualification.status == .qualified, "\(report.qualification.reasons)")
            #expect(report.signatureForm == "XAdES-T")
            #expect(report.signingTime.source == .timestamp)
            #expect(asked <= report.signingTime.time && report.signingTime.time <= answered, "\(report.signingTime.time)")
            #expect(report.revocation.first?.status == .good)
            #expect(report.revocation.first?.source == .ocsp)
            #expect(report.timestamps.first?.isValid == true)
        }

        @Test("revoked before the timestamp (OCSP says 2025-06-01): TOTAL-FAILED / REVOKED")
        func revokedBefore() async throws {
            let tsa = try Self.tsa()
            let signed = try await sign("revoked-before", tsa: tsa)
            let responder = try base.startResponder()
            defer { responder.stop() }
            let report = try await validator().validate(signed, sourceName: "revoked-before.xml")
            #expect(report.indication == .totalFailed)
            #expect(report.subIndication == .revoked)
            #expect(report.revocation.first?.revocationTime == Self.date("2025-06-01T00:00:00Z"))
        }

        @Test("revoked after the timestamp (2040), validated in 2041: TOTAL-PASSED; without a timestamp REVOKED_NO_POE")
        func revokedAfterTimestamp() async throws {
            let tsa = try Self.tsa()
            let stamped = try await sign("revoked-later", tsa: tsa, document: Self.plain)
            let claimedOnly = try await sign("revoked-later", tsa: nil, document: Self.plain)
            let responder = try base.startResponder()
            defer { responder.stop() }
            let later = Self.date("2041-01-01T00:00:00Z")
            let withProof = try await validator().validate(stamped, sourceName: "revoked-later-T.xml", at: later)
            #expect(withProof.indication == .totalPassed, "\(withProof.findings)")
            #expect(withProof.revocation.first?.status == .revoked)
            #expect(withProof.findings.contains { $0.severity == .warning && $0.message.contains("after the timestamp") })
            let withoutProof = try await validator().validate(claimedOnly, sourceName: "revoked-later-BES.xml", at: later)
            #expect(withoutProof.indication == .indeterminate)
            #expect(withoutProof.subIndication == .revokedNoPOE)
        }

        @Test("expired after the timestamp: a one-day certificate validated three days later is TOTAL-PASSED with the timestamp as proof")
        func expiredAfterTimestamp() async throws {
            let folder = try Repository.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: folder) }
            let good = Repository.path("Certificates/revocation/good")
            let request = folder.appendingPathComponent("req.pem").path
            let short = folder.appendingPathComponent("short.pem").path
            _ = try base.openssl([
                "x509", "-x509toreq", "-in", "\(good)/cert.pem", "-signkey", "\(good)/key.pem", "-copy_extensions", "copy", "-out", request,
            ])
            let serial = (0..<12).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
            _ = try base.openssl([
                "x509", "-req", "-in", request, "-CA", Repository.path("Certificates/gost/ca.pem"), "-CAkey",
                Repository.path("Certificates/gost/ca.key.pem"), "-days", "1", "-copy_extensions", "copyall", "-set_serial", "0x" + serial,
                "-md_gost12_256", "-out", short,
            ])
            let tsa = try Self.tsa()
            let stamped = try await sign("\(good)/key.pem", short, tsa: tsa)
            let claimedOnly = try await sign("\(good)/key.pem", short, tsa: nil)
            let (crlServer, crlFolder) = try base.startCRLServer()
            defer {
                crlServer.stop()
                try? FileManager.default.removeItem(at: crlFolder)
            }
            let threeDaysLater = Date().addingTimeInterval(3 * 24 * 3600)
            let report = try await validator().validate(stamped, sourceName: "short-lived-T.xml", at: threeDaysLater)
            #expect(report.indication == .totalPassed, "\(report.findings)")
            #expect(report.chain.first?.validAtValidationTime == false)
            #expect(report.chain.first?.validAtSigningTime == true)
            #expect(report.findings.contains { $0.area == "validity" && $0.severity == .warning })
            let unproven = try await validator().validate(claimedOnly, sourceName: "short-lived-BES.xml", at: threeDaysLater)
            #expect(unproven.indication == .indeterminate)
            #expect(unproven.subIndication == .outOfBoundsNoPOE)
        }

        @Test("the OCSP responder and the CRL distribution point are down: INDETERMINATE / TRY_LATER")
        func responderDown() async throws {
            let tsa = try Self.tsa()
            let signed = try await sign("good", tsa: tsa)
            #expect(!LocalService.accepts(47931) && !LocalService.accepts(47932))
            let report = try await validator().validate(signed, sourceName: "good.xml")
            #expect(report.indication == .indeterminate)
            #expect(report.subIndication == .tryLater)
            #expect(report.revocation.first?.status == .unavailable)
        }

        @Test("a timestamp from an untrusted TSA is ignored (warning): the signing time is only claimed")
        func wrongTSA() async throws {
            let tsa = try Self.tsa(Self.wrongTSA)
            let signed = try await sign("good", tsa: tsa)
            let responder = try base.startResponder()
            defer { responder.stop() }
            let report = try await validator().validate(signed, sourceName: "wrong-tsa.xml")
            #expect(report.signingTime.source == .claimedSigningTime)
            #expect(report.timestamps.first?.isValid == false)
            #expect(report.findings.contains { $0.area == "timestamp" && $0.message.contains("ignored") })
            #expect(report.indication == .totalPassed, "\(report.findings)")
        }
    }
}
