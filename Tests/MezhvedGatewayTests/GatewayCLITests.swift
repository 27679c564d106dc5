import Foundation
import MezhvedTestSupport
import Testing

/// The gateway's commands run as real processes on real archives, as a clerk would run them.
@Suite("mezhved gateway commands")
struct GatewayCLITests {
    /// Two agencies' archives made with `archive init`, and their gateway configurations.
    static func gateways() async throws -> (root: String, socialProtection: String, employment: String) {
        let root = try GatewayFixtures.temporaryFolder()
        var configurations: [String] = []
        for (agency, format) in [("social-protection", "01-12/{seq:06}"), ("employment", "03-15/{seq:06}")] {
            let folder = root + "/" + agency
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let created = try await TestProcess.mezhved([
                "archive", "init", "--archive", folder + "/archive", "--agency", agency, "--outgoing-format", format,
                "--incoming-format", "ВХ-{year}-{seq:06}", "--data-key", folder + "/data.key", "--new-data-key", "--gateway-cert",
                GatewayFixtures.path("Certificates/agencies/\(agency)/cert.pem"), "--gateway-chain",
                GatewayFixtures.path("Certificates/gost/ca.pem"), "--gateway-key",
                GatewayFixtures.path("Certificates/agencies/\(agency)/key.pem"),
            ])
            #expect(created.status == 0, "\(created.stderr)")
            let text = GatewayFixtures.configurationText(agency: agency, folder: folder)
            let path = folder + "/gateway.yaml"
            try Array(text.utf8).write(to: path)
            configurations.append(path)
        }
        return (root, configurations[0], configurations[1])
    }

    @Test("a clerk's day: compose, number and sign in one step; receive, receipt, deliver; quarantine and export")
    func clerksDay() async throws {
        let (root, socialProtection, employment) = try await Self.gateways()
        let form = GatewayFixtures.path("Samples/forms/request-unemployment-status.yaml")
        let request = root + "/request.xml"
        let sent = try await TestProcess.mezhved(["request", "new", "--gateway", socialProtection, "--form", form, "-o", request])
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(sent.stdout.hasPrefix("REGISTERED 01-12/000001 "), "\(sent.stdout)")
        #expect(sent.stderr.contains("the form's registration № 02-11/4817 от 02.03.2026 is not used"))
        #expect(String(decoding: try Data(contentsOf: URL(fileURLWithPath: request)), as: UTF8.self).contains("number=\"01-12/000001\""))

        let received = try await TestProcess.mezhved(["incoming", "receive", "--gateway", employment, request, "--receipt-dir", root])
        #expect(received.status == 0, "\(received.stderr)")
        #expect(received.stdout.hasPrefix("REGISTERED ВХ-"))
        #expect(received.stdout.contains("receipt (accepted) registered as 03-15/000001"))
        let receipt = root + "/request.xml.receipt.xml"
        let back = try await TestProcess.mezhved(["incoming", "receive", "--gateway", socialProtection, receipt])
        #expect(back.status == 0, "\(back.stderr)")
        let list = try await TestProcess.mezhved([
            "archive", "list", "--archive", root + "/social-protection/archive", "--status", "delivered",
        ])
        #expect(list.stdout.hasPrefix("01-12/000001\t"), "\(list.stdout)")

        // An altered copy is quarantined (exit 12), listed, and given back byte for byte.
        let altered = root + "/altered.xml"
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: request)), as: UTF8.self)
        try Array(text.replacingOccurrences(of: "Васильев", with: "Васильёв").utf8).write(to: altered)
        let refused = try await TestProcess.mezhved(["incoming", "receive", "--gateway", employment, altered])
        #expect(refused.status == 12)
        #expect(refused.stdout.contains("QUARANTINED log entry"))
        #expect(refused.stdout.contains("receipt (rejected)"))
        let quarantine = try await TestProcess.mezhved(["incoming", "quarantine", "--gateway", employment])
        #expect(quarantine.status == 0)
        let seq = try #require(quarantine.stdout.split(separator: "\t").first.map(String.init))
        #expect(quarantine.stdout.contains("signature-not-valid"))
        let exported = root + "/exported.xml"
        let export = try await TestProcess.mezhved(["incoming", "quarantine", "--gateway", employment, "--export", seq, "-o", exported])
        #expect(export.status == 0, "\(export.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: exported)) == Data(contentsOf: URL(fileURLWithPath: altered)))
        // The auditor: the configuration's archive, key and pinned certificate win over the environment's.
        let audit = try await TestProcess.mezhved(
            ["archive", "audit", "--gateway", employment],
            environment: [
                "MEZHVED_ARCHIVE": root + "/social-protection/archive",
                "MEZHVED_ARCHIVE_DATA_KEY_FILE": root + "/social-protection/data.key",
                "MEZHVED_GATEWAY_CERT_FILE": GatewayFixtures.path("Certificates/agencies/health/cert.pem"),
            ])
        #expect(audit.status == 0, "\(audit.stdout) \(audit.stderr)")
        #expect(audit.stdout.hasPrefix("AUDIT PASSED: \(root)/employment/archive"))
        // The log holds no personal data, the quarantine's included.
        let log = String(decoding: try Data(contentsOf: URL(fileURLWithPath: root + "/employment/archive/log/events.log")), as: UTF8.self)
        #expect(!log.contains("Васильев") && !log.contains("Васильёв"))
    }

    @Test("refusals before anything is numbered: another committee's key, a form with a typo, a broken configuration")
    func refusals() async throws {
        let (root, socialProtection, _) = try await Self.gateways()
        let form = GatewayFixtures.path("Samples/forms/request-unemployment-status.yaml")
        let wrongKey = try await TestProcess.mezhved([
            "request", "new", "--form", form, "--key", GatewayFixtures.path("Certificates/agencies/health/key.pem"), "--cert",
            GatewayFixtures.path("Certificates/agencies/health/cert.pem"), "-o", root + "/wrong.xml",
        ])
        #expect(wrongKey.status == 8)
        #expect(wrongKey.stderr.contains("OGRN 1074709990024"))
        #expect(!FileManager.default.fileExists(atPath: root + "/wrong.xml"))

        let typo = root + "/typo.yaml"
        let formText = String(decoding: try Data(contentsOf: URL(fileURLWithPath: form)), as: UTF8.self)
        try Array(formText.replacingOccurrences(of: "subject:", with: "subjekt:").utf8).write(to: typo)
        let typed = try await TestProcess.mezhved(["request", "new", "--gateway", socialProtection, "--form", typo, "-o", root + "/t.xml"])
        #expect(typed.status == 6)
        #expect(typed.stderr.contains("did you mean `subject`?"), "\(typed.stderr)")
        let journal = try await TestProcess.mezhved(["archive", "list", "--archive", root + "/social-protection/archive"])
        #expect(journal.stdout.isEmpty, "a refused draft takes no number: \(journal.stdout)")

        let broken = root + "/broken.yaml"
        try Array("agency: social-protecton\nsignatorys: []\n".utf8).write(to: broken)
        let check = try await TestProcess.mezhved(["gateway", "check", "--gateway", broken])
        #expect(check.status == 11)
        #expect(check.stderr.contains("signatorys: is not a known key — did you mean signatories?"), "\(check.stderr)")
        #expect(check.stderr.contains("archive: is required"))
        let incomingWithoutGateway = try await TestProcess.mezhved(
            ["archive", "register", "--incoming", form, "--archive", root + "/social-protection/archive"])
        #expect(incomingWithoutGateway.status == 64)
    }
}
