import Foundation
import MezhvedTestSupport
import Testing

/// Pull delivery (a gateway that cannot accept connections fetches its messages) and the peers'
/// witness of each other's archives, between real `mezhved serve` processes on loopback.
@Suite(.serialized) struct ExchangePullWitnessTests {
    @Test("pull: the receiver fetches the request queued for it, posts its receipt; the sender's outbox counts it only then")
    func pullDelivery() async throws {
        let root = try ServeFixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let senderPort = try ExchangeCrashTests.freePort()
        let fast = "  delivery: {firstRetry: 1s, maximumRetry: 2s}"
        // The sender does not know a url for employment: messages for it wait to be fetched.
        let sender = try await GatewayFolder.create(
            "social-protection", in: root, exchange: .init(peers: ["employment"], port: senderPort, extra: fast))
        // Employment cannot accept connections from the sender: it fetches from it (pull) and pushes its own.
        let receiver = try await GatewayFolder.create(
            "employment", in: root,
            exchange: .init(
                peers: ["social-protection"], peerURLs: ["social-protection": "https://127.0.0.1:\(senderPort)"], extra: fast,
                pullFrom: ["social-protection"]))
        let senderServer = try await ServedProcess.serve(sender)
        let receiverServer = try await ServedProcess.serve(receiver)
        let servers = [senderServer, receiverServer]
        try await Self.stopping(servers) {
            try await Self.pullChecks(
                sender: sender, receiver: receiver, senderServer: senderServer, receiverServer: receiverServer, root: root)
        }
        for gateway in [sender, receiver] {
            let audit = try await ExchangeCrashTests.audit(gateway)
            #expect(audit.status == 0, "audit of \(gateway.agency): \(audit.stdout.suffix(1500))")
        }
    }

    /// Runs `body`; stops the servers afterwards (gracefully when it returned, with SIGKILL when it threw).
    static func stopping(_ servers: [ServedProcess], _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            for server in servers { _ = await server.stop(graceful: false) }
            throw error
        }
        for server in servers { _ = await server.stop() }
    }

    static func pullChecks(
        sender: GatewayFolder, receiver: GatewayFolder, senderServer: ServedProcess, receiverServer: ServedProcess, root: String
    ) async throws {
        try await ExchangeCrashTests.compose(sender, 1, into: root)
        let states = try await ExchangeCrashTests.waitUntilAcknowledged(sender, count: 1, seconds: 40)
        #expect(
            states.values.first == "receipted",
            "\(states) — sender: \(senderServer.log().suffix(1200)) receiver: \(receiverServer.log().suffix(1200))")
        let incoming = try await ExchangeCrashTests.journal(receiver).filter { $0.count > 5 && $0[2] == "incoming" && $0[5] == "request" }
        #expect(incoming.count == 1, "the fetched request is registered once")
        // Fetching again finds nothing: the acknowledged message left the queue.
        let again = try await TestProcess.run(
            "curl",
            [
                "-sS", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}", "--cert", ServeFixture.tlsCertificate("employment"),
                "--key",
                ServeFixture.tlsKey("employment"), "--cacert", ServeFixture.tlsCertificate("social-protection"),
                "\(senderServer.url)/exchange/v1/outbox?wait=0",
            ])
        #expect(again.stdout == "204", "after the receipt nothing is queued: \(again.stdout) \(again.stderr)")
    }

    @Test("an archive rolled back to an earlier copy: its own audit cannot tell, the audit against the peers' checkpoints can")
    func rollbackCaughtByPeers() async throws {
        let root = try ServeFixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let senderPort = try ExchangeCrashTests.freePort()
        let receiverPort = try ExchangeCrashTests.freePort()
        let fast = "  delivery: {firstRetry: 1s, maximumRetry: 2s}\n  gossipInterval: 1s"
        let sender = try await GatewayFolder.create(
            "social-protection", in: root,
            exchange: .init(
                peers: ["employment"], peerURLs: ["employment": "https://127.0.0.1:\(receiverPort)"], port: senderPort, extra: fast))
        let receiver = try await GatewayFolder.create(
            "employment", in: root,
            exchange: .init(
                peers: ["social-protection"], peerURLs: ["social-protection": "https://127.0.0.1:\(senderPort)"], port: receiverPort,
                extra: fast))
        let receiverServer = try await ServedProcess.serve(receiver)
        try await Self.stopping([receiverServer]) {
            try await Self.rollbackChecks(sender: sender, receiver: receiver, root: root)
        }
    }

    static func rollbackChecks(sender: GatewayFolder, receiver: GatewayFolder, root: String) async throws {
        var senderServer = try await ServedProcess.serve(sender)
        // One exchange and a checkpoint; the copy taken now is the "earlier copy".
        try await ExchangeCrashTests.compose(sender, 1, into: root)
        _ = try await ExchangeCrashTests.waitUntilAcknowledged(sender, count: 1, seconds: 30)
        try await Self.checkpoint(sender)
        let copy = root + "/archive-copy"
        await #expect(try TestProcess.run("/bin/cp", ["-a", sender.archive, copy]).status == 0)
        // More work, a later checkpoint, which the peer receives.
        try await ExchangeCrashTests.compose(sender, 2, into: root)
        _ = try await ExchangeCrashTests.waitUntilAcknowledged(sender, count: 2, seconds: 30)
        let later = try await Self.checkpoint(sender)
        let held = receiver.folder + "/spool/witness/social-protection/" + String(format: "%012d.xml", later)
        let deadline = ContinuousClock.now + .seconds(20)
        while !FileManager.default.fileExists(atPath: held) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(FileManager.default.fileExists(atPath: held), "the peer keeps the later checkpoint: \(senderServer.log().suffix(1000))")
        // Roll the archive back to the copy.
        _ = await senderServer.stop()
        try FileManager.default.removeItem(atPath: sender.archive)
        try FileManager.default.moveItem(atPath: copy, toPath: sender.archive)
        // Alone, the archive is consistent: its own audit passes.
        let alone = try await ExchangeCrashTests.audit(sender)
        #expect(alone.status == 0, "the rolled-back copy is consistent in itself: \(alone.stdout.suffix(800))")
        // Against what the peer holds, the rollback shows.
        let withPeers = try await TestProcess.mezhved([
            "archive", "audit", "--gateway", sender.configuration, "--data-key", sender.folder + "/data.key", "--peers",
        ])
        #expect(withPeers.status == 7, "the audit against the peers' checkpoints: \(withPeers.stdout) \(withPeers.stderr)")
        #expect(withPeers.stdout.contains("witness") || withPeers.stdout.contains("truncated"), "\(withPeers.stdout)")
        #expect(withPeers.stderr.contains("peer employment holds the checkpoint of entry \(later)"), "\(withPeers.stderr)")
        // Served again, the rolled-back gateway gossips its older checkpoint: the peer refuses it as a conflict.
        senderServer = try await ServedProcess.serve(sender)
        let logDeadline = ContinuousClock.now + .seconds(20)
        while !senderServer.log().contains("rolled back") && ContinuousClock.now < logDeadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(senderServer.log().contains("rolled back"), "the operators are told: \(senderServer.log().suffix(1500))")
        _ = await senderServer.stop()
    }

    /// Signs a checkpoint now through the CLI; returns the entry it covers.
    @discardableResult
    static func checkpoint(_ gateway: GatewayFolder) async throws -> Int {
        let made = try await TestProcess.mezhved([
            "archive", "checkpoint", "--archive", gateway.archive, "--gateway-key", ServeFixture.gostKey(gateway.agency),
        ])
        guard made.status == 0, let range = made.stdout.range(of: #"entry (\d+)"#, options: .regularExpression) else {
            throw FixtureFailure("archive checkpoint: \(made.stdout) \(made.stderr)")
        }
        return Int(made.stdout[range].dropFirst("entry ".count)) ?? 0
    }
}
