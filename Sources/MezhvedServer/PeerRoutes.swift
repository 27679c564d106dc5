import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments
import MezhvedGateway
import NIOCore

/// The peer protocol's routes (docs/exchange-protocol.md): push, pull, checkpoints.
struct PeerRoutes: Sendable {
    let exchange: ExchangeState

    func register(on router: Router<ExchangeRequestContext>) {
        let group = router.group("exchange/v1")
        group.post("messages") { request, context in try await receive(request, context: context) }
        registerCheckpoints(on: group)
    }

    /// Push: a peer delivers one message; the answer is the signed receipt (docs, section 1).
    func receive(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        let peer = try await exchange.authenticate(request, context: context)
        let headers = try MessageHeaders(request.headers)
        guard headers.from == peer else {
            throw Problem(
                .forbidden, "sender-not-peer",
                "Mezhved-From says \(headers.from), but the connection is authenticated as \(peer); nothing was recorded")
        }
        guard headers.to == exchange.gateway.agency.id else {
            throw Problem(
                .forbidden, "wrong-recipient",
                "Mezhved-To says \(headers.to); this is the gateway of \(exchange.gateway.agency.id). Nothing was recorded")
        }
        let now = Date()
        guard headers.expires > now else {
            throw Problem(
                .gone, "message-expired",
                "the message expired at \(ISOTime.string(headers.expires)) (Mezhved-Expires); it is not delivered and nothing was recorded")
        }
        try Self.requireXML(request)
        let bytes: [UInt8]
        do {
            bytes = try await exchange.spool.receive(request.body, declaredLength: request.headers[.contentLength].flatMap { Int($0) })
        } catch let problem as Problem where problem.code == "body-too-slow" || problem.code == "body-too-large" {
            // Hummingbird would read the rest of the body before the next request; a body too slow
            // or too large is not read on: the connection closes once the answer is out.
            let channel = context.channel
            channel.eventLoop.scheduleTask(in: .milliseconds(200)) { channel.close(promise: nil) }
            throw problem
        }
        if let claimed = headers.contentSHA256, claimed != ArchiveDigest.sha256(bytes) {
            throw Problem(
                .badRequest, "content-digest-mismatch",
                "the body's SHA-256 is not the one Content-Digest names: the message was damaged on the way; send it again")
        }
        let outcome = try await exchange.incoming.receive(
            bytes, sourceName: "message \(headers.messageID) from \(peer)", at: now,
            message: IncomingMessage(messageID: headers.messageID, peer: peer, expires: headers.expires))
        exchange.metrics.received(outcome)
        await exchange.settleChildren(after: outcome)
        exchange.logger.info(
            "received", metadata: ["message": "\(headers.messageID)", "peer": "\(peer)", "disposition": "\(Self.disposition(outcome))"])
        return try Self.response(to: outcome, messageID: headers.messageID)
    }

    /// A word for the operators' log: registered, duplicate, quarantined (with the reason's name).
    static func disposition(_ outcome: IncomingOutcome) -> String {
        switch outcome.disposition {
        case .registered: return "registered"
        case .duplicate: return "duplicate"
        case .quarantined(_, let reason): return outcome.isDuplicate ? "duplicate" : "quarantined \(reason.name)"
        }
    }

    static func requireXML(_ request: Request) throws {
        let type = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard type == "application/xml" || type == "text/xml" else {
            throw Problem(
                .unsupportedMediaType, "not-xml",
                "the body must be an XML document (Content-Type: application/xml), not \(type ?? "untyped")")
        }
    }

    /// The HTTP answer to what the incoming workflow did.
    static func response(to outcome: IncomingOutcome, messageID: String) throws -> Response {
        var fields: HTTPFields = [.mezhvedMessageID: messageID]
        switch outcome.disposition {
        case .registered(let entry):
            fields[.mezhvedIncomingNumber] = MessageHeaders.percentEncoded(entry.number)
            fields[.mezhvedDuplicate] = "false"
        case .duplicate(let entry):
            if entry.direction == .incoming { fields[.mezhvedIncomingNumber] = MessageHeaders.percentEncoded(entry.number) }
            fields[.mezhvedDuplicate] = "true"
        case .quarantined(_, let reason):
            fields[.mezhvedDuplicate] = outcome.isDuplicate ? "true" : "false"
            if outcome.receipt == nil && outcome.receiptProblem == nil {
                let detail = outcome.reasons.prefix(3).joined(separator: "; ")
                throw Problem(
                    .unprocessableContent, reason.name,
                    "the body is not an interagency document this gateway can answer (\(detail)); it is kept in quarantine")
            }
        }
        guard let receipt = outcome.receipt else {
            if let problem = outcome.receiptProblem {
                _ = problem  // the operators' log has it; the sender needs only to come back
                throw Problem(
                    .accepted, "receipt-pending",
                    "the document is recorded, but its receipt could not be signed yet; send the same message again later to get it",
                    headers: [.retryAfter: "30"])
            }
            // A receipt pushed as a message: registered, and a receipt is not acknowledged.
            return Response(status: .noContent, headers: fields)
        }
        fields[.mezhvedReceipt] = receipt.outcome.isAccepted ? "accepted" : "rejected"
        fields[.contentType] = "application/xml"
        fields[.contentDigest] = MessageHeaders.contentDigest(receipt.document)
        return Response(status: .ok, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: receipt.document)))
    }
}

extension MezhvedDocuments.ReceiptOutcome {
    var isAccepted: Bool {
        if case .accepted = self { return true }
        return false
    }
}

/// Section 3: peers witness each other's archives.
extension PeerRoutes {
    func registerCheckpoints(on group: RouterGroup<ExchangeRequestContext>) {
        group.post("checkpoints") { request, context -> Response in
            let peer = try await exchange.authenticate(request, context: context)
            try Self.requireXML(request)
            let body = try await request.body.collect(upTo: 1 << 20)
            switch try await exchange.witness.keep([UInt8](buffer: body), from: peer) {
            case .kept(let seq), .alreadyHeld(let seq):
                return Self.json(.ok, ["agency": peer, "seq": "\(seq)", "state": "kept"])
            case .conflict(let reason):
                exchange.logger.error(
                    "a peer's checkpoint conflicts with the one held", metadata: ["peer": "\(peer)", "reason": "\(reason)"])
                throw Problem(.conflict, "checkpoint-conflict", reason)
            }
        }
        group.get("checkpoints/{agency}") { request, context -> Response in
            let peer = try await exchange.authenticate(request, context: context)
            let agency = try context.parameters.require("agency")
            guard agency == peer else {
                throw Problem(
                    .forbidden, "not-your-checkpoints",
                    "a gateway gives the checkpoints it holds of an agency to that agency's gateway only")
            }
            guard let bytes = try await exchange.witness.latest(of: agency) else {
                throw Problem(.notFound, "no-checkpoint", "this gateway holds no checkpoint of \(agency) yet")
            }
            return Response(
                status: .ok, headers: [.contentType: "application/xml"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    static func json(_ status: HTTPResponse.Status, _ fields: [String: String]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: (try? encoder.encode(fields)) ?? Data())))
    }
}
