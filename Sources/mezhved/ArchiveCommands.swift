import ArgumentParser
import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments
import MezhvedGateway
import MezhvedXMLDSig

struct ArchiveInit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Creates an archive folder (0700) with its configuration and first log entry.")

    @OptionGroup var location: ArchiveLocation

    @Option(help: "The agency whose journal this is (directory id, e.g. social-protection).")
    var agency: String

    @Option(name: .customLong("outgoing-format"), help: "Template of outgoing numbers, e.g. 01-12/{seq:06} or ЗКСЗН-{year}-{seq:06}.")
    var outgoingFormat: String = "{seq:06}-исх/{yy}"

    @Option(name: .customLong("incoming-format"), help: "Template of incoming numbers.")
    var incomingFormat: String = "{seq:06}-вх/{yy}"

    @Option(
        name: .customLong("data-key"), help: "The personal-data key file (32 bytes or 64 hex digits). Created (0600) with --new-data-key.")
    var dataKey: String

    @Flag(name: .customLong("new-data-key"), help: "Generate a new random key into the --data-key file (which must not exist).")
    var newDataKey = false

    @Option(name: .customLong("gateway-cert"), help: "The gateway's certificate (PEM) that signs checkpoints.")
    var gatewayCert: String

    @Option(name: .customLong("gateway-chain"), help: "The gateway certificate's intermediate CA certificates (PEM).")
    var gatewayChain: String?

    @Option(
        name: .customLong("gateway-key"), help: "The gateway's signing key; its path is kept in archive.json for automatic checkpoints.")
    var gatewayKey: String?

    @Option(name: .customLong("checkpoint-interval"), help: "Write a signed checkpoint every N log entries.")
    var checkpointInterval: Int = 100

    func validate() throws {
        if checkpointInterval < 1 { throw ValidationError("--checkpoint-interval must be at least 1") }
        if outgoingFormat == incomingFormat {
            throw ValidationError("--outgoing-format and --incoming-format must differ, or numbers would collide")
        }
    }

    func run() async throws {
        let folder = try location.folder()
        let key: ArchiveDataKey
        if newDataKey {
            guard !FileManager.default.fileExists(atPath: dataKey) else {
                throw ValidationError("the key file \(dataKey) already exists; --new-data-key never overwrites a key")
            }
            key = try ArchiveDataKey.generate()
            try writeOutput(Array((key.hex + "\n").utf8), to: dataKey)
        } else {
            key = try ArchiveDataKey.load(contentsOf: dataKey)
        }
        var pem = try String(decoding: readInput(gatewayCert).bytes, as: UTF8.self)
        if let gatewayChain { pem += "\n" + String(decoding: try readInput(gatewayChain).bytes, as: UTF8.self) }
        let certificates = try Certificate.loadPEM(Array(pem.utf8), source: gatewayCert)
        if let gatewayKey {
            let signingKey = try SigningKey.load(contentsOf: gatewayKey)
            guard let first = certificates.first, signingKey.matches(first) else {
                throw ValidationError("the --gateway-key \(gatewayKey) does not belong to the certificate \(gatewayCert)")
            }
        }
        let configuration = ArchiveConfiguration(
            agency: agency, outgoingFormat: try NumberFormat(outgoingFormat), incomingFormat: try NumberFormat(incomingFormat),
            dataKeyID: key.keyID, gatewayCertificate: pem, gatewayKeyFile: gatewayKey.map { URL(fileURLWithPath: $0).path },
            checkpointInterval: checkpointInterval)
        try await ArchiveFolder.create(folder, configuration: configuration)
        print("created archive \(folder) for \(agency); data key \(key.keyID); gateway \(certificates.first?.commonName ?? "?")")
    }
}

struct ArchiveReserve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reserve", abstract: "Takes the next number for a document still to be written (to be registered or voided later).")

    @OptionGroup var location: ArchiveLocation
    @OptionGroup var gateway: GatewayKeyOption

    @Flag(help: "The number series.")
    var direction: Direction = .outgoing

    @Option(help: "A note kept with the reservation (no personal data).")
    var note: String?

    @Option(help: "How many numbers to reserve, one after the other (each printed once it is durable).")
    var count: Int = 1

    func validate() throws {
        if count < 1 { throw ValidationError("--count must be at least 1") }
    }

    func run() async throws {
        let folder = try location.folder()
        let registrar = try await gateway.open(folder, dataKey: nil).registrar
        for _ in 0..<count {
            let entry = try await registrar.reserve(direction: direction, note: note)
            print(entry.number)
            fflush(nil)
        }
        await registrar.finishBackgroundWork()
    }
}

struct ArchiveRegister: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Archives signed documents and registers each under a number.",
        discussion: """
            Each line `REGISTERED <number> <year> <file>` is printed only after the document and its log entry are \
            on disk (fsynced). An outgoing document is registered under the number it is printed with (its \
            reservation, or the next number when that is it); anything else is refused. Incoming documents go \
            through the gateway's incoming workflow (--gateway CONFIG, as `mezhved incoming receive`): qualified \
            validation, schema and rules, addressed to the agency by another; registered with the proven signing \
            time and receipted, or quarantined with the reason (exit 12).
            """)

    @OptionGroup var location: ArchiveLocation
    @OptionGroup var key: DataKeyOption
    @OptionGroup var gateway: GatewayKeyOption
    @OptionGroup var gatewayConfiguration: GatewayOption

    @Flag(help: "Whether the documents are sent or received.")
    var direction: Direction

    @Argument(help: "The signed documents.")
    var files: [String]

    @Option(help: "Register under this reserved number (one document only).")
    var number: String?

    @Option(name: .customLong("trust"), help: "A folder of trusted CA certificates to verify with; may be repeated.")
    var trust: [String] = []

    @Option(name: .customLong("crl"), help: "A CRL file; may be repeated.")
    var crl: [String] = []

    @Option(name: .customLong("untrusted"), help: "Intermediate CA certificates (PEM); may be repeated.")
    var untrusted: [String] = []

    @Flag(name: .customLong("accept-invalid"), help: "Register documents whose signature does not hold (recorded as such).")
    var acceptInvalid = false

    @Option(help: "Register this many files at once (their log entries share commits); lines may then come out of order.")
    var jobs: Int = 1

    func validate() throws {
        if files.isEmpty { throw ValidationError("give the signed document(s) to register") }
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if number != nil && files.count != 1 { throw ValidationError("--number registers one document; give exactly one file") }
        if direction == .incoming {
            guard gatewayConfiguration.path != nil else {
                throw ValidationError(
                    "incoming documents are registered through the gateway's incoming workflow (qualified validation, schema and "
                        + "rules, the recipient, quarantine, a receipt): give --gateway CONFIG, or use `mezhved incoming receive`")
            }
            if !trust.isEmpty || !crl.isEmpty || !untrusted.isEmpty || acceptInvalid || number != nil {
                throw ValidationError(
                    "--trust, --crl, --untrusted, --accept-invalid and --number are for outgoing documents: the gateway "
                        + "configuration gives the incoming workflow its trust and policy")
            }
        }
    }

    func run() async throws {
        if direction == .incoming {
            let opened = try gatewayConfiguration.open()
            if let given = location.archive,
                URL(fileURLWithPath: given).standardizedFileURL.path != URL(fileURLWithPath: opened.configuration.archive.path).path
            {
                throw ValidationError("--archive \(given) is not the gateway's archive \(opened.configuration.archive.path)")
            }
            if try await receiveThroughGateway(files, gateway: opened, receiptDir: nil) { throw ExitCode.documentRejected }
            return
        }
        let folder = try location.folder()
        let registrar = try await gateway.open(folder, dataKey: try key.load(required: true)).registrar
        var verifier: SignatureVerifier?
        if !trust.isEmpty {
            let store = try TrustStore(directories: trust, crlFiles: crl)
            let intermediates = try untrusted.flatMap { try Certificate.load(contentsOf: $0) }
            verifier = SignatureVerifier(trustStore: store, intermediates: intermediates)
        }
        let job = RegisterJob(
            registrar: registrar, verifier: verifier, direction: direction, number: number, acceptInvalid: acceptInvalid)
        do {
            // --jobs files at once: their registrations share commits (group commit); each line is printed once durable.
            try await withThrowingTaskGroup(of: Void.self) { group in
                var pending = files.makeIterator()
                for _ in 0..<jobs {
                    guard let file = pending.next() else { break }
                    group.addTask { try await job.register(file) }
                }
                while try await group.next() != nil {
                    guard let file = pending.next() else { continue }
                    group.addTask { try await job.register(file) }
                }
            }
        } catch {
            await registrar.finishBackgroundWork()
            throw error
        }
        await registrar.finishBackgroundWork()
    }
}

/// One `archive register` file: verified (incoming), registered, acknowledged on standard output.
struct RegisterJob: Sendable {
    let registrar: Registrar
    let verifier: SignatureVerifier?
    let direction: Direction
    let number: String?
    let acceptInvalid: Bool

    func register(_ file: String) async throws {
        let (bytes, name) = try readInput(file)
        let now = Date()
        var status = SignatureStatus.unverified
        if let verifier {
            let report = try verifier.verify(bytes, sourceName: name)
            status = SignatureStatus(report.status)
            if report.status != .valid && !acceptInvalid {
                Output.error(
                    "\(name): the signature is \(report.status.rawValue.uppercased()); not registered (give --accept-invalid to register it anyway)"
                )
                for problem in report.problems { Output.error("  ✗ \(problem.check.rawValue): \(problem.message)") }
                throw ExitCode.forStatus(report.status)
            }
        }
        let entry = try await registrar.register(
            Submission(
                direction: direction, document: bytes, sourceName: name, reservedNumber: number, signingTime: now,
                signingTimeSource: .registration, signatureStatus: status))
        print("REGISTERED \(entry.number) \(entry.year) \(name)")
        fflush(nil)
    }
}

struct ArchiveVoid: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "void", abstract: "Voids a reserved number that will not be used, with a reason.")

    @OptionGroup var location: ArchiveLocation
    @OptionGroup var gateway: GatewayKeyOption
    @Argument(help: "The number.") var number: String
    @Option(help: "Why the number is voided.") var reason: String
    @Option(help: "The year of the number, when it repeats across years.") var year: Int?

    func run() async throws {
        let registrar = try await gateway.open(try location.folder(), dataKey: nil).registrar
        let entry = try await registrar.void(number: number, year: year, reason: reason)
        print("VOIDED \(entry.number) \(entry.year): \(reason)")
        await registrar.finishBackgroundWork()
    }
}

struct ArchiveStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Records that a document was sent, delivered or answered.")

    @OptionGroup var location: ArchiveLocation
    @OptionGroup var gateway: GatewayKeyOption
    @Argument(help: "The number.") var number: String
    @Argument(help: "sent, delivered or answered.") var status: EventType
    @Option(help: "The year of the number, when it repeats across years.") var year: Int?
    @Option(help: "A note (no personal data).") var note: String?

    func run() async throws {
        let registrar = try await gateway.open(try location.folder(), dataKey: nil).registrar
        let entry = try await registrar.record(status, number: number, year: year, note: note)
        print("\(entry.number) \(entry.year): \(entry.recordedStatus.rawValue)")
        await registrar.finishBackgroundWork()
    }
}

struct ArchiveList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Lists and searches the journal.")

    @OptionGroup var location: ArchiveLocation
    @OptionGroup var gateway: GatewayOption
    @Option(help: "Only this number.") var number: String?
    @Option(help: "Registered (or reserved) on or after this date.") var from: String?
    @Option(help: "Registered (or reserved) on or before this date.") var to: String?
    @Option(help: "Only documents to or from this agency (directory id).") var counterpart: String?
    @Option(help: "Only this status: reserved, registered, sent, delivered, answered, rejected, overdue, voided.") var status: String?
    @Option(help: "Only this direction: outgoing or incoming.") var direction: Direction?
    @Option(help: "Only this kind: request, answer, receipt or note.") var kind: DocumentKind?
    @Option(help: "At most this many entries.") var limit: Int?
    @Option(help: "Skip this many entries first.") var offset: Int = 0
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if offset < 0 { throw ValidationError("--offset must not be negative") }
        if let status, EntryStatus(rawValue: status) == nil {
            throw ValidationError("--status \(status) is not one of \(EntryStatus.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() async throws {
        let registrar = try await location.journalRegistrar(gateway)
        let today = ISOTime.agencyDayString(Date())
        let query = JournalQuery(
            number: number, direction: direction, counterpart: counterpart, kind: kind, status: status.flatMap(EntryStatus.init),
            from: try parseTime(from, option: "--from"), to: try parseTime(to, option: "--to", endOfDay: true), day: today, limit: limit,
            offset: offset)
        let entries = try await registrar.entries(query)
        if json {
            print(try journalJSON(entries, today: today))
        } else {
            for entry in entries { print(journalLine(entry, today: today)) }
        }
    }
}

struct ArchiveShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Shows a number's journal entry and its history.")

    @OptionGroup var location: ArchiveLocation
    @OptionGroup var gateway: GatewayOption
    @Argument(help: "The number.") var number: String
    @Option(help: "The year, when the number repeats across years.") var year: Int?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let registrar = try await location.journalRegistrar(gateway)
        let found = try await registrar.entries(JournalQuery(number: number, year: year))
        guard !found.isEmpty else {
            throw ArchiveError(.numberUnusable, "the number \(number) is not in the journal", hint: "search with `mezhved archive list`")
        }
        let today = ISOTime.agencyDayString(Date())
        if json {
            print(try journalJSON(found, today: today))
            return
        }
        for entry in found {
            print("number:       \(entry.number) (\(entry.year), \(entry.direction.rawValue), counter \(entry.sequence))")
            print("status:       \(entry.status(on: today).rawValue)")
            if let kind = entry.kind { print("kind:         \(kind.rawValue)") }
            if let counterpart = entry.counterpart { print("counterpart:  \(counterpart)") }
            if let own = entry.documentNumber { print("document:     № \(own) of \(entry.documentDate ?? "?")") }
            if let inReplyTo = entry.inReplyTo { print("answers:      \(inReplyTo)") }
            if !entry.answeredBy.isEmpty { print("answered by:  \(entry.answeredBy.joined(separator: ", "))") }
            if let acknowledged = entry.acknowledges { print("acknowledges: \(acknowledged)") }
            if !entry.acknowledgedBy.isEmpty { print("receipts:     \(entry.acknowledgedBy.joined(separator: ", "))") }
            if let deadline = entry.deadline {
                print("deadline:     \(deadline)\(entry.deadlineProvisional == true ? " (provisional: by the Labour Code)" : "")")
            }
            if let digest = entry.documentDigest { print("digest:       SHA-256 \(digest)") }
            if let object = entry.object {
                print("object:       \(object)\(entry.encryptedWith.map { " (personal data encrypted, key \($0))" } ?? "")")
            }
            if let signature = entry.signatureStatus {
                let source = entry.signingTimeSource.map { " (\($0.rawValue))" } ?? ""
                print("signature:    \(signature.rawValue) at \(entry.signingTime ?? "?")\(source)")
            }
            print("history:")
            for event in try await registrar.history(of: entry) {
                var line = "  \(event.seq)\t\(event.time)\t\(event.type.rawValue)"
                if event.type == .deadlineRecomputed {
                    line += "\t\(event.payload.previousDeadline ?? "?") → \(event.payload.deadline ?? "?")"
                    if event.payload.deadlineProvisional == true { line += " (still provisional)" }
                }
                print(line + (event.payload.reason.map { "\t\($0)" } ?? ""))
            }
        }
    }
}

struct ArchiveOverdue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overdue", abstract: "Lists documents past their response deadline without an answer.")

    @OptionGroup var location: ArchiveLocation
    @OptionGroup var gateway: GatewayOption
    @Option(help: "Judge as of this date instead of today (YYYY-MM-DD).") var on: String?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let today = on ?? ISOTime.agencyDayString(Date())
        if CalendarDayCheck.invalid(today) { throw ValidationError("--on \(today) is not a date YYYY-MM-DD") }
        let registrar = try await location.journalRegistrar(gateway)
        let entries = try await registrar.entries(JournalQuery(overdueOn: today))
        if json {
            print(try journalJSON(entries, today: today))
        } else {
            for entry in entries { print(journalLine(entry, today: today)) }
        }
    }
}

enum CalendarDayCheck {
    static func invalid(_ text: String) -> Bool { text.count != 10 || ISOTime.dateOrDay(text) == nil }
}

struct ArchiveExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Exports a document as signed (personal data decrypted) with its verification report and journal entry.")

    @OptionGroup var location: ArchiveLocation
    @OptionGroup var key: DataKeyOption
    @Argument(help: "The number.") var number: String
    @Option(help: "The year, when the number repeats across years.") var year: Int?
    @Option(name: .customLong("output-dir"), help: "The folder to write into (created 0700 when missing).") var outputDir: String
    @Option(name: .customLong("trust"), help: "A folder of trusted CA certificates; may be repeated.") var trust: [String] = []
    @Option(name: .customLong("crl"), help: "A CRL file; may be repeated.") var crl: [String] = []

    func validate() throws {
        if trust.isEmpty { throw ValidationError("give --trust: the export includes the verification report") }
    }

    func run() async throws {
        let dataKey = try key.load(required: true)!
        let registrar = try await ArchiveFolder.open(try location.folder(), dataKey: dataKey).registrar
        let found = try await registrar.entries(JournalQuery(number: number, year: year))
        guard found.count == 1, let entry = found.first, entry.object != nil else {
            throw ArchiveError(
                .numberUnusable,
                found.isEmpty ? "the number \(number) is not in the journal" : "no single registered document has the number \(number)",
                hint: found.count > 1 ? "give --year" : "search with `mezhved archive list`")
        }
        let original = try await registrar.original(of: entry)
        var policy = VerificationPolicy()
        policy.validationTime = entry.signingTime.flatMap(ISOTime.dateOrDay)
        let report = try SignatureVerifier(trustStore: TrustStore(directories: trust, crlFiles: crl), policy: policy).verify(
            original, sourceName: number)
        if mkdir(outputDir, 0o700) != 0 && errno != EEXIST {
            throw ValidationError("cannot create \(outputDir): \(String(cString: strerror(errno)))")
        }
        let base = number.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        try writeOutput(original, to: "\(outputDir)/\(String(base)).xml")
        try writeOutput(Array(try encoder.encode(report)), to: "\(outputDir)/\(String(base)).verification.json")
        try writeOutput(
            Array(try journalJSON([entry], today: ISOTime.agencyDayString(Date())).utf8), to: "\(outputDir)/\(String(base)).journal.json")
        print(
            "exported \(number) to \(outputDir)/\(String(base)).xml (signature \(report.status.rawValue.uppercased()) at \(entry.signingTime ?? "?"))"
        )
    }
}
