import Foundation
import HTTPTypes
import Hummingbird
import MezhvedArchive
import MezhvedCore
import MezhvedGateway
import NIOCore

/// An error answered as RFC 9457 problem JSON: a status, a stable code, and a detail that names the
/// input, the problem and what to do (never personal data). Every error a handler throws becomes
/// one through ``Problem/init(_:)``, the one place where failures map to HTTP statuses.
public struct Problem: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    /// A stable name (`message-expired`, `body-too-large`, …).
    public let code: String
    public let detail: String
    /// Extra response headers (`Retry-After`).
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ code: String, _ detail: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers
    }

    /// Maps any error: mezhved's errors by their category (and a few codes the protocol names),
    /// anything else as an internal failure without its text.
    public init(_ error: any Error) {
        if let problem = error as? Problem {
            self = problem
            return
        }
        if let error = error as? GatewayError {
            switch error.code {
            case .messageIDReused: self.init(.conflict, error.code.rawValue, error.message)
            case .messageExpired: self.init(.gone, error.code.rawValue, error.message)
            case .receiptNotValid: self.init(.unprocessableContent, error.code.rawValue, error.message + Self.list(error.problems))
            case .messageInvalid: self.init(.badRequest, error.code.rawValue, error.message)
            case .messageUnknown: self.init(.notFound, error.code.rawValue, error.message)
            case .passphraseRequired: self.init(.unprocessableContent, error.code.rawValue, error.message)
            case .passphraseWrong: self.init(.forbidden, error.code.rawValue, error.message)
            case .messageAcknowledged, .messageStateConflict, .notSendable: self.init(.conflict, error.code.rawValue, error.message)
            default: self.init(Self.status(error.category), error.code.rawValue, error.message + Self.list(error.problems))
            }
            return
        }
        if let error = error as? any MezhvedError {
            self.init(Self.status(error.category), error.category.name, error.message + Self.list(error.problemList))
            return
        }
        if let error = error as? HTTPError {
            self.init(error.status, "http-\(error.status.code)", error.body ?? error.status.reasonPhrase)
            return
        }
        self.init(.internalServerError, "internal-failure", "the gateway failed inside; the operators' log has the details")
    }

    /// The HTTP status of a failure category.
    static func status(_ category: FailureCategory) -> HTTPResponse.Status {
        switch category {
        case .unusableInput, .documentInvalid: return .unprocessableContent
        case .refused: return .conflict
        case .integrityBroken, .environment, .serviceUnavailable, .unusableKeyMaterial, .configurationInvalid: return .serviceUnavailable
        default: return .internalServerError
        }
    }

    private static func list(_ problems: [String]) -> String {
        problems.isEmpty ? "" : ": " + problems.prefix(10).joined(separator: "; ")
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = ProblemBody(
            type: "https://mezhved.example/problems/\(code)", title: status.reasonPhrase, status: status.code,
            detail: String(detail.prefix(2000)), code: code)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var fields = headers
        fields[.contentType] = "application/problem+json"
        return Response(
            status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: (try? encoder.encode(body)) ?? Data())))
    }
}

/// RFC 9457's members, as the protocol sends them.
private struct ProblemBody: Encodable {
    let type: String
    let title: String
    let status: Int
    let detail: String
    let code: String
}
