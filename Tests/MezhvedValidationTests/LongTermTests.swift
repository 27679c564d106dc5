import Foundation
import MezhvedTestSupport
import Testing

@testable import MezhvedValidation
@testable import MezhvedXMLDSig

/// XAdES-LT (issue 14): `sign --xades lt` validates the fresh XAdES-T signature and embeds the
/// certificates and the CRL that showed the signer not revoked; later, with no CRL and no network,
/// `verify --report --offline` judges the embedded CRL at the signing time the timestamp proves.
/// Through the built executable, the loopback GOST TSA and the accredited TEST CA's CRL.
@Suite("XAdES-LT: validation data embedded at signing, used when the sources are gone")
struct LongTermTests {
    static let agency = "Certificates/agencies/social-protection"

    static func run(_ arguments: [String]) async throws -> ProcessOutput {
        try await TestProcess.mezhved(arguments, currentDirectory: Repository.root.path)
    }

    /// The sample request signed at `level` (`t` or `lt`) into `folder`.
    static func sign(_ level: String, tsa: LocalService, into folder: URL) async throws -> String {
        let output = folder.appendingPathComponent("request-\(level).xml").path
        var arguments = [
            "sign", "Samples/request-unemployment-status.xml", "--key", "\(agency)/key.pem", "--cert", "\(agency)/cert.pem", "--chain",
            "Certificates/gost/ca.pem", "--xades", level, "--tsa", tsa.baseURL + "/tsa", "-o", output,
        ]
        if level == "lt" { arguments += ["--trust", "Certificates/trust/gost", "--crl", "Certificates/gost/ca.crl.pem"] }
        let result = try await run(arguments)
        #expect(result.status == 0, "\(result.stderr)")
        return output
    }

    /// `verify --report json --offline` with no CRL given: only what the document carries.
    static func offlineReport(_ path: String, requireRevocation: Bool = false) async throws -> (status: Int32, report: [String: Any]) {
        let result = try await run(
            ["verify", "--report", "json", "--trust", "Certificates/trust/gost", "--offline", path]
                + (requireRevocation ? ["--require-revocation"] : []))
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return (result.status, try #require(report, "\(result.stdout)\(result.stderr)"))
    }

    @Test(
        "an XAdES-LT request validates offline, with no CRL given, TOTAL-PASSED from its embedded CRL; the same as XAdES-T is INDETERMINATE"
    )
    func offlineWithEmbeddedValues() async throws {
        let tsa = try TimestampTests.tsa()
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let longTerm = try await Self.sign("lt", tsa: tsa, into: folder)
        let text = try String(contentsOfFile: longTerm, encoding: .utf8)
        #expect(text.contains("<xades:CertificateValues>") && text.contains("<xades:EncapsulatedCRLValue>"))
        let (status, report) = try await Self.offlineReport(longTerm)
        #expect(status == 0, "\(report["findings"] ?? "")")
        #expect(report["indication"] as? String == "TOTAL-PASSED")
        #expect(report["signatureForm"] as? String == "XAdES-LT")
        let revocation = report["revocation"] as? [[String: Any]] ?? []
        #expect(revocation.first?["source"] as? String == "crl-embedded")
        #expect(revocation.first?["status"] as? String == "good")
        let findings = report["findings"] as? [[String: Any]] ?? []
        #expect(findings.contains { ($0["message"] as? String)?.contains("embedded in the signature (XAdES-LT)") == true })

        // The same request as XAdES-T: offline, the signer's revocation is not established at all,
        // and where revocation is required that is INDETERMINATE / TRY_LATER.
        let timestamped = try await Self.sign("t", tsa: tsa, into: folder)
        let (_, tReport) = try await Self.offlineReport(timestamped)
        let tRevocation = tReport["revocation"] as? [[String: Any]] ?? []
        #expect(tRevocation.first?["status"] as? String != "good")
        let (tStatus, required) = try await Self.offlineReport(timestamped, requireRevocation: true)
        #expect(tStatus == 2)
        #expect(required["indication"] as? String == "INDETERMINATE")
        #expect(required["subIndication"] as? String == "TRY_LATER")
        let signerFinding = (required["findings"] as? [[String: Any]] ?? []).contains {
            ($0["message"] as? String)?.contains("the signer") == true && $0["severity"] as? String == "indeterminate"
        }
        #expect(signerFinding, "\(required["findings"] ?? "")")
        // XAdES-LT under the same requirement: the signer's status is established from the signature;
        // only the TEST CA certificate, which names no revocation source at all, stays unchecked.
        let (_, strict) = try await Self.offlineReport(longTerm, requireRevocation: true)
        let open = (strict["findings"] as? [[String: Any]] ?? []).filter { $0["severity"] as? String == "indeterminate" }
        #expect(open.allSatisfy { ($0["message"] as? String)?.contains("CA certificate") == true }, "\(open)")
        #expect((strict["revocation"] as? [[String: Any]])?.first?["status"] as? String == "good")
    }

    @Test("the extension changes nothing signed: the independent GOST implementation verifies the XAdES-LT document")
    func independentVerifierAgrees() async throws {
        let tsa = try TimestampTests.tsa()
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let longTerm = try await Self.sign("lt", tsa: tsa, into: folder)
        let result = try await TestProcess.run(Repository.python, [Repository.path("Tests/Interop/gost_xmldsig.py"), "verify", longTerm])
        #expect(result.status == 0 && result.stdout.contains("OK"), "\(result.stdout)\(result.stderr)")
    }

    @Test("an altered embedded CRL is not used: its signature fails, the status is not established (INDETERMINATE)")
    func alteredEmbeddedCRL() async throws {
        let tsa = try TimestampTests.tsa()
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = try await String(contentsOfFile: try Self.sign("lt", tsa: tsa, into: folder), encoding: .utf8)
        let value = try #require(text.firstMatch(of: /<xades:EncapsulatedCRLValue>([^<]+)</)?.1)
        var der = try #require(Data(base64Encoded: String(value)))
        der[der.count - 10] ^= 0x01  // inside the CRL's signature value
        let altered = text.replacingOccurrences(of: String(value), with: der.base64EncodedString())
        let path = folder.appendingPathComponent("altered.xml").path
        try altered.write(toFile: path, atomically: true, encoding: .utf8)
        let (status, report) = try await Self.offlineReport(path)
        #expect(status == 2)
        #expect(report["indication"] as? String == "INDETERMINATE")
        let revocation = report["revocation"] as? [[String: Any]] ?? []
        let problems = (revocation.first?["problems"] as? [String] ?? []).joined(separator: " ")
        #expect(problems.contains("bad signature"), "\(problems)")
    }

    @Test("extending needs a valid XAdES-T signature: a BES one is refused, naming the missing timestamp; --xades lt needs --trust")
    func refusals() async throws {
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bes = folder.appendingPathComponent("bes.xml").path
        let signed = try await Self.run([
            "sign", "Samples/request-unemployment-status.xml", "--key", "\(Self.agency)/key.pem", "--cert", "\(Self.agency)/cert.pem",
            "--xades", "bes", "-o", bes,
        ])
        #expect(signed.status == 0)
        let validator = try QualifiedValidatorTests.validator(crlFiles: ["Certificates/gost/ca.crl.pem"], offline: true)
        await #expect {
            _ = try await LongTermExtension.extend(
                [UInt8](try Data(contentsOf: URL(fileURLWithPath: bes))), sourceName: "bes.xml", validator: validator)
        } throws: { error in
            (error as? ValidationError)?.code == .longTermFailed && "\(error)".contains("no valid XAdES signature timestamp")
        }
        let usage = try await Self.run([
            "sign", "Samples/request-unemployment-status.xml", "--key", "\(Self.agency)/key.pem", "--cert", "\(Self.agency)/cert.pem",
            "--xades", "lt", "--tsa", "http://127.0.0.1:9/tsa",
        ])
        #expect(usage.status == 64)
        #expect(usage.stderr.contains("--xades lt needs --trust DIR"))
    }
}
