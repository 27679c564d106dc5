import AsyncHTTPClient
import Foundation
import HTTPTypes
import Logging
import MezhvedArchive
import MezhvedCore
import MezhvedGateway
import NIOCore
import NIOHTTP1
import NIOSSL

/// A message as it goes on the wire (docs/exchange-protocol.md, section 1).
public struct WireMessage: Sendable, Equatable {
    public let messageID: String
    public let from: String
    public let to: String
    public let expires: Date
    public let document: [UInt8]

    public init(messageID: String, from: String, to: String, expires: Date, document: [UInt8]) {
        self.messageID = messageID
        self.from = from
        self.to = to
        self.expires = expires
        self.document = document
    }
}

/// What one push (or one receipt post) came to, in the protocol's terms.
public enum PeerAnswer: Sendable, Equatable {
    /// A receipt came back (push: 200).
    case receipt([UInt8], duplicate: Bool)
    /// Recorded, no receipt yet (202): come back later.
    case pending(retryAfter: Int?)
    /// A refusal retrying cannot cure (400, 403, 409, 410, 413, 415, 422): the problem's code and detail.
    case refused(status: Int, code: String, detail: String)
    /// Not acknowledged: connection failed, timed out, 5xx. Retry.
    case unavailable(String)
    /// Accepted without a body (a receipt posted, 200/204).
    case done
}

/// The gateway's HTTP client towards its peers: mutual TLS with our identity and each peer's
/// pinned certificate as the only trust root; bounded bodies and timeouts.
public final class PeerClient: Sendable {
    private let client: HTTPClient
    private let settings: GatewayConfiguration.ExchangeSettings
    private let tlsByPeer: [String: TLSConfiguration]
    /// The largest answer read from a peer (a receipt is a few KB; a pulled document up to the limit).
    private let answerLimit: Int
    /// The agency this client speaks for.
    let ownAgency: String

    init(agency: String, settings: GatewayConfiguration.ExchangeSettings, pins: PeerPins) throws {
        self.ownAgency = agency
        self.settings = settings
        var tls: [String: TLSConfiguration] = [:]
        for peer in settings.peers where peer.url?.lowercased().hasPrefix("https://") == true {
            tls[peer.agency] = try pins.clientConfiguration(towards: peer.agency, identity: settings.tls)
        }
        self.tlsByPeer = tls
        self.answerLimit = settings.maxDocumentSize
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(Int64(settings.delivery.attemptTimeout)))
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Closes the client's connections.
    func shutdown() async {
        try? await client.shutdown()
    }

    /// Push: POST /exchange/v1/messages.
    func push(_ message: WireMessage, to peer: String) async -> PeerAnswer {
        guard let base = settings.peer(peer)?.url else { return .unavailable("\(peer) has no url (it fetches its messages)") }
        var request = HTTPClientRequest(url: base + "/exchange/v1/messages")
        request.method = .POST
        Self.addEnvelope(message, to: &request.headers)
        request.body = .bytes(ByteBuffer(bytes: message.document))
        return await send(request, to: peer)
    }

    /// Posts a receipt for a pulled message: POST /exchange/v1/outbox/{id}/receipt.
    func postReceipt(_ receipt: [UInt8], messageID: String, to peer: String) async -> PeerAnswer {
        guard let base = settings.peer(peer)?.url else { return .unavailable("\(peer) has no url") }
        var request = HTTPClientRequest(url: base + "/exchange/v1/outbox/\(messageID)/receipt")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/xml")
        request.headers.add(name: "Mezhved-Message-Id", value: messageID)
        request.headers.add(name: "Mezhved-From", value: ownAgency)
        request.headers.add(name: "Content-Digest", value: MessageHeaders.contentDigest(receipt))
        request.body = .bytes(ByteBuffer(bytes: receipt))
        return await send(request, to: peer)
    }

    /// Pull: GET /exchange/v1/outbox — the next message queued for us, or nil when none.
    func fetch(from peer: String, wait: Int) async -> Result<WireMessage?, PeerFetchFailure> {
        guard let base = settings.peer(peer)?.url else { return .failure(.init("\(peer) has no url")) }
        var request = HTTPClientRequest(url: base + "/exchange/v1/outbox?wait=\(wait)")
        request.method = .GET
        request.headers.add(name: "Mezhved-From", value: ownAgency)
        request.tlsConfiguration = tlsByPeer[peer]
        do {
            let response = try await client.execute(request, timeout: .seconds(Int64(wait + settings.delivery.attemptTimeout)))
            let body = try await response.body.collect(upTo: answerLimit)
            let bytes = [UInt8](buffer: body)
            if response.status == .noContent { return .success(nil) }
            guard response.status == .ok else {
                return .failure(.init("\(peer) answered \(response.status.code): \(Self.problemText(bytes))"))
            }
            func header(_ name: String) -> String? { response.headers.first(name: name) }
            guard let id = header("Mezhved-Message-Id"), MessageHeaders.isMessageID(id), let from = header("Mezhved-From"),
                let to = header("Mezhved-To"), let expires = header("Mezhved-Expires").flatMap(ISOTime.date)
            else {
                return .failure(.init("\(peer) sent a message without its Mezhved-Message-Id, -From, -To or -Expires headers"))
            }
            if let digest = header("Content-Digest"), MessageHeaders.sha256(fromContentDigest: digest) != ArchiveDigest.sha256(bytes) {
                return .failure(.init("the message \(id) from \(peer) does not match its Content-Digest: damaged on the way"))
            }
            return .success(WireMessage(messageID: id, from: from, to: to, expires: expires, document: bytes))
        } catch {
            return .failure(.init("\(peer) cannot be reached: \(Self.describe(error))"))
        }
    }

    /// Gossip: POST /exchange/v1/checkpoints.
    func sendCheckpoint(_ checkpoint: [UInt8], to peer: String) async -> PeerAnswer {
        guard let base = settings.peer(peer)?.url else { return .unavailable("\(peer) has no url") }
        var request = HTTPClientRequest(url: base + "/exchange/v1/checkpoints")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/xml")
        request.headers.add(name: "Mezhved-From", value: ownAgency)
        request.body = .bytes(ByteBuffer(bytes: checkpoint))
        return await send(request, to: peer)
    }

    /// GET /exchange/v1/checkpoints/{agency}: the latest checkpoint of ours that `peer` holds.
    func heldCheckpoint(at peer: String) async -> Result<[UInt8]?, PeerFetchFailure> {
        guard let base = settings.peer(peer)?.url else { return .failure(.init("\(peer) has no url")) }
        var request = HTTPClientRequest(url: base + "/exchange/v1/checkpoints/\(ownAgency)")
        request.headers.add(name: "Mezhved-From", value: ownAgency)
        request.tlsConfiguration = tlsByPeer[peer]
        do {
            let response = try await client.execute(request, timeout: .seconds(Int64(settings.delivery.attemptTimeout)))
            let bytes = [UInt8](buffer: try await response.body.collect(upTo: 1 << 20))
            switch response.status.code {
            case 200: return .success(bytes)
            case 404: return .success(nil)
            default: return .failure(.init("\(peer) answered \(response.status.code): \(Self.problemText(bytes))"))
            }
        } catch {
            return .failure(.init("\(peer) cannot be reached: \(Self.describe(error))"))
        }
    }

    private func send(_ request: HTTPClientRequest, to peer: String) async -> PeerAnswer {
        var request = request
        request.tlsConfiguration = tlsByPeer[peer]
        do {
            let response = try await client.execute(request, timeout: .seconds(Int64(settings.delivery.attemptTimeout)))
            let bytes = [UInt8](buffer: try await response.body.collect(upTo: answerLimit))
            switch response.status.code {
            case 200 where response.headers.first(name: "Content-Type")?.hasPrefix("application/xml") == true:
                return .receipt(bytes, duplicate: response.headers.first(name: "Mezhved-Duplicate") == "true")
            case 200, 204: return .done
            case 202: return .pending(retryAfter: response.headers.first(name: "Retry-After").flatMap { Int($0) })
            case 400, 403, 404, 409, 410, 413, 415, 422:
                let (code, detail) = Self.problem(bytes)
                return .refused(status: Int(response.status.code), code: code, detail: detail)
            default:
                return .unavailable("\(peer) answered \(response.status.code): \(Self.problemText(bytes))")
            }
        } catch {
            return .unavailable("\(peer) cannot be reached: \(Self.describe(error))")
        }
    }

    static func addEnvelope(_ message: WireMessage, to headers: inout HTTPHeaders) {
        headers.add(name: "Content-Type", value: "application/xml")
        headers.add(name: "Mezhved-Message-Id", value: message.messageID)
        headers.add(name: "Mezhved-From", value: message.from)
        headers.add(name: "Mezhved-To", value: message.to)
        headers.add(name: "Mezhved-Expires", value: ISOTime.string(message.expires))
        headers.add(name: "Content-Digest", value: MessageHeaders.contentDigest(message.document))
    }

    static func problem(_ bytes: [UInt8]) -> (code: String, detail: String) {
        struct Body: Decodable {
            let code: String?
            let detail: String?
        }
        let body = try? JSONDecoder().decode(Body.self, from: Data(bytes))
        return (body?.code ?? "unknown", DocumentText.cut(body?.detail ?? String(decoding: bytes.prefix(300), as: UTF8.self)))
    }

    static func problemText(_ bytes: [UInt8]) -> String {
        let (code, detail) = problem(bytes)
        return "\(code): \(detail)"
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return "\(error)" }
        if let error = error as? NIOSSLError { return "TLS: \(error)" }
        return "\(error)"
    }
}

/// Why a fetch from a peer failed.
public struct PeerFetchFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
