import Foundation
import MezhvedArchive
import PostgresNIO

/// The web workplace's sessions in PostgreSQL (`web_sessions`), shared by every node of the store:
/// a person signed in on one node is signed in on all, and signing out on one ends the session on
/// all. Idleness is measured on the database's clock. Each resumed session is one `UPDATE … RETURNING`.
struct PostgresSessionStore: SessionStore {
    let pool: PostgresPool

    func start(_ session: StoredSession, idleTimeout: Duration, capacity: Int) async throws {
        let idle = Self.seconds(idleTimeout)
        let keep = max(0, capacity - 1)
        try await pool.withConnection("starting a web session") { connection in
            _ = try await connection.query(
                "DELETE FROM web_sessions WHERE last_seen <= now() - \(idle) * interval '1 second'", logger: pool.logger)
            _ = try await connection.query(
                """
                DELETE FROM web_sessions WHERE digest IN
                    (SELECT digest FROM web_sessions ORDER BY last_seen DESC OFFSET \(keep))
                """, logger: pool.logger)
            _ = try await connection.query(
                """
                INSERT INTO web_sessions (digest, name, role, csrf_token, last_seen)
                VALUES (\(session.digest), \(session.name), \(session.role), \(session.csrfToken), now())
                ON CONFLICT (digest) DO UPDATE SET name = EXCLUDED.name, role = EXCLUDED.role,
                    csrf_token = EXCLUDED.csrf_token, last_seen = EXCLUDED.last_seen
                """, logger: pool.logger)
        }
    }

    func resume(digest: String, idleTimeout: Duration) async throws -> StoredSession? {
        let idle = Self.seconds(idleTimeout)
        return try await pool.withConnection("resuming a web session") { connection in
            let rows = try await connection.query(
                """
                UPDATE web_sessions SET last_seen = now()
                WHERE digest = \(digest) AND last_seen > now() - \(idle) * interval '1 second'
                RETURNING name, role, csrf_token
                """, logger: pool.logger)
            var found: StoredSession?
            for try await (name, role, csrf) in rows.decode((String, String, String).self) {
                found = StoredSession(digest: digest, name: name, role: role, csrfToken: csrf)
            }
            if found == nil {
                _ = try await connection.query("DELETE FROM web_sessions WHERE digest = \(digest)", logger: pool.logger)
            }
            return found
        }
    }

    func end(digest: String) async throws {
        try await pool.withConnection("ending a web session") { connection in
            _ = try await connection.query("DELETE FROM web_sessions WHERE digest = \(digest)", logger: pool.logger)
        }
    }

    func digests() async throws -> [String] {
        try await pool.withConnection("listing the web sessions") { connection in
            let rows = try await connection.query("SELECT digest FROM web_sessions ORDER BY digest", logger: pool.logger)
            var digests: [String] = []
            for try await digest in rows.decode(String.self) { digests.append(digest) }
            return digests
        }
    }

    /// A duration in (fractional) seconds, for an interval.
    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
