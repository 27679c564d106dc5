import Foundation
import MezhvedArchive
import PostgresNIO

/// The store's schema as numbered SQL files in the module's resources (`Migrations/0001_archive.sql`,
/// …), applied in order by ``apply(_:)`` (`mezhved db migrate`) and checked when a store opens.
public enum PostgresMigrations {
    /// One migration: its number, name and statements.
    public struct Migration: Sendable, Equatable {
        public let version: Int
        public let name: String
        public let sql: String
    }

    /// Every migration this version knows, in order.
    public static func all() throws -> [Migration] {
        guard let folder = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw ArchiveError(.internalFailure, "the migrations are missing from the MezhvedPostgres resources")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        return try names.map { name in
            guard let version = Int(name.prefix(while: { $0.isNumber })) else {
                throw ArchiveError(.internalFailure, "the migration file \(name) has no number")
            }
            let sql = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            return Migration(version: version, name: String(name.dropLast(4)), sql: sql)
        }
    }

    /// The statements of a migration: split where a line ends in a semicolon, comments dropped.
    static func statements(_ sql: String) -> [String] {
        var statements: [String] = []
        var current = ""
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("--") || trimmed.isEmpty { continue }
            current += line + "\n"
            if trimmed.hasSuffix(";") {
                statements.append(current)
                current = ""
            }
        }
        if !current.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { statements.append(current) }
        return statements
    }

    /// Applies the migrations the schema lacks, each in its own transaction, under an advisory
    /// lock (two nodes migrating at once apply each once). Returns the names applied.
    @discardableResult
    public static func apply(_ settings: PostgresStoreSettings) async throws -> [String] {
        let pool = try PostgresPool(settings)
        defer { pool.close() }
        try await pool.probe()
        let migrations = try all()
        return try await pool.transaction("migrating") { connection in
            let logger = pool.logger
            try await connection.query("SELECT pg_advisory_xact_lock(4242019)", logger: logger)
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(settings.schema)"), logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
                """, logger: logger)
            let done = try await appliedVersions(connection, logger: logger)
            var applied: [String] = []
            for migration in migrations where !done.contains(migration.version) {
                for statement in statements(migration.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))", logger: logger)
                applied.append(migration.name)
            }
            return applied
        }
    }

    static func appliedVersions(_ connection: PostgresConnection, logger: Logger) async throws -> Set<Int> {
        var done = Set<Int>()
        let rows = try await connection.query("SELECT version FROM schema_migrations", logger: logger)
        for try await version in rows.decode(Int.self) { done.insert(version) }
        return done
    }

    /// Refuses a schema that lacks a migration, naming the first missing one.
    static func check(_ pool: PostgresPool) async throws {
        try await pool.probe()
        let migrations = try all()
        let settings = pool.settings
        let exists = try await pool.withConnection("checking the migrations") { connection in
            let rows = try await connection.query(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = \(settings.schema) AND table_name = 'schema_migrations'",
                logger: pool.logger)
            var count = 0
            for try await value in rows.decode(Int.self) { count = value }
            return count > 0
        }
        let done =
            exists ? try await pool.withConnection("checking the migrations") { try await appliedVersions($0, logger: pool.logger) } : []
        if let missing = migrations.first(where: { !done.contains($0.version) }) {
            throw ArchiveError(
                .migrationMissing,
                "the PostgreSQL schema \(settings.schema) of \(settings.host):\(settings.port)/\(settings.database) lacks migration \(missing.name)",
                hint: "apply it with `mezhved db migrate --gateway CONFIG` (or `--url`), then start again")
        }
    }
}
