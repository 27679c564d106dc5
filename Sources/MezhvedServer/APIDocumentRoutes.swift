import Foundation
import Hummingbird
import Logging
import MezhvedArchive
import MezhvedCore
import MezhvedGateway

/// `GET /api/v1/documents/{year}/{number}` and its views: the entry, the document as signed
/// (personal data decrypted: only roles allowed ``AccessPermission/readPersonalData``, each view
/// logged without the data), its rendering (without personal data for the other roles) and its
/// qualified validation report. The number is percent-encoded in the path (`01-12%2F000001`).
struct APIDocumentRoutes: Sendable {
    let routes: APIRoutes

    func register(on api: RouterGroup<ExchangeRequestContext>) {
        api.get("documents/:year/:number") { request, context in try await entry(request, context: context) }
        api.get("documents/:year/:number/document") { request, context in try await document(request, context: context) }
        api.get("documents/:year/:number/rendering") { request, context in try await rendering(request, context: context) }
        api.get("documents/:year/:number/report") { request, context in try await report(request, context: context) }
    }

    /// The API path of an entry's views.
    static func path(of entry: JournalEntry) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove("/")
        let number = entry.number.addingPercentEncoding(withAllowedCharacters: allowed) ?? entry.number
        return "\(APIRoutes.prefix)documents/\(entry.year)/\(number)"
    }

    func entry(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        try APIAuthentication.require(.readJournal, of: context)
        try APIQuery(request).allowOnly(["on"])
        let day = try APIQuery(request).day("on") ?? ISOTime.agencyDayString(Date())
        let found = try await lookUp(context)
        return try APIMessage.json(APIJournalEntry(found, day: day, standing: routes.documents.standing(of: found, on: day)))
    }

    func document(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        try APIAuthentication.require(.readPersonalData, of: context)
        try APIQuery(request).allowOnly([])
        let found = try await stored(context)
        let original = try await routes.documents.original(of: found)
        logPersonalDataView("document", of: found, context: context)
        return APIMessage.text(original, type: "application/xml")
    }

    func rendering(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        try APIAuthentication.require(.readJournal, of: context)
        let query = try APIQuery(request)
        try query.allowOnly(["redactPersonalData"])
        let mayReadPersonalData = context.caller.flatMap { AccessRole(rawValue: $0.role) }?.allows(.readPersonalData) ?? false
        let redact = try query.flag("redactPersonalData") || !mayReadPersonalData
        let found = try await stored(context)
        let html = try await routes.documents.rendering(of: found, redactPersonalData: redact)
        if !redact { logPersonalDataView("rendering", of: found, context: context) }
        var response = APIMessage.text(Array(html.utf8), type: "text/html; charset=utf-8")
        response.headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
        return response
    }

    func report(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        try APIAuthentication.require(.readJournal, of: context)
        try APIQuery(request).allowOnly([])
        let found = try await stored(context)
        return try APIMessage.json(try await routes.documents.report(of: found))
    }

    /// The entry the path names, or 404.
    func lookUp(_ context: ExchangeRequestContext) async throws -> JournalEntry {
        let yearText = context.parameters.get("year") ?? ""
        guard let year = Int(yearText), (1900...9999).contains(year) else {
            throw Problem(
                .badRequest, "path-invalid", "the year in the path must be a year such as 2026, not \(DocumentText.cut(yearText))")
        }
        let raw = context.parameters.get("number") ?? ""
        guard let number = raw.removingPercentEncoding, !number.isEmpty, number.count <= 200 else {
            throw Problem(.badRequest, "path-invalid", "the number in the path must be a journal number, percent-encoded (01-12%2F000001)")
        }
        let entries = try await routes.exchange.archive.registrar.entries(JournalQuery(number: number, year: year))
        guard let entry = entries.first else {
            throw Problem(.notFound, "number-unknown", "the journal has no number \(DocumentText.cut(number)) in \(year)")
        }
        return entry
    }

    /// The entry the path names, which must have a document stored (else 404).
    func stored(_ context: ExchangeRequestContext) async throws -> JournalEntry {
        let entry = try await lookUp(context)
        guard entry.object != nil else {
            throw Problem(
                .notFound, "no-document",
                "no document is stored under \(entry.number) (\(entry.year)): the number is \(entry.recordedStatus.rawValue)")
        }
        return entry
    }

    /// One line in the operators' log for each view of personal data: who, which document, which
    /// view; never the data.
    func logPersonalDataView(_ view: String, of entry: JournalEntry, context: ExchangeRequestContext) {
        context.logger.notice(
            "personal data viewed",
            metadata: [
                "caller": "\(APIRoutes.callerText(context))", "number": "\(entry.number)", "year": "\(entry.year)", "view": "\(view)",
            ])
    }
}
