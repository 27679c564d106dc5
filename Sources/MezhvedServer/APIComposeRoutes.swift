import Foundation
import HTTPTypes
import Hummingbird
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments
import MezhvedGateway

/// Drafts checked and documents composed: `POST /api/v1/drafts/check`, `POST /api/v1/requests`,
/// `POST /api/v1/answers` (registered, then queued in the outbox for the recipient). The body is the form as JSON, with the keys of the YAML forms
/// (Samples/forms, docs/documents.md); the request an answer answers is named by its journal
/// number in the query. Composing runs the gateway's ``OutgoingWorkflow``: nothing is numbered
/// before the draft is valid and the signer eligible.
struct APIComposeRoutes: Sendable {
    let routes: APIRoutes

    func register(on api: RouterGroup<ExchangeRequestContext>) {
        api.post("drafts/check") { request, context in try await check(request, context: context) }
        api.post("requests") { request, context in try await compose(request, context: context, kind: .request) }
        api.post("answers") { request, context in try await compose(request, context: context, kind: .answer) }
    }

    /// Every problem of a draft, without numbering, signing or writing anything.
    func check(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        try APIAuthentication.require(.checkDrafts, of: context)
        let query = try APIQuery(request)
        try query.allowOnly(["kind", "request", "requestYear", "signatory"])
        let kind = try query.choice("kind", DraftKind.self) ?? .request
        let signatory = try signatoryID(query)
        let form = try await APIMessage.jsonObject(request)
        let draft: OutgoingDraft
        do {
            draft = try await self.draft(kind, form: form, query: query)
        } catch let error as DocumentError where error.category == .documentInvalid || error.category == .unusableInput {
            let problems = error.problems.isEmpty ? [DraftProblem(path: "", message: error.message)] : error.problems.map(DraftProblem.init)
            return try APIMessage.json(DraftCheck(valid: false, problems: problems, deadline: nil))
        } catch let error as GatewayError where error.code == .wrongDocument {
            let problems = [DraftProblem(path: "", message: error.message)] + error.problems.map { DraftProblem(path: "", message: $0) }
            return try APIMessage.json(DraftCheck(valid: false, problems: problems, deadline: nil))
        }
        let review = try routes.outgoing.review(draft, signatoryID: signatory)
        return try APIMessage.json(
            DraftCheck(valid: review.document != nil, problems: review.problems.map(DraftProblem.init), deadline: review.deadline))
    }

    /// Composes, numbers, signs and registers a request or an answer: 201 with its journal entry.
    func compose(_ request: Request, context: ExchangeRequestContext, kind: DraftKind) async throws -> Response {
        try APIAuthentication.require(.compose, of: context)
        let query = try APIQuery(request)
        try query.allowOnly(kind == .answer ? ["request", "requestYear", "signatory"] : ["signatory"])
        let signatory = try signatoryID(query)
        let form = try await APIMessage.jsonObject(request)
        let draft = try await self.draft(kind, form: form, query: query)
        var warnings: [String] = []
        if form.object["registration"] != nil {
            warnings.append("the form's registration is not used: the gateway numbers the document from its journal")
        }
        let sent = try await routes.outgoing.send(draft, signatoryID: signatory, passphrase: try Self.signingPassphrase(request))
        // Registered and on disk: from here on the answer is 201, and queueing is reported in it.
        var message: MessageStatus?
        do {
            message = try await routes.outbox.enqueue(number: sent.entry.number, year: sent.entry.year)
        } catch {
            warnings.append(
                "registered, but not queued for sending: \(Problem(error).detail); queue it with POST \(APIDocumentRoutes.path(of: sent.entry))/send"
            )
        }
        let day = ISOTime.agencyDayString(Date())
        let entry = APIJournalEntry(sent.entry, day: day, standing: routes.documents.standing(of: sent.entry, on: day))
        return try APIMessage.json(
            Composed(entry: entry, signatory: sent.signatoryID, message: message, warnings: warnings), status: .created,
            headers: [.location: APIDocumentRoutes.path(of: sent.entry)])
    }

    /// The typed draft of a form; an answer's request is read from the journal.
    func draft(_ kind: DraftKind, form: (bytes: [UInt8], object: [String: Any]), query: APIQuery) async throws -> OutgoingDraft {
        let composer = DocumentComposer(context: routes.exchange.gateway.documents)
        switch kind {
        case .request:
            return .request(try composer.requestDraft(form: form.bytes, source: "the request form"))
        case .answer:
            guard let number = try query.text("request") else {
                throw Problem(
                    .badRequest, "query-invalid", "an answer needs request=NUMBER: the journal number of the incoming request it answers")
            }
            try Self.refuseFiles(form.object)
            let original = try await routes.documents.requestToAnswer(
                number: number, year: try query.integer("requestYear", in: 1900...9999))
            return .answer(try composer.answerDraft(form: form.bytes, source: "the answer form"), to: original)
        }
    }

    /// A form given through the API attaches documents by their content, never by a path on the
    /// gateway's machine (`provided[].file` would read the server's files into the answer).
    static func refuseFiles(_ form: [String: Any]) throws {
        guard let provided = form["provided"] as? [Any] else { return }
        for (index, item) in provided.enumerated() {
            if let map = item as? [String: Any], map["file"] != nil {
                throw Problem(
                    .unprocessableContent, "file-not-accepted",
                    "provided[\(index)].file: a document is attached by a file path only on the command line; through the API give its text in content"
                )
            }
        }
    }

    /// The header that unlocks a signatory's key for this one signing (`unlock: per-signing`): the
    /// passphrase's UTF-8 bytes in base64, so that any passphrase fits a header. Never logged.
    static let passphraseHeader = HTTPField.Name("Mezhved-Signing-Passphrase")!

    static func signingPassphrase(_ request: Request) throws -> [UInt8]? {
        guard let value = request.headers[passphraseHeader] else { return nil }
        guard let bytes = Data(base64Encoded: value.trimmingCharacters(in: .whitespaces)), !bytes.isEmpty else {
            throw Problem(
                .badRequest, "passphrase-header-invalid",
                "the Mezhved-Signing-Passphrase header is not base64 of the passphrase's UTF-8 bytes")
        }
        return Array(bytes)
    }

    func signatoryID(_ query: APIQuery) throws -> String? {
        guard let id = try query.text("signatory") else { return nil }
        let known = routes.exchange.gateway.signatories.map(\.id)
        guard known.contains(id) else {
            throw Problem(
                .unprocessableContent, "signatory-unknown",
                "the gateway has no signatory \(DocumentText.cut(id)); its signatories are \(known.joined(separator: ", "))")
        }
        return id
    }
}

/// What a draft is.
enum DraftKind: String, CaseIterable, Sendable {
    case request, answer
}

/// The answer of `POST /api/v1/drafts/check`.
struct DraftCheck: Encodable {
    let valid: Bool
    let problems: [DraftProblem]
    /// A request's response deadline, were it registered today.
    let deadline: String?
}

/// One problem of a draft: the form field's path and what is wrong.
struct DraftProblem: Encodable {
    let path: String
    let message: String
    /// The same in Russian, for a clerk's screen (absent where the library has none).
    let russian: String?

    init(path: String, message: String, russian: String? = nil) {
        self.path = path
        self.message = message
        self.russian = russian
    }

    init(_ problem: DocumentProblem) {
        self.init(path: problem.path, message: problem.message, russian: problem.russian)
    }
}

/// The answer of `POST /api/v1/requests` and `/answers`.
struct Composed: Encodable {
    let entry: APIJournalEntry
    let signatory: String
    /// The message it is queued as for its recipient (nil when it could not be queued: see warnings).
    let message: MessageStatus?
    let warnings: [String]
}
