import ArgumentParser
import Foundation
import MezhvedCore
import MezhvedDocuments
import MezhvedGateway
import MezhvedValidation
import Synchronization

/// `mezhved bench exchange-corpus`: the documents of the exchange load benchmark
/// (scripts/bench-serve.sh) — N distinct requests (or answers) composed from one form through the
/// sender's gateway configuration, each with its own registration number, signed by the gateway's
/// signatory, written one file each. The receiver refuses the same letter (number and date) twice
/// and eliminates duplicates by digest, so every document differs.
struct BenchExchangeCorpus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exchange-corpus",
        abstract: "Composes and signs N distinct interagency documents for the exchange load benchmark (scripts/bench-serve.sh).",
        discussion: """
            Each document is the form's, composed on the sender's letterhead with the registration number \
            PREFIX-NNNNNNN (today's date) and signed by the gateway's first signatory, as `request new --gateway` \
            would sign it; nothing is registered in the sender's journal. With --answer-to, the form is an answer \
            form and each document answers the request composed from that request form (a provided `file:` is \
            read relative to the form). Writes DIR/NNNNNNN.xml (0600) and DIR/list.txt, one path a line, on all cores.
            """)

    @OptionGroup var gateway: GatewayOption

    @Option(help: "The form (YAML or JSON) of every document.")
    var form: String = "Samples/forms/request-unemployment-status.yaml"

    @Option(name: .customLong("answer-to"), help: "A request form: the documents are answers to this request.")
    var answerTo: String?

    @Option(help: "How many documents to make.")
    var count: Int = 1000

    @Option(help: "The registration numbers' prefix (the receiver refuses a letter it has registered already).")
    var prefix: String = "02-11/Б"

    @Option(name: .customLong("output-dir"), help: "A new or empty folder for the documents.")
    var outputDirectory: String

    func validate() throws {
        if count < 1 { throw ValidationError("--count must be positive") }
        if gateway.path == nil { throw ValidationError("give the sender's gateway configuration with --gateway FILE") }
        if let names = try? FileManager.default.contentsOfDirectory(atPath: outputDirectory), !names.isEmpty {
            throw ValidationError("--output-dir \(outputDirectory) is not empty; give a new or empty folder")
        }
    }

    /// What to compose: the request draft, or the answer draft with the request it answers.
    enum Template: Sendable {
        case request(RequestDraft)
        case answer(AnswerDraft, to: InteragencyRequest)
    }

    func run() throws {
        let gateway = try gateway.open()
        let composer = DocumentComposer(context: gateway.documents)
        let (formBytes, formName) = try readInput(form)
        let template: Template
        if let answerTo {
            let (requestBytes, requestName) = try readInput(answerTo)
            let original = try composer.request(form: requestBytes, source: requestName)
            let base = (form as NSString).deletingLastPathComponent
            template = .answer(try composer.answerDraft(form: formBytes, source: formName, baseDirectory: base), to: original)
        } else {
            template = .request(try composer.requestDraft(form: formBytes, source: formName))
        }
        let signatory = try gateway.signatory(nil)
        let person = OfficialPerson(
            fullName: signatory.ownerName, position: signatory.profile.signerPosition ?? gateway.agency.headOfficial?.position ?? "")
        let day = ISOTime.agencyDay(Date())
        guard let today = CalendarDay(year: day.year, month: day.month, day: day.day) else {
            throw ValidationError("the agency's calendar day of now is not a day")
        }
        try FileManager.default.createDirectory(
            atPath: outputDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let folder = outputDirectory
        let options = gateway.signingOptions
        let prefix = self.prefix
        let started = ContinuousClock.now
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let failure = Mutex<String?>(nil)
        let sizes = Mutex<[Int]>([])
        // One slice of the numbers per core; each document composed, signed and written in turn.
        let total = count
        _ = parallelMap(cores) { slice in
            var written: [Int] = []
            var index = slice
            while index < total, failure.withLock({ $0 == nil }) {
                do {
                    let registration = Registration(number: prefix + String(format: "%07d", index + 1), date: today)
                    let document: InteragencyDocument
                    switch template {
                    case .request(var draft):
                        if draft.signatory == nil { draft.signatory = person }
                        document = .request(try composer.request(draft, registration: registration))
                    case .answer(var draft, let original):
                        if draft.signatory == nil { draft.signatory = person }
                        document = .answer(try composer.answer(draft, to: original, registration: registration))
                    }
                    let signed = try DocumentSigning.sign(
                        document, by: signatory, context: gateway.documents, options: options, sourceName: registration.number)
                    let path = folder + "/" + String(format: "%07d", index + 1) + ".xml"
                    guard FileManager.default.createFile(atPath: path, contents: Data(signed), attributes: [.posixPermissions: 0o600])
                    else { throw ValidationError("cannot write \(path): check free space and permissions") }
                    written.append(signed.count)
                } catch {
                    failure.withLock { $0 = $0 ?? "document \(index + 1): \(error)" }
                }
                index += cores
            }
            sizes.withLock { $0 += written }
            return 0
        }
        if let problem = failure.withLock({ $0 }) { throw ValidationError("the corpus could not be made: \(problem)") }
        let list = (1...count).map { folder + "/" + String(format: "%07d", $0) + ".xml" }.joined(separator: "\n") + "\n"
        try writeOutput(Array(list.utf8), to: folder + "/list.txt")
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let all = sizes.withLock { $0 }
        let mean = all.reduce(0, +) / max(1, all.count)
        print(
            "corpus: \(count) documents, mean \(mean) bytes (min \(all.min() ?? 0), max \(all.max() ?? 0)), "
                + "composed and signed at \(Int(Double(count) / seconds))/s on \(cores) cores — \(folder)/list.txt")
    }
}

/// `mezhved bench exchange-verify`: the in-process peer of the exchange load benchmark — the
/// receiving gateway's qualified validation (the first step of its incoming workflow, with its
/// trust, policy and validation time) of the corpus's documents, on one task and on every core.
struct BenchExchangeVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exchange-verify",
        abstract: "Measures the receiving gateway's qualified validation of a corpus in process, on one core and on all.",
        discussion: """
            Cycles through the documents of --files-from for --duration seconds on one task, then on as many tasks as \
            there are cores, each a full QualifiedValidator.validate under the gateway's configuration. Every \
            report must be TOTAL-PASSED; any other is counted and makes the command fail.
            """)

    @OptionGroup var gateway: GatewayOption

    @Option(name: .customLong("files-from"), help: "A file listing the documents, one path a line (exchange-corpus's list.txt).")
    var filesFrom: String

    // Not --seconds: that is the signing benchmark's, and ArgumentParser gives it to the parent command.
    @Option(name: .customLong("duration"), help: "Seconds for each measurement.")
    var seconds: Double = 5

    @Option(help: "At most this many documents are read (they are cycled through).")
    var limit: Int = 2000

    func validate() throws {
        if seconds <= 0 || limit < 1 { throw ValidationError("--duration and --limit must be positive") }
        if gateway.path == nil { throw ValidationError("give the receiver's gateway configuration with --gateway FILE") }
    }

    func run() async throws {
        let gateway = try gateway.open()
        let paths = Array(try readFileList(filesFrom, option: "--files-from").prefix(limit))
        guard !paths.isEmpty else { throw ValidationError("--files-from \(filesFrom) lists no document") }
        let documents = try await offThePool { try paths.map { try readInput($0).bytes } }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let one = try await rate(gateway.validator, documents, tasks: 1)
        let all = try await rate(gateway.validator, documents, tasks: cores)
        print("documents: \(documents.count), mean \(documents.map(\.count).reduce(0, +) / documents.count) bytes")
        print(String(format: "qualified validations/s, 1 task: %.0f", one))
        print(String(format: "qualified validations/s, %d tasks: %.0f", cores, all))
    }

    /// Validations per second with `tasks` tasks at once, each cycling through `documents`.
    func rate(_ validator: QualifiedValidator, _ documents: [[UInt8]], tasks: Int) async throws -> Double {
        _ = try await validator.validate(documents[0], sourceName: "warm-up")
        let budget = Duration.milliseconds(Int64(seconds * 1000))
        let started = ContinuousClock.now
        let counts = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for task in 0..<tasks {
                group.addTask {
                    var done = 0
                    var failed = 0
                    var index = task
                    while ContinuousClock.now - started < budget {
                        let report = try await validator.validate(documents[index % documents.count], sourceName: "bench")
                        if report.indication != .totalPassed { failed += 1 }
                        done += 1
                        index += tasks
                    }
                    return (done, failed)
                }
            }
            var total = (done: 0, failed: 0)
            for try await (done, failed) in group {
                total.done += done
                total.failed += failed
            }
            return total
        }
        let elapsed = ContinuousClock.now - started
        guard counts.failed == 0 else {
            throw ValidationError("\(counts.failed) of \(counts.done) validations were not TOTAL-PASSED: the corpus does not verify here")
        }
        return Double(counts.done) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}

/// `mezhved bench exchange-receive`: the whole incoming workflow in process, without HTTP or TLS —
/// each document of the corpus received as an exchange message (a message id of its own) into the
/// gateway's archive: qualified validation, schema and rules, durable registration, a signed and
/// registered receipt. Beside the served rate of the same documents it shows what the server adds.
struct BenchExchangeReceive: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exchange-receive",
        abstract: "Measures the receiving gateway's incoming workflow in process (no HTTP, no TLS) on a corpus.",
        discussion: """
            Receives the documents of --files-from (from the line --first on) with --concurrency tasks at once \
            for --duration seconds, each as a message from --peer, into the archive of the gateway's configuration (use a \
            gateway of its own: the documents are registered). Every outcome must be a registration with an \
            accepted receipt; any other is counted and makes the command fail.
            """)

    @OptionGroup var gateway: GatewayOption

    @Option(name: .customLong("files-from"), help: "A file listing the documents, one path a line (exchange-corpus's list.txt).")
    var filesFrom: String

    @Option(help: "The first line of --files-from to use (0-based).")
    var first: Int = 0

    @Option(help: "Tasks receiving at once.")
    var concurrency: Int = 16

    @Option(name: .customLong("duration"), help: "Seconds of receiving.")
    var seconds: Double = 10

    @Option(help: "The sending agency (the messages' authenticated peer).")
    var peer: String = "social-protection"

    func validate() throws {
        if seconds <= 0 || concurrency < 1 || first < 0 {
            throw ValidationError("--duration and --concurrency must be positive, --first not negative")
        }
        if gateway.path == nil { throw ValidationError("give the receiver's gateway configuration with --gateway FILE") }
    }

    func run() async throws {
        let gateway = try gateway.open()
        let paths = Array(try readFileList(filesFrom, option: "--files-from").dropFirst(first))
        guard !paths.isEmpty else { throw ValidationError("--files-from \(filesFrom) lists no document from line \(first)") }
        let archive = try await gateway.openArchiveForCommand()
        let workflow = IncomingWorkflow(gateway: gateway, registrar: archive.registrar)
        let next = NextIndex()
        let budget = Duration.milliseconds(Int64(seconds * 1000))
        let started = ContinuousClock.now
        let peer = self.peer
        let expires = Date().addingTimeInterval(86400)
        let outcomes = try await withThrowingTaskGroup(of: (done: Int, other: Int, latencies: [Double]).self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var done = 0
                    var other = 0
                    var latencies: [Double] = []
                    while ContinuousClock.now - started < budget {
                        let index = next.take()
                        guard index < paths.count else { break }
                        let path = paths[index]
                        let bytes = try await offThePool { try readInput(path).bytes }
                        let began = ContinuousClock.now
                        let outcome = try await workflow.receive(
                            bytes, sourceName: path, message: IncomingMessage(messageID: UUID().uuidString, peer: peer, expires: expires))
                        latencies.append(Self.seconds(ContinuousClock.now - began))
                        if case .registered = outcome.disposition, outcome.receipt != nil { done += 1 } else { other += 1 }
                    }
                    return (done, other, latencies)
                }
            }
            var total = (done: 0, other: 0, latencies: [Double]())
            for try await result in group {
                total.done += result.done
                total.other += result.other
                total.latencies += result.latencies
            }
            return total
        }
        let elapsed = Self.seconds(ContinuousClock.now - started)
        await archive.registrar.finishBackgroundWork()
        let sorted = outcomes.latencies.sorted()
        func percentile(_ fraction: Double) -> Double {
            sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((fraction * Double(sorted.count)).rounded(.up)) - 1)] * 1000
        }
        print(
            String(
                format:
                    "received in process: %d registered with a receipt, %d other, %.1f s, %.0f/s at concurrency %d; p50 %.1f ms, p99 %.1f ms",
                outcomes.done, outcomes.other, elapsed, Double(outcomes.done) / elapsed, concurrency, percentile(0.5), percentile(0.99)))
        if outcomes.other > 0 { throw ValidationError("\(outcomes.other) documents were not registered with a receipt") }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// The next document's index, shared by the receiving tasks.
private final class NextIndex: Sendable {
    private let value = Mutex(0)

    func take() -> Int {
        value.withLock { value in
            defer { value += 1 }
            return value
        }
    }
}
