import Foundation
import Hummingbird
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments
import MezhvedGateway

/// `GET /api/v1/journal`: the journal searched by the store (``JournalQuery``), with each entry's
/// status and deadline standing on the day asked (default today, Moscow time).
struct APIJournalRoutes: Sendable {
    let routes: APIRoutes

    /// The most entries one page gives.
    static let maximumLimit = 500
    static let defaultLimit = 100

    func register(on api: RouterGroup<ExchangeRequestContext>) {
        api.get("journal") { request, context in try await journal(request, context: context) }
    }

    func journal(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        try APIAuthentication.require(.readJournal, of: context)
        let query = try APIQuery(request)
        try query.allowOnly([
            "direction", "kind", "counterpart", "status", "number", "year", "documentNumber", "from", "to", "deadlineBefore", "overdue",
            "on", "limit", "offset",
        ])
        let day = try query.day("on") ?? ISOTime.agencyDayString(Date())
        let limit = try query.integer("limit", in: 1...Self.maximumLimit) ?? Self.defaultLimit
        let offset = try query.integer("offset", in: 0...1_000_000_000) ?? 0
        let selection = JournalQuery(
            number: try query.text("number"), year: try query.integer("year", in: 1900...9999),
            direction: try query.choice("direction", Direction.self), counterpart: try query.text("counterpart"),
            kind: try query.choice("kind", DocumentKind.self), status: try query.choice("status", EntryStatus.self),
            from: try query.time("from"), to: try query.time("to", endOfDay: true), deadlineBefore: try query.day("deadlineBefore"),
            overdueOn: try query.flag("overdue") ? day : nil, documentNumber: try query.text("documentNumber"), day: day,
            limit: limit, offset: offset)
        let entries = try await routes.exchange.archive.registrar.entries(selection)
        return try APIMessage.json(
            JournalPage(
                day: day, limit: limit, offset: offset,
                entries: entries.map { APIJournalEntry($0, day: day, standing: routes.documents.standing(of: $0, on: day)) }))
    }
}

/// One page of the journal.
struct JournalPage: Encodable {
    let day: String
    let limit: Int
    let offset: Int
    let entries: [APIJournalEntry]
}

/// A journal entry as the API gives it: the journal's metadata only (numbers, dates, parties by
/// directory id, statuses, digests), never the document's content or personal data.
struct APIJournalEntry: Encodable {
    let number: String
    let year: Int
    let direction: Direction
    let kind: DocumentKind?
    let counterpart: String?
    let documentNumber: String?
    let documentDate: String?
    let inReplyTo: String?
    let deadline: String?
    let workingDaysLeft: Int?
    let overdue: Bool
    let status: EntryStatus
    let allocatedAt: String
    let registeredAt: String?
    let signatureStatus: SignatureStatus?
    let signingTime: String?
    let answeredBy: [String]
    let receipts: [String]
    let acknowledges: Key?
    let documentDigest: String?
    let voidReason: String?
    /// Where the document's views are (`/api/v1/documents/{year}/{number}`), when one is stored.
    let document: String?

    struct Key: Encodable {
        let number: String
        let year: Int
    }

    init(_ entry: JournalEntry, day: String, standing: DeadlineStanding) {
        number = entry.number
        year = entry.year
        direction = entry.direction
        kind = entry.kind
        counterpart = entry.counterpart
        documentNumber = entry.documentNumber
        documentDate = entry.documentDate
        inReplyTo = entry.inReplyTo
        deadline = entry.deadline
        workingDaysLeft = standing.workingDaysLeft
        overdue = standing.overdue
        status = entry.status(on: day)
        allocatedAt = entry.allocatedAt
        registeredAt = entry.registeredAt
        signatureStatus = entry.signatureStatus
        signingTime = entry.signingTime
        answeredBy = entry.answeredBy
        receipts = entry.acknowledgedBy
        acknowledges = entry.acknowledges.map { Key(number: $0.number, year: $0.year) }
        documentDigest = entry.documentDigest
        voidReason = entry.voidReason
        document = entry.object == nil ? nil : APIDocumentRoutes.path(of: entry)
    }
}
