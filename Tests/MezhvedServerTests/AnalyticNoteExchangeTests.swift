import Foundation
import MezhvedTestSupport
import Testing

/// The yearly analytic note sent through `mezhved serve` to a second gateway on loopback: registered
/// there as an incoming note, with a receipt the sender's outbox verifies; a tampered copy refused.
@Suite("The analytic note between two gateways", .serialized, .timeLimit(.minutes(3)))
struct AnalyticNoteExchangeTests {
    /// This year, as the gateways number it (Moscow).
    static var year: Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Moscow")!
        return calendar.component(.year, from: Date())
    }

    @Test(
        "social protection's note reaches health over mutual TLS: registered there as an incoming note without a deadline, receipted, the receipt verified by the sender's outbox; a tampered note is quarantined"
    )
    func noteBetweenGateways() async throws {
        let root = try ServeFixture.temporaryFolder()
        let receiver = try await GatewayFolder.create("health", in: root, exchange: GatewayFolder.Exchange(peers: ["social-protection"]))
        try await ServedProcess.run(receiver) { receiving in
            let sender = try await GatewayFolder.create(
                "social-protection", in: root,
                exchange: GatewayFolder.Exchange(peers: ["health"], peerURLs: ["health": receiving.url]))
            // Something to evaluate: a request registered this year (to employment, not a peer: not sent).
            let request = try await TestProcess.mezhved([
                "request", "new", "--gateway", sender.configuration, "--form",
                ServeFixture.path("Samples/forms/request-unemployment-status.yaml"), "-o", root + "/request.xml",
            ])
            try #require(request.status == 0, "\(request.stderr)")
            let note = try await TestProcess.mezhved([
                "report", "note", "--year", String(Self.year), "--gateway", sender.configuration, "--send", "-o", root + "/note.xml",
            ])
            try #require(note.status == 0, "\(note.stdout) \(note.stderr)")
            #expect(note.stdout.contains("note to health") && note.stdout.contains("QUEUED as message"), "\(note.stdout)")
            #expect(note.stdout.contains("NOT SENT to 13 addressees"), "\(note.stdout)")
            let messages = try await ServedProcess.run(sender) { _ in
                try await ExchangeInteropTests.outbox(sender) {
                    $0.first.map { $0["state"] as? String == "receipted" || $0["lastError"] != nil } ?? false
                }
            }
            let message = try #require(messages.first, "no message in the outbox")
            #expect(messages.count == 1)
            #expect(message["state"] as? String == "receipted", "\(message)")
        }

        do {
            // At health: an incoming note from social protection, registered, no deadline.
            let listed = try await TestProcess.mezhved(["archive", "list", "--archive", receiver.archive, "--kind", "note", "--json"])
            try #require(listed.status == 0, "\(listed.stderr)")
            let entries = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
            #expect(entries.count == 1, "\(listed.stdout)")
            let entry = try #require(entries.first)
            #expect(entry["direction"] as? String == "incoming" && entry["counterpart"] as? String == "social-protection", "\(entry)")
            #expect(entry["deadline"] == nil, "\(entry)")
            let text = try await TestProcess.mezhved(["archive", "list", "--archive", receiver.archive])
            #expect(text.stdout.contains("note"), "\(text.stdout)")

            // A note with one figure changed: its signature fails, it is quarantined, nothing registered.
            let original = try String(contentsOfFile: root + "/note.xml", encoding: .utf8)
            let tampered = original.replacingOccurrences(of: "documentsReceived=\"", with: "documentsReceived=\"1")
            #expect(tampered != original)
            try tampered.write(toFile: root + "/tampered-note.xml", atomically: true, encoding: .utf8)
            let refused = try await TestProcess.mezhved([
                "incoming", "receive", "--gateway", receiver.configuration, root + "/tampered-note.xml",
            ])
            #expect(refused.status == 12, "\(refused.stdout) \(refused.stderr)")
            #expect((refused.stdout + refused.stderr).contains("signature-not-valid"), "\(refused.stdout) \(refused.stderr)")
            let after = try await TestProcess.mezhved(["archive", "list", "--archive", receiver.archive, "--kind", "note", "--json"])
            #expect((try JSONSerialization.jsonObject(with: Data(after.stdout.utf8)) as? [[String: Any]])?.count == 1)
        }
    }
}
