import Foundation
import MezhvedTestSupport
import Testing

/// XAdES-LTA (issue 14): `sign --xades lta` adds an archive timestamp over the XAdES-LT signature,
/// `extend --to lta` renews it. The signature timestamp's TSA and the signer's certificate end in
/// 2045; the archive TSA's (Certificates/tsa/archive-tsa.pem) in 2049. So at 2046 only the archive
/// timestamp can prove the signature existed while both were valid (past validation). What each
/// stamp covers is recomputed by the independent Python implementation (lxml, written from EN 319
/// 132-1) and its token checked by `openssl ts -verify`: both sides agree, and a changed embedded
/// value breaks the stamp in both. Through the built executable and two loopback TSAs.
@Suite("XAdES-LTA: archive timestamps, renewed, and past validation through them")
struct ArchiveTimestampTests {
    static let trust = ["--trust", "Certificates/trust/gost", "--crl", "Certificates/gost/ca.crl.pem"]
    static let future = "2046-06-01T00:00:00Z"

    static func run(_ arguments: [String]) async throws -> ProcessOutput {
        try await TestProcess.mezhved(arguments, currentDirectory: Repository.root.path)
    }

    static func report(_ path: String, at: String? = nil) async throws -> (status: Int32, report: [String: Any]) {
        let result = try await run(
            ["verify", "--report", "json", "--offline", path] + trust + (at.map { ["--at", $0] } ?? []))
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return (result.status, try #require(report, "\(result.stdout)\(result.stderr)"))
    }

    /// The Python peer's input for stamp `index`, checked with `openssl ts -verify`: true when it verifies.
    static func opensslAgrees(_ path: String, index: Int, in folder: URL) async throws -> Bool {
        let data = folder.appendingPathComponent("input-\(index).bin").path
        let token = folder.appendingPathComponent("token-\(index).der").path
        let computed = try await TestProcess.run(
            Repository.python,
            [
                Repository.path("Tests/Interop/gost_xmldsig.py"), "archive-input", path, "--index", String(index), "-o", data, "--token",
                token,
            ])
        #expect(computed.status == 0, "\(computed.stderr)")
        let verified = try await TestProcess.run(
            "openssl",
            [
                "ts", "-verify", "-token_in", "-in", token, "-data", data, "-CAfile", Repository.path("Certificates/gost/root-ca.pem"),
                "-untrusted", Repository.path("Certificates/gost/ca.pem"), "-untrusted",
                Repository.path("Certificates/tsa/archive-tsa.pem"),
            ], environment: ["OPENSSL_CONF": Repository.path("Certificates/openssl-gost.cnf")])
        return verified.status == 0 && verified.stdout.contains("Verification: OK")
    }

    @Test(
        "an LTA request validates in 2046 through its archive timestamp; renewed it holds twice; LT alone has no proof then; a changed CRL breaks both stamps"
    )
    func pastValidation() async throws {
        let tsa = try TimestampTests.tsa()
        let archiveTSA = try TimestampTests.tsa([
            "--key", Repository.path("Certificates/tsa/archive-tsa.key.pem"), "--cert", Repository.path("Certificates/tsa/archive-tsa.pem"),
        ])
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let agency = LongTermTests.agency
        func sign(_ level: String) async throws -> String {
            let output = folder.appendingPathComponent("request-\(level).xml").path
            var arguments =
                [
                    "sign", "Samples/request-unemployment-status.xml", "--key", "\(agency)/key.pem", "--cert", "\(agency)/cert.pem",
                    "--chain",
                    "Certificates/gost/ca.pem", "--xades", level, "--tsa", tsa.baseURL + "/tsa", "-o", output,
                ] + (level == "t" ? [] : Self.trust)
            if level == "lta" { arguments += ["--archive-tsa", archiveTSA.baseURL + "/tsa"] }
            let result = try await Self.run(arguments)
            #expect(result.status == 0, "sign --xades \(level): \(result.stderr)")
            return output
        }
        let archived = try await sign("lta")
        let text = try String(contentsOfFile: archived, encoding: .utf8)
        #expect(text.components(separatedBy: "<xades141:ArchiveTimeStamp ").count == 2, "one archive timestamp")

        let (nowStatus, now) = try await Self.report(archived)
        #expect(nowStatus == 0 && now["indication"] as? String == "TOTAL-PASSED", "\(now["findings"] ?? "")")
        #expect(now["signatureForm"] as? String == "XAdES-LTA")
        #expect((now["archiveTimestamps"] as? [[String: Any]])?.count == 1)
        #expect(now["archiveProofOfExistence"] is String, "the stamp's time is the proof of existence")
        let nowFindings = (now["findings"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
        #expect(!nowFindings.contains { $0.contains("past validation") }, "now every TSA certificate is valid: \(nowFindings)")

        let (laterStatus, later) = try await Self.report(archived, at: Self.future)
        #expect(laterStatus == 0 && later["indication"] as? String == "TOTAL-PASSED", "in 2046: \(later["findings"] ?? "")")
        #expect((later["signingTime"] as? [String: Any])?["source"] as? String == "timestamp")
        #expect(later["archiveProofOfExistence"] is String, "the signature timestamp was judged at the archive timestamp's time")
        let laterFindings = (later["findings"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
        #expect(laterFindings.contains { $0.contains("past validation") }, "\(laterFindings)")

        // The same request as XAdES-LT: in 2046 its signature timestamp's TSA has expired, so nothing
        // proves when it was signed.
        let longTerm = try await sign("lt")
        let (_, ltLater) = try await Self.report(longTerm, at: Self.future)
        #expect(ltLater["indication"] as? String == "INDETERMINATE", "LT in 2046: \(ltLater["indication"] ?? "")")
        #expect(ltLater["subIndication"] as? String == "OUT_OF_BOUNDS_NO_POE")

        // Renewed: the last stamp's TSA certificates, then a second stamp over everything.
        let renewed = folder.appendingPathComponent("request-lta2.xml").path
        let extended = try await Self.run(
            ["extend", archived, "--to", "lta", "--tsa", archiveTSA.baseURL + "/tsa", "-o", renewed] + Self.trust)
        #expect(extended.status == 0, "extend --to lta: \(extended.stderr)")
        let renewedText = try String(contentsOfFile: renewed, encoding: .utf8)
        #expect(renewedText.components(separatedBy: "<xades141:ArchiveTimeStamp ").count == 3)
        #expect(renewedText.contains("<xades141:TimeStampValidationData"))
        let (renewedStatus, renewedReport) = try await Self.report(renewed, at: Self.future)
        #expect(renewedStatus == 0 && renewedReport["indication"] as? String == "TOTAL-PASSED")
        let stamps = renewedReport["archiveTimestamps"] as? [[String: Any]] ?? []
        #expect(stamps.count == 2 && stamps.allSatisfy { ($0["problems"] as? [String])?.isEmpty == true }, "\(stamps)")
        for index in 0..<2 { #expect(try await Self.opensslAgrees(renewed, index: index, in: folder), "stamp \(index)") }

        // One character of the embedded CRL changed: both stamps cover it, both break, by name, in
        // mezhved and in the independent computation; in 2046 nothing proves the signing time.
        let marker = "<xades:EncapsulatedCRLValue>"
        let start = try #require(renewedText.range(of: marker)).upperBound
        let at = renewedText.index(start, offsetBy: 40)
        var tampered = renewedText
        tampered.replaceSubrange(at...at, with: renewedText[at] == "A" ? "B" : "A")
        let tamperedPath = folder.appendingPathComponent("request-tampered.xml").path
        try Data(tampered.utf8).write(to: URL(fileURLWithPath: tamperedPath))
        let (_, broken) = try await Self.report(tamperedPath, at: Self.future)
        #expect(broken["indication"] as? String == "INDETERMINATE", "\(broken["indication"] ?? "")")
        let brokenFindings = (broken["findings"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
        #expect(
            brokenFindings.filter { $0.contains("the archive timestamp \"ats-") && $0.contains("does not hold") }.count == 2,
            "\(brokenFindings)")
        #expect(try await Self.opensslAgrees(tamperedPath, index: 0, in: folder) == false, "the independent side sees the change too")

        // An XAdES-T signature is refused for an archive timestamp until it carries its validation data.
        let timestamped = try await sign("t")
        let refused = try await Self.run(
            ["extend", timestamped, "--to", "lt", "-o", folder.appendingPathComponent("lt-from-t.xml").path] + Self.trust)
        #expect(refused.status == 0, "T to LT: \(refused.stderr)")
        let plain = try await Self.run(
            ["extend", longTerm, "--to", "lt", "-o", folder.appendingPathComponent("lt-again.xml").path] + Self.trust)
        #expect(plain.status == 10 && plain.stderr.contains("already carries validation data"), "\(plain.status) \(plain.stderr)")
    }
}
