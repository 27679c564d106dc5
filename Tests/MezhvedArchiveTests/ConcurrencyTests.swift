import Foundation
import MezhvedTestSupport
import MezhvedXMLDSig
import Synchronization
import Testing

@testable import MezhvedArchive

@Suite("Concurrency and crashes")
struct ConcurrencyTests {
    /// The counters of the outgoing series, in number order.
    static func outgoingSequences(_ journal: Journal) -> [Int] {
        journal.entries.filter { $0.direction == .outgoing }.map(\.sequence).sorted()
    }

    @Test("tasks of one process, through two handles on the store, get unique consecutive numbers")
    func tasks() async throws {
        let first = try await ArchiveFixtures.makeArchive(interval: 1000)
        let second = try await ArchiveFolder.open(first.path)
        let handles = [first.registrar, second.registrar]
        let numbers = try await withThrowingTaskGroup(of: [String].self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var numbers: [String] = []
                    for _ in 0..<25 { numbers.append(try await handles[worker % 2].reserve(direction: .outgoing).number) }
                    return numbers
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(Set(numbers).count == 200)
        let journal = try await FileSystemStorage.open(at: first.path).journal()
        #expect(Self.outgoingSequences(journal) == Array(1...200))
        #expect(journal.anomalies.isEmpty)
    }

    @Test("concurrent registrations share commits: every one durable, numbered once, the log intact", arguments: ObjectDurability.allCases)
    func groupCommit(durability: ObjectDurability) async throws {
        let archive = try await ArchiveFixtures.makeArchive(
            interval: 1000, options: FileSystemStorage.Options(groupCommit: true, objectDurability: durability))
        let reserved = try await withThrowingTaskGroup(of: JournalEntry.self) { group in
            for _ in 0..<48 { group.addTask { try await archive.registrar.reserve(direction: .outgoing) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let documents = try reserved.map { try ArchiveFixtures.signedRequest(number: $0.number) }
        let registered = try await withThrowingTaskGroup(of: JournalEntry.self) { group in
            for document in documents {
                group.addTask {
                    try await archive.registrar.register(
                        Submission(direction: .outgoing, document: document, sourceName: "d", signatureStatus: .valid))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(registered.map(\.number)) == Set(reserved.map(\.number)))
        let counts = archive.storage.commitCounts
        #expect(counts.lines == 96)
        #expect(counts.commits <= counts.lines)
        let report = try await ArchiveFixtures.auditor(archive, key: true).audit()
        #expect(report.passed, "\(report.findings)")
        #expect(report.documents.count == 48)
    }

    @Test("a checkpoint that fails after a durable append loses nothing: success reported, the next checkpoint covers it")
    func checkpointFault() async throws {
        let archive = try await ArchiveFixtures.makeArchive(interval: 1000)
        let storage = try await FileSystemStorage.open(at: archive.path)
        let signer = try ArchiveFixtures.signer()
        let faults = Faults(1)
        let heard = Faults(0)
        let writer = CheckpointWriter(
            store: storage.checkpoints, interval: 2,
            sign: { checkpoint in
                if faults.take() { throw ArchiveError(.internalFailure, "injected signing fault") }
                return try signer.sign(checkpoint.unsignedXML(), sourceName: "checkpoint")
            }, onFailure: { _ in heard.add() })
        let registrar = try Registrar(storage: storage, dataKey: ArchiveFixtures.dataKey(), checkpointWriter: writer)
        let documents = try ArchiveFixtures.signedRequests(3)
        // Entry 2 triggers the checkpoint, whose signing fails: the registration stands.
        let first = try await registrar.register(
            Submission(direction: .outgoing, document: documents[0], sourceName: "d0", signatureStatus: .valid))
        await registrar.finishBackgroundWork()
        #expect(first.number == "01-12/000001")
        #expect(writer.failures.count == 1 && writer.failures[0].contains("injected signing fault"))
        #expect(heard.count == 1)
        #expect(try await storage.checkpoints.all().isEmpty)
        #expect(try await registrar.entry(number: first.number).recordedStatus == .registered)
        for (index, document) in documents.dropFirst().enumerated() {
            _ = try await registrar.register(
                Submission(direction: .outgoing, document: document, sourceName: "d\(index + 1)", signatureStatus: .valid))
        }
        await registrar.finishBackgroundWork()
        // Entry 4 triggered the next one: it covers entry 2 too.
        let checkpoints = try await storage.checkpoints.all()
        #expect(checkpoints.map(\.checkpoint.seq) == [4])
        let report = try await ArchiveFixtures.auditor(archive, key: true).audit()
        #expect(report.passed, "\(report.findings)")
        #expect(report.checkpoints == 1)
    }

    @Test("several mezhved processes allocate and register at once against one store: unique, consecutive, none lost")
    func processes() async throws {
        let archive = try await ArchiveFixtures.makeArchive(interval: 10)
        let folder = try ArchiveFixtures.temporaryDirectory()
        let keyPath = try ArchiveFixtures.writeKey(in: folder)
        // Ten numbers reserved first; the documents are printed with them and register under them.
        var files: [String] = []
        for index in 0..<10 {
            let entry = try await archive.reserve(direction: .outgoing)
            files.append(folder + "/d\(index).xml")
            Tamper.write(try ArchiveFixtures.signedRequest(number: entry.number), files[index])
        }
        let common = ["--archive", archive.path, "--gateway-key", ArchiveFixtures.gatewayKey]
        let commands: [[String]] =
            Array(repeating: ["archive", "reserve", "--count", "25"] + common, count: 3)
            + [["archive", "register", "--outgoing", "--jobs", "4", "--data-key", keyPath] + common + files]
        let outputs = try await withThrowingTaskGroup(of: ProcessOutput.self) { group in
            for command in commands { group.addTask { try await ArchiveTool.mezhved(command) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        var numbers: [String] = []
        for result in outputs {
            #expect(result.status == 0, "\(result.stderr)")
            numbers += result.stdout.split(separator: "\n").map { line in
                line.hasPrefix("REGISTERED ") ? String(line.split(separator: " ")[1]) : String(line)
            }
        }
        #expect(numbers.count == 85)
        #expect(Set(numbers).count == 85)
        let journal = try await FileSystemStorage.open(at: archive.path).journal()
        #expect(Self.outgoingSequences(journal) == Array(1...85))
        #expect(Set(journal.entries.map(\.number)) == Set(numbers))
        let report = try await ArchiveFixtures.auditor(archive).audit()
        #expect(report.passed, "\(report.findings)")
    }

    @Test(
        "SIGKILL while several processes register concurrently with group commit: every acknowledged document present and intact, no duplicate, no gap, audit passes"
    )
    func crashLoop() async throws {
        let archive = try await ArchiveFixtures.makeArchive(interval: 5)
        let folder = try ArchiveFixtures.temporaryDirectory()
        let keyPath = try ArchiveFixtures.writeKey(in: folder)
        let count = 360
        var digestOfFile: [String: String] = [:]
        var files: [String] = []
        for index in 0..<count {
            let entry = try await archive.registrar.reserve(direction: .outgoing)
            let document = try ArchiveFixtures.signedRequest(number: entry.number)
            let file = folder + "/doc\(index).xml"
            Tamper.write(document, file)
            digestOfFile[file] = ArchiveCrypto.sha256Hex(document)
            files.append(file)
        }
        await archive.registrar.finishBackgroundWork()
        var acknowledged: [String: String] = [:]  // number -> file
        var kills = 0
        var recoveries: [String] = []
        var generator = SystemRandomNumberGenerator()
        for round in 0..<14 {
            let journal = try await FileSystemStorage.open(at: archive.path).journal()
            let done = Set(journal.entries.compactMap(\.documentDigest))
            let remaining = files.filter { !done.contains(digestOfFile[$0]!) }
            if remaining.isEmpty { break }
            let killing = round < 10
            // Three processes, each registering its share eight at a time.
            var processes: [(Process, String)] = []
            for part in 0..<3 {
                let share = remaining.enumerated().filter { $0.offset % 3 == part }.map(\.element)
                guard !share.isEmpty else { continue }
                let outputPath = folder + "/out\(round)-\(part).txt"
                _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
                let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
                let process = Process()
                process.executableURL = URL(fileURLWithPath: ArchiveTool.mezhved)
                process.arguments =
                    [
                        "archive", "register", "--outgoing", "--jobs", "8", "--archive", archive.path, "--data-key", keyPath,
                        "--gateway-key", ArchiveFixtures.gatewayKey,
                    ] + share
                process.standardOutput = output
                process.standardError = FileHandle.nullDevice
                try process.run()
                try output.close()
                processes.append((process, outputPath))
            }
            if killing {
                usleep(UInt32.random(in: 20_000...200_000, using: &generator))
                for (process, _) in processes { kill(process.processIdentifier, SIGKILL) }
            }
            for (process, outputPath) in processes {
                process.waitUntilExit()
                if process.terminationReason == .uncaughtSignal { kills += 1 }
                if !killing { #expect(process.terminationStatus == 0) }
                for line in String(decoding: Tamper.read(outputPath), as: UTF8.self).split(separator: "\n") {
                    let parts = line.split(separator: " ")
                    guard parts.count == 4, parts[0] == "REGISTERED" else { continue }
                    #expect(acknowledged[String(parts[1])] == nil, "number \(parts[1]) acknowledged twice")
                    acknowledged[String(parts[1])] = String(parts[3])
                }
            }
            let recover = try await ArchiveTool.mezhved(["archive", "recover", "--archive", archive.path])
            #expect(recover.status == 0, "\(recover.stderr)")
            if !recover.stdout.hasPrefix("nothing") { recoveries.append(recover.stdout) }
            // Every acknowledged registration is there, with its document intact.
            let after = try await ArchiveFolder.open(archive.path, dataKey: ArchiveFixtures.dataKey())
            let state = try await #require(after.storage as? FileSystemStorage).journal()
            #expect(state.anomalies.isEmpty)
            for (number, file) in acknowledged {
                let entry = try #require(state.entries(number: number).first, "acknowledged \(number) is missing")
                #expect(entry.recordedStatus == .registered)
                #expect(entry.documentDigest == digestOfFile[file])
                #expect(try await after.registrar.original(of: entry) == Tamper.read(file))
            }
            // Numbers stay consecutive and each document is registered once: a kill never leaves a hole or a duplicate.
            #expect(Self.outgoingSequences(state) == Array(1...count))
            let digests = state.entries.compactMap(\.documentDigest)
            #expect(Set(digests).count == digests.count)
        }
        #expect(kills >= 10, "the loop killed only \(kills) processes")
        let journal = try await FileSystemStorage.open(at: archive.path).journal()
        #expect(Set(journal.entries.compactMap(\.documentDigest)) == Set(digestOfFile.values))
        #expect(Set(journal.entries.map(\.number)).count == journal.entries.count)
        #expect(acknowledged.count <= count)
        let report = try await ArchiveFixtures.auditor(archive, key: true).audit()
        #expect(report.passed, "\(report.findings)")
        print("crash loop: \(kills) kills, \(recoveries.count) recoveries that changed something: \(recoveries.joined(separator: " | "))")
    }
}

/// A counter shared with a closure: `take` consumes one of the faults left.
final class Faults: Sendable {
    private let left: Mutex<Int>
    init(_ count: Int) { left = Mutex(count) }

    func take() -> Bool {
        left.withLock { left in
            guard left > 0 else { return false }
            left -= 1
            return true
        }
    }

    func add() { left.withLock { $0 += 1 } }
    var count: Int { left.withLock { $0 } }
}
