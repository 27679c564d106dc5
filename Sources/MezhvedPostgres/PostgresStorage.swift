import Foundation
import Logging
import MezhvedArchive
import MezhvedCore
import PostgresNIO
import Synchronization

/// The archive store in PostgreSQL, for several gateway nodes on one database: the same contract
/// as ``FileSystemStorage`` (``ArchiveStorage``). The event log is one row per event holding the
/// exact line the filesystem log would hold (the same hash chain, the same audit); every append is
/// one transaction that locks the head row (appends are serialised across nodes, the chain stays
/// one chain), catches up with what other nodes appended, checks the append's constraints, raises
/// the locked counter row of the number it takes (gapless, never a sequence), and inserts the
/// event. It returns once committed: acknowledged means committed; a node that dies before the
/// commit leaves nothing. Queries answer from the journal replayed from the rows, caught up with
/// every committed append before each answer.
public final class PostgresStorage: ArchiveStorage {
    public let configuration: ArchiveConfiguration
    public let objects: any ArchiveObjectStore
    public let checkpoints: any CheckpointStore
    public let deliveryClaims: any DeliveryClaims
    public let sessions: any SessionStore
    public var credentials: (any CredentialStore)? { storedCredentials }
    public let signInFailures: any SignInFailureStore
    let storedCredentials: PostgresCredentialStore
    /// The objects put and not yet inserted (by the append that names them).
    let pendingObjects: PendingObjects
    /// Where the store is.
    public let settings: PostgresStoreSettings
    let pool: PostgresPool
    let clock: ArchiveClock
    /// The journal replayed so far; taken out while a task holds ``lock``.
    private let cache = Mutex(Journal())
    private let lock = AsyncSerialLock()
    /// When the last catch-up that completed began (under ``lock``): it saw every commit before then.
    private let lastCatchUp = Mutex<ContinuousClock.Instant?>(nil)
    /// The appends waiting for ``lock``, oldest first (see ``append(_:)``).
    private let waiting = Mutex<[WaitingAppend]>([])

    private init(pool: PostgresPool, configuration: ArchiveConfiguration, clock: ArchiveClock) {
        self.pool = pool
        self.settings = pool.settings
        self.configuration = configuration
        self.clock = clock
        let objects = PostgresObjectStore(pool: pool)
        self.objects = objects
        self.pendingObjects = objects.pending
        self.checkpoints = PostgresCheckpointStore(pool: pool, agency: configuration.agency)
        self.deliveryClaims = PostgresDeliveryClaims(pool: pool)
        self.sessions = PostgresSessionStore(pool: pool)
        self.storedCredentials = PostgresCredentialStore(pool: pool)
        self.signInFailures = PostgresSignInFailures(pool: pool)
    }

    /// Opens the store: checks the migrations, reads the configuration and replays the log.
    public static func open(_ settings: PostgresStoreSettings, clock: ArchiveClock = .system) async throws -> PostgresStorage {
        let pool = try PostgresPool(settings)
        do {
            try await PostgresMigrations.check(pool)
            let bytes = try await configurationBytes(pool)
            guard let bytes else {
                throw ArchiveError(
                    .archiveUnusable, "the PostgreSQL schema \(settings.schema) of \(settings.database) holds no archive",
                    hint: "create one with `mezhved archive init --store postgres` or `mezhved archive migrate --from fs --to postgres`")
            }
            let configuration: ArchiveConfiguration
            do {
                configuration = try JSONDecoder().decode(ArchiveConfiguration.self, from: Data(bytes))
            } catch {
                throw ArchiveError(.configurationInvalid, "the archive configuration in \(settings.url) cannot be read: \(error)")
            }
            let storage = PostgresStorage(pool: pool, configuration: configuration, clock: clock)
            _ = try await storage.head()
            return storage
        } catch {
            pool.close()
            throw error
        }
    }

    static func configurationBytes(_ pool: PostgresPool) async throws -> [UInt8]? {
        try await pool.withConnection("reading the archive configuration") { connection in
            let rows = try await connection.query("SELECT document FROM archive_configuration WHERE id = 1", logger: pool.logger)
            var found: [UInt8]?
            for try await document in rows.decode(ByteBuffer.self) { found = Array(document.readableBytesView) }
            return found
        }
    }

    /// Creates a new archive in the (migrated, empty) schema with its first event, the same
    /// `created` event as the filesystem store's.
    public static func create(_ settings: PostgresStoreSettings, configuration: ArchiveConfiguration) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let configurationBytes = Array(try encoder.encode(configuration)) + [10]
        var payload = EventPayload()
        payload.agency = configuration.agency
        payload.configurationDigest = ArchiveDigest.sha256Hex(configurationBytes)
        payload.reason = "archive created"
        let created = ISOTime.dateOrDay(configuration.created) ?? Date()
        let (line, event) = try EventLine.make(seq: 1, time: created, type: .created, prev: EventLine.genesis, payload: payload)
        try await importArchive(settings, configurationBytes: configurationBytes, lines: [(line, event)])
    }

    /// Writes a whole archive into an empty schema in one transaction: the configuration exactly as
    /// given and the log's lines as given (``FileSystemStorage``'s lines, for a migration).
    static func importArchive(
        _ settings: PostgresStoreSettings, configurationBytes: [UInt8], lines: [([UInt8], ArchiveEvent)],
        also: (PostgresConnection, PostgresPool) async throws -> Void = { _, _ in }
    ) async throws {
        let pool = try PostgresPool(settings)
        defer { pool.close() }
        try await PostgresMigrations.check(pool)
        try await pool.transaction("creating the archive") { connection in
            let logger = pool.logger
            let rows = try await connection.query("SELECT count(*) FROM archive_configuration", logger: logger)
            for try await count in rows.decode(Int.self) where count > 0 {
                throw ArchiveError(
                    .archiveUnusable, "the PostgreSQL schema \(settings.schema) of \(settings.database) already holds an archive",
                    hint: "give another schema (one archive per schema)")
            }
            try await connection.query(
                "INSERT INTO archive_configuration (id, document) VALUES (1, \(ByteBuffer(bytes: configurationBytes)))", logger: logger)
            var journal = Journal()
            for (line, event) in lines {
                try await insert(line: line, event: event, connection, logger: logger)
                journal.apply(event)
            }
            for (key, last) in journal.counters {
                let parts = key.split(separator: "/")
                guard parts.count == 2, let year = Int(parts[0]) else { continue }
                try await connection.query(
                    "INSERT INTO number_counters (agency, year, direction, last) VALUES (\(journal.agency ?? ""), \(year), \(String(parts[1])), \(last))",
                    logger: logger)
            }
            try await connection.query(
                "INSERT INTO archive_head (id, seq, hash) VALUES (1, \(journal.lastSeq), \(journal.lastHash))", logger: logger)
            try await also(connection, pool)
        }
    }

    static func insert(line: [UInt8], event: ArchiveEvent, _ connection: PostgresConnection, logger: Logger) async throws {
        let stored = line.last == 10 ? Array(line.dropLast()) : line
        try await connection.query(
            "INSERT INTO archive_events (seq, line, hash, type) VALUES (\(event.seq), \(ByteBuffer(bytes: stored)), \(event.hash), \(event.type.rawValue))",
            logger: logger)
    }

    /// Closes the pool's connections.
    public func close() { pool.close() }

    // MARK: - The replayed journal

    /// Runs `body` with the journal, holding the store's lock (one task of this process at a time).
    private func withJournal<T: Sendable>(_ body: (inout Journal) async throws -> T) async throws -> T {
        await lock.acquire()
        defer { lock.release() }
        var journal = cache.withLock { cached in
            let taken = cached
            cached = Journal()
            return taken
        }
        defer { cache.withLock { [journal] in $0 = journal } }
        return try await body(&journal)
    }

    /// Applies the events other nodes committed since the journal's last one, checking each line's
    /// hash and the chain.
    func catchUp(_ journal: inout Journal, _ connection: PostgresConnection) async throws {
        let began = ContinuousClock.now
        let rows = try await connection.query(
            "SELECT seq, line FROM archive_events WHERE seq > \(journal.lastSeq) ORDER BY seq", logger: pool.logger)
        for try await (seq, line) in rows.decode((Int, ByteBuffer).self) {
            guard case .success(let event) = EventLine.parse(Array(line.readableBytesView)[...]) else {
                throw ArchiveError(
                    .integrityBroken, "archive_events row \(seq) of \(settings.url) is damaged (its hash does not match its line)",
                    hint: "run `mezhved archive audit`")
            }
            guard event.seq == seq, seq == journal.lastSeq + 1, event.prev == journal.lastHash else {
                throw ArchiveError(
                    .integrityBroken,
                    "archive_events row \(seq) of \(settings.url) does not follow entry \(journal.lastSeq) (chain broken)",
                    hint: "run `mezhved archive audit`")
            }
            journal.apply(event)
        }
        lastCatchUp.withLock { $0 = began }
    }

    /// Reads with the journal caught up with every committed append. Readers that wait for the
    /// lock share a catch-up: one that began after this read was asked for has seen every append
    /// acknowledged before it, so the read needs no query of its own.
    private func read<T: Sendable>(_ body: @escaping @Sendable (Journal) throws -> T) async throws -> T {
        let asked = ContinuousClock.now
        return try await withJournal { journal in
            if lastCatchUp.withLock({ $0.map { $0 <= asked } ?? true }) {
                try await pool.withConnection("reading the journal") { [self] connection in try await catchUp(&journal, connection) }
            }
            return try body(journal)
        }
    }

    /// The whole journal as replayed (every node's events included).
    public func journal() async throws -> Journal { try await read { $0 } }

    // MARK: - ArchiveStorage

    /// Appends once committed. Appends of this node's tasks that wait for the store's lock are
    /// written together (group commit): the task that takes the lock writes every waiting append,
    /// at most ``batchLimit``, in one transaction — one head lock, one catch-up, one commit — each
    /// checked in turn as if alone; one that is refused is refused alone and writes nothing. Should
    /// the transaction fail, each is written again in a transaction of its own, so that only the
    /// append at fault fails.
    public func append(_ append: JournalAppend) async throws -> AppendResult {
        let mine = WaitingAppend(append)
        waiting.withLock { $0.append(mine) }
        defer { Self.object(of: append).map(pendingObjects.release) }
        return try await withJournal { journal in
            while mine.outcome == nil {
                let batch = waiting.withLock { queue -> [WaitingAppend] in
                    let taken = Array(queue.prefix(Self.batchLimit))
                    queue.removeFirst(taken.count)
                    return taken
                }
                await write(batch, &journal)
            }
            return try mine.outcome!.get()
        }
    }

    /// The most appends written in one transaction.
    static let batchLimit = 64

    /// Writes `batch` in one transaction and sets each one's outcome (under the store's lock).
    private func write(_ batch: [WaitingAppend], _ journal: inout Journal) async {
        var applied = false
        do {
            let outcomes = try await pool.transaction("appending to the log") { [self] connection -> [Result<AppendResult, any Error>] in
                var head = try await lockHead(&journal, connection)
                var outcomes: [Result<AppendResult, any Error>] = []
                for waiting in batch {
                    let now = clock.now()
                    let prepared: (type: EventType, payload: EventPayload)
                    do {
                        prepared = try journal.prepare(waiting.append, time: now, configuration: configuration)
                    } catch {
                        outcomes.append(.failure(error))  // refused: nothing of it written
                        continue
                    }
                    let event = try await writeEvent(prepared, time: now, after: head, journal: journal, connection)
                    journal.apply(event)
                    applied = true
                    head = (event.seq, event.hash)
                    outcomes.append(.success(journal.result(of: event)))
                }
                if applied {
                    try await connection.query(
                        "UPDATE archive_head SET seq = \(head.seq), hash = \(head.hash) WHERE id = 1", logger: pool.logger)
                }
                return outcomes
            }
            for (waiting, outcome) in zip(batch, outcomes) { waiting.outcome = outcome }
        } catch {
            // The journal holds events whose commit failed: replay it from the rows next time.
            if applied {
                journal = Journal()
                lastCatchUp.withLock { $0 = nil }
            }
            guard batch.count > 1 else {
                batch[0].outcome = .failure(error)
                return
            }
            for waiting in batch { await write([waiting], &journal) }
        }
    }

    /// Locks the head row, catches up with what other nodes appended, and checks that the head row
    /// is the log's last event; returns the head.
    private func lockHead(_ journal: inout Journal, _ connection: PostgresConnection) async throws -> (seq: Int, hash: String) {
        let headRows = try await connection.query("SELECT seq, hash FROM archive_head WHERE id = 1 FOR UPDATE", logger: pool.logger)
        var head: (seq: Int, hash: String)?
        for try await (seq, hash) in headRows.decode((Int, String).self) { head = (seq, hash) }
        guard let head else {
            throw ArchiveError(.integrityBroken, "\(settings.url) has no archive_head row", hint: "run `mezhved archive audit`")
        }
        try await catchUp(&journal, connection)
        guard journal.lastSeq == head.seq, journal.lastHash == head.hash else {
            throw ArchiveError(
                .integrityBroken,
                "\(settings.url): the head row names entry \(head.seq), but the log ends at entry \(journal.lastSeq) (rows removed or added outside mezhved)",
                hint: "run `mezhved archive audit`")
        }
        return head
    }

    /// Writes one prepared event after `head`: the counter row of the number it takes, the row of
    /// the object it names, the event row. The head row is raised by the caller, once per transaction.
    private func writeEvent(
        _ prepared: (type: EventType, payload: EventPayload), time: Date, after head: (seq: Int, hash: String), journal: Journal,
        _ connection: PostgresConnection
    ) async throws -> ArchiveEvent {
        let logger = pool.logger
        let (type, payload) = prepared
        let (line, event) = try EventLine.make(seq: head.seq + 1, time: time, type: type, prev: head.hash, payload: payload)
        if type == .reserved || type == .registered, let year = payload.year, let direction = payload.direction,
            let sequence = payload.sequence, sequence == journal.nextSequence(year: year, direction: direction)
        {
            try await takeNumber(sequence, year: year, direction: direction, connection)
        }
        if let object = payload.object {
            // The object's row goes in with the event that names it (one transaction: both or neither).
            if let bytes = pendingObjects.bytes(object) {
                try await connection.query(
                    "INSERT INTO archive_objects (digest, bytes) VALUES (\(object), \(ByteBuffer(bytes: bytes))) ON CONFLICT (digest) DO NOTHING",
                    logger: logger)
            } else {
                let rows = try await connection.query("SELECT count(*) FROM archive_objects WHERE digest = \(object)", logger: logger)
                for try await count in rows.decode(Int.self) where count == 0 {
                    throw ArchiveError(
                        .archiveUnusable, "the stored object \(object) vanished before its registration was written",
                        hint: "register the document again")
                }
            }
        }
        try await Self.insert(line: line, event: event, connection, logger: logger)
        return event
    }

    /// Raises the counter row of (agency, year, direction) to `sequence`, locked in the append's
    /// transaction; refuses when the row and the log disagree.
    private func takeNumber(_ sequence: Int, year: Int, direction: Direction, _ connection: PostgresConnection) async throws {
        let logger = pool.logger
        let agency = configuration.agency
        let rows = try await connection.query(
            "SELECT last FROM number_counters WHERE agency = \(agency) AND year = \(year) AND direction = \(direction.rawValue) FOR UPDATE",
            logger: logger)
        var last = 0
        for try await value in rows.decode(Int.self) { last = value }
        guard last + 1 == sequence else {
            throw ArchiveError(
                .integrityBroken,
                "\(settings.url): the counter row of \(agency) \(year) \(direction.rawValue) is at \(last), but the log's next number is \(sequence)",
                hint: "run `mezhved archive audit`")
        }
        try await connection.query(
            """
            INSERT INTO number_counters (agency, year, direction, last) VALUES (\(agency), \(year), \(direction.rawValue), \(sequence))
            ON CONFLICT (agency, year, direction) DO UPDATE SET last = EXCLUDED.last
            """, logger: logger)
    }

    /// The object an append names (a registration's or a quarantined document's).
    static func object(of append: JournalAppend) -> String? {
        switch append {
        case .register(let record, _): return record.object
        case .quarantine(let record): return record.object
        default: return nil
        }
    }

    public func entries(_ query: JournalQuery) async throws -> [JournalEntry] { try await read { $0.entries(matching: query) } }

    public func quarantined(_ query: JournalQuery) async throws -> [QuarantinedDocument] {
        try await read { $0.quarantined(matching: query) }
    }

    public func events(_ range: ClosedRange<Int>) async throws -> [ArchiveEvent] {
        try await pool.withConnection("reading the log") { [self] connection in
            let rows = try await connection.query(
                "SELECT seq, line FROM archive_events WHERE seq >= \(range.lowerBound) AND seq <= \(range.upperBound) ORDER BY seq",
                logger: pool.logger)
            var events: [ArchiveEvent] = []
            for try await (seq, line) in rows.decode((Int, ByteBuffer).self) {
                guard case .success(let event) = EventLine.parse(Array(line.readableBytesView)[...]), event.seq == seq else {
                    throw ArchiveError(
                        .integrityBroken, "archive_events row \(seq) of \(settings.url) is damaged", hint: "run `mezhved archive audit`")
                }
                events.append(event)
            }
            return events
        }
    }

    public func head() async throws -> LogHead { try await read { LogHead(seq: $0.lastSeq, hash: $0.lastHash) } }

    public func messages(_ query: MessageQuery) async throws -> [MessageStatus] { try await read { $0.messages(matching: query) } }

    public func facts(_ query: FactQuery) async throws -> [RecordedFact] { try await read { $0.facts(matching: query) } }
}

extension PostgresStorage {
    /// Every event row's line as stored (oldest first), for tools and tests that read the log as bytes.
    public func storedLines() async throws -> [[UInt8]] {
        try await pool.withConnection("reading the log") { [pool] connection in
            let rows = try await connection.query("SELECT line FROM archive_events ORDER BY seq", logger: pool.logger)
            var lines: [[UInt8]] = []
            for try await line in rows.decode(ByteBuffer.self) { lines.append(Array(line.readableBytesView)) }
            return lines
        }
    }
}

/// An append waiting for the store's lock, with its outcome once a batch has written it. The
/// outcome is set and read only by tasks holding the store's lock.
private final class WaitingAppend: @unchecked Sendable {
    let append: JournalAppend
    var outcome: Result<AppendResult, any Error>?

    init(_ append: JournalAppend) { self.append = append }
}
