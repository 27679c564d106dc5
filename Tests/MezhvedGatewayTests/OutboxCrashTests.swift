import Foundation
import MezhvedArchive
import MezhvedGateway
import MezhvedTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `mezhved send` processes racing for the same documents and killed with SIGKILL at random moments.
@Suite("Outbox: crashes and racing processes")
struct OutboxCrashTests {
    @Test(
        "SIGKILL while two processes queue each document: every acknowledged queueing is in the journal, one message per document, audit passes"
    )
    func crashLoop() async throws {
        let (root, socialProtection, _) = try await GatewayCLITests.gateways()
        let configuration = try GatewayConfiguration.load(contentsOf: socialProtection)
        let gateway = try Gateway.open(configuration)
        let archive = try await gateway.openArchive()
        var numbers: [String] = []
        let workflow = OutgoingWorkflow(gateway: gateway, registrar: archive.registrar)
        for _ in 0..<24 { numbers.append(try await workflow.send(.request(GatewayFixtures.requestDraft())).entry.number) }
        await archive.registrar.finishBackgroundWork()
        let archivePath = root + "/social-protection/archive"

        var acknowledged: [String: String] = [:]  // number -> message id printed
        var kills = 0
        var generator = SystemRandomNumberGenerator()
        for round in 0..<12 {
            let queued = Set(try await FileSystemStorage.open(at: archivePath).messages(MessageQuery()).map(\.number))
            let remaining = numbers.filter { !queued.contains($0) }
            if remaining.isEmpty && round >= 8 { break }
            let killing = round < 8
            // Two processes per document, three documents a round (the rest when not killing).
            let taken = killing ? Array(remaining.prefix(3)) : remaining
            var processes: [(Process, String, String)] = []
            for (index, number) in (taken + taken).enumerated() {
                let outputPath = root + "/send-\(round)-\(index).txt"
                _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
                let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
                let process = Process()
                process.executableURL = URL(fileURLWithPath: TestProcess.mezhved)
                process.arguments = ["send", "--gateway", socialProtection, number]
                process.standardOutput = output
                process.standardError = FileHandle.nullDevice
                try process.run()
                try output.close()
                processes.append((process, outputPath, number))
            }
            if killing {
                // While the two commands run (a `send` takes ~100 ms on a quiet machine, seconds on a loaded one).
                usleep(UInt32.random(in: 5_000...120_000, using: &generator))
                for (process, _, _) in processes { kill(process.processIdentifier, SIGKILL) }
            }
            for (process, outputPath, number) in processes {
                process.waitUntilExit()
                if process.terminationReason == .uncaughtSignal { kills += 1 }
                if !killing { #expect(process.terminationStatus == 0) }
                let printed = String(decoding: try Data(contentsOf: URL(fileURLWithPath: outputPath)), as: UTF8.self)
                guard printed.contains("QUEUED \(number) "), let id = OutboxCLITests.messageID(printed) else { continue }
                if let earlier = acknowledged[number] { #expect(earlier == id, "\(number) acknowledged under two message ids") }
                acknowledged[number] = id
            }
            let recover = try await TestProcess.mezhved(["archive", "recover", "--archive", archivePath])
            #expect(recover.status == 0, "\(recover.stderr)")
            // What was printed is on disk; no document has two messages; the replay finds nothing wrong.
            let state = try await FileSystemStorage.open(at: archivePath).journal()
            #expect(state.anomalies.isEmpty, "\(state.anomalies)")
            for (number, id) in acknowledged {
                #expect(state.message(id: id)?.number == number, "the acknowledged message \(id) of \(number) is missing")
            }
            let carried = state.messages.map(\.number)
            #expect(Set(carried).count == carried.count, "a document queued twice: \(carried)")
        }
        #expect(kills >= 1, "the loop killed no process: every command ended before its kill")
        let messages = try await FileSystemStorage.open(at: archivePath).messages(MessageQuery())
        #expect(Set(messages.map(\.number)) == Set(numbers), "every document queued in the end")
        #expect(messages.allSatisfy { $0.state == .queued })
        let audit = try await TestProcess.mezhved(["archive", "audit", "--gateway", socialProtection])
        #expect(audit.status == 0, "\(audit.stdout) \(audit.stderr)")
        print("outbox crash loop: \(kills) kills, \(acknowledged.count) queueings acknowledged before the end")
    }
}
