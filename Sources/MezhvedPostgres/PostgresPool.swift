import Foundation
import Logging
import MezhvedArchive
import PostgresNIO

/// The connection pool (``PostgresClient``) and the task that runs it; errors come out as
/// ``ArchiveError`` naming the server and what failed.
final class PostgresPool: Sendable {
    let settings: PostgresStoreSettings
    let client: PostgresClient
    let logger: Logger
    private let runner: Task<Void, Never>

    init(_ settings: PostgresStoreSettings) throws {
        self.settings = settings
        var logger = Logger(label: "mezhved.postgres")
        logger.logLevel = .error
        self.logger = logger
        let client = PostgresClient(configuration: try settings.clientConfiguration(), backgroundLogger: logger)
        self.client = client
        self.runner = Task { await client.run() }
    }

    deinit { runner.cancel() }

    /// Connects once, directly, so that an unreachable server or a refused login is reported at
    /// once with the server's own words (the pool would retry behind a circuit breaker).
    func probe() async throws {
        do {
            let connection = try await PostgresConnection.connect(
                configuration: try settings.connectionConfiguration(), id: 0, logger: logger)
            try await connection.close()
        } catch let error as ArchiveError {
            throw error
        } catch {
            // A refused login (28…) or a database that does not exist (3D000) is the configuration's fault.
            let state = (error as? PSQLError)?.serverInfo?[.sqlState] ?? ""
            throw ArchiveError(
                state.hasPrefix("28") || state == "3D000" ? .storeConfigurationInvalid : .storeUnavailable,
                "cannot connect to PostgreSQL at \(settings.host):\(settings.port)/\(settings.database) as \(settings.username): \(Self.describe(error))",
                hint: "check that the server runs and listens there, and that the password file holds \(settings.username)'s password")
        }
    }

    /// Stops the pool (its connections close).
    func close() { runner.cancel() }

    /// Runs `body` on a leased connection.
    func withConnection<T: Sendable>(_ what: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withConnection { connection in try await body(connection) }
        } catch {
            throw translate(error, what)
        }
    }

    /// Runs `body` in a transaction: committed when it returns (acknowledged = committed), rolled back when it throws.
    func transaction<T: Sendable>(_ what: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        } catch {
            throw translate(error, what)
        }
    }

    /// The error a caller sees: an ``ArchiveError`` unchanged, a PostgreSQL failure as ``ArchiveError/Code/storeUnavailable``.
    func translate(_ error: any Error, _ what: String) -> any Error {
        if let transaction = error as? PostgresTransactionError {
            if let inner = transaction.closureError { return translate(inner, what) }
            let reason = transaction.beginError ?? transaction.commitError ?? transaction.rollbackError
            return ArchiveError(
                .storeUnavailable,
                "PostgreSQL at \(settings.host):\(settings.port)/\(settings.database): \(what) failed: \(Self.describe(reason))",
                hint: "check that the server runs and accepts \(settings.username); nothing was written")
        }
        if error is ArchiveError { return error }
        if error is CancellationError { return error }
        return ArchiveError(
            .storeUnavailable,
            "PostgreSQL at \(settings.host):\(settings.port)/\(settings.database): \(what) failed: \(Self.describe(error))",
            hint:
                "check that the server runs, accepts \(settings.username) with the password file's password, and the schema \(settings.schema) is migrated (`mezhved db migrate`)"
        )
    }

    /// A PostgreSQL error in words (PSQLError hides its details from `description`).
    static func describe(_ error: (any Error)?) -> String {
        guard let error else { return "unknown error" }
        if let psql = error as? PSQLError {
            if let message = psql.serverInfo?[.message] {
                let code = psql.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                return message + code
            }
            return "\(psql.code)" + (psql.underlying.map { ": \($0)" } ?? "")
        }
        return "\(error)"
    }
}
