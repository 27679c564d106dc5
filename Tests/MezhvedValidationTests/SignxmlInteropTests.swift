import Foundation
import MezhvedTestSupport
import Testing

/// XAdES from another widely used implementation, both ways (issue 14): Python signxml's
/// XAdESSigner with its default settings (C14N 1.1, a reference to the signature's own KeyInfo,
/// DataObjectFormat) and its XAdESVerifier, through `Tests/Interop/signxml_peer.py`; mezhved
/// through the built executable. XAdES-T with a token from the loopback TSA.
@Suite("XAdES interop with signxml (RSA, ECDSA; BES and T)")
struct SignxmlInteropTests {
    struct Signer: Sendable, CustomStringConvertible {
        let name: String
        let folder: String
        let ecdsa: Bool
        var description: String { name }
        var key: String { Repository.path("Certificates/\(folder)/signer.key.pem") }
        var cert: String { Repository.path("Certificates/\(folder)/signer.pem") }
        var root: String { Repository.path("Certificates/\(folder)/root-ca.pem") }
    }

    static let signers = [
        Signer(name: "RSA", folder: "rsa", ecdsa: false), Signer(name: "ECDSA P-256", folder: "ecdsa", ecdsa: true),
    ]
    static let peer = Repository.path("Tests/Interop/signxml_peer.py")
    static let document =
        #"<r:Request xmlns:r="urn:mezhved:test:request" Id="request"><r:Body>Сведения о Петрове П. П.</r:Body></r:Request>"#

    /// The `verify --report json` entry of one document, and the exit status.
    static func report(_ path: String) async throws -> (status: Int32, report: [String: Any]) {
        let result = try await TestProcess.mezhved(
            ["verify", "--report", "json", "--trust", "Certificates/trust/all", "--offline", "--no-letterhead", path],
            currentDirectory: Repository.root.path)
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return (result.status, try #require(report, "\(result.stdout)\(result.stderr)"))
    }

    static func peerSign(_ signer: Signer, _ input: String, _ output: String, _ extra: [String] = []) async throws {
        let result = try await TestProcess.run(
            Repository.python,
            [peer, "sign", input, "--key", signer.key, "--cert", signer.cert, "-o", output, signer.ecdsa ? "--ecdsa" : "--rsa"] + extra)
        #expect(result.status == 0, "signxml could not sign: \(result.stdout)\(result.stderr)")
    }

    static func peerVerify(_ path: String, root: String, references: Int) async throws -> ProcessOutput {
        try await TestProcess.run(Repository.python, [peer, "verify", path, "--ca", root, "--references", String(references)])
    }

    static func write(_ text: String, _ name: String, in folder: URL) throws -> String {
        let url = folder.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    static func rsaTSA() throws -> LocalService { try TimestampTests.tsa(TimestampTests.rsa.tsa) }

    @Test("signxml's XAdES-BES validates TOTAL-PASSED: the claimed signing time, the KeyInfo reference named", arguments: signers)
    func signxmlBES(signer: Signer) async throws {
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = try Self.write(Self.document, "request.xml", in: folder)
        let signed = folder.appendingPathComponent("signed.xml").path
        try await Self.peerSign(signer, input, signed)
        let (status, report) = try await Self.report(signed)
        // TEST certificates are not qualified ones: TOTAL-PASSED, exit 9.
        #expect(status == 9, "\(report["findings"] ?? "")")
        #expect(report["indication"] as? String == "TOTAL-PASSED", "\(report["findings"] ?? "")")
        #expect(report["signatureForm"] as? String == "XAdES-BES")
        let time = report["signingTime"] as? [String: Any]
        #expect(time?["source"] as? String == "claimed-signing-time")
        let references = report["signedReferences"] as? [[String: Any]] ?? []
        #expect(references.map { $0["role"] as? String } == ["document", "key-info"])
        #expect((references.last?["covers"] as? String)?.hasSuffix("ds:Signature/ds:KeyInfo") == true)
        let declared = report["declaredProperties"] as? [String: Any]
        let formats = declared?["dataObjectFormats"] as? [[String: Any]]
        #expect(formats?.first?["mimeType"] as? String == "text/xml")
    }

    @Test(
        "signxml's XAdES with a timestamp from the loopback TSA is XAdES-T: the signing time proven by it; role and policy reported",
        arguments: signers)
    func signxmlT(signer: Signer) async throws {
        let tsa = try Self.rsaTSA()
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = try Self.write(Self.document, "request.xml", in: folder)
        let signed = folder.appendingPathComponent("signed-t.xml").path
        try await Self.peerSign(
            signer, input, signed, ["--tsa", tsa.baseURL + "/tsa", "--role", "Начальник отдела", "--policy", "1.2.643.100.999.1"])
        let (status, report) = try await Self.report(signed)
        #expect(status == 9)
        #expect(report["indication"] as? String == "TOTAL-PASSED", "\(report["findings"] ?? "")")
        #expect(report["signatureForm"] as? String == "XAdES-T")
        #expect((report["signingTime"] as? [String: Any])?["source"] as? String == "timestamp")
        let declared = report["declaredProperties"] as? [String: Any]
        #expect(declared?["claimedRoles"] as? [String] == ["Начальник отдела"])
        #expect(declared?["signaturePolicy"] as? String == "1.2.643.100.999.1")
        let findings = report["findings"] as? [[String: Any]] ?? []
        #expect(findings.contains { ($0["message"] as? String)?.contains("explicit signature policy") == true })
    }

    @Test("mezhved's XAdES-BES and XAdES-T verify in signxml's XAdESVerifier; a changed copy does not", arguments: signers)
    func signxmlVerifiesOurs(signer: Signer) async throws {
        let tsa = try Self.rsaTSA()
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = try Self.write(Self.document, "request.xml", in: folder)
        for level in [["--xades", "bes"], ["--xades", "t", "--tsa", tsa.baseURL + "/tsa"]] {
            let signed = folder.appendingPathComponent("ours-\(level[1]).xml").path
            let sign = try await TestProcess.mezhved(["sign", "--key", signer.key, "--cert", signer.cert, "-o", signed, input] + level)
            #expect(sign.status == 0, "\(sign.stderr)")
            let verdict = try await Self.peerVerify(signed, root: signer.root, references: 2)
            #expect(verdict.status == 0 && verdict.stdout.contains("OK"), "\(level): \(verdict.stdout)\(verdict.stderr)")
            let text = try String(contentsOfFile: signed, encoding: .utf8)
            let changed = text.replacingOccurrences(of: "Петрове", with: "Петровой")
            #expect(changed != text)
            let bad = try await Self.peerVerify(try Self.write(changed, "changed.xml", in: folder), root: signer.root, references: 2)
            #expect(bad.status == 1, "signxml accepted a changed document: \(bad.stdout)")
        }
    }

    @Test(
        "signxml documents altered: SignedProperties changed is HASH_FAILURE, KeyInfo changed is HASH_FAILURE, SigningCertificateV2 of another certificate is NO_SIGNING_CERTIFICATE_FOUND"
    )
    func alteredSignxmlDocuments() async throws {
        let signer = Self.signers[0]
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = try Self.write(Self.document, "request.xml", in: folder)
        let signed = folder.appendingPathComponent("signed.xml").path
        try await Self.peerSign(signer, input, signed)
        let text = try String(contentsOfFile: signed, encoding: .utf8)

        let properties = text.replacingOccurrences(of: "<xades:SigningTime>20", with: "<xades:SigningTime>19")
        #expect(properties != text)
        let (status, report) = try await Self.report(try Self.write(properties, "properties.xml", in: folder))
        #expect(status == 1)
        #expect(report["indication"] as? String == "TOTAL-FAILED")
        #expect(report["subIndication"] as? String == "HASH_FAILURE")

        // Whitespace inside the signed KeyInfo: the certificate is the same, the signed bytes are not.
        let keyInfo = text.replacingOccurrences(of: "<ds:X509Data>", with: "<ds:X509Data> ")
        #expect(keyInfo != text)
        let (keyStatus, keyReport) = try await Self.report(try Self.write(keyInfo, "keyinfo.xml", in: folder))
        #expect(keyStatus == 1)
        #expect(keyReport["subIndication"] as? String == "HASH_FAILURE")
        let findings = keyReport["findings"] as? [[String: Any]] ?? []
        #expect(findings.contains { ($0["message"] as? String)?.contains("the signature's KeyInfo") == true }, "\(findings)")

        let misbound = folder.appendingPathComponent("misbound.xml").path
        try await Self.peerSign(signer, input, misbound, ["--bind-cert", Self.signers[1].cert])
        let (misStatus, misReport) = try await Self.report(misbound)
        #expect(misStatus == 2)
        #expect(misReport["indication"] as? String == "INDETERMINATE")
        #expect(misReport["subIndication"] as? String == "NO_SIGNING_CERTIFICATE_FOUND")
    }

    @Test(
        "inside the signature only KeyInfo may be signed: a reference moved to SignatureValue is wrapping, a KeyInfo Id repeated in the document is duplicate-id"
    )
    func otherTargetsInsideStayRefused() async throws {
        let signer = Self.signers[0]
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = try Self.write(Self.document, "request.xml", in: folder)
        let signed = folder.appendingPathComponent("signed.xml").path
        try await Self.peerSign(signer, input, signed)
        let text = try String(contentsOfFile: signed, encoding: .utf8)
        let keyInfoID = try #require(text.firstMatch(of: /<ds:KeyInfo Id="([^"]+)"/)?.1).description

        let moved = text.replacingOccurrences(of: "<ds:KeyInfo Id=\"\(keyInfoID)\"", with: "<ds:KeyInfo")
            .replacingOccurrences(of: "<ds:SignatureValue>", with: "<ds:SignatureValue Id=\"\(keyInfoID)\">")
        let wrapping = try await TestProcess.mezhved(
            ["verify", "--trust", "Certificates/trust/all", try Self.write(moved, "moved.xml", in: folder)],
            currentDirectory: Repository.root.path)
        #expect(wrapping.status == 1)
        #expect(wrapping.stdout.contains("points inside the signature itself"), "\(wrapping.stdout)")

        let repeated = text.replacingOccurrences(of: "<r:Body>", with: "<r:Body><r:Note Id=\"\(keyInfoID)\"/>")
        let duplicate = try await TestProcess.mezhved(
            ["verify", "--trust", "Certificates/trust/all", try Self.write(repeated, "repeated.xml", in: folder)],
            currentDirectory: Repository.root.path)
        #expect(duplicate.status == 1)
        #expect(duplicate.stdout.contains("duplicate-id"), "\(duplicate.stdout)")
    }
}
