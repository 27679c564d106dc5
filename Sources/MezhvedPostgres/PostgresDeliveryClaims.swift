import Foundation
import MezhvedArchive
import PostgresNIO

/// The delivery claims in PostgreSQL (`delivery_claims`), shared by every node of the store: a
/// claim is one row per message, taken with an upsert that succeeds only when there is no row or
/// its lease has lapsed, so exactly one node wins; the lease is measured on the database's clock.
/// A lease row, not a row lock held with `FOR UPDATE SKIP LOCKED`: a delivery is an HTTP push that
/// may take a request timeout, and a lock would hold a pooled connection (and a transaction) open
/// for all of it; a lapsed lease frees the message of a dead node all the same.
struct PostgresDeliveryClaims: DeliveryClaims {
    let pool: PostgresPool

    func claim(_ messageID: String, node: String, until: Date, now: Date) async throws -> Bool {
        let lease = max(1, until.timeIntervalSince(now))
        return try await pool.withConnection("claiming a delivery") { connection in
            let rows = try await connection.query(
                """
                INSERT INTO delivery_claims (message_id, node, claimed_until)
                VALUES (\(messageID), \(node), now() + \(lease) * interval '1 second')
                ON CONFLICT (message_id) DO UPDATE SET node = EXCLUDED.node, claimed_until = EXCLUDED.claimed_until
                WHERE delivery_claims.claimed_until <= now()
                RETURNING node
                """, logger: pool.logger)
            var taken = false
            for try await _ in rows.decode(String.self) { taken = true }
            return taken
        }
    }

    func release(_ messageID: String, node: String) async throws {
        try await pool.withConnection("giving a delivery back") { connection in
            _ = try await connection.query(
                "DELETE FROM delivery_claims WHERE message_id = \(messageID) AND node = \(node)", logger: pool.logger)
        }
    }

    func claimed(now: Date) async throws -> Set<String> {
        try await pool.withConnection("reading the delivery claims") { connection in
            let rows = try await connection.query(
                "SELECT message_id FROM delivery_claims WHERE claimed_until > now()", logger: pool.logger)
            var ids = Set<String>()
            for try await id in rows.decode(String.self) { ids.insert(id) }
            return ids
        }
    }
}
