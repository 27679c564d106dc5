import Foundation
import MezhvedArchive
import MezhvedGateway
import MezhvedTestSupport
import Testing

/// `mezhved send`, `request new --send`, `outbox list` and `outbox resend` as real processes.
@Suite("mezhved outbox commands")
struct OutboxCLITests {
    /// The message id printed in a QUEUED line.
    static func messageID(_ output: String) -> String? {
        guard let range = output.range(of: "as message ") else { return nil }
        return String(output[range.upperBound...].prefix { $0 != "," && $0 != " " && $0 != "\n" })
    }

    @Test("send, request new --send, outbox list (table and JSON), resend of a failed message, and the refusals with their exit codes")
    func outboxCommands() async throws {
        let (root, socialProtection, _) = try await GatewayCLITests.gateways()
        let form = GatewayFixtures.path("Samples/forms/request-unemployment-status.yaml")
        let composed = try await TestProcess.mezhved([
            "request", "new", "--gateway", socialProtection, "--form", form, "-o", root + "/first.xml", "--send",
        ])
        #expect(composed.status == 0, "\(composed.stderr)")
        #expect(composed.stdout.hasPrefix("REGISTERED 01-12/000001 "), "\(composed.stdout)")
        #expect(composed.stdout.contains("QUEUED 01-12/000001 to employment as message "), "\(composed.stdout)")
        #expect(composed.stdout.contains("the gateway's server (`mezhved serve`) delivers it"))
        let first = try #require(Self.messageID(composed.stdout))
        #expect(IncomingMessage.isValidID(first))

        let again = try await TestProcess.mezhved(["send", "--gateway", socialProtection, "01-12/000001"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.hasPrefix("ALREADY QUEUED 01-12/000001 to employment as message \(first)"), "\(again.stdout)")

        let second = try await TestProcess.mezhved([
            "request", "new", "--gateway", socialProtection, "--form", form, "-o", root + "/second.xml",
        ])
        #expect(second.status == 0, "\(second.stderr)")
        let queued = try await TestProcess.mezhved([
            "send", "--gateway", socialProtection, "01-12/000002", "--expires", "2099-01-01T00:00:00Z",
        ])
        #expect(queued.status == 0, "\(queued.stderr)")
        #expect(queued.stdout.contains("until 2099-01-01T00:00:00Z"), "\(queued.stdout)")
        let secondID = try #require(Self.messageID(queued.stdout))
        #expect(secondID != first)

        let table = try await TestProcess.mezhved(["outbox", "list", "--gateway", socialProtection])
        #expect(table.status == 0, "\(table.stderr)")
        let lines = table.stdout.split(separator: "\n")
        #expect(lines.count == 3, "\(table.stdout)")
        #expect(lines.first?.hasPrefix("NUMBER") == true)
        #expect(lines.dropFirst().allSatisfy { $0.contains("employment") && $0.contains("queued") })

        // One delivery failed for good (as the server records it), then the clerk resends it.
        let configuration = try GatewayConfiguration.load(contentsOf: socialProtection)
        let gateway = try Gateway.open(configuration)
        let archive = try await gateway.openArchive()
        _ = try await Outbox(gateway: gateway, registrar: archive.registrar).recordFailure(
            first, error: "403: the peer is not configured", permanent: true)
        await archive.registrar.finishBackgroundWork()
        let failed = try await TestProcess.mezhved(["outbox", "list", "--gateway", socialProtection, "--state", "failed"])
        #expect(failed.stdout.contains(first), "\(failed.stdout)")
        #expect(failed.stdout.contains("last error: 403: the peer is not configured"))
        #expect(!failed.stdout.contains(secondID))
        let json = try await TestProcess.mezhved(["outbox", "list", "--gateway", socialProtection, "--json", "--peer", "employment"])
        #expect(json.status == 0, "\(json.stderr)")
        let statuses = try JSONDecoder().decode([MessageStatus].self, from: Data(json.stdout.utf8))
        #expect(statuses.map(\.state) == [.failed, .queued])
        #expect(statuses.map(\.messageID) == [first, secondID])
        let resent = try await TestProcess.mezhved(["outbox", "resend", "--gateway", socialProtection, first])
        #expect(resent.status == 0, "\(resent.stderr)")
        #expect(resent.stdout.hasPrefix("QUEUED AGAIN 01-12/000001 to employment as message \(first)"), "\(resent.stdout)")
        #expect(try await archive.registrar.message(id: first)?.state == .queued, "the library sees what the command wrote")

        // Refusals: resending a queued message, an unknown number or message, a bad time, --send without --gateway.
        let twice = try await TestProcess.mezhved(["outbox", "resend", "--gateway", socialProtection, first])
        #expect(twice.status == 8, "\(twice.stderr)")
        #expect(twice.stderr.contains("only a failed or expired message is resent"))
        let unknown = try await TestProcess.mezhved(["send", "--gateway", socialProtection, "01-12/000077"])
        #expect(unknown.status == 8, "\(unknown.stderr)")
        #expect(unknown.stderr.contains("01-12/000077 is not in the journal"))
        let noMessage = try await TestProcess.mezhved(["outbox", "resend", "--gateway", socialProtection, "no-such-message"])
        #expect(noMessage.status == 3, "\(noMessage.stderr)")
        let badTime = try await TestProcess.mezhved(["send", "--gateway", socialProtection, "01-12/000002", "--expires", "tomorrow"])
        #expect(badTime.status == 64)
        let noGateway = try await TestProcess.mezhved([
            "request", "new", "--form", form, "--key", GatewayFixtures.path("Certificates/agencies/social-protection/key.pem"), "--cert",
            GatewayFixtures.path("Certificates/agencies/social-protection/cert.pem"), "-o", root + "/x.xml", "--send",
        ])
        #expect(noGateway.status == 64)
        #expect(noGateway.stderr.contains("--send goes with --gateway"))
    }
}
