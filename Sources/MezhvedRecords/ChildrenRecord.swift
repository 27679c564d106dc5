import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments

/// The record of target-group children (459-р cl. 1.4: children under three in need of early help),
/// kept in the gateway's journal as `childRecorded` events that name the child only by the keyed
/// hash of the SNILS (``PersonKey``); the child's personal data is a sealed object (AES-256-GCM with
/// the archive's data key, ``SealedRecord``) named by the inclusion. Rules: a valid SNILS, under three
/// on the inclusion day, the organisation in the register of early-help organisations that day, no
/// second inclusion of a child in the record; every refusal names its field and never the SNILS.
public struct ChildrenRecord: Sendable {
    /// Where a child stands in the record.
    public enum Status: String, Sendable, Codable {
        case inRecord = "in-record"
        /// A transfer to another organisation was sent and its acceptance has not arrived.
        case transferRequested = "transfer-requested"
        /// The receiving organisation accepted the child (the history continues there).
        case transferred
        case excluded
    }

    /// A child's present stay in the record (from the last inclusion), without personal data.
    public struct Child: Sendable, Equatable {
        public let person: String
        public let organisation: String
        public let includedOn: String
        /// The inclusion's log entry and the sealed object of the child's data.
        public let inclusionSeq: Int
        public let object: String
        /// Where the child came from by a transfer, and the transfer document's number.
        public let cameFrom: String?
        public let cameWith: String?
        public let status: Status
        /// The day of the status (the inclusion, the transfer request, the acceptance, the exclusion).
        public let statusDate: String
        /// The other organisation of a transfer, the transfer document, or the exclusion's reason.
        public let counterpart: String?
        public let reference: String?
    }

    public let registrar: Registrar
    public let personKey: PersonKey
    public let directory: AgencyDirectory

    public init(registrar: Registrar, personKey: PersonKey, directory: AgencyDirectory) {
        self.registrar = registrar
        self.personKey = personKey
        self.directory = directory
    }

    // MARK: - Reading

    /// Every child ever included, as of `day` (facts of a later day ignored; nil: all), by the order
    /// of their last inclusion.
    public func children(asOf day: CalendarDay? = nil) async throws -> [Child] {
        let facts = try await registrar.facts(FactQuery(type: .childRecorded, to: day?.iso))
        return Self.children(from: facts)
    }

    static func children(from facts: [RecordedFact]) -> [Child] {
        var current: [String: Child] = [:]
        var order: [String] = []
        for fact in facts {
            let r = fact.record
            guard let person = r.people.first else { continue }
            if r.kind == "included", let object = r.object, let organisation = r.agencies.first {
                if current[person] == nil { order.append(person) }
                current[person] = Child(
                    person: person, organisation: organisation, includedOn: r.date, inclusionSeq: fact.seq, object: object,
                    cameFrom: r.counterpart, cameWith: r.reference, status: .inRecord, statusDate: r.date, counterpart: nil, reference: nil)
                continue
            }
            guard let child = current[person] else { continue }
            let status: Status
            switch r.kind {
            case "transfer-requested": status = .transferRequested
            case "transferred": status = .transferred
            case "excluded": status = .excluded
            case "transfer-declined": status = .inRecord
            default: continue
            }
            current[person] = Child(
                person: person, organisation: child.organisation, includedOn: child.includedOn, inclusionSeq: child.inclusionSeq,
                object: child.object, cameFrom: child.cameFrom, cameWith: child.cameWith, status: status, statusDate: r.date,
                counterpart: r.counterpart, reference: r.reference)
        }
        return order.compactMap { current[$0] }
    }

    /// The child with this SNILS (as the record now stands), or nil when never included.
    public func child(snils: String) async throws -> Child? {
        let person = try hash(snils, field: "snils")
        return Self.children(from: try await registrar.facts(FactQuery(type: .childRecorded, person: person))).first
    }

    /// The sealed data of a child's present inclusion, checked to be that child's.
    public func sealedRecord(of child: Child) async throws -> ChildSealedRecord {
        guard let key = registrar.dataKey else {
            throw RecordsError(
                .personKeyMissing, "reading a child's record needs the archive's personal-data key", hint: "check archive.dataKey")
        }
        let plain = try SealedRecord.open(try await registrar.storage.objects.get(child.object), key: key)
        guard let record = try? JSONDecoder().decode(ChildSealedRecord.self, from: Data(plain)), record.format == ChildSealedRecord.format,
            record.person == child.person
        else {
            throw RecordsError(
                .journalChanged, "the sealed record of log entry \(child.inclusionSeq) is not this child's record",
                hint: "run `mezhved archive audit`")
        }
        return record
    }

    /// The age in full months on `day`.
    public static func ageInMonths(born: CalendarDay, on day: CalendarDay) -> Int {
        var months = (day.year - born.year) * 12 + (day.month - born.month)
        if day.day < born.day { months -= 1 }
        return max(0, months)
    }

    /// The third birthday (1 March for a child born on 29 February).
    public static func thirdBirthday(_ born: CalendarDay) -> CalendarDay {
        CalendarDay(year: born.year + 3, month: born.month, day: born.day) ?? CalendarDay(year: born.year + 3, month: 3, day: 1)!
    }

    // MARK: - Changes

    /// Includes a child first known here (the history empty), or arriving by a transfer (`history`,
    /// `from` the previous organisation, `transferDocument` the number printed on the transfer request).
    public func include(
        _ draft: ChildDraft, today: CalendarDay, history: ChildHistory? = nil, from: String? = nil, transferDocument: String? = nil
    ) async throws -> RecordedFact {
        try await check(draft, today: today)
        let person = try hash(draft.child.snils, field: "child.snils")
        guard let key = registrar.dataKey else {
            throw RecordsError(.personKeyMissing, "including a child needs the archive's personal-data key", hint: "check archive.dataKey")
        }
        let sealed = try SealedRecord.seal(try ChildSealedRecord(person: person, draft: draft, history: history).json(), key: key)
        let object = try await registrar.storage.objects.put(sealed)
        return try await registrar.record(
            FactRecord(
                type: .childRecorded, kind: "included", date: draft.includedOn.iso, agencies: [draft.organisation], people: [person],
                personKeyID: personKey.keyID, reference: transferDocument, counterpart: from, object: object, encryptedWith: key.keyID))
    }

    /// Every rule of an inclusion, all problems at once (exit 6); never the SNILS.
    public func check(_ draft: ChildDraft, today: CalendarDay) async throws {
        var problems: [String] = []
        let born = draft.child.birthDate
        let day = draft.includedOn
        if directory.agency(id: draft.organisation) == nil {
            problems.append(
                "organisation: \(draft.organisation) is not in the agency directory"
                    + NearestName.suggestionText(for: draft.organisation, among: directory.agencies.map(\.id)))
        } else {
            let register = EarlyHelpRegister(registrar: registrar, directory: directory)
            if !(try await register.entries(on: day).contains { $0.id == draft.organisation }) {
                problems.append(
                    "organisation: \(draft.organisation) is not in the register of early-help organisations on \(day.iso) "
                        + "(include it with `mezhved register early-help change`)")
            }
        }
        if day > today { problems.append("includedOn: \(day.iso) is after today (\(today.iso))") }
        if born > day {
            problems.append("child.birthDate: the child is born after the inclusion day \(day.iso)")
        } else if day >= Self.thirdBirthday(born) {
            problems.append(
                "child.birthDate: the child is \(Self.ageInMonths(born: born, on: day)) months old on \(day.iso): the record is of children under three"
            )
        }
        if draft.basis.trimmingCharacters(in: .whitespaces).isEmpty { problems.append("basis: is required") }
        if let person = try? personKey.hash(snils: draft.child.snils) {
            let known = Self.children(from: try await registrar.facts(FactQuery(type: .childRecorded, person: person))).first
            if let known, known.status == .inRecord || known.status == .transferRequested {
                problems.append(
                    "child.snils: the child is already in the record (organisation \(known.organisation) since \(known.includedOn), log entry \(known.inclusionSeq))"
                )
            }
        } else {
            problems.append("child.snils: not a valid SNILS")
        }
        guard problems.isEmpty else {
            throw RecordsError(.formInvalid, "the child cannot be included in the record: \(problems.count) problem(s)", problems: problems)
        }
    }

    /// Shows a child's personal data to the clerk who asked for it by SNILS, and records the view
    /// (the organisation, the moment; no data) in the journal.
    public func show(snils: String, now: Date) async throws -> (child: Child, record: ChildSealedRecord, view: RecordedFact) {
        let child = try await existing(snils)
        let record = try await sealedRecord(of: child)
        let view = try await registrar.record(
            FactRecord(
                type: .childRecorded, kind: "viewed", date: ISOTime.agencyDayString(now),
                agencies: [child.organisation], people: [child.person], personKeyID: personKey.keyID,
                reference: ISOTime.string(now, milliseconds: true)))
        return (child, record, view)
    }

    /// Excludes a child in the record on `date`, for `reason`.
    public func exclude(snils: String, date: CalendarDay, reason: ChildExclusionReason, today: CalendarDay) async throws -> RecordedFact {
        let child = try await existing(snils)
        var problems: [String] = []
        if child.status != .inRecord {
            problems.append("snils: the child is not in the record (\(child.status.rawValue) on \(child.statusDate))")
        }
        if date > today { problems.append("date: \(date.iso) is after today (\(today.iso))") }
        if date.iso < child.includedOn { problems.append("date: \(date.iso) is before the inclusion (\(child.includedOn))") }
        guard problems.isEmpty else {
            throw RecordsError(.formInvalid, "the child cannot be excluded: \(problems.count) problem(s)", problems: problems)
        }
        return try await registrar.record(
            FactRecord(
                type: .childRecorded, kind: "excluded", date: date.iso, agencies: [child.organisation], people: [child.person],
                personKeyID: personKey.keyID, reference: reason.rawValue))
    }

    /// Records that the transfer request `number` (as printed) was sent for a child in the record.
    public func recordTransferRequested(_ child: Child, to organisation: String, number: String, date: CalendarDay) async throws
        -> RecordedFact
    {
        try await registrar.record(
            FactRecord(
                type: .childRecorded, kind: "transfer-requested", date: date.iso, agencies: [child.organisation], people: [child.person],
                personKeyID: personKey.keyID, reference: number, counterpart: organisation))
    }

    /// The child in the record under this SNILS, or a refusal naming the field (not the number).
    func existing(_ snils: String) async throws -> Child {
        guard let child = try await child(snils: snils) else {
            throw RecordsError(
                .childUnknown, "no child with the SNILS given is in the record of target-group children of this gateway",
                hint: "check the SNILS; `mezhved register children list` lists the record")
        }
        return child
    }

    func hash(_ snils: String, field: String) throws -> String {
        do {
            return try personKey.hash(snils: snils)
        } catch {
            throw RecordsError(.formInvalid, "\(field): not a valid SNILS", hint: "check the SNILS's check digits")
        }
    }
}

extension ErrorCode where Domain == RecordsError {
    /// No child with the SNILS given is in the record.
    public static let childUnknown = ErrorCode("child-unknown", .unusableInput)
}
