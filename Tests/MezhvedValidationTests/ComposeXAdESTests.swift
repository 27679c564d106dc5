import Foundation
import MezhvedTestSupport
import Testing

/// XAdES where documents are made (issue 14): `request new`, `answer new` and `receipt new` with
/// `--key` take `--xades bes|t [--tsa URL]` as `sign` does, so a clerk's document carries a proven
/// signing time without a second command. Through the built executable and the loopback GOST TSA.
@Suite("request new, answer new, receipt new --xades")
struct ComposeXAdESTests {
    static let social = "Certificates/agencies/social-protection"
    static let employment = "Certificates/agencies/employment"

    static func run(_ arguments: [String]) async throws -> ProcessOutput {
        try await TestProcess.mezhved(arguments, currentDirectory: Repository.root.path)
    }

    static func signing(_ agency: String) -> [String] {
        ["--key", "\(agency)/key.pem", "--cert", "\(agency)/cert.pem", "--chain", "Certificates/gost/ca.pem"]
    }

    /// `verify --report json` of `path`: TOTAL-PASSED and qualified, with the signing time's source.
    static func qualified(_ path: String) async throws -> (indication: String?, form: String?, source: String?) {
        let result = try await run(
            [
                "verify", "--report", "json", "--trust", "Certificates/trust/gost", "--crl", "Certificates/gost/ca.crl.pem", "--offline",
                path,
            ])
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return (
            report?["indication"] as? String, report?["signatureForm"] as? String,
            (report?["signingTime"] as? [String: Any])?["source"] as? String
        )
    }

    @Test("a request, its answer and a receipt made as XAdES-T: each TOTAL-PASSED with the signing time from the timestamp")
    func composedXAdEST() async throws {
        let tsa = try TimestampTests.tsa()
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let stamp = ["--xades", "t", "--tsa", tsa.baseURL + "/tsa"]
        let request = folder.appendingPathComponent("request.xml").path
        let made = try await Self.run(
            ["request", "new", "--form", "Samples/forms/request-unemployment-status.yaml", "-o", request] + Self.signing(Self.social)
                + stamp)
        #expect(made.status == 0, "\(made.stderr)")
        let answer = folder.appendingPathComponent("answer.xml").path
        let answered = try await Self.run(
            ["answer", "new", "--request", request, "--form", "Samples/forms/answer-unemployment-status.yaml", "-o", answer]
                + Self.signing(Self.employment) + stamp)
        #expect(answered.status == 0, "\(answered.stderr)")
        let receipt = folder.appendingPathComponent("receipt.xml").path
        let receipted = try await Self.run(
            ["receipt", "new", "--document", request, "--incoming-number", "03-вх/7", "-o", receipt] + Self.signing(Self.employment)
                + ["--xades", "bes"])
        #expect(receipted.status == 0, "\(receipted.stderr)")
        for (path, form, source) in [
            (request, "XAdES-T", "timestamp"), (answer, "XAdES-T", "timestamp"), (receipt, "XAdES-BES", "claimed-signing-time"),
        ] {
            let verdict = try await Self.qualified(path)
            #expect(verdict.indication == "TOTAL-PASSED", "\(path)")
            #expect(verdict.form == form, "\(path)")
            #expect(verdict.source == source, "\(path)")
        }
    }

    @Test("--xades without --key, or with --gateway, is a usage error; a TSA that is down is exit 10 and nothing is written")
    func refusals() async throws {
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let unsigned = try await Self.run(["request", "new", "--form", "Samples/forms/request-unemployment-status.yaml", "--xades", "bes"])
        #expect(unsigned.status == 64)
        #expect(unsigned.stderr.contains("--xades and --tsa go with --key"))
        let gateway = try await Self.run([
            "request", "new", "--form", "Samples/forms/request-unemployment-status.yaml", "--gateway",
            "Samples/gateway/social-protection.yaml",
            "--xades", "bes",
        ])
        #expect(gateway.status == 64)
        #expect(gateway.stderr.contains("policy.signatureForm"), "\(gateway.stderr)")
        let port = try LocalService.freePort()
        let output = folder.appendingPathComponent("request.xml").path
        let down = try await Self.run(
            ["request", "new", "--form", "Samples/forms/request-unemployment-status.yaml", "-o", output] + Self.signing(Self.social) + [
                "--xades", "t", "--tsa", "http://127.0.0.1:\(port)/tsa", "--tsa-timeout", "2",
            ])
        #expect(down.status == 10, "\(down.stderr)")
        #expect(down.stderr.contains("the request was not signed"))
        #expect(!FileManager.default.fileExists(atPath: output))
    }
}
