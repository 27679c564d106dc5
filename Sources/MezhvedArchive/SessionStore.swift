import Foundation
import Synchronization

/// A signed-in person's session as a store keeps it: under the SHA-256 of its id (the id itself
/// lives only in the person's cookie), with the person's name, role and the session's CSRF token.
public struct StoredSession: Sendable, Equatable {
    /// The SHA-256 (hex) of the session id.
    public let digest: String
    public let name: String
    /// The role's name (`clerk`, `signatory`, …) as the person had it at sign-in.
    public let role: String
    /// The token every form of the session carries (not a credential alone: it is worth nothing
    /// without the session's cookie).
    public let csrfToken: String

    public init(digest: String, name: String, role: String, csrfToken: String) {
        self.digest = digest
        self.name = name
        self.role = role
        self.csrfToken = csrfToken
    }
}

/// Where the web workplace's sessions live. A session idle for its timeout is over; beyond the
/// capacity the longest idle goes first. The filesystem store's gateway is one process and keeps
/// them in memory (``LocalSessionStore``: a restart ends every session); the PostgreSQL store keeps
/// them in a table every node shares, so a person signed in on one node is signed in on all.
public protocol SessionStore: Sendable {
    /// Keeps `session`, seen now; first ends the sessions idle for `idleTimeout` and, when
    /// `capacity` are kept, the longest idle.
    func start(_ session: StoredSession, idleTimeout: Duration, capacity: Int) async throws
    /// The session under `digest` when it has been idle less than `idleTimeout`, now seen again;
    /// nil (and ended) when it has not.
    func resume(digest: String, idleTimeout: Duration) async throws -> StoredSession?
    /// Ends the session under `digest` (nothing when there is none).
    func end(digest: String) async throws
    /// The digests kept (for the tests: the ids are never among them).
    func digests() async throws -> [String]
}

/// The sessions of one process, in memory, measured on `clock` (the system's unless a test gives its own).
public final class LocalSessionStore: SessionStore {
    private let table = Mutex<[String: (session: StoredSession, lastSeen: ContinuousClock.Instant)]>([:])
    private let clock: @Sendable () -> ContinuousClock.Instant

    public init(clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) { self.clock = clock }

    public func start(_ session: StoredSession, idleTimeout: Duration, capacity: Int) {
        let now = clock()
        table.withLock { table in
            table = table.filter { now - $0.value.lastSeen < idleTimeout }
            while table.count >= max(1, capacity), let oldest = table.min(by: { $0.value.lastSeen < $1.value.lastSeen }) {
                table[oldest.key] = nil
            }
            table[session.digest] = (session, now)
        }
    }

    public func resume(digest: String, idleTimeout: Duration) -> StoredSession? {
        let now = clock()
        return table.withLock { table -> StoredSession? in
            guard let kept = table[digest] else { return nil }
            guard now - kept.lastSeen < idleTimeout else {
                table[digest] = nil
                return nil
            }
            table[digest] = (kept.session, now)
            return kept.session
        }
    }

    public func end(digest: String) { _ = table.withLock { $0.removeValue(forKey: digest) } }

    public func digests() -> [String] { table.withLock { Array($0.keys) } }
}
