import Foundation
import MezhvedArchive
import PostgresNIO

/// The API's tokens and the web users in PostgreSQL (`credentials`, migration 0004), shared by
/// every node: a token issued or revoked by `mezhved token` on any machine holds on every node.
struct PostgresCredentialStore: CredentialStore {
    let pool: PostgresPool

    func list(_ kind: CredentialKind) async throws -> [StoredCredential] {
        try await pool.withConnection("reading the \(kind.rawValue) credentials") { connection in
            let rows = try await connection.query(
                "SELECT name, role, created, verifier FROM credentials WHERE kind = \(kind.rawValue) ORDER BY name",
                logger: pool.logger)
            var found: [StoredCredential] = []
            for try await (name, role, created, verifier) in rows.decode((String, String, String, String).self) {
                found.append(StoredCredential(kind: kind, name: name, role: role, created: created, verifier: verifier))
            }
            return found
        }
    }

    func add(_ credential: StoredCredential) async throws -> Bool {
        try await pool.withConnection("adding a \(credential.kind.rawValue) credential") { connection in
            let rows = try await connection.query(
                """
                INSERT INTO credentials (kind, name, role, created, verifier)
                VALUES (\(credential.kind.rawValue), \(credential.name), \(credential.role), \(credential.created), \(credential.verifier))
                ON CONFLICT (kind, name) DO NOTHING RETURNING name
                """, logger: pool.logger)
            var added = false
            for try await _ in rows.decode(String.self) { added = true }
            return added
        }
    }

    func remove(_ kind: CredentialKind, name: String) async throws -> StoredCredential? {
        try await pool.withConnection("removing a \(kind.rawValue) credential") { connection in
            let rows = try await connection.query(
                "DELETE FROM credentials WHERE kind = \(kind.rawValue) AND name = \(name) RETURNING role, created, verifier",
                logger: pool.logger)
            var removed: StoredCredential?
            for try await (role, created, verifier) in rows.decode((String, String, String).self) {
                removed = StoredCredential(kind: kind, name: name, role: role, created: created, verifier: verifier)
            }
            return removed
        }
    }
}

/// The failed sign-ins in PostgreSQL (`sign_in_failures`), counted on the database's clock by
/// every node together: five wrong passwords spread over two nodes lock the login on both.
struct PostgresSignInFailures: SignInFailureStore {
    let pool: PostgresPool

    func recent(_ name: String, window: Duration) async throws -> (count: Int, oldestAge: Duration?) {
        let seconds = PostgresSessionStore.seconds(window)
        return try await pool.withConnection("counting failed sign-ins") { connection in
            let rows = try await connection.query(
                """
                SELECT count(*)::bigint, extract(epoch FROM now() - min(failed_at))::double precision
                FROM sign_in_failures WHERE name = \(name) AND failed_at > now() - \(seconds) * interval '1 second'
                """, logger: pool.logger)
            var result: (count: Int, oldestAge: Duration?) = (0, nil)
            for try await (count, age) in rows.decode((Int, Double?).self) {
                result = (count, age.map { Duration.milliseconds(Int64(($0 * 1000).rounded())) })
            }
            return result
        }
    }

    func fail(_ name: String, window: Duration) async throws {
        let seconds = PostgresSessionStore.seconds(window)
        try await pool.withConnection("counting a failed sign-in") { connection in
            _ = try await connection.query(
                "DELETE FROM sign_in_failures WHERE failed_at <= now() - \(seconds) * interval '1 second'", logger: pool.logger)
            _ = try await connection.query(
                "INSERT INTO sign_in_failures (name, failed_at) VALUES (\(name), now())", logger: pool.logger)
        }
    }

    func clear(_ name: String) async throws {
        try await pool.withConnection("forgetting failed sign-ins") { connection in
            _ = try await connection.query("DELETE FROM sign_in_failures WHERE name = \(name)", logger: pool.logger)
        }
    }
}

/// The credentials of a PostgreSQL store alone, for the commands that manage them (`mezhved token`,
/// `mezhved user`): a small pool and the migrations checked; the journal is not replayed.
public final class PostgresCredentials: Sendable {
    /// The tokens and users.
    public let store: any CredentialStore
    private let pool: PostgresPool

    private init(pool: PostgresPool) {
        self.pool = pool
        self.store = PostgresCredentialStore(pool: pool)
    }

    /// Connects to the store and checks that its schema is this version's.
    public static func open(_ settings: PostgresStoreSettings) async throws -> PostgresCredentials {
        var small = settings
        small.maximumConnections = min(settings.maximumConnections, 2)
        let pool = try PostgresPool(small)
        do {
            try await PostgresMigrations.check(pool)
        } catch {
            pool.close()
            throw error
        }
        return PostgresCredentials(pool: pool)
    }

    /// Closes the connections.
    public func close() { pool.close() }
}
