import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments
import MezhvedValidation
import MezhvedXMLDSig

/// Where a journal entry stands against its response deadline on a day, in working days of the
/// production calendar (the calendar the deadline itself was computed with).
public struct DeadlineStanding: Sendable, Equatable, Codable {
    /// Working days from the day to the deadline: 0 on the deadline itself, negative when it has
    /// passed (minus the working days since). Nil when the entry awaits nothing (no deadline,
    /// answered, voided, rejected) or the calendar does not cover the days between.
    public let workingDaysLeft: Int?
    /// Past its deadline and not answered (``JournalEntry/status(on:)`` is `overdue`).
    public let overdue: Bool

    public init(workingDaysLeft: Int?, overdue: Bool) {
        self.workingDaysLeft = workingDaysLeft
        self.overdue = overdue
    }
}

/// What the API and the pages read of archived documents: the entry's deadline standing, the
/// original as signed (personal data decrypted), its rendering, its qualified validation report,
/// and the incoming request an answer answers.
public struct ArchivedDocuments: Sendable {
    public let gateway: Gateway
    public let registrar: Registrar

    public init(gateway: Gateway, registrar: Registrar) {
        self.gateway = gateway
        self.registrar = registrar
    }

    /// Where `entry` stands on `day` (ISO date, Moscow time).
    public func standing(of entry: JournalEntry, on day: String) -> DeadlineStanding {
        let status = entry.status(on: day)
        let awaiting: Set<EntryStatus> = [.registered, .sent, .delivered, .overdue]
        guard let deadlineText = entry.deadline, awaiting.contains(status), let deadline = CalendarDay(iso: deadlineText),
            let today = CalendarDay(iso: day)
        else {
            return DeadlineStanding(workingDaysLeft: nil, overdue: status == .overdue)
        }
        let context = gateway.documents
        let left = try? context.calendar.workingDays(after: today, through: deadline, fallback: context.fallback)
        return DeadlineStanding(workingDaysLeft: left, overdue: status == .overdue)
    }

    /// The document registered under `entry`, byte for byte as signed, personal data decrypted.
    public func original(of entry: JournalEntry) async throws -> [UInt8] {
        try await registrar.original(of: entry)
    }

    /// The document as an HTML page laid out like the paper form, with the mark of its signature
    /// as verified now against the gateway's trust; `redactPersonalData` leaves the people out.
    public func rendering(of entry: JournalEntry, redactPersonalData: Bool) async throws -> String {
        let letter = try await letter(of: entry)
        return DocumentRenderer.html(letter.document, signature: letter.mark, redactPersonalData: redactPersonalData)
    }

    /// The stored document read, and the mark of its signature as verified now against the
    /// gateway's trust: what a rendering shows (``DocumentRenderer``'s page or sheet).
    public func letter(of entry: JournalEntry) async throws -> (document: InteragencyDocument, mark: SignatureMark?) {
        let original = try await registrar.original(of: entry)
        let document = try DocumentValidator(context: gateway.documents).read(original, sourceName: entry.number)
        let validator = gateway.validator
        var policy = validator.policy.verification
        policy.retainSignedContent = false
        let verifier = SignatureVerifier(trustStore: validator.trustStore, policy: policy, intermediates: validator.intermediates)
        var mark: SignatureMark?
        if let report = try? verifier.verify(original, sourceName: entry.number), let signer = report.signer {
            mark = SignatureMark(
                certificateSerial: signer.serialNumber, owner: signer.commonName ?? signer.subject, organization: signer.organization,
                validFrom: signer.notBefore, validTo: signer.notAfter, verification: report.status.rawValue.uppercased(),
                details: report.problems.map(\.message), checkedAt: report.validationTime)
        }
        return (document, mark)
    }

    /// The qualified validation report of the stored document (as `mezhved verify --report`
    /// gives it), with its registration in the hash-chained journal as proof of existence.
    public func report(of entry: JournalEntry) async throws -> QualifiedValidationReport {
        let original = try await registrar.original(of: entry)
        let proof = entry.registeredAt.flatMap(ISOTime.dateOrDay)
        return try await gateway.validator.validate(original, sourceName: entry.number, proofOfExistence: proof)
    }

    /// The incoming request registered under `number` (and `year`), to answer it.
    public func requestToAnswer(number: String, year: Int?) async throws -> InteragencyRequest {
        let entry: JournalEntry
        do {
            entry = try await registrar.entry(number: number, year: year)
        } catch let error as ArchiveError where error.code == .numberUnusable {
            throw GatewayError(.wrongDocument, error.message, hint: "give the journal number of the incoming request being answered")
        }
        guard entry.direction == .incoming, entry.kind == .request else {
            throw GatewayError(
                .wrongDocument,
                "\(entry.number) (\(entry.year)) is \(entry.direction == .incoming ? "an incoming" : "an outgoing") \(entry.kind?.rawValue ?? "number"), not an incoming request",
                hint: "give the journal number of the request being answered")
        }
        let original = try await registrar.original(of: entry)
        guard case .request(let request) = try DocumentValidator(context: gateway.documents).read(original, sourceName: entry.number)
        else {
            throw GatewayError(.wrongDocument, "the document registered as \(entry.number) is not a request")
        }
        return request
    }
}
