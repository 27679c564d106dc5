import Foundation
import MezhvedXMLDSig

#if canImport(Glibc)
    import Glibc
#endif

/// The embedded archive store: a folder (0700) with `archive.json`, content-addressed immutable
/// objects under `objects/`, the append-only hash-chained event log `log/events.log`, signed
/// checkpoints under `log/checkpoints/`, and a lock file. Storage only: the domain rules are in
/// ``Registrar``. Safe for many tasks and several processes sharing the folder: every change
/// happens under an exclusive `flock`, after catching up with what other processes appended, and
/// is durable before it returns. All file I/O and locking run on dedicated serial queues, never on
/// the cooperative pool; concurrent appends share one fsync (group commit).
public final class FileSystemStorage: ArchiveStorage {
    /// How the store commits.
    public struct Options: Sendable, Equatable {
        /// Batch appends that arrive while a commit is running into the next commit (one fsync);
        /// false commits each append on its own (one fsync each).
        public var groupCommit: Bool
        /// How objects become durable before the log line that names them.
        public var objectDurability: ObjectDurability
        /// A folder outside the archive that receives a copy of every checkpoint.
        public var witness: String?

        public init(groupCommit: Bool = true, objectDurability: ObjectDurability = .syncfs, witness: String? = nil) {
            self.groupCommit = groupCommit
            self.objectDurability = objectDurability
            self.witness = witness
        }
    }

    public let configuration: ArchiveConfiguration
    /// The archive folder.
    public let path: String
    public let options: Options
    public let objects: any ArchiveObjectStore
    public let checkpoints: any CheckpointStore
    let layout: ArchiveLayout
    let log: FileSystemLog

    private init(path: String, configuration: ArchiveConfiguration, options: Options, log: FileSystemLog) {
        self.path = path
        self.configuration = configuration
        self.options = options
        self.layout = log.layout
        self.log = log
        self.objects = FileSystemObjectStore(layout: log.layout, durability: options.objectDurability)
        self.checkpoints = FileSystemCheckpointStore(log: log, witness: options.witness)
    }

    /// Opens the archive at `path` and replays its log.
    public static func open(at path: String, options: Options = Options()) async throws -> FileSystemStorage {
        let io = BlockingIOQueue(label: "mezhved.archive.open")
        let log = try await io.run { () -> FileSystemLog in
            let layout = ArchiveLayout(root: path)
            let configuration = try readConfiguration(layout)
            return try FileSystemLog(
                layout: layout, configuration: configuration, groupCommit: options.groupCommit, durability: options.objectDurability)
        }
        _ = try await log.read { $0.journal.lastSeq }
        return FileSystemStorage(path: path, configuration: log.configuration, options: options, log: log)
    }

    static func readConfiguration(_ layout: ArchiveLayout) throws -> ArchiveConfiguration {
        guard let configurationBytes = try DurableFiles.read(layout.configuration) else {
            throw ArchiveError(
                .archiveUnusable, "\(layout.root) is not a mezhved archive (no archive.json)",
                hint: "create one with `mezhved archive init`, or check --archive / MEZHVED_ARCHIVE")
        }
        let configuration: ArchiveConfiguration
        do {
            configuration = try JSONDecoder().decode(ArchiveConfiguration.self, from: Data(configurationBytes))
        } catch let error as ArchiveError {
            throw error
        } catch {
            throw ArchiveError(.configurationInvalid, "\(layout.configuration) cannot be read: \(error)", hint: "restore it from a backup")
        }
        guard configuration.format == ArchiveConfiguration.currentFormat else {
            throw ArchiveError(
                .configurationInvalid,
                "\(layout.configuration) has format \(configuration.format), not \(ArchiveConfiguration.currentFormat)")
        }
        return configuration
    }

    /// Creates a new archive at `path` (a missing or empty folder) with its first event.
    public static func create(at path: String, configuration: ArchiveConfiguration) async throws {
        try await BlockingIOQueue(label: "mezhved.archive.create").run { try createNow(at: path, configuration: configuration) }
    }

    private static func createNow(at path: String, configuration: ArchiveConfiguration) throws {
        if FileManager.default.fileExists(atPath: path) && !DurableFiles.list(path).isEmpty {
            throw ArchiveError(.archiveUnusable, "\(path) already exists and is not empty", hint: "give a new folder for the archive")
        }
        let layout = ArchiveLayout(root: path)
        try DurableFiles.makeDirectory(path)
        chmod(path, 0o700)
        for folder in [layout.objects, layout.log, layout.checkpoints] { try DurableFiles.makeDirectory(folder) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let configurationBytes = Array(try encoder.encode(configuration)) + [10]
        try DurableFiles.writeAtomically(configurationBytes, to: layout.configuration)
        var payload = EventPayload()
        payload.agency = configuration.agency
        payload.configurationDigest = ArchiveCrypto.sha256Hex(configurationBytes)
        payload.reason = "archive created"
        let (line, _) = try EventLine.make(seq: 1, time: Date(), type: .created, prev: EventLine.genesis, payload: payload)
        try DurableFiles.writeAtomically(line, to: layout.events)
    }

    // MARK: - ArchiveStorage

    public func append(_ append: JournalAppend) async throws -> AppendResult { try await log.append(append) }

    public func entries(_ query: JournalQuery) async throws -> [JournalEntry] {
        try await log.read { $0.journal.entries(matching: query) }
    }

    public func quarantined(_ query: JournalQuery) async throws -> [QuarantinedDocument] {
        try await log.read { $0.journal.quarantined(matching: query) }
    }

    public func events(_ range: ClosedRange<Int>) async throws -> [ArchiveEvent] {
        try await log.read { [log] in try log.events(range, state: $0) }
    }

    public func head() async throws -> LogHead {
        try await log.read { LogHead(seq: $0.journal.lastSeq, hash: $0.journal.lastHash) }
    }

    /// The whole journal as replayed (every process's events included): the anomalies, counters and
    /// every entry. For tools over the filesystem store; callers that search use ``entries(_:)``.
    public func journal() async throws -> Journal { try await log.read { $0.journal } }

    /// How many commits wrote how many lines since the store was opened (group commit's batch size).
    public var commitCounts: (commits: Int, lines: Int) { log.counters.withLock { $0 } }
}

/// The objects of a filesystem archive: `objects/ab/ab12…`, written on their own serial queue.
struct FileSystemObjectStore: ArchiveObjectStore {
    let layout: ArchiveLayout
    let durability: ObjectDurability
    private let io = BlockingIOQueue(label: "mezhved.archive.objects")

    init(layout: ArchiveLayout, durability: ObjectDurability) {
        self.layout = layout
        self.durability = durability
    }

    func put(_ bytes: [UInt8]) async throws -> String {
        let digest = ArchiveCrypto.sha256Hex(bytes)
        try await io.run { [layout, durability] in
            let target = layout.object(digest)
            // An existing object is kept only when it holds these bytes: a crash may have left a
            // torn one that nothing refers to.
            if let existing = try? DurableFiles.read(target), existing == bytes { return }
            try DurableFiles.makeDirectory((target as NSString).deletingLastPathComponent)
            if durability == .eachObject {
                try DurableFiles.writeAtomically(bytes, to: target)
            } else {
                try DurableFiles.writeUnsynced(bytes, to: target)
            }
        }
        return digest
    }

    func get(_ digest: String) async throws -> [UInt8] {
        try await io.run { [layout] in
            guard digest.count == 64, digest.allSatisfy({ $0.isHexDigit }), let bytes = try DurableFiles.read(layout.object(digest)) else {
                throw ArchiveError(.integrityBroken, "the archived object \(digest) is missing", hint: "run `mezhved archive audit`")
            }
            return bytes
        }
    }

    func list() async throws -> [String] {
        try await io.run { [layout] in
            DurableFiles.list(layout.objects).sorted().flatMap { fan in
                DurableFiles.list(layout.objects + "/" + fan).filter { FileSystemAuditSource.isDigest($0) && $0.hasPrefix(fan) }.sorted()
            }
        }
    }
}

/// The checkpoints of a filesystem archive: `log/checkpoints/000000000100.xml`, written under the
/// log's lock so that two processes never fork the checkpoint chain.
struct FileSystemCheckpointStore: CheckpointStore {
    let log: FileSystemLog
    let witness: String?

    func all() async throws -> [StoredCheckpoint] {
        try await log.io.run { [log] in try Self.stored(log.layout) }
    }

    static func stored(_ layout: ArchiveLayout) throws -> [StoredCheckpoint] {
        try DurableFiles.list(layout.checkpoints).filter { $0.hasSuffix(".xml") && !$0.hasPrefix(".") }.sorted().compactMap { name in
            guard let bytes = try DurableFiles.read(layout.checkpoints + "/" + name) else { return nil }
            return StoredCheckpoint(name: name, bytes: bytes, checkpoint: try Checkpoint.read(bytes, sourceName: "log/checkpoints/\(name)"))
        }
    }

    func write(sign: @escaping @Sendable (Checkpoint) throws -> [UInt8]) async throws -> StoredCheckpoint {
        try await log.io.run { [log, witness] in
            try log.readNow { current in
                let layout = log.layout
                let names = DurableFiles.list(layout.checkpoints).filter { $0.hasSuffix(".xml") && !$0.hasPrefix(".") }.sorted()
                var previous = EventLine.genesis
                if let last = names.last, let bytes = try DurableFiles.read(layout.checkpoints + "/" + last) {
                    previous = ArchiveCrypto.sha256Hex(bytes)
                    let existing = try Checkpoint.read(bytes, sourceName: last)
                    if existing.seq == current.journal.lastSeq { return StoredCheckpoint(name: last, bytes: bytes, checkpoint: existing) }
                }
                let checkpoint = Checkpoint(
                    seq: current.journal.lastSeq, head: current.journal.lastHash, count: current.journal.lastSeq,
                    time: Timestamps.string(Date()), previous: previous, agency: log.configuration.agency)
                let signed = try sign(checkpoint)
                let name = ArchiveLayout.checkpointName(checkpoint.seq)
                try DurableFiles.writeAtomically(signed, to: layout.checkpoints + "/" + name)
                if let witness {
                    try DurableFiles.makeDirectory(witness)
                    try DurableFiles.writeAtomically(signed, to: witness + "/" + name)
                }
                return StoredCheckpoint(name: name, bytes: signed, checkpoint: checkpoint)
            }
        }
    }
}
