import ArgumentParser
import Foundation
import MezhvedArchive
import MezhvedXMLDSig

/// `mezhved archive bench`: durable registrations, archiving and auditing throughput of the
/// filesystem archive, with the peak memory. Figures go into docs/benchmarks.md.
struct ArchiveBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measures registrations, archiving and auditing per second of a filesystem archive (see docs/benchmarks.md).",
        discussion: """
            Creates a new archive in --folder, allocates --numbers numbers (one fsynced log entry each), then archives \
            --documents distinct signed requests (GOST 2012-256; signing is not counted) with --threads registering \
            at once, then audits it on all cores without and with the personal-data key. Every write is durable.
            """)

    @Option(help: "A new folder for the archive (must not exist).")
    var folder: String

    @Option(help: "The test PKI folder.")
    var certificates: String = "Certificates"

    @Option(help: "The unsigned request to make the documents from.")
    var document: String = "Samples/request-unemployment-status.xml"

    @Option(help: "How many documents to archive.")
    var documents: Int = 10_000

    @Option(help: "How many bare number allocations (reserve) to time.")
    var numbers: Int = 2_000

    @Option(help: "Threads registering at once.")
    var threads: Int = 2

    @Option(name: .customLong("data-key-out"), help: "Write the archive's random personal-data key here (to audit it afterwards).")
    var dataKeyOut: String?

    @Flag(help: "Print a Markdown table row.")
    var markdown = false

    func validate() throws {
        if documents < 1 || numbers < 1 || threads < 1 { throw ValidationError("--documents, --numbers and --threads must be positive") }
        if FileManager.default.fileExists(atPath: folder) { throw ValidationError("\(folder) exists; give a new folder") }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func peakMemoryMB() -> Double {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    func run() throws {
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
        try FileSystemArchive.create(at: folder, configuration: configuration)
        if let dataKeyOut { try writeOutput(Array((key.hex + "\n").utf8), to: dataKeyOut) }
        let clock = ContinuousClock()
        var reservePerSecond = 0.0
        var wallSeconds = 0.0
        var archivePerSecond = 0.0
        // The archiving handle (and its journal) is released before the replay and the audits are measured.
        do {
            let archive = try FileSystemArchive(path: folder, dataKey: key, checkpointSigner: signer)

            // 1. Bare durable number allocations: one fsynced log entry each.
            let start = clock.now
            for _ in 0..<numbers { _ = try archive.reserve(direction: .incoming, note: nil) }
            reservePerSecond = Double(numbers) / Self.seconds(clock.now - start)

            // 2. Archiving: encrypt personal data, store the object (fsync, rename, directory fsync), append the
            //    registration (fsync). Documents are signed on the fly; only `register` is timed.
            let template = try String(contentsOfFile: document, encoding: .utf8)
            let timer = Accumulator()
            let perThread = (documents + threads - 1) / threads
            let wall = clock.now
            DispatchQueue.concurrentPerform(iterations: threads) { worker in
                let begin = worker * perThread
                let end = min(documents, begin + perThread)
                guard begin < end else { return }
                for index in begin..<end {
                    let text = template.replacingOccurrences(of: "number=\"02-11/4817\"", with: "number=\"B-\(index)\"")
                    do {
                        let signed = try signer.sign(Array(text.utf8), sourceName: "bench \(index)")
                        let t0 = clock.now
                        _ = try archive.register(
                            Submission(direction: .outgoing, document: signed, sourceName: "bench", signatureStatus: "valid"))
                        timer.add(Self.seconds(clock.now - t0))
                    } catch {
                        timer.fail("\(error)")
                    }
                }
            }
            if let failure = timer.failure { throw ValidationError("archiving failed: \(failure)") }
            wallSeconds = Self.seconds(clock.now - wall)
            // With several threads the register calls overlap: the rate is documents over the busiest thread's time.
            archivePerSecond = Double(documents) / (timer.total / Double(threads))
        }
        let memoryAfterArchiving = Self.peakMemoryMB()

        // 3. Opening (replaying the log).
        var start = clock.now
        let entries = try FileSystemArchive(path: folder).journal().entries.count
        let openSeconds = Self.seconds(clock.now - start)

        // 4. Auditing on all cores, without and with the key.
        let trust = try TrustStore(directories: ["\(c)/trust/gost"])
        var auditor = ArchiveAuditor(path: folder, checkpointTrust: trust, signatureAuditor: XMLDSigArchiveAuditor(trustStore: trust))
        start = clock.now
        let plain = try auditor.audit()
        let auditSeconds = Self.seconds(clock.now - start)
        auditor.dataKey = key
        start = clock.now
        let full = try auditor.audit()
        let fullSeconds = Self.seconds(clock.now - start)
        guard plain.passed, full.passed else {
            throw ValidationError("the audit of the bench archive failed: \((plain.findings + full.findings).prefix(5))")
        }
        let peak = Self.peakMemoryMB()
        let row = [
            "\(documents)", "\(entries)", String(format: "%.0f", reservePerSecond), String(format: "%.0f", archivePerSecond),
            String(format: "%.1f", wallSeconds), String(format: "%.2f", openSeconds),
            String(format: "%.0f", Double(plain.documents.count) / auditSeconds),
            String(format: "%.0f", Double(full.documents.count) / fullSeconds),
            String(format: "%.0f", memoryAfterArchiving), String(format: "%.0f", peak),
        ]
        if markdown {
            print("| " + row.joined(separator: " | ") + " |")
        } else {
            print(
                """
                documents archived:                 \(documents) (journal entries \(entries))
                number allocations/s (durable):     \(row[2])
                documents archived/s (durable, \(threads) threads): \(row[3]) (wall \(row[4]) s incl. signing)
                open (replay the log):              \(row[5]) s
                audited/s, signed-info-only, all cores: \(row[6])
                audited/s, full (with key), all cores:  \(row[7])
                peak memory after archiving / overall:  \(row[8]) MB / \(row[9]) MB
                """)
        }
    }
}

/// Sums durations from several threads.
final class Accumulator: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var total = 0.0
    private(set) var failure: String?

    func add(_ seconds: Double) {
        lock.lock()
        total += seconds
        lock.unlock()
    }

    func fail(_ message: String) {
        lock.lock()
        if failure == nil { failure = message }
        lock.unlock()
    }
}
