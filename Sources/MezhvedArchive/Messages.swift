import Foundation
import MezhvedCore

/// Where an outgoing message stands (docs/exchange-protocol.md, "Message states"). The raw values
/// are the protocol's names. Every state but ``sending`` is durable: a `message` event of the
/// journal records it; ``sending`` is known only in memory while a delivery is under way.
public enum MessageState: String, Sendable, Codable, CaseIterable {
    /// Registered and signed, waiting for its first delivery (push) or to be fetched (pull).
    case queued
    /// A delivery is under way (in memory only, never journaled).
    case sending
    /// Delivered, no receipt yet (a 202, or fetched by a puller that has not acknowledged it).
    case waitingForReceipt = "waiting-for-receipt"
    /// The last attempt failed; the next one is due at `nextAttempt`.
    case waitingForRetry = "waiting-for-retry"
    /// An accepting receipt came back and verified.
    case receipted
    /// A rejecting receipt came back and verified.
    case rejected
    /// No receipt by the retry horizon, or a refusal that retrying cannot cure.
    case failed
    /// Its end of life passed before a receipt came.
    case expired

    /// A receipt came back: no further transition.
    public var isAcknowledged: Bool { self == .receipted || self == .rejected }

    /// Still waiting for a receipt (not acknowledged, failed or expired).
    public var isPending: Bool { self == .queued || self == .sending || self == .waitingForReceipt || self == .waitingForRetry }

    /// Whether a message in this state may move to `next` (the journal's rule): a message is queued
    /// once and requeued (resent) only from failed or expired; an acknowledged one takes no further
    /// transition; a receipt may still come for a failed or expired message.
    public func allows(_ next: MessageState) -> Bool {
        switch (self, next) {
        case (_, .sending), (.sending, _): return false
        case (.receipted, _), (.rejected, _): return false
        case (.failed, .queued), (.expired, .queued): return true
        case (_, .queued): return false
        case (.failed, .receipted), (.failed, .rejected), (.expired, .receipted), (.expired, .rejected): return true
        case (.failed, _), (.expired, _): return false
        default: return true
        }
    }

    /// The state in a clerk's words.
    public var words: String {
        switch self {
        case .queued: return "queued"
        case .sending: return "being sent"
        case .waitingForReceipt: return "delivered, waiting for the receipt"
        case .waitingForRetry: return "waiting to retry"
        case .receipted: return "receipted (accepted)"
        case .rejected: return "rejected by the recipient"
        case .failed: return "failed"
        case .expired: return "expired"
        }
    }
}

/// One durable state change of an outgoing message: what a `message` event records.
public struct MessageTransition: Sendable, Equatable {
    /// The message id (1–128 characters of `A–Z a–z 0–9 . _ : @ -`).
    public var messageID: String
    /// The new state (never ``MessageState/sending``).
    public var state: MessageState
    /// The registration number and year of the outgoing document the message carries.
    public var number: String
    public var year: Int
    /// The receiving agency (directory id); given when queued, must be the document's recipient.
    public var peer: String?
    /// The delivery attempt this event records (1 for the first), when it records one.
    public var attempt: Int?
    /// When the next delivery is due (waiting-for-retry, waiting-for-receipt).
    public var nextAttempt: Date?
    /// The message's end of life (given when queued).
    public var expires: Date?
    /// The last error (no personal data); cut to 500 characters.
    public var reason: String?
    /// For receipted/rejected: the journal number of the registered receipt.
    public var receiptNumber: String?

    public init(
        messageID: String, state: MessageState, number: String, year: Int, peer: String? = nil, attempt: Int? = nil,
        nextAttempt: Date? = nil, expires: Date? = nil, reason: String? = nil, receiptNumber: String? = nil
    ) {
        self.messageID = messageID
        self.state = state
        self.number = number
        self.year = year
        self.peer = peer
        self.attempt = attempt
        self.nextAttempt = nextAttempt
        self.expires = expires
        self.reason = reason
        self.receiptNumber = receiptNumber
    }

    /// How long a recorded reason may be.
    public static let reasonLimit = 500
}

/// Where one outgoing message stands: its `message` events replayed.
public struct MessageStatus: Sendable, Equatable, Codable {
    public var messageID: String
    /// The outgoing document it carries.
    public var number: String
    public var year: Int
    /// The receiving agency (directory id).
    public var peer: String
    public var state: MessageState
    /// Delivery attempts since it was last queued.
    public var attempts: Int
    /// When the next delivery is due (nil: at once when queued; never when acknowledged or failed).
    public var nextAttempt: Date?
    /// Its end of life.
    public var expires: Date?
    /// The last error recorded (cleared when queued again).
    public var lastError: String?
    /// When it was last queued (first queued, or resent).
    public var queuedAt: Date
    /// When its state last changed.
    public var updatedAt: Date
    /// The journal number of the receipt that acknowledged it.
    public var receiptNumber: String?
    /// The log sequence numbers of its events, oldest first.
    public var history: [Int]

    public init(
        messageID: String, number: String, year: Int, peer: String, state: MessageState, attempts: Int, nextAttempt: Date?,
        expires: Date?, lastError: String?, queuedAt: Date, updatedAt: Date, receiptNumber: String?, history: [Int]
    ) {
        self.messageID = messageID
        self.number = number
        self.year = year
        self.peer = peer
        self.state = state
        self.attempts = attempts
        self.nextAttempt = nextAttempt
        self.expires = expires
        self.lastError = lastError
        self.queuedAt = queuedAt
        self.updatedAt = updatedAt
        self.receiptNumber = receiptNumber
        self.history = history
    }

    /// The key of the document it carries.
    public var document: JournalKey { JournalKey(year: year, number: number) }

    /// Whether its end of life is at or before `time`.
    public func isExpired(at time: Date) -> Bool { expires.map { $0 <= time } ?? false }

    /// Whether a push is due at `time`: queued, or waiting (for a retry or a receipt) with the next
    /// attempt at or before `time`, and not past its end of life.
    public func isDue(at time: Date) -> Bool {
        guard !isExpired(at: time) else { return false }
        switch state {
        case .queued: return true
        case .waitingForRetry, .waitingForReceipt: return (nextAttempt ?? .distantPast) <= time
        default: return false
        }
    }

    private enum CodingKeys: String, CodingKey {
        case messageID, number, year, peer, state, attempts, nextAttempt, expires, lastError, queuedAt, updatedAt, receiptNumber, history
    }

    /// Times are written as ISO 8601 UTC with milliseconds, as the journal writes them.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(messageID, forKey: .messageID)
        try c.encode(number, forKey: .number)
        try c.encode(year, forKey: .year)
        try c.encode(peer, forKey: .peer)
        try c.encode(state, forKey: .state)
        try c.encode(attempts, forKey: .attempts)
        try c.encodeIfPresent(nextAttempt.map { ISOTime.string($0, milliseconds: true) }, forKey: .nextAttempt)
        try c.encodeIfPresent(expires.map { ISOTime.string($0, milliseconds: true) }, forKey: .expires)
        try c.encodeIfPresent(lastError, forKey: .lastError)
        try c.encode(ISOTime.string(queuedAt, milliseconds: true), forKey: .queuedAt)
        try c.encode(ISOTime.string(updatedAt, milliseconds: true), forKey: .updatedAt)
        try c.encodeIfPresent(receiptNumber, forKey: .receiptNumber)
        try c.encode(history, forKey: .history)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func time(_ key: CodingKeys) throws -> Date? {
            guard let text = try c.decodeIfPresent(String.self, forKey: key) else { return nil }
            guard let date = ISOTime.date(text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "\(text) is not an ISO 8601 time")
            }
            return date
        }
        self.init(
            messageID: try c.decode(String.self, forKey: .messageID), number: try c.decode(String.self, forKey: .number),
            year: try c.decode(Int.self, forKey: .year), peer: try c.decode(String.self, forKey: .peer),
            state: try c.decode(MessageState.self, forKey: .state), attempts: try c.decode(Int.self, forKey: .attempts),
            nextAttempt: try time(.nextAttempt), expires: try time(.expires),
            lastError: try c.decodeIfPresent(String.self, forKey: .lastError), queuedAt: try time(.queuedAt) ?? .distantPast,
            updatedAt: try time(.updatedAt) ?? .distantPast, receiptNumber: try c.decodeIfPresent(String.self, forKey: .receiptNumber),
            history: try c.decodeIfPresent([Int].self, forKey: .history) ?? [])
    }
}

/// A search of the outgoing messages, answered by the store. Every criterion given must hold; nil
/// means any. Results come in the order the messages were first queued, `offset` skipped and at
/// most `limit` returned.
public struct MessageQuery: Sendable, Equatable {
    public var messageID: String?
    public var state: MessageState?
    /// The receiving agency.
    public var peer: String?
    /// The outgoing document (with `year` when numbers repeat across years).
    public var number: String?
    public var year: Int?
    /// Due for a push at this time (``MessageStatus/isDue(at:)``).
    public var dueAt: Date?
    /// Waiting for a receipt at this time and not past its end of life (what a puller may fetch).
    public var pendingAt: Date?
    /// Pending and at the end of its life at or before this time (what is to be expired).
    public var expiresBy: Date?
    public var limit: Int?
    public var offset: Int

    public init(
        messageID: String? = nil, state: MessageState? = nil, peer: String? = nil, number: String? = nil, year: Int? = nil,
        dueAt: Date? = nil, pendingAt: Date? = nil, expiresBy: Date? = nil, limit: Int? = nil, offset: Int = 0
    ) {
        self.messageID = messageID
        self.state = state
        self.peer = peer
        self.number = number
        self.year = year
        self.dueAt = dueAt
        self.pendingAt = pendingAt
        self.expiresBy = expiresBy
        self.limit = limit
        self.offset = offset
    }

    /// Whether `message` meets every criterion (paging aside): the semantics every store implements.
    public func matches(_ message: MessageStatus) -> Bool {
        if let messageID, message.messageID != messageID { return false }
        if let state, message.state != state { return false }
        if let peer, message.peer != peer { return false }
        if let number, message.number != number { return false }
        if let year, message.year != year { return false }
        if let dueAt, !message.isDue(at: dueAt) { return false }
        if let pendingAt, !message.state.isPending || message.isExpired(at: pendingAt) { return false }
        if let expiresBy, !message.state.isPending || !message.isExpired(at: expiresBy) { return false }
        return true
    }

    /// `offset` skipped, at most `limit` kept.
    func page<S: Sequence>(_ selected: S) -> [S.Element] {
        JournalQuery(limit: limit, offset: offset).page(selected)
    }
}
