import Foundation
import Hummingbird
import MezhvedArchive
import MezhvedCore
import MezhvedGateway

/// The outbox through the API: `POST /api/v1/documents/{year}/{number}/send` queues a registered
/// outgoing document for its recipient (idempotent: a document queued before gives its message
/// back), `GET /api/v1/outbox` lists the messages and their states, `POST
/// /api/v1/outbox/{messageId}/resend` queues a failed or expired message again under the same id.
/// The server's delivery workers send what is queued; the rules are the library's ``Outbox``.
struct APIOutboxRoutes: Sendable {
    let routes: APIRoutes

    func register(on api: RouterGroup<ExchangeRequestContext>) {
        api.post("documents/:year/:number/send") { request, context in try await send(request, context: context) }
        api.get("outbox") { request, context in try await list(request, context: context) }
        api.post("outbox/:messageId/resend") { request, context in try await resend(request, context: context) }
    }

    func send(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        try APIAuthentication.require(.send, of: context)
        let query = try APIQuery(request)
        try query.allowOnly(["expires"])
        let expires = try query.time("expires")
        let entry = try await APIDocumentRoutes(routes: routes).lookUp(context)
        let message = try await routes.outbox.enqueue(number: entry.number, year: entry.year, expires: expires)
        return try APIMessage.json(message, status: .accepted)
    }

    func list(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        try APIAuthentication.require(.readJournal, of: context)
        let query = try APIQuery(request)
        try query.allowOnly(["state", "peer", "number", "year", "limit", "offset"])
        let limit = try query.integer("limit", in: 1...APIJournalRoutes.maximumLimit) ?? APIJournalRoutes.defaultLimit
        let offset = try query.integer("offset", in: 0...1_000_000_000) ?? 0
        let messages = try await routes.outbox.list(
            MessageQuery(
                state: try query.choice("state", MessageState.self), peer: try query.text("peer"), number: try query.text("number"),
                year: try query.integer("year", in: 1900...9999), limit: limit, offset: offset))
        return try APIMessage.json(OutboxPage(limit: limit, offset: offset, messages: messages))
    }

    func resend(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        try APIAuthentication.require(.send, of: context)
        let query = try APIQuery(request)
        try query.allowOnly(["expires"])
        let expires = try query.time("expires")
        let raw = context.parameters.get("messageId") ?? ""
        guard let messageID = raw.removingPercentEncoding, (1...128).contains(messageID.count) else {
            throw Problem(.badRequest, "path-invalid", "the message id in the path must be 1 to 128 characters (a UUID)")
        }
        return try APIMessage.json(try await routes.outbox.resend(messageID, expires: expires))
    }
}

/// One page of the outbox.
struct OutboxPage: Encodable {
    let limit: Int
    let offset: Int
    let messages: [MessageStatus]
}
