import Foundation
import MezhvedArchive
import MezhvedDocuments
import MezhvedXMLDSig

/// What a clerk sends: a request, the answer to a request, or one copy of an analytic note.
public enum OutgoingDraft: Sendable {
    case request(RequestDraft)
    case answer(AnswerDraft, to: InteragencyRequest)
    /// A copy of the yearly analytic note for its `recipient` (no deadline, answers nothing).
    case note(NoteDraft)

    /// The document's kind.
    public var kind: DocumentKind {
        switch self {
        case .request: return .request
        case .answer: return .answer
        case .note: return .note
        }
    }
}

/// An outgoing document composed, numbered, signed and registered.
public struct OutgoingDocument: Sendable {
    /// The document exactly as signed.
    public let signed: [UInt8]
    /// The document as composed (its number is the journal's).
    public let document: InteragencyDocument
    /// Its journal entry: the number on the document and in the journal are the same.
    public let entry: JournalEntry
    /// Who signed it.
    public let signatoryID: String
}

/// The outgoing workflow: compose from a typed draft → validate → check that the signer may sign
/// it → take the next registration number into the document → sign (XAdES as configured) →
/// register. Nothing is numbered before the draft is valid and the signer eligible; a number taken
/// for a document that then cannot be signed is voided with the reason, so the journal explains
/// every gap.
public struct OutgoingWorkflow: Sendable {
    public let gateway: Gateway
    public let registrar: Registrar

    public init(gateway: Gateway, registrar: Registrar) {
        self.gateway = gateway
        self.registrar = registrar
    }

    /// Checks a draft as it would be sent by `signatoryID` (the first signatory when nil), without
    /// numbering or signing anything: every problem of the draft, or the signer's ineligibility.
    /// Returns the document as it would read with a provisional number (for a preview).
    public func check(_ draft: OutgoingDraft, signatoryID: String? = nil, at time: Date = Date()) throws -> InteragencyDocument {
        let signatory = try gateway.signatory(signatoryID)
        let document = try provisional(draft, signatory: signatory, at: time)
        try eligibility(of: signatory, for: document)
        return document
    }

    /// `draft` composed with the signatory filled in and a provisional registration («черновик», `time`'s day).
    func provisional(_ draft: OutgoingDraft, signatory: Signatory, at time: Date) throws -> InteragencyDocument {
        let filled = Self.filling(draft, with: signatory, agency: gateway.agency)
        return try compose(filled, registration: Registration(number: "черновик", date: CalendarDay(agencyDayOf: time)))
    }

    /// Composes, numbers, signs and registers `draft`, signed by `signatoryID` (the first when nil).
    /// `passphrase` unlocks a signatory's key that is unlocked per signing (ignored otherwise); it is
    /// tried before a number is taken, so a missing or wrong one numbers nothing.
    public func send(
        _ draft: OutgoingDraft, signatoryID: String? = nil, passphrase: [UInt8]? = nil, at time: Date = Date()
    ) async throws -> OutgoingDocument {
        _ = try check(draft, signatoryID: signatoryID, at: time)
        let signatory = try gateway.signatory(signatoryID)
        let signer = try signatory.signer(passphrase: passphrase)
        let filled = Self.filling(draft, with: signatory, agency: gateway.agency)
        let reserved = try await registrar.reserve(direction: .outgoing, note: "\(draft.kind.rawValue) being signed")
        let signed: [UInt8]
        let document: InteragencyDocument
        do {
            document = try compose(filled, registration: Registration(number: reserved.number, date: CalendarDay(agencyDayOf: time)))
            let composer = DocumentComposer(context: gateway.documents)
            var options = gateway.signingOptions
            options.signingTime = time
            let sourceName = "\(draft.kind.rawValue) \(reserved.number)"
            signed = try await gateway.extendSignature(
                try await signer.signAwaitingTimestamp(try composer.xml(document), sourceName: sourceName, options: options),
                sourceName: sourceName)
        } catch {
            // The number was taken and nothing carries it: void it with the reason, then report.
            _ = try? await registrar.void(
                number: reserved.number, year: reserved.year, reason: "not signed: \(Self.shortReason(error))")
            throw error
        }
        let entry = try await registrar.register(
            Submission(
                direction: .outgoing, document: signed, sourceName: "\(draft.kind.rawValue) \(reserved.number)",
                reservedNumber: reserved.number, signingTime: time, signingTimeSource: .registration, signatureStatus: .unverified))
        return OutgoingDocument(signed: signed, document: document, entry: entry, signatoryID: signatory.id)
    }

    func compose(_ draft: OutgoingDraft, registration: Registration) throws -> InteragencyDocument {
        let composer = DocumentComposer(context: gateway.documents)
        switch draft {
        case .request(let request):
            guard request.sender == gateway.agency.id else {
                throw GatewayError(
                    .signerNotEligible,
                    "the request is on the letterhead of \(request.sender), but this gateway signs for \(gateway.agency.id)",
                    hint: "compose it at \(request.sender)'s gateway, or change the form's sender")
            }
            return .request(try composer.request(request, registration: registration))
        case .answer(let answer, let original):
            guard original.recipient.agency == gateway.agency.id else {
                throw GatewayError(
                    .signerNotEligible,
                    "the request \(original.registration) is addressed to \(original.recipient.agency), so this gateway "
                        + "(\(gateway.agency.id)) cannot answer it", hint: "answer it at \(original.recipient.agency)'s gateway")
            }
            return .answer(try composer.answer(answer, to: original, registration: registration))
        case .note(let note):
            guard note.sender == gateway.agency.id else {
                throw GatewayError(
                    .signerNotEligible, "the note is on the letterhead of \(note.sender), but this gateway signs for \(gateway.agency.id)",
                    hint: "compose it at \(note.sender)'s gateway")
            }
            return .note(try composer.note(note, registration: registration))
        }
    }

    func eligibility(of signatory: Signatory, for document: InteragencyDocument) throws {
        try DocumentSigning.checkEligibility(of: signatory, for: document, directory: gateway.documents.directory)
    }

    /// The draft with the signatory filled from the signer's certificate when it names none.
    static func filling(_ draft: OutgoingDraft, with signatory: Signatory, agency: Agency) -> OutgoingDraft {
        let person = OfficialPerson(
            fullName: signatory.ownerName,
            position: signatory.profile.signerPosition ?? agency.headOfficial?.position ?? "")
        switch draft {
        case .request(var request):
            if request.signatory == nil { request.signatory = person }
            return .request(request)
        case .answer(var answer, let original):
            if answer.signatory == nil { answer.signatory = person }
            return .answer(answer, to: original)
        case .note(var note):
            if note.signatory == nil { note.signatory = person }
            return .note(note)
        }
    }

    static func shortReason(_ error: any Error) -> String {
        let text = "\(error)"
        return String(text.prefix(200))
    }
}
