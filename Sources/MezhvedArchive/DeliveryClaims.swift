import Foundation
import Synchronization

/// Who is delivering a queued message now. A claim is taken before a delivery attempt and given
/// back after it; while it stands no other worker, in this process or on another node of the same
/// store, delivers that message. A claim has an expiry: a node that dies mid-delivery leaves one
/// that lapses, after which another node takes the message (the receiver's duplicate elimination
/// makes that second delivery safe). The filesystem store serves one process
/// (``LocalDeliveryClaims``); the PostgreSQL store keeps claims in a table shared by its nodes.
public protocol DeliveryClaims: Sendable {
    /// Takes `messageID` for `node` until `until`; false when a claim on it (this node's own
    /// included: one delivery at a time) has not expired at `now`.
    func claim(_ messageID: String, node: String, until: Date, now: Date) async throws -> Bool
    /// Gives `node`'s claim on `messageID` back (whatever the delivery came to); another node's is kept.
    func release(_ messageID: String, node: String) async throws
    /// The messages with a claim not expired at `now`, by any node.
    func claimed(now: Date) async throws -> Set<String>
}

/// The claims of one process (the filesystem store, which one process serves): kept in memory, so
/// a crash forgets them, and the durable message state stands.
public final class LocalDeliveryClaims: DeliveryClaims {
    private let claims = Mutex<[String: (node: String, until: Date)]>([:])

    public init() {}

    public func claim(_ messageID: String, node: String, until: Date, now: Date) -> Bool {
        claims.withLock { claims in
            if let held = claims[messageID], held.until > now { return false }
            claims[messageID] = (node, until)
            return true
        }
    }

    public func release(_ messageID: String, node: String) {
        claims.withLock { claims in
            if claims[messageID]?.node == node { claims[messageID] = nil }
        }
    }

    public func claimed(now: Date) -> Set<String> {
        claims.withLock { claims in Set(claims.filter { $0.value.until > now }.keys) }
    }
}
