import Foundation
import MezhvedArchive
import MezhvedCore
import PostgresNIO
import Synchronization

/// The documents in PostgreSQL: one `archive_objects` row per object, named by the SHA-256 (hex)
/// of its bytes (bytea). A put only holds the bytes (``PendingObjects``): the row is inserted in
/// the transaction of the append that names the object, so a node killed between the two leaves
/// neither, and a refused append leaves nothing to clean.
struct PostgresObjectStore: ArchiveObjectStore {
    let pool: PostgresPool
    let pending: PendingObjects

    init(pool: PostgresPool, pending: PendingObjects = PendingObjects()) {
        self.pool = pool
        self.pending = pending
    }

    func put(_ bytes: [UInt8]) async throws -> String {
        let digest = ArchiveDigest.sha256Hex(bytes)
        pending.hold(digest, bytes)
        return digest
    }

    func get(_ digest: String) async throws -> [UInt8] {
        let found = try await pool.withConnection("reading a document") { connection -> [UInt8]? in
            let rows = try await connection.query("SELECT bytes FROM archive_objects WHERE digest = \(digest)", logger: pool.logger)
            var found: [UInt8]?
            for try await bytes in rows.decode(ByteBuffer.self) { found = Array(bytes.readableBytesView) }
            return found
        }
        guard let found = found ?? pending.bytes(digest) else {
            throw ArchiveError(
                .integrityBroken, "the document \(digest) is missing from archive_objects of \(pool.settings.url)",
                hint: "run `mezhved archive audit`")
        }
        return found
    }

    func list() async throws -> [String] {
        try await pool.withConnection("listing the documents") { connection in
            let rows = try await connection.query("SELECT digest FROM archive_objects ORDER BY digest", logger: pool.logger)
            var digests: [String] = []
            for try await digest in rows.decode(String.self) { digests.append(digest) }
            return digests
        }
    }
}

/// The objects put and not yet written: held until the append that names them inserts them in
/// its transaction (and then released, whatever it came to). Two registrations of the same bytes
/// hold them twice. Held bytes not released within ``limit`` (a caller that put and never
/// appended) are dropped at the next put, so the holding stays bounded.
final class PendingObjects: Sendable {
    private let held = Mutex<[String: (bytes: [UInt8], holders: Int, since: ContinuousClock.Instant)]>([:])
    let limit: Duration

    init(limit: Duration = .seconds(600)) { self.limit = limit }

    func hold(_ digest: String, _ bytes: [UInt8], now: ContinuousClock.Instant = .now) {
        held.withLock { held in
            held = held.filter { now - $0.value.since < limit }
            if let kept = held[digest] {
                held[digest] = (kept.bytes, kept.holders + 1, now)
            } else {
                held[digest] = (bytes, 1, now)
            }
        }
    }

    func bytes(_ digest: String) -> [UInt8]? { held.withLock { $0[digest]?.bytes } }

    func release(_ digest: String) {
        held.withLock { held in
            guard let kept = held[digest] else { return }
            held[digest] = kept.holders > 1 ? (kept.bytes, kept.holders - 1, kept.since) : nil
        }
    }

    /// How many objects are held (for the tests).
    var count: Int { held.withLock { $0.count } }
}

/// The signed checkpoints in PostgreSQL (`archive_checkpoints`), written in a transaction that
/// locks the log's head, so the checkpoint covers exactly the head it names.
struct PostgresCheckpointStore: CheckpointStore {
    let pool: PostgresPool
    let agency: String

    func all() async throws -> [StoredCheckpoint] {
        try await pool.withConnection("reading the checkpoints") { connection in
            try await Self.stored(connection, pool: pool, latestOnly: false)
        }
    }

    func latest() async throws -> StoredCheckpoint? {
        try await pool.withConnection("reading the checkpoints") { connection in
            try await Self.stored(connection, pool: pool, latestOnly: true).last
        }
    }

    static func stored(_ connection: PostgresConnection, pool: PostgresPool, latestOnly: Bool) async throws -> [StoredCheckpoint] {
        let rows = try await connection.query(
            latestOnly
                ? "SELECT name, document FROM archive_checkpoints ORDER BY seq DESC LIMIT 1"
                : "SELECT name, document FROM archive_checkpoints ORDER BY seq",
            logger: pool.logger)
        var stored: [StoredCheckpoint] = []
        for try await (name, document) in rows.decode((String, ByteBuffer).self) {
            let bytes = Array(document.readableBytesView)
            stored.append(
                StoredCheckpoint(name: name, bytes: bytes, checkpoint: try Checkpoint.read(bytes, sourceName: "checkpoint \(name)")))
        }
        return stored
    }

    func write(sign: @escaping @Sendable (Checkpoint) throws -> [UInt8]) async throws -> StoredCheckpoint {
        try await pool.transaction("writing a checkpoint") { [agency] connection in
            let headRows = try await connection.query("SELECT seq, hash FROM archive_head WHERE id = 1 FOR UPDATE", logger: pool.logger)
            var head: (seq: Int, hash: String)?
            for try await (seq, hash) in headRows.decode((Int, String).self) { head = (seq, hash) }
            guard let head else { throw ArchiveError(.integrityBroken, "\(pool.settings.url) has no archive_head row") }
            let latest = try await Self.stored(connection, pool: pool, latestOnly: true).last
            if let latest, latest.checkpoint.seq == head.seq { return latest }
            let checkpoint = Checkpoint(
                seq: head.seq, head: head.hash, count: head.seq, time: ISOTime.string(Date(), milliseconds: true),
                previous: latest.map { ArchiveDigest.sha256Hex($0.bytes) } ?? EventLine.genesis, agency: agency)
            let signed = try sign(checkpoint)
            let name = String(format: "%012d.xml", checkpoint.seq)
            try await connection.query(
                "INSERT INTO archive_checkpoints (seq, name, document) VALUES (\(checkpoint.seq), \(name), \(ByteBuffer(bytes: signed)))",
                logger: pool.logger)
            return StoredCheckpoint(name: name, bytes: signed, checkpoint: checkpoint)
        }
    }
}
