import Foundation
import MezhvedCore
import MezhvedDocuments

/// A search of the journal, answered by the store (an index or SQL), not by replaying and
/// filtering everything in the caller. Every criterion given must hold; nil means any. Results come
/// in the order the numbers were taken, `offset` of them skipped and at most `limit` returned.
public struct JournalQuery: Sendable, Equatable {
    /// The registration number (with `year`, when the template repeats across years).
    public var number: String?
    public var year: Int?
    public var direction: Direction?
    /// The other agency (directory id).
    public var counterpart: String?
    public var kind: DocumentKind?
    /// The status on `day` (so `overdue` is computed, not recorded).
    public var status: EntryStatus?
    /// Registered (or, when only reserved, allocated) at or after / at or before.
    public var from: Date?
    public var to: Date?
    /// A response deadline strictly before this ISO date.
    public var deadlineBefore: String?
    /// Overdue on this ISO date: a deadline before it and no answer.
    public var overdueOn: String?
    /// The SHA-256 of the original document.
    public var documentDigest: String?
    /// The number the document itself carries (its sender's registration).
    public var documentNumber: String?
    /// The day statuses are judged on (ISO date; default today in Moscow time).
    public var day: String?
    public var limit: Int?
    public var offset: Int
    /// The exchange message id an entry or quarantined document records.
    public var messageID: String?
    /// The authenticated peer agency of the message.
    public var peer: String?

    public init(
        number: String? = nil, year: Int? = nil, direction: Direction? = nil, counterpart: String? = nil, kind: DocumentKind? = nil,
        status: EntryStatus? = nil, from: Date? = nil, to: Date? = nil, deadlineBefore: String? = nil, overdueOn: String? = nil,
        documentDigest: String? = nil, documentNumber: String? = nil, day: String? = nil, limit: Int? = nil, offset: Int = 0,
        messageID: String? = nil, peer: String? = nil
    ) {
        self.number = number
        self.year = year
        self.direction = direction
        self.counterpart = counterpart
        self.kind = kind
        self.status = status
        self.from = from
        self.to = to
        self.deadlineBefore = deadlineBefore
        self.overdueOn = overdueOn
        self.documentDigest = documentDigest
        self.documentNumber = documentNumber
        self.day = day
        self.limit = limit
        self.offset = offset
        self.messageID = messageID
        self.peer = peer
    }

    /// Everything (no criterion, no limit).
    public static let all = JournalQuery()

    /// Whether `entry` meets every criterion (paging aside). The reference semantics every store implements.
    public func matches(_ entry: JournalEntry) -> Bool {
        if let number, entry.number != number { return false }
        if let year, entry.year != year { return false }
        if let direction, entry.direction != direction { return false }
        if let counterpart, entry.counterpart != counterpart { return false }
        if let kind, entry.kind != kind { return false }
        if let documentDigest, entry.documentDigest != documentDigest { return false }
        if let documentNumber, entry.documentNumber != documentNumber { return false }
        if let messageID, entry.messageID != messageID { return false }
        if let peer, entry.peer != peer { return false }
        if let status, entry.status(on: day ?? ISOTime.agencyDayString(Date())) != status { return false }
        if let deadlineBefore, !(entry.deadline.map { $0 < deadlineBefore } ?? false) { return false }
        if let overdueOn, entry.status(on: overdueOn) != .overdue { return false }
        if from != nil || to != nil {
            let time = ISOTime.dateOrDay(entry.registeredAt ?? entry.allocatedAt) ?? .distantPast
            if let from, time < from { return false }
            if let to, time > to { return false }
        }
        return true
    }

    /// Whether a quarantined document meets the criteria that apply to it (period, counterpart, kind, digest).
    public func matches(_ document: QuarantinedDocument) -> Bool {
        if let counterpart, document.counterpart != counterpart { return false }
        if let kind, document.kind != kind { return false }
        if let documentDigest, document.documentDigest != documentDigest { return false }
        if let documentNumber, document.documentNumber != documentNumber { return false }
        if let messageID, document.messageID != messageID { return false }
        if let peer, document.peer != peer { return false }
        if from != nil || to != nil {
            let time = ISOTime.dateOrDay(document.time) ?? .distantPast
            if let from, time < from { return false }
            if let to, time > to { return false }
        }
        return true
    }

    /// `offset` skipped, at most `limit` kept.
    func page<S: Sequence>(_ selected: S) -> [S.Element] {
        var out: [S.Element] = []
        var skipped = 0
        for element in selected {
            if skipped < offset {
                skipped += 1
                continue
            }
            if let limit, out.count >= limit { break }
            out.append(element)
        }
        return out
    }
}
