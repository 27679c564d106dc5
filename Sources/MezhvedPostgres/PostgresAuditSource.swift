import Foundation
import MezhvedArchive
import PostgresNIO

/// The audit source of a PostgreSQL archive: reads the rows without trusting them. Every
/// `archive_events` row's line is checked as the filesystem log's lines are (its own hash, the seq
/// order, the prev chain), so a row updated, deleted or inserted by SQL is named; the head row and
/// the numbering counters are checked against the log (a row removed from the end of the log
/// leaves the head and counters ahead of it). The signed checkpoints then prove that the log was
/// not cut back or rewritten as a whole.
public struct PostgresAuditSource: ArchiveAuditSource {
    public let settings: PostgresStoreSettings
    public let objects: any ArchiveObjectStore
    let pool: PostgresPool

    /// The archive in the schema `settings` names (checked for its migrations).
    public static func open(_ settings: PostgresStoreSettings) async throws -> PostgresAuditSource {
        let pool = try PostgresPool(settings)
        try await PostgresMigrations.check(pool)
        return PostgresAuditSource(settings: settings, objects: PostgresObjectStore(pool: pool), pool: pool)
    }

    public var name: String { settings.url }

    public func configurationBytes() async throws -> [UInt8] {
        guard let bytes = try await PostgresStorage.configurationBytes(pool) else {
            throw ArchiveError(.archiveUnusable, "\(settings.url) holds no archive (no archive_configuration row)")
        }
        return bytes
    }

    public func auditLog() async throws -> LogAudit {
        try await pool.withConnection("reading the log for the audit") { connection in
            let rows = try await connection.query("SELECT seq, line FROM archive_events ORDER BY seq", logger: pool.logger)
            var journal = Journal()
            var hashes: [Int: String] = [:]
            var damage: [AuditFinding] = []
            var expectedSeq = 1
            var expectedPrev = EventLine.genesis
            var count = 0
            var lastSeq = 0
            for try await (row, line) in rows.decode((Int, ByteBuffer).self) {
                let item = "archive_events seq \(row)"
                switch EventLine.parse(Array(line.readableBytesView)[...]) {
                case .failure(let failure):
                    let what = failure == .notJSON ? "is not a log entry" : "has been altered (its hash does not match its line)"
                    damage.append(AuditFinding(.logDamaged, item: item, "the row \(what)"))
                    expectedSeq = row + 1
                    expectedPrev = ""
                case .success(let event):
                    if event.seq != row {
                        damage.append(
                            AuditFinding(.logDamaged, item: item, "the row's line holds entry \(event.seq): a row renumbered or copied"))
                    } else if event.seq != expectedSeq {
                        damage.append(
                            AuditFinding(
                                .logDamaged, item: item,
                                "entries \(expectedSeq)…\(event.seq - 1) are missing before it: rows deleted from the log"))
                    } else if event.prev != expectedPrev {
                        damage.append(
                            AuditFinding(
                                .logDamaged, item: item,
                                "entry \(event.seq) does not chain to the entry before it (its prev is not that entry's hash: an entry before it was altered, removed, replaced, or this one inserted)"
                            ))
                    }
                    journal.apply(event)
                    if hashes[event.seq] == nil { hashes[event.seq] = event.hash }
                    count += 1
                    lastSeq = event.seq
                    expectedSeq = event.seq + 1
                    expectedPrev = event.hash
                }
            }
            return LogAudit(journal: journal, damage: damage, hashes: hashes, count: count, lastSeq: lastSeq)
        }
    }

    public func checkpointDocuments() async throws -> [CheckpointDocument] {
        try await pool.withConnection("reading the checkpoints for the audit") { connection in
            let rows = try await connection.query("SELECT name, document FROM archive_checkpoints ORDER BY seq", logger: pool.logger)
            var documents: [CheckpointDocument] = []
            for try await (name, document) in rows.decode((String, ByteBuffer).self) {
                documents.append(CheckpointDocument(name: name, bytes: Array(document.readableBytesView)))
            }
            return documents
        }
    }

    /// The head row and the counter rows against the log; objects whose row name is not a digest.
    public func mediumAudit() async throws -> MediumAudit {
        let log = try await auditLog()
        return try await pool.withConnection("reading the head and the counters for the audit") { connection in
            var audit = MediumAudit()
            let headRows = try await connection.query("SELECT seq, hash FROM archive_head", logger: pool.logger)
            var heads: [(Int, String)] = []
            for try await (seq, hash) in headRows.decode((Int, String).self) { heads.append((seq, hash)) }
            if let (seq, hash) = heads.first, heads.count == 1 {
                if seq != log.lastSeq || log.hashes[seq] != hash {
                    audit.integrity.append(
                        AuditFinding(
                            seq > log.lastSeq ? .logTruncated : .logDamaged, item: "archive_head",
                            "the head row names entry \(seq), but the log ends at entry \(log.lastSeq)\(seq > log.lastSeq ? ": rows were deleted from the end of the log" : seq == log.lastSeq ? " with another hash: the last row was replaced" : ": rows were inserted after the head or the head row was changed")"
                        ))
                }
            } else {
                audit.integrity.append(AuditFinding(.logDamaged, item: "archive_head", "there are \(heads.count) head rows, not one"))
            }
            let counterRows = try await connection.query(
                "SELECT agency, year, direction, last FROM number_counters ORDER BY agency, year, direction", logger: pool.logger)
            var counters: [String: Int] = [:]
            for try await (agency, year, direction, last) in counterRows.decode((String, Int, String, Int).self) {
                if agency != log.journal.agency {
                    audit.integrity.append(
                        AuditFinding(
                            .journalInconsistent, item: "number_counters \(agency) \(year) \(direction)",
                            "a counter of another agency than the archive's \(log.journal.agency ?? "?")"))
                }
                counters["\(year)/\(direction)"] = last
            }
            for key in Set(counters.keys).union(log.journal.counters.keys).sorted() {
                let row = counters[key] ?? 0
                let journal = log.journal.counters[key] ?? 0
                guard row != journal else { continue }
                audit.integrity.append(
                    AuditFinding(
                        row > journal ? .numberHole : .journalInconsistent, item: "number_counters \(key)",
                        row > journal
                            ? "the counter row is at \(row), but the log's numbers end at \(journal): registrations were deleted from the log"
                            : "the counter row is at \(row), but the log's numbers reach \(journal): numbers were taken outside mezhved"))
            }
            audit.notes.append("PostgreSQL store \(settings.url): \(log.count) event rows, head and counters checked against the log")
            return audit
        }
    }
}

extension PostgresAuditSource {
    /// Closes the pool's connections.
    public func close() { pool.close() }
}
