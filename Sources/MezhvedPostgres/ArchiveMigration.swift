import Foundation
import MezhvedArchive
import PostgresNIO

/// Moves a filesystem archive into an empty, migrated PostgreSQL schema: `archive.json` exactly as
/// stored, every log line's exact bytes (so every hash, the chain and the signed checkpoints hold
/// unchanged), the counters the log's numbers reach, every object and every checkpoint, all in one
/// transaction (a failed migration leaves the schema empty). The archive must be intact (it is read as the filesystem store opens it) and no
/// other process may be appending to it meanwhile (its lock is not held for the whole copy: stop
/// the gateway first). Audit the result (`mezhved archive migrate` does).
public enum ArchiveMigration {
    /// What was moved.
    public struct Summary: Sendable, Equatable {
        public let events: Int
        public let objects: Int
        public let checkpoints: Int
    }

    /// Copies the archive at `folder` into `settings`' schema.
    public static func fileSystemToPostgres(_ folder: String, to settings: PostgresStoreSettings) async throws -> Summary {
        let storage = try await FileSystemStorage.open(at: folder)
        let head = try await storage.head()
        guard let configurationBytes = FileManager.default.contents(atPath: folder + "/archive.json").map(Array.init) else {
            throw ArchiveError(.archiveUnusable, "\(folder)/archive.json cannot be read")
        }
        guard let logBytes = FileManager.default.contents(atPath: folder + "/log/events.log").map(Array.init) else {
            throw ArchiveError(.archiveUnusable, "\(folder)/log/events.log cannot be read")
        }
        var lines: [([UInt8], ArchiveEvent)] = []
        var start = 0
        while let newline = logBytes[start...].firstIndex(of: 10) {
            let line = logBytes[start..<newline]
            guard case .success(let event) = EventLine.parse(line) else {
                throw ArchiveError(
                    .integrityBroken, "\(folder)/log/events.log: the entry after entry \(lines.count) is damaged",
                    hint: "run `mezhved archive audit` and `mezhved archive recover` before migrating")
            }
            lines.append((Array(line), event))
            start = newline + 1
        }
        guard lines.last?.1.seq == head.seq, lines.last?.1.hash == head.hash else {
            throw ArchiveError(
                .archiveUnusable, "\(folder) changed while it was read (another process appended)",
                hint: "stop the gateway using the archive, then migrate again")
        }
        let digests = try await storage.objects.list()
        let checkpoints = try await storage.checkpoints.all()
        let objects = storage.objects
        try await PostgresStorage.importArchive(settings, configurationBytes: configurationBytes, lines: lines) { connection, pool in
            for digest in digests {
                let bytes = try await objects.get(digest)
                try await connection.query(
                    "INSERT INTO archive_objects (digest, bytes) VALUES (\(digest), \(ByteBuffer(bytes: bytes)))", logger: pool.logger)
            }
            for checkpoint in checkpoints {
                try await connection.query(
                    "INSERT INTO archive_checkpoints (seq, name, document) VALUES (\(checkpoint.checkpoint.seq), \(checkpoint.name), \(ByteBuffer(bytes: checkpoint.bytes)))",
                    logger: pool.logger)
            }
        }
        return Summary(events: lines.count, objects: digests.count, checkpoints: checkpoints.count)
    }
}
