import Foundation
import MezhvedTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Two real `mezhved serve` processes over mutual TLS on loopback: the full cycle through both
/// outboxes, and the receiver killed with SIGKILL while deliveries are under way.
@Suite(.serialized) struct ExchangeCrashTests {
    /// A free loopback port (bound and released), so that a restarted receiver listens where the
    /// sender's configuration says.
    static func freePort() throws -> Int {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socketFD) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw FixtureFailure("no free loopback port: \(String(cString: strerror(errno)))") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// The sender (social protection) and the receiver (employment), each pinning the other and
    /// knowing where the other listens; both retry fast so that the tests are short.
    static func pair(in root: String) async throws -> (sender: GatewayFolder, receiver: GatewayFolder) {
        let senderPort = try freePort()
        let receiverPort = try freePort()
        let fast = "  delivery: {firstRetry: 1s, maximumRetry: 2s, concurrency: 4}"
        let receiver = try await GatewayFolder.create(
            "employment", in: root,
            exchange: .init(
                peers: ["social-protection"], peerURLs: ["social-protection": "https://127.0.0.1:\(senderPort)"], port: receiverPort,
                extra: fast))
        let sender = try await GatewayFolder.create(
            "social-protection", in: root,
            exchange: .init(
                peers: ["employment"], peerURLs: ["employment": "https://127.0.0.1:\(receiverPort)"], port: senderPort, extra: fast))
        return (sender, receiver)
    }

    /// The outbox as JSON: message id → state.
    static func outboxStates(_ gateway: GatewayFolder) async throws -> [String: String] {
        let listed = try await TestProcess.mezhved(["outbox", "list", "--gateway", gateway.configuration, "--json"])
        guard listed.status == 0 else { throw FixtureFailure("outbox list: \(listed.stderr)") }
        let rows = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]] ?? []
        var states: [String: String] = [:]
        for row in rows {
            if let id = row["messageID"] as? String, let state = row["state"] as? String { states[id] = state }
        }
        return states
    }

    /// The journal's lines (`archive list`): number, year, direction, status, time, kind, counterpart, …
    static func journal(_ gateway: GatewayFolder) async throws -> [[String]] {
        let list = try await TestProcess.mezhved(["archive", "list", "--archive", gateway.archive])
        guard list.status == 0 else { throw FixtureFailure("archive list: \(list.stderr)") }
        return list.stdout.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
    }

    static func compose(_ sender: GatewayFolder, _ index: Int, into root: String) async throws {
        let made = try await TestProcess.mezhved([
            "request", "new", "--gateway", sender.configuration, "--form",
            ServeFixture.path("Samples/forms/request-unemployment-status.yaml"),
            "-o", "\(root)/request-\(index).xml", "--send",
        ])
        #expect(made.status == 0, "request new --send \(index): \(made.stderr)")
    }

    /// Polls the outbox until `count` messages are all receipted or `seconds` pass; returns the
    /// states last seen (message id → state).
    static func waitUntilAcknowledged(_ sender: GatewayFolder, count: Int, seconds: Int) async throws -> [String: String] {
        var states: [String: String] = [:]
        _ = try await Eventually.poll(seconds: seconds, every: .milliseconds(300)) { () async throws -> Bool? in
            states = try await outboxStates(sender)
            return states.count == count && states.values.allSatisfy({ $0 == "receipted" }) ? true : nil
        }
        return states
    }

    static func audit(_ gateway: GatewayFolder) async throws -> ProcessOutput {
        try await TestProcess.mezhved(["archive", "audit", "--gateway", gateway.configuration, "--data-key", gateway.folder + "/data.key"])
    }

    @Test("request → receipt → answer → receipt between two real servers, through both outboxes")
    func fullCycle() async throws {
        let root = try ServeFixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (sender, receiver) = try await Self.pair(in: root)
        let receiverServer = try await ServedProcess.serve(receiver)
        let senderServer = try await ServedProcess.serve(sender)
        do {
            try await Self.compose(sender, 1, into: root)
            let states = try await Self.waitUntilAcknowledged(sender, count: 1, seconds: 30)
            #expect(states.values.first == "receipted", "the request's message: \(states) — \(senderServer.log().suffix(1500))")
            // The receiver answers; its outbox delivers the answer back and the sender's receipt closes it.
            let answered = try await TestProcess.mezhved([
                "answer", "new", "--gateway", receiver.configuration, "--request", "\(root)/request-1.xml", "--form",
                ServeFixture.path("Samples/forms/answer-unemployment-status.yaml"), "-o", "\(root)/answer.xml", "--send",
            ])
            #expect(answered.status == 0, "answer new --send: \(answered.stderr)")
            let answerStates = try await Self.waitUntilAcknowledged(receiver, count: 1, seconds: 30)
            #expect(
                answerStates.values.first == "receipted", "the answer's message: \(answerStates) — \(receiverServer.log().suffix(1500))")
        } catch {
            _ = await senderServer.stop(graceful: false)
            _ = await receiverServer.stop(graceful: false)
            throw error
        }
        _ = await senderServer.stop()
        _ = await receiverServer.stop()
        let senderJournal = try await Self.journal(sender)
        #expect(
            senderJournal.contains { $0.count > 5 && $0[2] == "outgoing" && $0[5] == "request" && $0[3] == "answered" }, "\(senderJournal)")
        #expect(senderJournal.contains { $0.count > 5 && $0[2] == "incoming" && $0[5] == "answer" })
        for gateway in [sender, receiver] {
            let audit = try await Self.audit(gateway)
            #expect(audit.status == 0, "audit of \(gateway.agency): \(audit.stdout) \(audit.stderr)")
        }
    }

    @Test("the receiver SIGKILLed mid-delivery 20 times: every document arrives exactly once, no gap, every receipt verified, audits pass")
    func receiverKilledMidDelivery() async throws {
        let root = try ServeFixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (sender, receiver) = try await Self.pair(in: root)
        let senderServer = try await ServedProcess.serve(sender)
        var receiverServer = try await ServedProcess.serve(receiver)
        let rounds = 20
        var generator = SystemRandomNumberGenerator()
        for round in 1...rounds {
            try await Self.compose(sender, round, into: root)
            // Kill while the delivery is under way: after the queueing, at a random moment.
            try await Task.sleep(for: .milliseconds(Int.random(in: 20...400, using: &generator)))
            _ = await receiverServer.stop(graceful: false)
            receiverServer = try await ServedProcess.serve(receiver)
        }
        let states = try await Self.waitUntilAcknowledged(sender, count: rounds, seconds: 90)
        _ = await receiverServer.stop()
        _ = await senderServer.stop()
        #expect(states.count == rounds)
        // How many deliveries the kills cut (retried, or answered by the receiver's duplicate elimination).
        let listed = try await TestProcess.mezhved(["outbox", "list", "--gateway", sender.configuration, "--json"])
        let rows = (try? JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]]) ?? []
        let retried = rows.filter { ($0["attempts"] as? Int ?? 0) > 1 }.count
        let duplicates = receiverServer.log().components(separatedBy: "disposition=duplicate").count - 1
        print(
            "crash loop: \(rounds) kills, \(retried) message(s) needed more than one attempt, \(duplicates) duplicate(s) answered by the last receiver"
        )
        #expect(
            states.values.allSatisfy { $0 == "receipted" },
            "\(states.filter { $0.value != "receipted" }) — \(senderServer.log().suffix(2000))")
        // Exactly once: one incoming request per message, numbered 1…20 without a gap.
        let incoming = try await Self.journal(receiver).filter { $0.count > 5 && $0[2] == "incoming" && $0[5] == "request" }
        #expect(incoming.count == rounds, "the receiver registered \(incoming.count) requests for \(rounds) messages")
        let numbers = Set(incoming.map(\.[0]))
        #expect(numbers.count == incoming.count, "an incoming number was used twice")
        let expected = Set(
            (1...rounds).map { "ВХ-\(Calendar(identifier: .gregorian).component(.year, from: Date()))-" + String(format: "%06d", $0) })
        #expect(numbers == expected, "incoming numbers with a gap: \(numbers.sorted())")
        // Every outgoing request delivered (its receipt verified by the outbox before it counted).
        let delivered = try await Self.journal(sender).filter { $0.count > 5 && $0[2] == "outgoing" && $0[5] == "request" }
        #expect(delivered.count == rounds && delivered.allSatisfy { $0[3] == "delivered" }, "\(delivered.map { $0[3] })")
        // After the crashes the operator recovers the receiver's archive (what a kill between an
        // object and its log line left is set aside); the audits then re-verify every signature,
        // the receipts included, on both sides.
        let recover = try await TestProcess.mezhved(["archive", "recover", "--archive", receiver.archive])
        #expect(recover.status == 0, "\(recover.stderr)")
        print("recovery after the crash loop: \(recover.stdout.trimmingCharacters(in: .whitespacesAndNewlines))")
        for gateway in [sender, receiver] {
            let audit = try await Self.audit(gateway)
            #expect(audit.status == 0, "audit of \(gateway.agency): \(audit.stdout.suffix(1500)) \(audit.stderr.suffix(500))")
        }
    }
}
