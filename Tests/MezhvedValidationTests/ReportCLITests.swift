import Foundation
import MezhvedTestSupport
import Testing

/// `mezhved verify --report` end to end, through the built executable.
@Suite("verify --report on the command line")
struct ReportCLITests {
    static func run(_ arguments: [String]) async throws -> ProcessOutput {
        try await TestProcess.mezhved(arguments, currentDirectory: Repository.root.path)
    }

    static let offlineGOST = ["--trust", "Certificates/trust/gost", "--crl", "Certificates/gost/ca.crl.pem", "--offline"]

    @Test("a sample request: exit 0, TOTAL-PASSED, the conclusion and the four conditions in the text")
    func qualifiedText() async throws {
        let result = try await Self.run(
            ["verify", "--report", "text", "Samples/request-unemployment-status.signed.xml"] + Self.offlineGOST)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.hasPrefix("TOTAL-PASSED: Samples/request-unemployment-status.signed.xml"))
        #expect(result.stdout.contains("a valid QUALIFIED electronic signature"))
        #expect(result.stdout.contains("✓ 63-FZ art. 11 (4)"))
        #expect(result.stdout.contains("letterhead:   matches"))
    }

    @Test("a GOST XAdES-BES made by the independent Python implementation, its KeyInfo signed: TOTAL-PASSED and qualified")
    func independentGOSTXAdES() async throws {
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("request.xml").path
        try Data(#"<z:Запрос xmlns:z="urn:mezhved:test:gost"><z:Сведения>Петров П. П.</z:Сведения></z:Запрос>"#.utf8)
            .write(to: URL(fileURLWithPath: input))
        let signed = folder.appendingPathComponent("signed.xml").path
        let agency = "Certificates/agencies/social-protection"
        let sign = try await TestProcess.run(
            Repository.python,
            [
                Repository.path("Tests/Interop/gost_xmldsig.py"), "sign", input, "--key", Repository.path("\(agency)/key.pem"), "--cert",
                Repository.path("\(agency)/cert.pem"), "-o", signed, "--xades", "--sign-key-info",
            ])
        #expect(sign.status == 0, "\(sign.stderr)")
        let result = try await Self.run(
            ["verify", "--report", "json", "--untrusted", "Certificates/gost/ca.pem", "--no-letterhead", signed] + Self.offlineGOST)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(report?["indication"] as? String == "TOTAL-PASSED")
        #expect(report?["signatureForm"] as? String == "XAdES-BES")
        #expect((report?["signingTime"] as? [String: Any])?["source"] as? String == "claimed-signing-time")
        let roles = (report?["signedReferences"] as? [[String: Any]])?.map { $0["role"] as? String }
        #expect(roles == ["document", "key-info"])
    }

    @Test("JSON for several documents: an array, the worst exit code wins (a tampered one: 1)")
    func jsonSeveral() async throws {
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let original = try String(contentsOfFile: Repository.path("Samples/answer-refusal.signed.xml"), encoding: .utf8)
        let tampered = folder.appendingPathComponent("tampered.xml")
        let changed = original.replacingOccurrences(of: "</Subject>", with: " (изменено)</Subject>")
        #expect(changed != original)
        try changed.write(to: tampered, atomically: true, encoding: .utf8)
        let result = try await Self.run(
            ["verify", "--report", "json", "Samples/answer-refusal.signed.xml", tampered.path] + Self.offlineGOST)
        #expect(result.status == 1, "\(result.stderr)")
        let reports = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
        #expect(reports?.count == 2)
        #expect(reports?.first?["indication"] as? String == "TOTAL-PASSED")
        #expect(reports?.last?["indication"] as? String == "TOTAL-FAILED")
        #expect(reports?.last?["subIndication"] as? String == "HASH_FAILURE")
    }

    @Test(
        "bad inputs: a file that is not a CRL exits 4 naming it; an unreadable document is an `unusable` JSON entry (exit 3); an https responder is a usage error"
    )
    func badInputs() async throws {
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let notCRL = folder.appendingPathComponent("ca.crl").path
        try Data("not a CRL".utf8).write(to: URL(fileURLWithPath: notCRL))
        let crl = try await Self.run(
            [
                "verify", "--report", "text", "Samples/answer-refusal.signed.xml", "--trust", "Certificates/trust/gost", "--offline",
                "--crl", notCRL,
            ])
        #expect(crl.status == 4)
        #expect(crl.stderr.hasPrefix("mezhved: error: \(notCRL) is not a CRL"))
        let missing = folder.appendingPathComponent("missing.xml").path
        let unusable = try await Self.run(["verify", "--report", "json", missing] + Self.offlineGOST)
        #expect(unusable.status == 3)
        let entry = try JSONSerialization.jsonObject(with: Data(unusable.stdout.utf8)) as? [String: Any]
        #expect(entry?["status"] as? String == "unusable")
        #expect(entry?["document"] as? String == missing)
        let https = try await Self.run(
            [
                "verify", "--report", "text", "Samples/answer-refusal.signed.xml", "--trust", "Certificates/trust/gost", "--ocsp-responder",
                "https://ocsp.example/",
            ])
        #expect(https.status == 64)
        #expect(https.stderr.contains("is not an http:// URL"))
    }

    @Test("options that need --report are refused without it (exit 64)")
    func usage() async throws {
        let result = try await Self.run(["verify", "--offline", "Samples/answer-refusal.signed.xml", "--trust", "Certificates/trust/gost"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("need --report"))
    }
}
