import Foundation
import HTTPTypes
import Hummingbird
import MezhvedArchive
import MezhvedCore
import MezhvedGateway
import NIOCore
import ServiceLifecycle

/// Section 2 of the protocol, the sender's side: a peer that cannot accept connections fetches
/// what is queued for it and posts its receipt for each message.
struct PullRoutes: Sendable {
    let exchange: ExchangeState
    let outbox: Outbox

    func register(on router: Router<ExchangeRequestContext>) {
        let group = router.group("exchange/v1/outbox")
        group.get { request, context in try await next(request, context: context) }
        group.post("{messageID}/receipt") { request, context in try await receipt(request, context: context) }
    }

    /// GET: the oldest message queued for the peer, waiting up to `wait` seconds (≤ 30) for one.
    func next(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        let peer = try await exchange.authenticate(request, context: context)
        guard exchange.settings.peer(peer) != nil else {
            throw Problem(.forbidden, "peer-unknown", "\(peer) is not a peer of this gateway")
        }
        let wait = min(30, max(0, request.uri.queryParameters.get("wait", as: Int.self) ?? 0))
        let deadline = ContinuousClock.now + .seconds(wait)
        while true {
            if let message = try await outbox.nextForPull(peer: peer), try await outbox.claim(message.messageID) {
                let payload: OutgoingMessage
                do {
                    payload = try await outbox.payload(of: message.messageID)
                    _ = try await outbox.recordFetched(message.messageID)
                } catch {
                    try? await outbox.release(message.messageID)
                    throw error
                }
                try? await outbox.release(message.messageID)
                var fields: HTTPFields = [
                    .contentType: "application/xml", .mezhvedMessageID: payload.messageID, .mezhvedFrom: payload.from,
                    .mezhvedTo: payload.to,
                    .contentDigest: MessageHeaders.contentDigest(payload.document),
                ]
                if let expires = payload.expires { fields[.mezhvedExpires] = ISOTime.string(expires) }
                return Response(status: .ok, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: payload.document)))
            }
            if ContinuousClock.now >= deadline || Task.isCancelled || Task.isShuttingDownGracefully { return Response(status: .noContent) }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    /// POST …/{id}/receipt: the puller's signed receipt, checked before the message counts as acknowledged.
    func receipt(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        let peer = try await exchange.authenticate(request, context: context)
        let id = try context.parameters.require("messageID")
        let message: MessageStatus
        do {
            message = try await outbox.message(id)
        } catch let error as GatewayError where error.code == .messageUnknown {
            throw Problem(.notFound, "message-unknown", "no message \(DocumentText.cut(id)) is queued for \(peer)")
        }
        guard message.peer == peer else {
            throw Problem(.notFound, "message-unknown", "no message \(DocumentText.cut(id)) is queued for \(peer)")
        }
        try PeerRoutes.requireXML(request)
        let body = [UInt8](buffer: try await request.body.collect(upTo: 1 << 20))
        do {
            let status = try await outbox.acceptReceipt(body, for: id)
            exchange.metrics.delivery(status.state.rawValue)
            return PeerRoutes.json(.ok, ["messageId": id, "state": status.state.rawValue])
        } catch let error as GatewayError where error.code == .messageAcknowledged {
            throw Problem(.conflict, error.code.rawValue, error.message)
        }
    }
}
