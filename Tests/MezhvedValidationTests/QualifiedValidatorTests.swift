import Foundation
import MezhvedDocuments
import MezhvedTestSupport
import MezhvedValidation
import MezhvedXMLDSig
import Testing

/// The GOST signers' certificates name `http://127.0.0.1:8089/ca.crl` as their CRL distribution
/// point, so these tests serve `Certificates/gost/` on that port (or leave it empty to test an
/// unreachable source): the suite runs serialized.
@Suite("Qualified validation (63-FZ art. 11, ETSI EN 319 102-1 report)", .serialized)
struct QualifiedValidatorTests {
    static let distributionPointPort = 8089

    struct Signer {
        let key: String
        let cert: String
        let chain: [String]
    }

    static func signer(_ folder: String) -> Signer {
        Signer(
            key: Repository.path("\(folder)/key.pem"), cert: Repository.path("\(folder)/cert.pem"),
            chain: [Repository.path("Certificates/gost/ca.pem")])
    }

    static let social = signer("Certificates/agencies/social-protection")
    static let health = signer("Certificates/agencies/health")
    static let expired = signer("Certificates/negative/expired")
    static let revoked = signer("Certificates/negative/revoked")
    static let rsa = Signer(
        key: Repository.path("Certificates/rsa/signer.key.pem"), cert: Repository.path("Certificates/rsa/signer.pem"), chain: [])

    static func sign(_ bytes: [UInt8], with s: Signer, xades: XAdESLevel? = nil, signingTime: Date? = nil) throws -> [UInt8] {
        let key = try SigningKey.load(contentsOf: s.key)
        let certificate = try Certificate.load(contentsOf: s.cert)[0]
        let chain = try s.chain.flatMap { try Certificate.load(contentsOf: $0) }
        let signer = try XMLSigner(key: key, certificate: certificate, chain: chain)
        var options = SigningOptions()
        options.xades = xades
        options.signingTime = signingTime
        return try signer.sign(bytes, sourceName: "test document", options: options)
    }

    static func validator(
        trust: String = "Certificates/trust/gost", crlFiles: [String] = [], offline: Bool = false, requireRevocation: Bool = false
    ) throws -> QualifiedValidator {
        let store = try TrustStore(directories: [Repository.path(trust)])
        var revocation = RevocationPolicy()
        revocation.crlFiles = crlFiles.map(Repository.path)
        revocation.fetchCRLs = !offline
        revocation.ocspFromAIA = !offline
        revocation.requireRevocation = requireRevocation
        revocation.transport = OpenSSLHTTPTransport(timeout: .seconds(2))
        return QualifiedValidator(
            trustStore: store, policy: QualifiedValidationPolicy(requireRevocation: requireRevocation),
            revocation: try RevocationChecker(policy: revocation, trustStore: store))
    }

    static func sample(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: Repository.path("Samples/\(name)"))))
    }

    /// Serves `Certificates/gost/` (with `ca.crl`, DER) as the signers' CRL distribution point.
    static func distributionPoint() throws -> LocalService {
        try LocalService.files(Repository.path("Certificates/gost"), port: distributionPointPort)
    }

    static let unsignedRequest = "request-unemployment-status.xml"

    @Test("a sample request signed by its agency is TOTAL-PASSED and qualified, with the CRL fetched from its distribution point")
    func sampleQualified() async throws {
        let server = try Self.distributionPoint()
        defer { server.stop() }
        let report = try await Self.validator().validate(try Self.sample("request-unemployment-status.signed.xml"), sourceName: "request")
        #expect(report.indication == .totalPassed, "\(report.findings)")
        #expect(report.subIndication == nil)
        #expect(report.qualification.status == .qualified, "\(report.qualification.reasons)")
        #expect(report.conditions.map(\.result) == [.passed, .passed, .passed, .passed])
        #expect(report.conditions.map(\.id) == ["accredited-ca", "valid-at-signing", "signature-verified", "within-limitations"])
        #expect(report.letterhead?.result == .matches)
        #expect(report.letterhead?.agency == "social-protection")
        #expect(report.revocation.first?.status == .good)
        #expect(report.revocation.first?.location == "http://127.0.0.1:8089/ca.crl")
        #expect(report.qualifiedCertificate?.isComplete == true)
        #expect(report.chain.map(\.role) == ["signer", "ca", "trust-anchor"])
        #expect(report.signatureForm == "XMLDSig")
        #expect(report.signingTime.source == .validationTime)
    }

    @Test("the distribution point is down: INDETERMINATE / TRY_LATER, never passed")
    func distributionPointDown() async throws {
        #expect(!LocalService.accepts(Self.distributionPointPort), "something else listens on 8089")
        let report = try await Self.validator().validate(try Self.sample("request-unemployment-status.signed.xml"), sourceName: "request")
        #expect(report.indication == .indeterminate)
        #expect(report.subIndication == .tryLater)
        #expect(report.revocation.first?.status == .unavailable)
        #expect(report.qualification.status == .undetermined)
    }

    @Test("offline without a CRL: a warning by default, INDETERMINATE / TRY_LATER when revocation is required")
    func revocationNotChecked() async throws {
        let document = try Self.sample("request-unemployment-status.signed.xml")
        let lenient = try await Self.validator(offline: true).validate(document, sourceName: "request")
        #expect(lenient.indication == .totalPassed)
        #expect(lenient.findings.contains { $0.severity == .warning && $0.message.contains("revocation not checked") })
        let strict = try await Self.validator(offline: true, requireRevocation: true).validate(document, sourceName: "request")
        #expect(strict.indication == .indeterminate)
        #expect(strict.subIndication == .tryLater)
    }

    @Test("a CRL file that lists the signer: TOTAL-FAILED / REVOKED when the signing time is after the revocation")
    func revokedSigner() async throws {
        let document = try Self.sign(try Self.sample(Self.unsignedRequest), with: Self.revoked, xades: .bes)
        let report = try await Self.validator(crlFiles: ["Certificates/gost/ca.crl.pem"], offline: true).validate(
            document, sourceName: "revoked")
        #expect(report.indication == .totalFailed)
        #expect(report.subIndication == .revoked)
        #expect(report.revocation.first?.status == .revoked)
        #expect(report.conditions.first { $0.id == "valid-at-signing" }?.result == .failed)
    }

    @Test("an expired signer and no timestamp: INDETERMINATE / OUT_OF_BOUNDS_NO_POE, even with a claimed SigningTime inside its validity")
    func expiredWithoutTimestamp() async throws {
        let claimed = ISO8601DateFormatter().date(from: "2020-06-01T10:00:00Z")!
        let document = try Self.sign(try Self.sample(Self.unsignedRequest), with: Self.expired, xades: .bes, signingTime: claimed)
        let report = try await Self.validator(crlFiles: ["Certificates/gost/ca.crl.pem"], offline: true).validate(
            document, sourceName: "expired")
        #expect(report.indication == .indeterminate)
        #expect(report.subIndication == .outOfBoundsNoPOE)
        #expect(report.signingTime.source == .claimedSigningTime)
        #expect(report.signingTime.time == claimed)
        #expect(report.signatureForm == "XAdES-BES")
    }

    @Test(
        "a signature valid now is judged again at its claimed SigningTime: before the certificate's validity it is TOTAL-FAILED / NOT_YET_VALID"
    )
    func claimedSigningTimeBeforeValidity() async throws {
        let validator = try Self.validator(crlFiles: ["Certificates/gost/ca.crl.pem"], offline: true)
        let inside = ISO8601DateFormatter().date(from: "2026-11-25T10:00:00Z")!
        let good = try Self.sign(try Self.sample(Self.unsignedRequest), with: Self.social, xades: .bes, signingTime: inside)
        let passed = try await validator.validate(good, sourceName: "claimed inside")
        #expect(passed.indication == .totalPassed, "\(passed.findings)")
        #expect(passed.signingTime.source == .claimedSigningTime && passed.signingTime.time == inside)
        #expect(passed.chain.count == 3 && passed.chain.allSatisfy(\.validAtSigningTime))
        // The certificate's validity starts on 2025-01-01: a signature claiming 2024 cannot be its.
        let before = ISO8601DateFormatter().date(from: "2024-06-01T10:00:00Z")!
        let early = try Self.sign(try Self.sample(Self.unsignedRequest), with: Self.social, xades: .bes, signingTime: before)
        let failed = try await validator.validate(early, sourceName: "claimed before")
        #expect(failed.indication == .totalFailed, "\(failed.findings)")
        #expect(failed.subIndication == .notYetValid)
        #expect(failed.findings.contains { $0.message.contains("at the signing time 2024-06-01") && $0.message.contains("not yet valid") })
    }

    @Test("an expired signer with a proof of existence (an archive's record) from its validity: TOTAL-PASSED")
    func proofOfExistence() async throws {
        let claimed = ISO8601DateFormatter().date(from: "2020-06-01T10:00:00Z")!
        let recorded = ISO8601DateFormatter().date(from: "2020-06-01T10:05:00Z")!
        let document = try Self.sign(Array("<doc>архивный документ</doc>".utf8), with: Self.expired, xades: .bes, signingTime: claimed)
        let validator = try Self.validator(crlFiles: ["Certificates/gost/ca.crl.pem"], offline: true)
        let report = try await validator.validate(document, sourceName: "archived", proofOfExistence: recorded)
        #expect(report.indication == .totalPassed, "\(report.findings)")
        #expect(report.signingTime.source == .proofOfExistence)
        #expect(report.signingTime.time == recorded)
        let late = try await validator.validate(document, sourceName: "archived", proofOfExistence: claimed.addingTimeInterval(400 * 86400))
        #expect(late.indication == .totalFailed, "a proof from after the certificate expired cannot save it")
        #expect(late.subIndication == .expired)
    }

    @Test("a request on one agency's letterhead signed by another agency's official: TOTAL-FAILED, letterhead differs")
    func letterheadMismatch() async throws {
        let server = try Self.distributionPoint()
        defer { server.stop() }
        let document = try Self.sign(try Self.sample(Self.unsignedRequest), with: Self.health)
        let report = try await Self.validator().validate(document, sourceName: "forged")
        #expect(report.indication == .totalFailed)
        #expect(report.subIndication == .sigConstraintsFailure)
        #expect(report.letterhead?.result == .differs)
        #expect(report.letterhead?.expectedOGRN == "1074709990013")
        #expect(report.letterhead?.signerOGRN != "1074709990013")
        #expect(report.conditions.first { $0.id == "within-limitations" }?.result == .failed)
        #expect(report.qualification.status == .notQualified)
    }

    @Test("a changed byte in a signed sample: TOTAL-FAILED / HASH_FAILURE")
    func tampered() async throws {
        let text = String(decoding: try Self.sample("request-unemployment-status.signed.xml"), as: UTF8.self)
        let changed = text.replacingOccurrences(of: "<InformationNeeded>Сведения", with: "<InformationNeeded>Срочно. Сведения")
        #expect(changed != text, "the sample no longer has the text this test changes")
        let report = try await Self.validator(offline: true).validate(Array(changed.utf8), sourceName: "tampered")
        #expect(report.indication == .totalFailed)
        #expect(report.subIndication == .hashFailure)
        #expect(report.conditions.first { $0.id == "signature-verified" }?.result == .failed)
    }

    @Test("a valid RSA signature from the RSA test CA: TOTAL-PASSED but not qualified (non-GOST key, no qualified items)")
    func rsaNotQualified() async throws {
        let document = try Self.sign(Array("<doc><text>не квалифицированная подпись</text></doc>".utf8), with: Self.rsa)
        let report = try await Self.validator(trust: "Certificates/trust/rsa", offline: true).validate(document, sourceName: "rsa")
        #expect(report.indication == .totalPassed, "\(report.findings)")
        #expect(report.qualification.status == .notQualified)
        #expect(report.qualification.reasons.contains { $0.contains("gost-key") })
        #expect(report.qualifiedCertificate?.missing.map(\.id).contains("gost-key") == true)
        #expect(report.letterhead == nil, "not an interagency document: the letterhead check does not apply")
    }

    @Test("a certificate without an official's items (the CA's own): each item named; signing with it is refused (CA:TRUE)")
    func missingQualifiedItems() throws {
        // The CA's certificate lacks the official's items. It used to sign this test's document and
        // validate TOTAL-PASSED; a CA certificate is no longer fit to sign documents, so the items are
        // judged on the certificate itself and signing with it is refused.
        let ca = try Certificate.load(contentsOf: Repository.path("Certificates/gost/ca.pem"))[0]
        let profile = QualifiedCertificateProfile(ca)
        #expect(!profile.isComplete)
        #expect(Set(profile.items.filter { !$0.present }.map(\.id)) == ["signer-name", "signer-position", "snils"])
        #expect(profile.items.first { $0.id == "snils" }?.detail == "SNILS absent")
        let caAsSigner = Signer(
            key: Repository.path("Certificates/gost/ca.key.pem"), cert: Repository.path("Certificates/gost/ca.pem"), chain: [])
        #expect {
            try Self.sign(Array("<doc>подписано ключом УЦ</doc>".utf8), with: caAsSigner)
        } throws: { error in
            "\(error)".contains("is not fit to sign documents (basic-constraints: its basicConstraints is CA:TRUE")
        }
    }

    @Test("a signer from a CA outside the trust store: INDETERMINATE / NO_CERTIFICATE_CHAIN_FOUND")
    func untrusted() async throws {
        let untrusted = Signer(
            key: Repository.path("Certificates/negative/untrusted/key.pem"),
            cert: Repository.path("Certificates/negative/untrusted/cert.pem"),
            chain: [])
        let document = try Self.sign(Array("<doc>x</doc>".utf8), with: untrusted)
        let report = try await Self.validator(offline: true).validate(document, sourceName: "untrusted")
        #expect(report.indication == .indeterminate)
        #expect(report.subIndication == .noCertificateChainFound)
        #expect(report.conditions.first?.result == .indeterminate)
    }

    @Test("the JSON report round-trips, names its format, and carries no SNILS")
    func jsonReport() async throws {
        let report = try await Self.validator(crlFiles: ["Certificates/gost/ca.crl.pem"], offline: true)
            .validate(try Self.sample("request-unemployment-status.signed.xml"), sourceName: "request")
        let data = try report.jsonData()
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"format\" : \"mezhved-validation-report/1\""))
        #expect(text.contains("\"indication\" : \"TOTAL-PASSED\""))
        #expect(!text.contains("11223344595"))
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let decoded = try decoder.decode(QualifiedValidationReport.self, from: data)
        #expect(decoded.indication == report.indication)
        #expect(decoded.conditions == report.conditions)
        #expect(decoded.documentSHA256 == report.documentSHA256)
        #expect(report.renderText().hasPrefix("TOTAL-PASSED: request"))
    }
}
