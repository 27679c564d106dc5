import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedXMLDSig
import Synchronization

/// The durable outbox (docs/exchange-protocol.md, "Message states"): outgoing documents queued as
/// messages, their deliveries and receipts recorded as journal events, retried with backoff until
/// a verified receipt, the retry horizon or the message's end of life. No HTTP here: the server
/// and its delivery workers call it. A delivery under way is a claim in the store's
/// ``DeliveryClaims`` (this process's memory for the filesystem store; a table every node shares
/// for PostgreSQL), so each attempt is made by one worker of one node; a claim lapses after
/// `claimLease`, so a node that dies mid-delivery leaves the message to another. After a crash the
/// durable state stands and the message is delivered again, which the receiver's duplicate
/// elimination makes safe.
public final class Outbox: Sendable {
    public let gateway: Gateway
    public let registrar: Registrar
    public let policy: OutboxPolicy
    /// This node's name in the claims (host, process id and a random part).
    public let node: String
    /// How long a claim stands without being given back: longer than one delivery attempt can take.
    public let claimLease: Duration

    public init(
        gateway: Gateway, registrar: Registrar, policy: OutboxPolicy = OutboxPolicy(), node: String = Outbox.processNode,
        claimLease: Duration = .seconds(90)
    ) {
        self.gateway = gateway
        self.registrar = registrar
        self.policy = policy
        self.node = node
        self.claimLease = claimLease
    }

    /// This process's node name: the host, the process id and 32 random bits (a restarted process is another node).
    public static let processNode: String = {
        let random = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "\(ProcessInfo.processInfo.hostName)-\(getpid())-\(random)"
    }()

    private var claims: any DeliveryClaims { registrar.storage.deliveryClaims }

    // MARK: - Queueing

    /// Queues the registered outgoing request or answer `number` for its recipient under a new
    /// message id (a UUID), with the end of life `expires` (default: `policy.messageLifetime` after
    /// `time`). A document already queued gives its existing message back (idempotent). Refuses
    /// (`notSendable`) a number not in the journal, not registered, incoming, or a receipt (receipts
    /// travel in responses, never queued).
    public func enqueue(number: String, year: Int? = nil, expires: Date? = nil, at time: Date = Date()) async throws -> MessageStatus {
        let entry: JournalEntry
        do {
            entry = try await registrar.entry(number: number, year: year)
        } catch let error as ArchiveError where error.code == .numberUnusable {
            throw GatewayError(.notSendable, error.message, hint: error.hint)
        }
        if let existing = try await registrar.messages(MessageQuery(number: entry.number, year: entry.year)).first { return existing }
        guard entry.direction == .outgoing, entry.registeredAt != nil, entry.recordedStatus != .voided else {
            throw GatewayError(
                .notSendable,
                "\(entry.number) is \(entry.direction == .incoming ? "an incoming document" : "not a registered document (\(entry.recordedStatus.rawValue))"): only a registered outgoing document is sent",
                hint: "register the outgoing document first (`mezhved request new --gateway …`)")
        }
        guard entry.kind != .receipt else {
            throw GatewayError(
                .notSendable, "\(entry.number) is a receipt: receipts go back in the response to the message they acknowledge",
                hint: "queue requests and answers only")
        }
        guard let recipient = entry.counterpart else {
            throw GatewayError(.notSendable, "\(entry.number) names no recipient agency")
        }
        let end = expires ?? time.addingTimeInterval(OutboxPolicy.seconds(policy.messageLifetime))
        guard end > time else {
            throw GatewayError(
                .messageInvalid, "the end of life \(ISOTime.string(end)) given for \(entry.number) is already past",
                hint: "give a later --expires, or none for \(Self.days(policy.messageLifetime)) days")
        }
        let transition = MessageTransition(
            messageID: UUID().uuidString.lowercased(), state: .queued, number: entry.number, year: entry.year, peer: recipient,
            expires: end)
        do {
            return try await registrar.record(transition)
        } catch let error as ArchiveError where error.code == .messageUnusable {
            // Queued at the same time by another request or process: that message stands.
            if let existing = try await registrar.messages(MessageQuery(number: entry.number, year: entry.year)).first { return existing }
            throw error
        }
    }

    /// Queues a failed or expired message again under the same message id, with a new end of life
    /// (default: `policy.messageLifetime` after `time`).
    public func resend(_ messageID: String, expires: Date? = nil, at time: Date = Date()) async throws -> MessageStatus {
        let current = try await message(messageID)
        guard current.state == .failed || current.state == .expired else {
            throw GatewayError(
                .messageStateConflict,
                "message \(messageID) (\(current.number)) is \(current.state.rawValue): only a failed or expired message is resent",
                hint: current.state.isAcknowledged ? "it is acknowledged: nothing to resend" : "it is still being delivered")
        }
        let end = expires ?? time.addingTimeInterval(OutboxPolicy.seconds(policy.messageLifetime))
        guard end > time else {
            throw GatewayError(.messageInvalid, "the end of life \(ISOTime.string(end)) given for message \(messageID) is already past")
        }
        return try await registrar.record(
            MessageTransition(messageID: messageID, state: .queued, number: current.number, year: current.year, expires: end))
    }

    // MARK: - Delivering

    /// The messages to push at `time`: queued, or waiting for a retry or a receipt whose next
    /// attempt is due, not past their end of life and not being sent, oldest first. Marks nothing
    /// (call ``claim(_:at:)`` for each one taken).
    public func due(at time: Date = Date(), limit: Int? = nil) async throws -> [MessageStatus] {
        let busy = try await claims.claimed(now: time)
        let found = try await registrar.messages(MessageQuery(dueAt: time, limit: limit.map { $0 + busy.count }))
        let free = found.filter { !busy.contains($0.messageID) }
        return limit.map { Array(free.prefix($0)) } ?? free
    }

    /// The oldest message waiting for a receipt from a pull peer at `time` (whatever its next
    /// attempt), not past its end of life and not being sent; nil when there is none.
    public func nextForPull(peer: String, at time: Date = Date()) async throws -> MessageStatus? {
        let busy = try await claims.claimed(now: time)
        return try await registrar.messages(MessageQuery(peer: peer, pendingAt: time)).first { !busy.contains($0.messageID) }
    }

    /// Takes the delivery of `messageID` for this node; false when a worker (here or on another
    /// node of the store) has it. Give it back with ``release(_:)``.
    public func claim(_ messageID: String, at time: Date = Date()) async throws -> Bool {
        try await claims.claim(messageID, node: node, until: time.addingTimeInterval(OutboxPolicy.seconds(claimLease)), now: time)
    }

    /// Gives the delivery of `messageID` back (whatever became of it).
    public func release(_ messageID: String) async throws { try await claims.release(messageID, node: node) }

    /// Whether a delivery of `messageID` is under way, on any node.
    public func isSending(_ messageID: String, at time: Date = Date()) async throws -> Bool {
        try await claims.claimed(now: time).contains(messageID)
    }

    /// The message as it goes on the wire: its headers' values and the document's original bytes
    /// from the archive (checked against their digest).
    public func payload(of messageID: String) async throws -> OutgoingMessage {
        let current = try await message(messageID)
        let entry = try await registrar.entry(number: current.number, year: current.year)
        let document = try await registrar.original(of: entry)
        return OutgoingMessage(
            messageID: current.messageID, from: gateway.agency.id, to: current.peer, expires: current.expires, document: document,
            sha256: try XMLCanonicalization.digest(document, algorithm: .sha256), number: current.number, year: current.year)
    }

    /// A delivery was taken in but no receipt came yet (a 202): waiting for the receipt, the next
    /// attempt after `retryAfter`.
    public func recordNoReceiptYet(_ messageID: String, retryAfter: Duration, at time: Date = Date()) async throws -> MessageStatus {
        let current = try await pendingMessage(messageID, for: "waiting for its receipt")
        return try await registrar.record(
            MessageTransition(
                messageID: messageID, state: .waitingForReceipt, number: current.number, year: current.year,
                attempt: current.attempts + 1, nextAttempt: time.addingTimeInterval(OutboxPolicy.seconds(retryAfter)),
                reason: "taken in, no receipt yet"))
    }

    /// A pull peer fetched the message: waiting for its receipt. Recorded once (the first fetch);
    /// fetching it again changes nothing.
    public func recordFetched(_ messageID: String, at time: Date = Date()) async throws -> MessageStatus {
        let current = try await pendingMessage(messageID, for: "fetched")
        guard current.state == .queued || current.state == .waitingForRetry else { return current }
        return try await registrar.record(
            MessageTransition(
                messageID: messageID, state: .waitingForReceipt, number: current.number, year: current.year,
                attempt: current.attempts + 1))
    }

    /// A delivery failed with `error` (no personal data; cut to 500 characters): waiting for a retry
    /// after the policy's backoff, or failed when `permanent` (a refusal retrying cannot cure) or
    /// past the retry horizon.
    public func recordFailure(_ messageID: String, error: String, permanent: Bool, at time: Date = Date()) async throws -> MessageStatus {
        var generator = SystemRandomNumberGenerator()
        return try await recordFailure(messageID, error: error, permanent: permanent, at: time, using: &generator)
    }

    /// The same, drawing the jitter from `generator`.
    public func recordFailure(
        _ messageID: String, error: String, permanent: Bool, at time: Date = Date(), using generator: inout some RandomNumberGenerator
    ) async throws -> MessageStatus {
        let current = try await pendingMessage(messageID, for: "a failed delivery")
        let attempt = current.attempts + 1
        let horizon = current.queuedAt.addingTimeInterval(OutboxPolicy.seconds(policy.retryHorizon))
        var transition = MessageTransition(
            messageID: messageID, state: .failed, number: current.number, year: current.year, attempt: attempt,
            reason: String(error.prefix(MessageTransition.reasonLimit)))
        if !permanent && time < horizon {
            transition.state = .waitingForRetry
            let delay = policy.backoffDelay(attempt: attempt, using: &generator)
            transition.nextAttempt = time.addingTimeInterval(OutboxPolicy.seconds(delay))
        } else if !permanent {
            transition.reason = String(
                "no receipt by the retry horizon (\(ISOTime.string(horizon))); last error: \(error)".prefix(MessageTransition.reasonLimit))
        }
        return try await registrar.record(transition)
    }

    /// Marks `expired` every message past its end of life at `time` without a receipt (except those
    /// being sent now: their delivery decides); returns them as they now stand.
    public func expireDue(at time: Date = Date()) async throws -> [MessageStatus] {
        var expired: [MessageStatus] = []
        let sending = try await claims.claimed(now: time)
        for message in try await registrar.messages(MessageQuery(expiresBy: time)) where !sending.contains(message.messageID) {
            do {
                expired.append(
                    try await registrar.record(
                        MessageTransition(
                            messageID: message.messageID, state: .expired, number: message.number, year: message.year,
                            reason: "its end of life \(message.expires.map { ISOTime.string($0) } ?? "?") passed before a receipt came")))
            } catch let error as ArchiveError where error.code == .messageUnusable {
                continue  // acknowledged meanwhile
            }
        }
        return expired
    }

    // MARK: - Reading

    /// The messages a query selects.
    public func list(_ query: MessageQuery = MessageQuery()) async throws -> [MessageStatus] { try await registrar.messages(query) }

    /// The message with this id, as it stands; `messageUnknown` when there is none.
    public func message(_ messageID: String) async throws -> MessageStatus {
        guard let found = try await registrar.message(id: messageID) else {
            throw GatewayError(
                .messageUnknown, "no outgoing message has the id \(DocumentText.cut(messageID))",
                hint: "list the messages with `mezhved outbox list`")
        }
        return found
    }

    /// The message, refused when it is acknowledged, failed or expired.
    private func pendingMessage(_ messageID: String, for what: String) async throws -> MessageStatus {
        let current = try await message(messageID)
        guard current.state.isPending else {
            throw GatewayError(
                current.state.isAcknowledged ? .messageAcknowledged : .messageStateConflict,
                "message \(messageID) (\(current.number)) is \(current.state.rawValue): it cannot be recorded as \(what)")
        }
        return current
    }

    static func days(_ duration: Duration) -> Int { Int(OutboxPolicy.seconds(duration) / 86_400) }
}
