import Foundation
import MezhvedArchive
import MezhvedGateway
import Synchronization

/// The pages' sessions, kept by a ``SessionStore``: in this process's memory for the filesystem
/// store (a restart ends every session), in a table every node shares for PostgreSQL. Keyed by the
/// SHA-256 of the session id (the id itself lives only in the person's cookie), each with its CSRF
/// token, ended after ``idleTimeout`` without a request, on sign-out, and when its user is revoked.
public final class WebSessions: Sendable {
    /// How long a session lasts without a request.
    public let idleTimeout: Duration
    /// The most sessions kept; the longest idle goes first beyond it.
    public let capacity: Int
    let store: any SessionStore

    public init(store: any SessionStore = LocalSessionStore(), idleTimeout: Duration = .seconds(30 * 60), capacity: Int = 10_000) {
        self.store = store
        self.idleTimeout = idleTimeout
        self.capacity = capacity
    }

    /// Starts a session for `user`: a new id (never one the browser brought: no fixation) and a
    /// new CSRF token. Returns the id for the cookie.
    func start(name: String, role: AccessRole) async throws -> (id: String, person: SignedInPerson) {
        let id = WebSecrets.random()
        let session = StoredSession(digest: WebSecrets.digest(id), name: name, role: role.rawValue, csrfToken: WebSecrets.random())
        try await store.start(session, idleTimeout: idleTimeout, capacity: capacity)
        return (id, SignedInPerson(name: name, role: role, sessionDigest: session.digest, csrfToken: session.csrfToken))
    }

    /// The person whose session `id` is, when it is alive (and then it is touched). A session whose
    /// role this version does not know is ended.
    func person(id: String) async throws -> SignedInPerson? {
        guard WebSecrets.isWellFormed(id) else { return nil }
        let digest = WebSecrets.digest(id)
        guard let session = try await store.resume(digest: digest, idleTimeout: idleTimeout) else { return nil }
        guard let role = AccessRole(rawValue: session.role) else {
            try await store.end(digest: digest)
            return nil
        }
        return SignedInPerson(name: session.name, role: role, sessionDigest: digest, csrfToken: session.csrfToken)
    }

    /// Ends the session with this digest.
    func end(digest: String) async throws { try await store.end(digest: digest) }

    /// The digests kept (for the tests: the id itself is never among them).
    var digests: [String] { get async throws { try await store.digests() } }
}

/// Failed sign-ins by login: after ``limit`` failures within ``window`` the login is locked until
/// the oldest of them is older than the window. Counted by a ``SignInFailureStore``: in memory for
/// the filesystem store (a restart forgets them), in the PostgreSQL store for every node together.
public final class SignInThrottle: Sendable {
    public let limit: Int
    public let window: Duration
    let failures: any SignInFailureStore

    public init(limit: Int = 5, window: Duration = .seconds(15 * 60), failures: any SignInFailureStore = LocalSignInFailures()) {
        self.limit = limit
        self.window = window
        self.failures = failures
    }

    /// When the login is locked: how long until it is not; nil when it may try.
    func lockedFor(_ name: String) async throws -> Duration? {
        let recent = try await failures.recent(name, window: window)
        guard recent.count >= limit, let age = recent.oldestAge else { return nil }
        return max(.seconds(1), window - age)
    }

    /// Counts a failure.
    func fail(_ name: String) async throws { try await failures.fail(name, window: window) }

    /// Forgets the failures after a sign-in that succeeded.
    func succeed(_ name: String) async throws { try await failures.clear(name) }
}
