import Foundation
import MezhvedTestSupport
import MezhvedXMLDSig
import Testing

@testable import MezhvedArchive

@Suite("Concurrency and crashes")
struct ConcurrencyTests {
    /// The counters of the outgoing series, in number order.
    static func outgoingSequences(_ journal: Journal) -> [Int] {
        journal.entries.filter { $0.direction == .outgoing }.map(\.sequence).sorted()
    }

    @Test("threads of one process, through two handles on the store, get unique consecutive numbers")
    func threads() throws {
        let first = try ArchiveFixtures.makeArchive(interval: 1000)
        let second = try FileSystemArchive(path: first.path)
        let handles = [first, second]
        let numbers = NumbersCollector()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for _ in 0..<25 {
                do {
                    numbers.add(try handles[worker % 2].reserve(direction: .outgoing, note: nil).number)
                } catch {
                    numbers.fail("\(error)")
                }
            }
        }
        #expect(numbers.failures.isEmpty)
        #expect(Set(numbers.values).count == 200)
        let journal = try FileSystemArchive(path: first.path).journal()
        #expect(Self.outgoingSequences(journal) == Array(1...200))
        #expect(journal.anomalies.isEmpty)
    }

    @Test("several mezhved processes allocate at once against one store: unique, consecutive, none lost")
    func processes() throws {
        let archive = try ArchiveFixtures.makeArchive(interval: 10)
        let folder = try ArchiveFixtures.temporaryDirectory()
        let keyPath = try ArchiveFixtures.writeKey(in: folder)
        let documents = try ArchiveFixtures.signedRequests(10, tag: "P")
        var files: [String] = []
        for (index, document) in documents.enumerated() {
            files.append(folder + "/d\(index).xml")
            Tamper.write(document, files[index])
        }
        let common = ["--archive", archive.path, "--gateway-key", ArchiveFixtures.gatewayKey]
        let commands: [[String]] =
            Array(repeating: ["archive", "reserve", "--count", "25"] + common, count: 3)
            + [["archive", "register", "--outgoing", "--data-key", keyPath] + common + files]
        let outputs = Outputs(count: commands.count)
        DispatchQueue.concurrentPerform(iterations: commands.count) { index in
            outputs.set(index, try? ArchiveTool.mezhved(commands[index]))
        }
        var numbers: [String] = []
        for index in 0..<commands.count {
            let result = try #require(outputs.get(index))
            #expect(result.status == 0, "\(result.stderr)")
            numbers += result.stdout.split(separator: "\n").map { line in
                line.hasPrefix("REGISTERED ") ? String(line.split(separator: " ")[1]) : String(line)
            }
        }
        #expect(numbers.count == 85)
        #expect(Set(numbers).count == 85)
        let journal = try FileSystemArchive(path: archive.path).journal()
        #expect(Self.outgoingSequences(journal) == Array(1...85))
        #expect(Set(journal.entries.map(\.number)) == Set(numbers))
        let report = try ArchiveFixtures.auditor(archive).audit()
        #expect(report.passed, "\(report.findings)")
    }

    @Test("SIGKILL at random moments while ingesting: every acknowledged document present and intact, no duplicate, audit passes")
    func crashLoop() throws {
        let archive = try ArchiveFixtures.makeArchive(interval: 5)
        let folder = try ArchiveFixtures.temporaryDirectory()
        let keyPath = try ArchiveFixtures.writeKey(in: folder)
        let documents = try ArchiveFixtures.signedRequests(300, tag: "K")
        var digestOfFile: [String: String] = [:]
        for (index, document) in documents.enumerated() {
            let file = folder + "/doc\(index).xml"
            Tamper.write(document, file)
            digestOfFile[file] = ArchiveCrypto.sha256Hex(document)
        }
        let files = (0..<documents.count).map { folder + "/doc\($0).xml" }
        var acknowledged: [String: String] = [:]  // number -> file
        var kills = 0
        var recoveries: [String] = []
        var generator = SystemRandomNumberGenerator()
        for round in 0..<40 {
            let journal = try FileSystemArchive(path: archive.path).journal()
            let done = Set(journal.entries.compactMap(\.documentDigest))
            let remaining = files.filter { !done.contains(digestOfFile[$0]!) }
            if remaining.isEmpty { break }
            let outputPath = folder + "/out\(round).txt"
            FileManager.default.createFile(atPath: outputPath, contents: nil)
            let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: ArchiveTool.mezhved)
            process.arguments =
                [
                    "archive", "register", "--outgoing", "--archive", archive.path, "--data-key", keyPath, "--gateway-key",
                    ArchiveFixtures.gatewayKey,
                ]
                + remaining
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let killing = kills < 20
            if killing {
                usleep(UInt32.random(in: 5_000...150_000, using: &generator))
                kill(process.processIdentifier, SIGKILL)
            }
            process.waitUntilExit()
            try output.close()
            if process.terminationReason == .uncaughtSignal { kills += 1 }
            if !killing { #expect(process.terminationStatus == 0) }
            for line in String(decoding: Tamper.read(outputPath), as: UTF8.self).split(separator: "\n") {
                let parts = line.split(separator: " ")
                guard parts.count == 4, parts[0] == "REGISTERED" else { continue }
                #expect(acknowledged[String(parts[1])] == nil, "number \(parts[1]) acknowledged twice")
                acknowledged[String(parts[1])] = String(parts[3])
            }
            let recover = try ArchiveTool.mezhved(["archive", "recover", "--archive", archive.path])
            #expect(recover.status == 0, "\(recover.stderr)")
            if !recover.stdout.hasPrefix("nothing") { recoveries.append(recover.stdout) }
            // Every acknowledged registration is there, with its document intact.
            let after = try FileSystemArchive(path: archive.path, dataKey: ArchiveFixtures.dataKey())
            let state = try after.journal()
            #expect(state.anomalies.isEmpty)
            for (number, file) in acknowledged {
                let entry = try #require(state.entries(number: number).first, "acknowledged \(number) is missing")
                #expect(entry.documentDigest == digestOfFile[file])
                let stored = try after.storedObject(try #require(entry.object))
                #expect(try PersonalDataProtection.reveal(stored, key: ArchiveFixtures.dataKey(), sourceName: number) == Tamper.read(file))
            }
            // Numbers stay consecutive: a kill never leaves a hole or a duplicate.
            #expect(Self.outgoingSequences(state) == Array((0..<state.entries.count).map { $0 + 1 }))
        }
        #expect(kills >= 10, "the loop killed only \(kills) processes")
        let journal = try FileSystemArchive(path: archive.path).journal()
        #expect(Set(journal.entries.compactMap(\.documentDigest)) == Set(digestOfFile.values))
        #expect(Set(journal.entries.map(\.number)).count == journal.entries.count)
        let report = try ArchiveFixtures.auditor(archive, key: true).audit()
        #expect(report.passed, "\(report.findings)")
        print("crash loop: \(kills) kills, \(recoveries.count) recoveries that changed something: \(recoveries.joined(separator: " | "))")
    }
}

/// Collects results from several threads.
final class NumbersCollector: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [String] = []
    private(set) var failures: [String] = []

    func add(_ value: String) {
        lock.lock()
        values.append(value)
        lock.unlock()
    }

    func fail(_ message: String) {
        lock.lock()
        failures.append(message)
        lock.unlock()
    }
}

final class Outputs: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [ProcessOutput?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: ProcessOutput?) {
        lock.lock()
        slots[index] = value
        lock.unlock()
    }

    func get(_ index: Int) -> ProcessOutput? {
        lock.lock()
        defer { lock.unlock() }
        return slots[index]
    }
}
