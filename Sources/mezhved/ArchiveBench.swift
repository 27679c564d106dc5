import ArgumentParser
import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedXMLDSig
import Synchronization

/// `mezhved archive bench`: durable allocations and registrations per second of the filesystem
/// archive with many writers at once, group commit beside one fsync each in the same run, then
/// replay and audit throughput with the peak memory. Figures go into docs/benchmarks.md.
struct ArchiveBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measures registrations, archiving and auditing per second of a filesystem archive (see docs/benchmarks.md).",
        discussion: """
            For each --modes entry, creates a new archive in --folder/<mode>. In each of --rounds rounds the \
            modes take turns: each reserves its share of numbers with --writers tasks at once (each a durable log \
            entry), then registers as many distinct signed requests (GOST 2012-256, each printed with its reserved \
            number; signed beforehand, not timed) with --writers tasks at once. The rates are medians over the \
            rounds. Then each log is replayed and audited on all cores without and with the personal-data key. Modes: `single` (one commit and fsync per registration, each object fsynced with \
            its folder: the store before group commit), `group` (group commit; a batch's objects fsynced together \
            before the log), `group-syncfs` (group commit; one syncfs(2) for the batch's objects). Every \
            acknowledged write is durable in every mode.
            """)

    @Option(help: "A new folder for the archives (must not exist).")
    var folder: String

    @Option(help: "The test PKI folder.")
    var certificates: String = "Certificates"

    @Option(help: "The unsigned request to make the documents from.")
    var document: String = "Samples/request-unemployment-status.xml"

    @Option(help: "How many documents to register (and numbers to reserve) per mode.")
    var documents: Int = 10_000

    @Option(help: "Tasks registering at once.")
    var writers: Int = 16

    @Option(help: "Comma-separated modes to measure in this run: single, group, group-syncfs.")
    var modes: String = "single,group,group-syncfs"

    @Option(help: "Rounds in which the modes take turns, each registering documents/rounds per round; figures are medians.")
    var rounds: Int = 5

    @Flag(inversion: .prefixedNo, help: "Replay and audit each archive after registering.")
    var audit = true

    @Option(name: .customLong("data-key-out"), help: "Write the archives' random personal-data key here (to audit them afterwards).")
    var dataKeyOut: String?

    @Flag(help: "Print Markdown table rows.")
    var markdown = false

    func validate() throws {
        if documents < 1 || writers < 1 || rounds < 1 { throw ValidationError("--documents, --writers and --rounds must be positive") }
        if FileManager.default.fileExists(atPath: folder) { throw ValidationError("\(folder) exists; give a new folder") }
        for mode in modes.split(separator: ",") where Mode(rawValue: String(mode)) == nil {
            throw ValidationError("--modes: \(mode) is not one of \(Mode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    enum Mode: String, CaseIterable {
        case single, group
        case groupSyncfs = "group-syncfs"

        var options: FileSystemStorage.Options {
            switch self {
            case .single: return FileSystemStorage.Options(groupCommit: false, objectDurability: .eachObject)
            case .group: return FileSystemStorage.Options(groupCommit: true, objectDurability: .batched)
            case .groupSyncfs: return FileSystemStorage.Options(groupCommit: true, objectDurability: .syncfs)
            }
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func peakMemoryMB() -> Double {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    /// Runs `work(i)` for i in 0..<count with `writers` tasks at once; returns the wall seconds.
    static func concurrently(_ count: Int, writers: Int, _ work: @escaping @Sendable (Int) async throws -> Void) async throws -> Double {
        let next = Shared(0)
        let clock = ContinuousClock()
        let start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<writers {
                group.addTask {
                    while true {
                        let index = next.value.withLock { value -> Int in
                            defer { value += 1 }
                            return value
                        }
                        guard index < count else { return }
                        try await work(index)
                    }
                }
            }
            try await group.waitForAll()
        }
        return seconds(clock.now - start)
    }

    func run() async throws {
        let c = certificates
        let signer = try XMLSigner(
            key: SigningKey.load(contentsOf: "\(c)/agencies/social-protection/key.pem"),
            certificate: Certificate.load(contentsOf: "\(c)/agencies/social-protection/cert.pem")[0],
            chain: Certificate.load(contentsOf: "\(c)/gost/ca.pem"))
        let pem = try String(contentsOfFile: "\(c)/agencies/social-protection/cert.pem", encoding: .utf8)
        let chainPEM = try String(contentsOfFile: "\(c)/gost/ca.pem", encoding: .utf8)
        let key = try ArchiveDataKey.generate()
        let configuration = ArchiveConfiguration(
            agency: "social-protection", outgoingFormat: try NumberFormat("01-12/{seq:06}"),
            incomingFormat: try NumberFormat("ЗКСЗН-{year}-{seq:06}"), dataKeyID: key.keyID, gatewayCertificate: pem + chainPEM,
            gatewayKeyFile: nil, checkpointInterval: 1000)
        if let dataKeyOut { try writeOutput(Array((key.hex + "\n").utf8), to: dataKeyOut) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])

        // The documents, each printed with the number it will be registered under (every mode
        // reserves the same numbers 1…documents, in whatever order its writers get them).
        let template = try String(contentsOfFile: document, encoding: .utf8)
        let numbers = (1...documents).map {
            configuration.outgoingFormat.format(sequence: $0, year: ISOTime.agencyYear(Date()), agency: "")
        }
        let signed = Shared([[UInt8]](repeating: [], count: documents))
        _ = try await Self.concurrently(documents, writers: ProcessInfo.processInfo.activeProcessorCount) { index in
            let text = template.replacingOccurrences(of: "number=\"02-11/4817\"", with: "number=\"\(numbers[index])\"")
            let bytes = try signer.sign(Array(text.utf8), sourceName: "bench \(index)")
            signed.value.withLock { $0[index] = bytes }
        }
        let documentsSigned = signed.value.withLock { $0 }

        // The modes take turns round by round (the first mode rotating), so that the machine's
        // changing load — it is shared — falls on every mode alike; the figures are medians over the rounds.
        let chosen = modes.split(separator: ",").compactMap { Mode(rawValue: String($0)) }
        var archives: [ArchiveFolder] = []
        for mode in chosen {
            let path = "\(folder)/\(mode.rawValue)"
            try await ArchiveFolder.create(path, configuration: configuration)
            archives.append(try await ArchiveFolder.open(path, dataKey: key, checkpointSigner: signer, options: mode.options))
        }
        var reserveRates = Array(repeating: [Double](), count: chosen.count)
        var registerRates = Array(repeating: [Double](), count: chosen.count)
        var commits = Array(repeating: (commits: 0, lines: 0), count: chosen.count)
        let slices = (0..<rounds).map { round in (documents * round / rounds)..<(documents * (round + 1) / rounds) }
        for (round, slice) in slices.enumerated() where !slice.isEmpty {
            for turn in 0..<chosen.count {
                let which = (turn + round) % chosen.count
                let registrar = archives[which].registrar
                // 1. Durable number allocations, --writers at once (each archive's numbers stay consecutive).
                let reserveSeconds = try await Self.concurrently(slice.count, writers: writers) { _ in
                    _ = try await registrar.reserve(direction: .outgoing, note: nil)
                }
                reserveRates[which].append(Double(slice.count) / reserveSeconds)
                let before = (archives[which].storage as? FileSystemStorage)?.commitCounts ?? (commits: 0, lines: 0)
                // 2. Registrations: facts, encryption and its round trip, the object, the log entry; durable.
                let registerSeconds = try await Self.concurrently(slice.count, writers: writers) { offset in
                    let index = slice.lowerBound + offset
                    _ = try await registrar.register(
                        Submission(
                            direction: .outgoing, document: documentsSigned[index], sourceName: "bench \(index)",
                            reservedNumber: numbers[index], signatureStatus: .valid))
                }
                registerRates[which].append(Double(slice.count) / registerSeconds)
                let after = (archives[which].storage as? FileSystemStorage)?.commitCounts ?? (commits: 0, lines: 0)
                commits[which].commits += after.commits - before.commits
                commits[which].lines += after.lines - before.lines
            }
        }
        for archive in archives { await archive.registrar.finishBackgroundWork() }
        archives.removeAll()
        func median(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            guard !sorted.isEmpty else { return 0 }
            return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }
        let single = chosen.firstIndex(of: .single).map { median(registerRates[$0]) }
        for (which, mode) in chosen.enumerated() {
            let rate = median(registerRates[which])
            var row = [
                mode.rawValue, "\(writers)", "\(documents)", String(format: "%.0f", median(reserveRates[which])),
                String(format: "%.0f", rate),
                String(format: "%.0f–%.0f", registerRates[which].min() ?? 0, registerRates[which].max() ?? 0),
                String(format: "%.1f", Double(commits[which].lines) / Double(max(1, commits[which].commits))),
            ]
            if audit { row += try await auditColumns("\(folder)/\(mode.rawValue)", key: key) }
            row.append(String(format: "%.0f", Self.peakMemoryMB()))
            let ratio = single.map { String(format: "%.2f×", rate / $0) } ?? "-"
            row.append(ratio)
            if markdown {
                print("| " + row.joined(separator: " | ") + " |")
            } else {
                print(
                    "\(row[0]): \(row[3]) allocations/s, \(row[4]) registrations/s (median of \(rounds) rounds, range \(row[5]); durable, \(writers) writers; \(row[6]) lines per commit; \(ratio) of single)"
                        + (audit ? "; replay \(row[7]) s; audited/s \(row[8]) signed-info-only, \(row[9]) full" : "")
                        + "; peak \(row[row.count - 2]) MB")
            }
        }
    }

    /// Replay seconds, audited/s without and with the key.
    func auditColumns(_ path: String, key: ArchiveDataKey) async throws -> [String] {
        let clock = ContinuousClock()
        var start = clock.now
        _ = try await FileSystemStorage.open(at: path).journal().entries.count
        let openSeconds = Self.seconds(clock.now - start)
        let trust = try TrustStore(directories: ["\(certificates)/trust/gost"])
        var auditor = ArchiveAuditor(
            source: try FileSystemAuditSource(path: path),
            gatewayCertificate: try Certificate.load(contentsOf: "\(certificates)/agencies/social-protection/cert.pem")[0],
            checkpointTrust: trust, signatureAuditor: XMLDSigArchiveAuditor(trustStore: trust))
        start = clock.now
        let plain = try await auditor.audit()
        let auditSeconds = Self.seconds(clock.now - start)
        auditor.dataKey = key
        start = clock.now
        let full = try await auditor.audit()
        let fullSeconds = Self.seconds(clock.now - start)
        guard plain.clean, full.clean else {
            throw ValidationError(
                "the audit of the bench archive failed: \((plain.findings + full.findings + plain.policyFindings).prefix(5))")
        }
        return [
            String(format: "%.2f", openSeconds), String(format: "%.0f", Double(plain.documents.count) / auditSeconds),
            String(format: "%.0f", Double(full.documents.count) / fullSeconds),
        ]
    }
}

/// A value shared by concurrent tasks, behind a mutex.
final class Shared<Value: Sendable>: Sendable {
    let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
}
