import Foundation
import MezhvedArchive
import MezhvedCore
import PostgresNIO

/// The documents in PostgreSQL: one `archive_objects` row per object, named by the SHA-256 (hex)
/// of its bytes (bytea). A put is committed before it returns, so the object is durable before
/// any event names it.
struct PostgresObjectStore: ArchiveObjectStore {
    let pool: PostgresPool

    func put(_ bytes: [UInt8]) async throws -> String {
        let digest = ArchiveDigest.sha256Hex(bytes)
        try await pool.withConnection("storing a document") { connection in
            _ = try await connection.query(
                "INSERT INTO archive_objects (digest, bytes) VALUES (\(digest), \(ByteBuffer(bytes: bytes))) ON CONFLICT (digest) DO NOTHING",
                logger: pool.logger)
        }
        return digest
    }

    func get(_ digest: String) async throws -> [UInt8] {
        let found = try await pool.withConnection("reading a document") { connection -> [UInt8]? in
            let rows = try await connection.query("SELECT bytes FROM archive_objects WHERE digest = \(digest)", logger: pool.logger)
            var found: [UInt8]?
            for try await bytes in rows.decode(ByteBuffer.self) { found = Array(bytes.readableBytesView) }
            return found
        }
        guard let found else {
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
