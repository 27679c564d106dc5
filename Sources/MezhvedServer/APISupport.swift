import Foundation
import HTTPTypes
import Hummingbird
import MezhvedCore
import NIOCore

/// What every API handler shares: JSON answers, JSON bodies under a limit, and query and path
/// parameters read strictly (a value that does not parse is a 400 naming it, never ignored).
enum APIMessage {
    /// The largest form body accepted (a form with a few attached texts fits many times over).
    static let formLimit = 1 << 20

    /// `value` as JSON (sorted keys, ISO 8601 times).
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    /// A text answer of `type`.
    static func text(_ bytes: [UInt8], type: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: type, .xContentTypeOptions: "nosniff"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The body, which must be one JSON object (Content-Type: application/json), at most `limit`
    /// bytes: the bytes as sent and the parsed object.
    static func jsonObject(_ request: Request, limit: Int = formLimit) async throws -> (bytes: [UInt8], object: [String: Any]) {
        let type = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard type == "application/json" else {
            throw Problem(
                .unsupportedMediaType, "not-json",
                "the body must be a JSON object (Content-Type: application/json), not \(type ?? "untyped")")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw Problem(.contentTooLarge, "body-too-large", "the body is over \(ByteCountText.text(limit)), the most a form may be")
        }
        let bytes = Array(buffer.readableBytesView)
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw Problem(
                .badRequest, "not-json", "the body is not a JSON object (UTF-8): give the form as JSON, with the keys of docs/documents.md")
        }
        return (bytes, object)
    }
}

/// A request's query parameters, each read once and checked.
struct APIQuery {
    let parameters: [String: String]

    init(_ request: Request) throws {
        var parameters: [String: String] = [:]
        for (key, value) in request.uri.queryParameters {
            let name = String(key)
            guard parameters[name] == nil else {
                throw Problem(.badRequest, "query-invalid", "the query parameter \(DocumentText.cut(name)) is given twice; give it once")
            }
            parameters[name] = String(value)
        }
        self.parameters = parameters
    }

    /// Refuses parameters the operation does not know (a misspelt filter would silently select everything).
    func allowOnly(_ known: Set<String>) throws {
        if let unknown = parameters.keys.sorted().first(where: { !known.contains($0) }) {
            let suggestion = NearestName.suggestion(for: unknown, among: known.sorted()).map { " — did you mean \($0)?" } ?? ""
            throw Problem(
                .badRequest, "query-invalid",
                "\(DocumentText.cut(unknown)) is not a query parameter here\(suggestion) (the parameters are \(known.sorted().joined(separator: ", ")))"
            )
        }
    }

    func text(_ name: String) throws -> String? {
        guard let value = parameters[name] else { return nil }
        guard !value.isEmpty, value.count <= 200 else {
            throw Problem(.badRequest, "query-invalid", "\(name) must be 1 to 200 characters")
        }
        return value
    }

    func integer(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let value = parameters[name] else { return nil }
        guard let number = Int(value), range.contains(number) else {
            throw Problem(
                .badRequest, "query-invalid",
                "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), not \(DocumentText.cut(value))")
        }
        return number
    }

    func choice<T: RawRepresentable & CaseIterable>(_ name: String, _ type: T.Type) throws -> T? where T.RawValue == String {
        guard let value = parameters[name] else { return nil }
        guard let parsed = T(rawValue: value) else {
            throw Problem(
                .badRequest, "query-invalid",
                "\(name) must be one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), not \(DocumentText.cut(value))")
        }
        return parsed
    }

    /// A calendar day YYYY-MM-DD.
    func day(_ name: String) throws -> String? {
        guard let value = parameters[name] else { return nil }
        guard value.count == 10, ISOTime.dateOrDay(value) != nil else {
            throw Problem(.badRequest, "query-invalid", "\(name) must be a date YYYY-MM-DD, not \(DocumentText.cut(value))")
        }
        return value
    }

    /// A day YYYY-MM-DD (`endOfDay`: its last millisecond) or an ISO 8601 time.
    func time(_ name: String, endOfDay: Bool = false) throws -> Date? {
        guard let value = parameters[name] else { return nil }
        guard let date = ISOTime.dateOrDay(value) else {
            throw Problem(
                .badRequest, "query-invalid", "\(name) must be a date YYYY-MM-DD or an ISO 8601 time, not \(DocumentText.cut(value))")
        }
        return endOfDay && value.count == 10 ? date.addingTimeInterval(86_399.999) : date
    }

    func flag(_ name: String) throws -> Bool {
        guard let value = parameters[name] else { return false }
        guard value == "true" else {
            throw Problem(.badRequest, "query-invalid", "\(name) is given as \(name)=true or not at all, not \(DocumentText.cut(value))")
        }
        return true
    }
}

extension HTTPField.Name {
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
}
