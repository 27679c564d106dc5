import ArgumentParser
import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments
import MezhvedXMLDSig

/// `mezhved archive …`: the registration journal and the tamper-evident archive.
struct ArchiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive",
        abstract: "Registration journal and tamper-evident archive of signed documents (see docs/archive.md).",
        discussion: """
            The archive folder comes from --archive or the environment variable MEZHVED_ARCHIVE. The personal-data \
            key from --data-key or MEZHVED_ARCHIVE_DATA_KEY_FILE; it is never stored in the archive.
            """,
        subcommands: [
            ArchiveInit.self, ArchiveReserve.self, ArchiveRegister.self, ArchiveVoid.self, ArchiveStatus.self, ArchiveList.self,
            ArchiveShow.self, ArchiveOverdue.self, ArchiveExport.self, ArchiveAudit.self, ArchiveRecover.self,
            ArchiveCheckpointCommand.self, ArchiveBench.self, ArchiveMigrate.self,
        ])
}

/// Options every archive command shares.
struct ArchiveLocation: ParsableArguments {
    @Option(name: .customLong("archive"), help: "The archive folder (default: $MEZHVED_ARCHIVE).")
    var archive: String?

    func folder() throws -> String {
        if let archive { return archive }
        if let value = ProcessInfo.processInfo.environment["MEZHVED_ARCHIVE"], !value.isEmpty { return value }
        throw ValidationError("give the archive folder with --archive DIR or set MEZHVED_ARCHIVE")
    }

    /// The journal a reading command opens: the folder given with `--archive`, else the archive of
    /// the gateway given with `--gateway` (its folder or its PostgreSQL store), else $MEZHVED_ARCHIVE.
    func journalRegistrar(_ gateway: GatewayOption) async throws -> Registrar {
        let archiveFromEnvironment = !(ProcessInfo.processInfo.environment["MEZHVED_ARCHIVE"] ?? "").isEmpty
        if archive == nil, gateway.gateway != nil || (!archiveFromEnvironment && gateway.path != nil) {
            return try await gateway.open().openArchiveForCommand().registrar
        }
        return try await ArchiveFolder.open(try folder()).registrar
    }
}

struct DataKeyOption: ParsableArguments {
    @Option(name: .customLong("data-key"), help: "The personal-data key file (default: $MEZHVED_ARCHIVE_DATA_KEY_FILE).")
    var dataKey: String?

    func load(required: Bool) throws -> ArchiveDataKey? {
        let path = dataKey ?? ProcessInfo.processInfo.environment["MEZHVED_ARCHIVE_DATA_KEY_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        guard let path else {
            if required { throw ValidationError("give the personal-data key with --data-key FILE or set MEZHVED_ARCHIVE_DATA_KEY_FILE") }
            return nil
        }
        return try ArchiveDataKey.load(contentsOf: path)
    }
}

struct GatewayKeyOption: ParsableArguments {
    @Option(
        name: .customLong("gateway-key"),
        help: "The gateway's signing key for checkpoints (default: $MEZHVED_GATEWAY_KEY_FILE, then archive.json's gatewayKeyFile).")
    var gatewayKey: String?

    @Option(name: .customLong("witness"), help: "A folder outside the archive that receives a copy of every checkpoint.")
    var witness: String?

    /// The checkpoint signer, when a gateway key is available.
    func signer(for folder: String) throws -> XMLSigner? {
        let configurationPath = folder + "/archive.json"
        guard let data = FileManager.default.contents(atPath: configurationPath),
            let configuration = try? JSONDecoder().decode(ArchiveConfiguration.self, from: data)
        else { return nil }
        let environment = ProcessInfo.processInfo.environment["MEZHVED_GATEWAY_KEY_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        guard let keyPath = gatewayKey ?? environment ?? configuration.gatewayKeyFile else { return nil }
        let key = try SigningKey.load(contentsOf: keyPath)
        let certificates = try configuration.gatewayCertificates()
        guard let certificate = certificates.first else { return nil }
        return try XMLSigner(
            key: key, certificate: certificate, chain: Array(certificates.dropFirst()), certificateSource: "the gateway certificate")
    }

    /// Opens the archive with the checkpoint signer and witness; a background checkpoint that fails is reported as a warning.
    func open(_ folder: String, dataKey: ArchiveDataKey?) async throws -> ArchiveFolder {
        try await ArchiveFolder.open(
            folder, dataKey: dataKey, checkpointSigner: signer(for: folder), options: FileSystemStorage.Options(witness: witness),
            onCheckpointFailure: { Output.warning("the checkpoint was not written (the registrations stand): \($0)") })
    }
}

extension Direction: EnumerableFlag {}

extension Direction: ExpressibleByArgument {}

extension DocumentKind: ExpressibleByArgument {}

extension EventType: ExpressibleByArgument {}

/// Prints a journal entry as one line of the journal.
func journalLine(_ entry: JournalEntry, today: String) -> String {
    var parts = [entry.number, String(entry.year), entry.direction.rawValue, entry.status(on: today).rawValue]
    parts.append(entry.registeredAt ?? entry.allocatedAt)
    parts.append(entry.kind?.rawValue ?? "-")
    parts.append(entry.counterpart ?? "-")
    if let deadline = entry.deadline { parts.append("deadline \(deadline)\(entry.deadlineProvisional == true ? " (provisional)" : "")") }
    if let acknowledged = entry.acknowledges {
        parts.append("acknowledges \(acknowledged.number)")
    } else if let inReplyTo = entry.inReplyTo {
        parts.append("answers \(inReplyTo)")
    }
    if !entry.acknowledgedBy.isEmpty { parts.append("receipt \(entry.acknowledgedBy.joined(separator: ", "))") }
    if let reason = entry.voidReason { parts.append("voided: \(reason)") }
    return parts.joined(separator: "\t")
}

/// Entries as JSON, each with its status as of today.
func journalJSON(_ entries: [JournalEntry], today: String) throws -> String {
    struct Row: Encodable {
        let entry: JournalEntry
        let status: EntryStatus
        func encode(to encoder: any Encoder) throws {
            try entry.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(status, forKey: .status)
        }
        enum Key: String, CodingKey { case status }
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(entries.map { Row(entry: $0, status: $0.status(on: today)) }), as: UTF8.self)
}

/// A time or date from the command line: ISO 8601 or YYYY-MM-DD.
func parseTime(_ text: String?, option: String, endOfDay: Bool = false) throws -> Date? {
    guard let text else { return nil }
    guard let date = ISOTime.dateOrDay(text) else {
        throw ValidationError("\(option) \(text) is not a date (YYYY-MM-DD) or an ISO 8601 time")
    }
    return endOfDay && text.count == 10 ? date.addingTimeInterval(86_399.999) : date
}
