import Foundation
import MezhvedTestSupport
import Testing

/// A child's transfer (459-р cl. 1.4 item 5) between two `mezhved serve` processes over mutual TLS on
/// loopback: the request and its accepting answer through both outboxes.
@Suite(.serialized) struct ChildTransferServeTests {
    static func day(_ offset: Int) -> String {
        ISO8601DateFormatter.string(
            from: Date().addingTimeInterval(Double(offset) * 86_400), timeZone: TimeZone(identifier: "Europe/Moscow")!,
            formatOptions: [.withFullDate])
    }

    /// Names a shared person key in a gateway's configuration (the archive section).
    static func addPersonKey(_ gateway: GatewayFolder, key: String) throws {
        let text = try String(contentsOfFile: gateway.configuration, encoding: .utf8)
        let changed = text.replacingOccurrences(
            of: "  dataKey: \(gateway.folder)/data.key\n", with: "  dataKey: \(gateway.folder)/data.key\n  personKey: \(key)\n")
        #expect(changed != text)
        try ServeFixture.write(Array(changed.utf8), to: gateway.configuration)
    }

    /// Runs `body` every 200 ms until it gives a value or `seconds` pass (and once after).
    static func poll<T>(_ seconds: Int, _ body: () async throws -> T?) async throws -> T? {
        try await Eventually.poll(seconds: seconds, every: .milliseconds(200), body)
    }

    @Test(
        "a transfer request sent by one server and accepted at the other comes back as the answer, and the sender's server marks the child transferred"
    )
    func transferOverServe() async throws {
        let root = try ServeFixture.temporaryFolder()
        let senderPort = try LocalService.freePort()
        let receiverPort = try LocalService.freePort()
        let fast = "  delivery: {firstRetry: 1s, maximumRetry: 2s, concurrency: 4}"
        let sender = try await GatewayFolder.create(
            "social-protection", in: root,
            exchange: .init(
                peers: ["education"], peerURLs: ["education": "https://127.0.0.1:\(receiverPort)"], port: senderPort, extra: fast))
        let receiver = try await GatewayFolder.create(
            "education", in: root,
            exchange: .init(
                peers: ["social-protection"], peerURLs: ["social-protection": "https://127.0.0.1:\(senderPort)"], port: receiverPort,
                extra: fast))
        let key = root + "/person.key"
        try ServeFixture.write(Array((String(repeating: "5a", count: 32) + "\n").utf8), to: key)
        for gateway in [sender, receiver] { try Self.addPersonKey(gateway, key: key) }
        func mezhved(_ arguments: [String], _ gateway: GatewayFolder) async throws -> ProcessOutput {
            try await TestProcess.mezhved(arguments + ["--gateway", gateway.configuration])
        }
        await #expect(try mezhved(["register", "early-help", "change", "early-help-center", "--date", Self.day(-30)], sender).status == 0)
        await #expect(try mezhved(["register", "early-help", "change", "ppms-center", "--date", Self.day(-30)], receiver).status == 0)
        let form = root + "/child.yaml"
        try String(contentsOfFile: ServeFixture.path("Samples/records/child.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "birthDate: 2024-02-11", with: "birthDate: \(Self.day(-400))")
            .replacingOccurrences(of: "includedOn: 2025-03-10", with: "includedOn: \(Self.day(-20))")
            .write(toFile: form, atomically: true, encoding: .utf8)
        let added = try await mezhved(["register", "children", "add", form], sender)
        #expect(added.status == 0, "\(added.stderr)")

        let senderServer = try await ServedProcess.serve(sender)
        let receiverServer = try await ServedProcess.serve(receiver)
        do {
            try await Self.exchange(sender, receiver, senderServer, receiverServer)
        } catch {
            await senderServer.stop()
            await receiverServer.stop()
            throw error
        }
        await senderServer.stop()
        await receiverServer.stop()
    }

    static func exchange(_ sender: GatewayFolder, _ receiver: GatewayFolder, _ senderServer: ServedProcess, _ receiverServer: ServedProcess)
        async throws
    {
        func mezhved(_ arguments: [String], _ gateway: GatewayFolder) async throws -> ProcessOutput {
            try await TestProcess.mezhved(arguments + ["--gateway", gateway.configuration])
        }
        let compiler = [
            "--compiler", "Никитина Светлана Олеговна", "--compiler-position", "Главный специалист", "--compiler-phone",
            "+7 (812) 000-01-23", "--compiler-email",
            "s.nikitina@social-protection.mezhved-test.invalid",
        ]
        let transfer = try await mezhved(
            ["register", "children", "transfer", "214-365-870 59", "--to", "ppms-center", "--send"] + compiler, sender)
        #expect(transfer.status == 0, "\(transfer.stderr)")
        #expect(transfer.stdout.contains("QUEUED "), "\(transfer.stdout)")
        // The receiving server registers the request.
        let incoming = try await Self.poll(60) { () async throws -> String? in
            let list = try await TestProcess.mezhved(["archive", "list", "--archive", receiver.archive])
            return list.stdout.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
                .first { $0.count > 5 && $0[2] == "incoming" && $0[5] == "request" }?[0]
        }
        let number = try #require(incoming, "education's server did not register the transfer request: \(receiverServer.log())")
        let accept = try await mezhved(["register", "children", "accept", number, "--send"] + compiler, receiver)
        #expect(accept.status == 0, "\(accept.stderr)")
        #expect(accept.stdout.contains("at ppms-center on \(Self.day(0)) from early-help-center"), "\(accept.stdout)")
        // The answer comes back through the sender's server, which settles the child's record as it registers it.
        let log = sender.archive + "/log/events.log"
        let settled = try await Self.poll(60) { () -> Bool? in
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            return text.contains("\"recordKind\":\"transferred\"") ? true : nil
        }
        #expect(settled == true, "the answer did not come back and settle the transfer: \(senderServer.log())")
        let listing = try await mezhved(["register", "children", "list", "--all"], sender)
        #expect(!listing.stdout.contains("TRANSFERRED "), "already settled by the server: \(listing.stdout)")
        #expect(listing.stdout.contains(" transferred ") && listing.stdout.contains("to ppms-center"), "\(listing.stdout)")
        let there = try await mezhved(["register", "children", "list"], receiver)
        #expect(there.stdout.contains("ppms-center") && there.stdout.contains("from early-help-center"), "\(there.stdout)")
        #expect(!there.stdout.contains("Соколова") && !there.stdout.contains("214-365-870"))
    }
}
