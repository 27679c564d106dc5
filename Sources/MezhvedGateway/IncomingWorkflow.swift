import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments
import MezhvedValidation
import MezhvedXMLDSig

/// Why an incoming document was refused. Reasons are constants of an open struct; each carries the
/// words of the receipt that tells the sender.
public struct RejectionReason: Hashable, Sendable, CustomStringConvertible {
    /// The reason's stable name (journal, JSON).
    public let name: String

    private init(_ name: String) { self.name = name }

    public var description: String { name }

    /// Not an interagency document mezhved can read: not XML, hostile XML, no signature, over a limit.
    public static let unusableDocument = RejectionReason("unusable-document")
    /// The signature is not valid (TOTAL-FAILED) or could not be shown valid (INDETERMINATE).
    public static let signatureNotValid = RejectionReason("signature-not-valid")
    /// The signature holds but is not a qualified electronic signature, which the policy requires.
    public static let notQualified = RejectionReason("not-qualified")
    /// The document breaks its schema or the regulations.
    public static let documentInvalid = RejectionReason("document-invalid")
    /// The document is addressed to another agency.
    public static let wrongRecipient = RejectionReason("wrong-recipient")
    /// The document claims to come from this gateway's own agency.
    public static let fromOwnAgency = RejectionReason("from-own-agency")
    /// The archive refused it: the same letter registered before under other bytes, personal data
    /// that cannot be delimited for encryption.
    public static let refusedByArchive = RejectionReason("refused-by-archive")
    /// The document's letterhead names another agency than the authenticated peer that sent the message.
    public static let senderNotPeer = RejectionReason("sender-not-peer")

    /// Every reason, for reading a recorded one back.
    static let all: [RejectionReason] = [
        .unusableDocument, .signatureNotValid, .notQualified, .documentInvalid, .wrongRecipient, .fromOwnAgency, .refusedByArchive,
        .senderNotPeer,
    ]

    /// The reason a quarantine recorded (its reason text starts with the reason's name).
    static func recorded(in text: String) -> RejectionReason {
        let name = text.prefix { $0 != ":" }
        return all.first { $0.name == name } ?? RejectionReason(String(name))
    }
}

/// What became of an incoming document.
public struct IncomingOutcome: Sendable {
    /// Registered, quarantined, or already registered before.
    public enum Disposition: Sendable {
        /// Registered under an incoming number; an answer closed its request, a receipt marked its document delivered.
        case registered(JournalEntry)
        /// Refused and kept in quarantine (the log entry that records it).
        case quarantined(QuarantinedDocument, reason: RejectionReason)
        /// The same document was registered before (a resend): nothing new was registered.
        case duplicate(JournalEntry)
    }

    public let disposition: Disposition
    /// Every reason, in words, when quarantined (empty otherwise).
    public let reasons: [String]
    /// The qualified validation, when the document got that far.
    public let validation: QualifiedValidationReport?
    /// The signed receipt sent back (accepted or rejected) and its own journal entry; nil for an
    /// incoming receipt (a receipt is not acknowledged) or a document too broken to answer. For a
    /// resent document, the receipt given the first time.
    public let receipt: SignedReceipt?
    /// Why no receipt could be signed (the time-stamping authority did not answer, say), when the
    /// document was registered all the same: receiving the document again makes the receipt then.
    public let receiptProblem: String?
    /// Whether the document was received before (the same bytes, or the same message id from the
    /// same peer): nothing was registered or quarantined again, and `receipt` is the first one,
    /// byte for byte. A registered one is ``Disposition/duplicate(_:)``; a quarantined one is
    /// ``Disposition/quarantined(_:reason:)`` with the quarantine of the first time.
    public let isDuplicate: Bool

    init(
        disposition: Disposition, reasons: [String], validation: QualifiedValidationReport?, receipt: SignedReceipt?,
        receiptProblem: String? = nil, isDuplicate: Bool = false
    ) {
        self.disposition = disposition
        self.reasons = reasons
        self.validation = validation
        self.receipt = receipt
        self.receiptProblem = receiptProblem
        if case .duplicate = disposition { self.isDuplicate = true } else { self.isDuplicate = isDuplicate }
    }
}

/// A signed receipt and where the journal registered it.
public struct SignedReceipt: Sendable {
    /// The receipt exactly as signed.
    public let document: [UInt8]
    /// Its journal entry (outgoing).
    public let entry: JournalEntry
    /// Accepted or rejected.
    public let outcome: MezhvedDocuments.ReceiptOutcome
}

/// The incoming workflow: qualified validation with the gateway's policy → schema and rules →
/// the recipient is this agency and the sender is not → register with an incoming number and the
/// proven signing time → a signed receipt (accepted, or rejected with the reason), itself
/// registered. A refused document is kept in quarantine with its reason, never dropped.
public struct IncomingWorkflow: Sendable {
    public let gateway: Gateway
    public let registrar: Registrar

    public init(gateway: Gateway, registrar: Registrar) {
        self.gateway = gateway
        self.registrar = registrar
    }

    /// Takes in one received document. Throws only when the archive cannot record anything (then
    /// nothing was acknowledged); every refusal is a quarantined outcome.
    public func receive(_ bytes: [UInt8], sourceName: String, at receivedAt: Date = Date()) async throws -> IncomingOutcome {
        try await receiveChecked(bytes, sourceName: sourceName, at: receivedAt, message: nil)
    }

    /// Takes in one document received in an exchange message (docs/exchange-protocol.md): as
    /// ``receive(_:sourceName:at:)``, and also
    /// - the same (peer, message id) received before with the same bytes is a duplicate: nothing
    ///   is recorded and the first receipt is given back byte for byte (``IncomingOutcome/isDuplicate``);
    /// - the same message id with other bytes throws `messageIDReused`, a message past its end of
    ///   life throws `messageExpired`, a malformed message id `messageInvalid` (nothing recorded);
    /// - a letterhead of another agency than the authenticated peer is quarantined (`senderNotPeer`);
    /// - the registration or quarantine and the receipt record the message id and the peer.
    /// A nil `message` is the same as ``receive(_:sourceName:at:)``.
    public func receive(_ bytes: [UInt8], sourceName: String, at receivedAt: Date = Date(), message: IncomingMessage?) async throws
        -> IncomingOutcome
    {
        guard let message else { return try await receiveChecked(bytes, sourceName: sourceName, at: receivedAt, message: nil) }
        guard IncomingMessage.isValidID(message.messageID) else {
            throw GatewayError(
                .messageInvalid,
                "the message id \(DocumentText.cut(message.messageID)) of \(sourceName) is not 1–128 characters of A–Z a–z 0–9 . _ : @ -",
                hint: "give the Mezhved-Message-Id the sender chose")
        }
        guard !message.peer.isEmpty else {
            throw GatewayError(
                .messageInvalid, "the message \(message.messageID) names no peer agency", hint: "give the authenticated peer")
        }
        if let earlier = try await earlierMessage(message) {
            return try await duplicate(of: earlier, bytes, sourceName: sourceName, message: message, at: receivedAt)
        }
        if let expires = message.expires, expires < receivedAt {
            throw GatewayError(
                .messageExpired,
                "the message \(message.messageID) from \(message.peer) expired at \(ISOTime.string(expires)), before it arrived at \(ISOTime.string(receivedAt))",
                hint: "nothing was recorded; the sender reports the message expired")
        }
        do {
            return try await receiveChecked(bytes, sourceName: sourceName, at: receivedAt, message: message)
        } catch let error as ArchiveError where error.code == .messageUnusable {
            // The same message, received at the same time by another request: answer as a duplicate.
            guard let earlier = try await earlierMessage(message) else { throw error }
            return try await duplicate(of: earlier, bytes, sourceName: sourceName, message: message, at: receivedAt)
        }
    }

    private func receiveChecked(_ bytes: [UInt8], sourceName: String, at receivedAt: Date, message: IncomingMessage?) async throws
        -> IncomingOutcome
    {
        // 1. The signature, as a qualified signature under the gateway's policy.
        let report: QualifiedValidationReport
        let signedDocument: DocumentValidationReport?
        do {
            (report, signedDocument) = try await gateway.validator.validateReading(bytes, sourceName: sourceName, at: receivedAt)
        } catch let error as XMLDSigError {
            return try await quarantine(
                bytes, sourceName: sourceName, reason: .unusableDocument, reasons: [error.message], report: nil, document: nil,
                at: receivedAt, status: nil, message: message)
        }
        // The document is read once: as signed, by the letterhead check of the validation (the
        // signature covers all of it but itself). It is read here from the bytes received only when
        // that check did not read it, or found it invalid, so that every problem is named with its
        // line in the bytes the sender sent.
        let documentValidator = DocumentValidator(context: gateway.documents)
        let validation =
            signedDocument.flatMap { $0.isValid ? $0 : nil } ?? (try? documentValidator.validate(bytes, sourceName: sourceName))
        let parsed = validation.flatMap { $0.isValid ? $0.parsed : nil }
        guard report.indication == .totalPassed else {
            let reasons =
                ["the signature is \(report.indication.rawValue)\(report.subIndication.map { " (\($0.rawValue))" } ?? "")"]
                + report.findings.filter { $0.severity != .warning }.map(\.message)
            return try await quarantine(
                bytes, sourceName: sourceName, reason: .signatureNotValid, reasons: reasons, report: report, document: parsed,
                at: receivedAt, status: report.indication == .totalFailed ? .totalFailed : .indeterminate, message: message)
        }
        if gateway.configuration.policy.requireQualified && report.qualification.status != .qualified {
            return try await quarantine(
                bytes, sourceName: sourceName, reason: .notQualified,
                reasons: ["the signature holds but is not a qualified electronic signature"] + report.qualification.reasons,
                report: report, document: parsed, at: receivedAt, status: .totalPassed, message: message)
        }
        // 2. The document: its schema and the regulations' rules.
        let checked = try validation ?? documentValidator.validate(bytes, sourceName: sourceName)
        guard checked.isValid, let document = checked.parsed else {
            return try await quarantine(
                bytes, sourceName: sourceName, reason: .documentInvalid, reasons: checked.problems.map(\.description),
                report: report, document: checked.parsed, at: receivedAt, status: .totalPassed, message: message)
        }
        // 3. Addressed to this agency, from another.
        let (sender, recipient) = Self.parties(document)
        if sender == gateway.agency.id {
            return try await quarantine(
                bytes, sourceName: sourceName, reason: .fromOwnAgency,
                reasons: ["the document claims to come from \(gateway.agency.shortName), this gateway's own agency"], report: report,
                document: document, at: receivedAt, status: .totalPassed, message: message)
        }
        if recipient != gateway.agency.id {
            return try await quarantine(
                bytes, sourceName: sourceName, reason: .wrongRecipient,
                reasons: ["the document is addressed to \(recipient), not to \(gateway.agency.id) (\(gateway.agency.shortName))"],
                report: report, document: document, at: receivedAt, status: .totalPassed, message: message)
        }
        if let message, sender != message.peer {
            return try await quarantine(
                bytes, sourceName: sourceName, reason: .senderNotPeer,
                reasons: [
                    "the document is on the letterhead of \(sender), but the message came from \(message.peer), the authenticated peer"
                ],
                report: report, document: document, at: receivedAt, status: .totalPassed, message: message)
        }
        // 4. Register it under an incoming number, judged at the proven signing time.
        if let existing = try await registrar.entries(JournalQuery(documentDigest: ArchiveDigest.sha256Hex(bytes))).first {
            // A resend: the same receipt as the first time (made now if it could not be then).
            var receipt: SignedReceipt?
            var problem: String?
            if case .receipt = document {
            } else if let number = existing.acknowledgedBy.first {
                receipt = try await storedReceipt(number: number, year: existing.year)
            } else {
                (receipt, problem) = await receiptOrProblem(
                    for: document, received: bytes,
                    outcome: .accepted(incomingNumber: existing.number, incomingDate: Self.registrationDay(existing, or: receivedAt)),
                    at: receivedAt, message: message)
            }
            return IncomingOutcome(
                disposition: .duplicate(existing), reasons: [], validation: report, receipt: receipt, receiptProblem: problem)
        }
        let entry: JournalEntry
        do {
            entry = try await registrar.register(
                Submission(
                    direction: .incoming, document: bytes, sourceName: sourceName, signingTime: report.signingTime.time,
                    signingTimeSource: Self.archiveSource(report.signingTime.source), signatureStatus: .totalPassed,
                    messageID: message?.messageID, peer: message?.peer))
        } catch let error as ArchiveError where error.code == .documentRefused {
            return try await quarantine(
                bytes, sourceName: sourceName, reason: .refusedByArchive, reasons: [error.message], report: report, document: document,
                at: receivedAt, status: .totalPassed, message: message)
        }
        // 5. The receipt (a receipt itself is not acknowledged). The document is registered whatever
        // becomes of it: a failure is reported, and receiving the document again makes the receipt.
        var receipt: SignedReceipt?
        var problem: String?
        if case .receipt = document {
        } else {
            (receipt, problem) = await receiptOrProblem(
                for: document, received: bytes,
                outcome: .accepted(incomingNumber: entry.number, incomingDate: CalendarDay(agencyDayOf: receivedAt)), at: receivedAt,
                message: message)
        }
        return IncomingOutcome(
            disposition: .registered(entry), reasons: [], validation: report, receipt: receipt, receiptProblem: problem)
    }

    private func quarantine(
        _ bytes: [UInt8], sourceName: String, reason: RejectionReason, reasons: [String], report: QualifiedValidationReport?,
        document: InteragencyDocument?, at receivedAt: Date, status: SignatureStatus?, message: IncomingMessage?
    ) async throws -> IncomingOutcome {
        let summary = reasons.first.map { "\(reason.name): \($0)" } ?? reason.name
        let kept = try await registrar.quarantine(
            Rejection(
                document: bytes, sourceName: sourceName, reason: String(summary.prefix(1000)), signatureStatus: status,
                messageID: message?.messageID, peer: message?.peer))
        var receipt: SignedReceipt?
        var problem: String?
        // A rejection receipt goes back when the sender can be named and the document is not itself a receipt.
        if let document, reason != .fromOwnAgency {
            if case .receipt = document {
            } else {
                (receipt, problem) = await receiptOrProblem(
                    for: document, received: bytes, outcome: .rejected(reason: Self.receiptText(reason, reasons)), at: receivedAt,
                    message: message)
            }
        }
        return IncomingOutcome(
            disposition: .quarantined(kept, reason: reason), reasons: reasons, validation: report, receipt: receipt,
            receiptProblem: problem)
    }

    /// The receipt, or why it could not be made (the registration it answers stands either way).
    func receiptOrProblem(
        for document: InteragencyDocument, received: [UInt8], outcome: MezhvedDocuments.ReceiptOutcome, at receivedAt: Date,
        message: IncomingMessage?
    ) async -> (SignedReceipt?, String?) {
        do {
            return (try await sendReceipt(for: document, received: received, outcome: outcome, at: receivedAt, message: message), nil)
        } catch {
            return (nil, "\(error)")
        }
    }

    /// A receipt registered before, as signed.
    func storedReceipt(number: String, year: Int) async throws -> SignedReceipt? {
        let entry = try await registrar.entry(number: number, year: year)
        let bytes = try await registrar.original(of: entry)
        guard case .receipt(let receipt) = try DocumentValidator(context: gateway.documents).read(bytes, sourceName: number) else {
            return nil
        }
        return SignedReceipt(document: bytes, entry: entry, outcome: receipt.outcome)
    }

    static func registrationDay(_ entry: JournalEntry, or fallback: Date) -> CalendarDay {
        CalendarDay(agencyDayOf: entry.registeredAt.flatMap(ISOTime.dateOrDay) ?? fallback)
    }

    /// Composes, signs and registers a receipt for `document`.
    func sendReceipt(
        for document: InteragencyDocument, received: [UInt8], outcome: MezhvedDocuments.ReceiptOutcome, at receivedAt: Date,
        message: IncomingMessage?
    ) async throws -> SignedReceipt {
        let composer = DocumentComposer(context: gateway.documents)
        let digest = try XMLCanonicalization.digest(received, algorithm: .streebog256)
        let receipt = try composer.receipt(
            for: document, receivedAt: receivedAt, outcome: outcome,
            digest: (DigestAlgorithm.streebog256.uri, Data(digest).base64EncodedString()))
        let xml = try composer.xml(.receipt(receipt))
        let signatory = try gateway.receiptSignatory
        var options = gateway.signingOptions
        options.signingTime = receivedAt
        let signed = try await signatory.signer().signAwaitingTimestamp(
            xml, sourceName: "receipt for \(receipt.receivedDocument)", options: options)
        let entry = try await registrar.register(
            Submission(
                direction: .outgoing, document: signed, sourceName: "receipt for \(receipt.receivedDocument)", signingTime: receivedAt,
                signingTimeSource: .registration, signatureStatus: .unverified, messageID: message?.messageID, peer: message?.peer))
        return SignedReceipt(document: signed, entry: entry, outcome: outcome)
    }

    static func parties(_ document: InteragencyDocument) -> (sender: String, recipient: String) {
        switch document {
        case .request(let r): return (r.sender.agency, r.recipient.agency)
        case .answer(let a): return (a.sender.agency, a.recipient.agency)
        case .receipt(let r): return (r.sender.agency, r.recipient.agency)
        case .note(let n): return (n.sender.agency, n.recipient.agency)
        }
    }

    static func archiveSource(_ source: MezhvedValidation.SigningTimeSource) -> MezhvedArchive.SigningTimeSource {
        switch source {
        case .timestamp, .proofOfExistence: return .timestamp
        case .claimedSigningTime: return .signedProperty
        case .validationTime: return .registration
        }
    }

    /// The rejection as the receipt words it (Russian, for the sender's clerk).
    static func receiptText(_ reason: RejectionReason, _ reasons: [String]) -> String {
        let head: String
        switch reason {
        case .signatureNotValid: head = "Электронная подпись документа не подтверждена"
        case .notQualified: head = "Документ подписан не квалифицированной электронной подписью"
        case .documentInvalid: head = "Документ не соответствует формату или требованиям регламента"
        case .wrongRecipient: head = "Документ адресован другому органу"
        case .senderNotPeer: head = "Документ оформлен на бланке органа, который не является отправителем сообщения"
        default: head = "Документ не может быть принят"
        }
        let detail = reasons.prefix(3).joined(separator: "; ")
        return detail.isEmpty ? head : "\(head): \(detail)"
    }
}
