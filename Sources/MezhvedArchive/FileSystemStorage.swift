import Foundation
import MezhvedCore
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
        /// The time written into each event: the system clock, unless a simulation gives its own.
        public var clock: ArchiveClock

        public init(
            groupCommit: Bool = true, objectDurability: ObjectDurability = .syncfs, witness: String? = nil, clock: ArchiveClock = .system
        ) {
            self.groupCommit = groupCommit
            self.objectDurability = objectDurability
            self.witness = witness
            self.clock = clock
        }
    }

    public let configuration: ArchiveConfiguration
    /// The archive folder.
    public let path: String
    public let options: Options
    public let objects: any ArchiveObjectStore
    public let checkpoints: any CheckpointStore
    /// One process serves a filesystem store: its claims are in memory.
    public let deliveryClaims: any DeliveryClaims = LocalDeliveryClaims()
    public let sessions: any SessionStore = LocalSessionStore()
    /// The tokens and users of a filesystem store's gateway are in the files its configuration names.
    public var credentials: (any CredentialStore)? { nil }
    public let signInFailures: any SignInFailureStore = LocalSignInFailures()
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
                layout: layout, configuration: configuration, groupCommit: options.groupCommit, durability: options.objectDurability,
                clock: options.clock)
        }
        _ = try await log.read { $0.journal.lastSeq }
        return FileSystemStorage(path: path, configuration: log.configuration, options: options, log: log)
    }

    static func readConfiguration(_ layout: ArchiveLayout) throws -> ArchiveConfiguration {
        guard let configurationBytes = try DurableFiles.read(layout.configuration) else {
            throw ArchiveError(
                .archiveUnusable, "\(layout.root) is not a mezhved archive (no archive.json)",
                hint: "create one with `mezhved archive init`, or check the archive folder given")
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
        let created = ISOTime.dateOrDay(configuration.created) ?? Date()
        let (line, _) = try EventLine.make(seq: 1, time: created, type: .created, prev: EventLine.genesis, payload: payload)
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

    public func messages(_ query: MessageQuery) async throws -> [MessageStatus] {
        try await log.read { $0.journal.messages(matching: query) }
    }

    public func facts(_ query: FactQuery) async throws -> [RecordedFact] {
        try await log.read { $0.journal.facts(matching: query) }
    }

    /// The whole journal as replayed (every process's events included): the anomalies, counters and
    /// every entry. For tools over the filesystem store; callers that search use ``entries(_:)``.
    public func journal() async throws -> Journal { try await log.read { $0.journal } }

    /// How many commits wrote how many lines since the store was opened (group commit's batch size).
    public var commitCounts: (commits: Int, lines: Int) { log.counters.withLock { $0 } }
}

/// Where the store takes the time of each event from. ``system`` in every gateway; a simulation
/// (`mezhved bench synthetic-year`) gives a clock of its own so that a year of traffic carries
/// the year's days. Two clocks are equal when they have the same name.
public struct ArchiveClock: Sendable, Equatable {
    /// Names the clock (`system`).
    public let name: String
    /// The current moment.
    public let now: @Sendable () -> Date

    public init(name: String, now: @escaping @Sendable () -> Date) {
        self.name = name
        self.now = now
    }

    /// The machine's clock.
    public static let system = ArchiveClock(name: "system") { Date() }

    public static func == (a: ArchiveClock, b: ArchiveClock) -> Bool { a.name == b.name }
}
