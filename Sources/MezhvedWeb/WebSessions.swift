import Foundation
import MezhvedGateway
import Synchronization

/// The pages' sessions, in memory: keyed by the SHA-256 of the session id (the id itself lives
/// only in the person's cookie), each with its CSRF token, ended after ``idleTimeout`` without a
/// request, on sign-out, and when its user is revoked. A restart ends every session.
public final class WebSessions: Sendable {
    struct Session: Sendable {
        let name: String
        let role: AccessRole
        let csrfToken: String
        var lastSeen: ContinuousClock.Instant
    }

    /// How long a session lasts without a request.
    public let idleTimeout: Duration
    /// The most sessions kept; the longest idle goes first beyond it.
    public let capacity: Int
    private let sessions = Mutex<[String: Session]>([:])

    public init(idleTimeout: Duration = .seconds(30 * 60), capacity: Int = 10_000) {
        self.idleTimeout = idleTimeout
        self.capacity = capacity
    }

    /// Starts a session for `user`: a new id (never one the browser brought: no fixation) and a
    /// new CSRF token. Returns the id for the cookie.
    func start(name: String, role: AccessRole, now: ContinuousClock.Instant = .now) -> (id: String, person: SignedInPerson) {
        let id = WebSecrets.random()
        let digest = WebSecrets.digest(id)
        let session = Session(name: name, role: role, csrfToken: WebSecrets.random(), lastSeen: now)
        sessions.withLock { table in
            table = table.filter { now - $0.value.lastSeen < idleTimeout }
            if table.count >= capacity, let oldest = table.min(by: { $0.value.lastSeen < $1.value.lastSeen }) {
                table[oldest.key] = nil
            }
            table[digest] = session
        }
        return (id, SignedInPerson(name: name, role: role, sessionDigest: digest, csrfToken: session.csrfToken))
    }

    /// The person whose session `id` is, when it is alive (and then it is touched).
    func person(id: String, now: ContinuousClock.Instant = .now) -> SignedInPerson? {
        guard WebSecrets.isWellFormed(id) else { return nil }
        let digest = WebSecrets.digest(id)
        return sessions.withLock { table -> SignedInPerson? in
            guard var session = table[digest] else { return nil }
            guard now - session.lastSeen < idleTimeout else {
                table[digest] = nil
                return nil
            }
            session.lastSeen = now
            table[digest] = session
            return SignedInPerson(name: session.name, role: session.role, sessionDigest: digest, csrfToken: session.csrfToken)
        }
    }

    /// Ends the session with this digest.
    func end(digest: String) { _ = sessions.withLock { $0.removeValue(forKey: digest) } }

    /// The digests kept (for the tests: the id itself is never among them).
    var digests: [String] { sessions.withLock { Array($0.keys) } }
}

/// Failed sign-ins by login: after ``limit`` failures within ``window`` the login is locked until
/// the oldest of them is older than the window. Counted in memory (a restart forgets them).
public final class SignInThrottle: Sendable {
    public let limit: Int
    public let window: Duration
    private let failures = Mutex<[String: [ContinuousClock.Instant]]>([:])

    public init(limit: Int = 5, window: Duration = .seconds(15 * 60)) {
        self.limit = limit
        self.window = window
    }

    /// When the login is locked: how long until it is not; nil when it may try.
    func lockedFor(_ name: String, now: ContinuousClock.Instant = .now) -> Duration? {
        failures.withLock { table -> Duration? in
            let recent = (table[name] ?? []).filter { now - $0 < window }
            table[name] = recent.isEmpty ? nil : recent
            guard recent.count >= limit, let oldest = recent.first else { return nil }
            return window - (now - oldest)
        }
    }

    /// Counts a failure.
    func fail(_ name: String, now: ContinuousClock.Instant = .now) {
        failures.withLock { table in
            if table.count > 100_000 { table = table.filter { $0.value.contains { now - $0 < window } } }
            table[name, default: []].append(now)
        }
    }

    /// Forgets the failures after a sign-in that succeeded.
    func succeed(_ name: String) { _ = failures.withLock { $0.removeValue(forKey: name) } }
}
