import Foundation
import MezhvedCore
import MezhvedXMLDSig

/// Composes interagency documents from form files (YAML or JSON) on the sender's letterhead,
/// fills what the directory and the calendar know (names, identifiers, letterhead requisites, the
/// default deadline, the signatory), checks every rule, and writes schema-valid XML.
public struct DocumentComposer: Sendable {
    public let context: DocumentContext

    public init(context: DocumentContext) { self.context = context }

    /// Reads a request form (YAML or JSON) into a draft. The registration may be left out (the
    /// journal assigns it); a mandatory field left out is reported when the draft is composed.
    /// - Throws: ``DocumentError`` `.malformedData` when the file is not YAML/JSON;
    ///   `.invalidDocument` listing every field the draft cannot hold (an unknown key, a date that
    ///   is not one, text where a list belongs), with the field's path.
    public func requestDraft(form bytes: [UInt8], source: String) throws -> RequestDraft {
        let (draft, problems) = try FormDraftReader.request(bytes, source: source)
        try Self.refuse(problems, "\(source): the request form cannot be read")
        return draft
    }

    /// Reads an answer form into a draft (see ``requestDraft(form:source:)``). A provided
    /// document's `file` is read relative to `baseDirectory` (default: the current directory).
    public func answerDraft(form bytes: [UInt8], source: String, baseDirectory: String? = nil) throws -> AnswerDraft {
        let (draft, problems) = try FormDraftReader.answer(bytes, source: source, baseDirectory: baseDirectory)
        try Self.refuse(problems, "\(source): the answer form cannot be read")
        return draft
    }

    /// Composes the request of `draft` under `registration` (the journal's number and date; a
    /// registration in the draft is ignored): fills what the directory knows, computes the default
    /// deadline from the registration date, and checks every rule.
    /// - Throws: ``DocumentError`` `.invalidDocument` listing every problem, each with its field path.
    public func request(_ draft: RequestDraft, registration: Registration) throws -> InteragencyRequest {
        try composeRequest(draft, registration: registration, formProblems: [], source: "the request draft")
    }

    /// Composes the answer of `draft` to `request` under `registration` (see
    /// ``request(_:registration:)``): sender and recipient are the request's, swapped;
    /// "на № … от …" and the legal basis are the request's.
    public func answer(_ draft: AnswerDraft, to request: InteragencyRequest, registration: Registration) throws -> InteragencyAnswer {
        try composeAnswer(draft, to: request, registration: registration, formProblems: [], source: "the answer draft")
    }

    /// Composes a request from a form that gives its registration. Throws ``DocumentError`` with
    /// every problem found, the form's and the rules', at once.
    public func request(form bytes: [UInt8], source: String) throws -> InteragencyRequest {
        var (draft, problems) = try FormDraftReader.request(bytes, source: source)
        if draft.registration == nil { problems += Self.missingRegistration(problems) }
        return try composeRequest(draft, registration: draft.registration, formProblems: problems, source: source)
    }

    /// Composes the answer to `request` from a form that gives its registration. Sender and
    /// recipient are the request's, swapped; "на № … от …" is the request's registration.
    public func answer(to request: InteragencyRequest, form bytes: [UInt8], source: String, baseDirectory: String? = nil) throws
        -> InteragencyAnswer
    {
        var (draft, problems) = try FormDraftReader.answer(bytes, source: source, baseDirectory: baseDirectory)
        if draft.registration == nil { problems += Self.missingRegistration(problems) }
        return try composeAnswer(draft, to: request, registration: draft.registration, formProblems: problems, source: source)
    }

    /// A receipt for a received document: accepted with the incoming registration, or rejected.
    public func receipt(
        for document: InteragencyDocument, receivedAt: Date, outcome: ReceiptOutcome, digest: (algorithm: String, value: String)?,
        compiler: OfficialPerson? = nil
    ) throws -> DeliveryReceipt {
        let (received, from, to): (DocumentReference, AgencyReference, AgencyReference)
        switch document {
        case .request(let r): (received, from, to) = (r.registration, r.sender, r.recipient)
        case .answer(let a): (received, from, to) = (a.registration, a.sender, a.recipient)
        case .note(let n): (received, from, to) = (n.registration, n.sender, n.recipient)
        case .receipt:
            throw DocumentError(.invalidDocument, "a receipt is not acknowledged with another receipt")
        }
        let receipt = DeliveryReceipt(
            id: "receipt-\(Self.slug(received.number))-\(Int(receivedAt.timeIntervalSince1970))", sender: to, recipient: from,
            receivedKind: document.kind, receivedDocument: received, receivedDigestAlgorithm: digest?.algorithm,
            receivedDigest: digest?.value,
            receivedAt: ISOTime.agencyDateTime(receivedAt), outcome: outcome, compiler: compiler)
        try finish(.receipt(receipt), formProblems: [], source: "receipt")
        return receipt
    }

    /// Writes a composed document as XML, after checking it against its schema.
    public func xml(_ document: InteragencyDocument) throws -> [UInt8] {
        let bytes = DocumentXMLWriter.write(document)
        let tree = try XMLTree.parse(bytes, sourceName: "composed \(document.kind.rawValue)", limits: XMLParsingLimits())
        let violations = try DocumentSchemas.schema(for: document.kind).violations(of: tree)
        if !violations.isEmpty {
            throw DocumentError(
                .invalidDocument, "the composed \(document.kind.rawValue) does not match its schema", problems: violations)
        }
        return bytes
    }

    // MARK: - Pieces

    static func slug(_ s: String) -> String {
        let mapped = s.unicodeScalars.map { scalar -> Character in
            let c = Character(scalar)
            return (scalar.isASCII && (c.isLetter || c.isNumber)) ? c : "-"
        }
        return String(mapped).split(separator: "-").joined(separator: "-")
    }

    static func documentID(_ kind: String, _ registration: DocumentReference) -> String {
        "\(kind)-\(registration.date.iso)-\(slug(registration.number))"
    }
}
