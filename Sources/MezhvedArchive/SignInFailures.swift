import Foundation
import Synchronization

/// The failed sign-ins of each login within a window, counted where every node sees them: in this
/// process's memory for the filesystem store (one process serves it), in a table for the PostgreSQL
/// store, so that trying passwords on one node after another gains nothing.
public protocol SignInFailureStore: Sendable {
    /// How many failures of `name` are younger than `window`, and how long ago the oldest of them was.
    func recent(_ name: String, window: Duration) async throws -> (count: Int, oldestAge: Duration?)
    /// Counts a failure of `name` now (and forgets those older than `window`).
    func fail(_ name: String, window: Duration) async throws
    /// Forgets the failures of `name` (after a sign-in that succeeded).
    func clear(_ name: String) async throws
}

/// The failures of one process, in memory, on `clock` (the system's unless a test gives its own).
public final class LocalSignInFailures: SignInFailureStore {
    /// More logins than this with failures, and those whose failures all left the window are forgotten.
    static let sweepAbove = 100_000
    private let failures = Mutex<[String: [ContinuousClock.Instant]]>([:])
    private let clock: @Sendable () -> ContinuousClock.Instant

    public init(clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) { self.clock = clock }

    public func recent(_ name: String, window: Duration) -> (count: Int, oldestAge: Duration?) {
        let now = clock()
        return failures.withLock { table in
            let recent = (table[name] ?? []).filter { now - $0 < window }
            table[name] = recent.isEmpty ? nil : recent
            return (recent.count, recent.first.map { now - $0 })
        }
    }

    public func fail(_ name: String, window: Duration) {
        let now = clock()
        failures.withLock { table in
            if table.count > Self.sweepAbove { table = table.filter { $0.value.contains { now - $0 < window } } }
            table[name, default: []].append(now)
        }
    }

    public func clear(_ name: String) { _ = failures.withLock { $0.removeValue(forKey: name) } }
}
