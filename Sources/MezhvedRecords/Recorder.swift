import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments

/// What recording a fact did: recorded now, or found recorded before (nothing written again).
public struct RecordOutcome: Sendable, Equatable {
    public let fact: RecordedFact
    public let alreadyRecorded: Bool
}

/// Records the facts the evaluation needs in the gateway's journal (``Registrar/record(_:)``): the
/// agencies must be in the directory, the day no later than today, a SNILS valid; people are kept as
/// keyed hashes only (``PersonKey``). The same fact recorded twice is kept once.
public struct Recorder: Sendable {
    public let registrar: Registrar
    public let personKey: PersonKey
    public let directory: AgencyDirectory

    public init(registrar: Registrar, personKey: PersonKey, directory: AgencyDirectory) {
        self.registrar = registrar
        self.personKey = personKey
        self.directory = directory
    }

    /// Records a joint event (at least two agencies take part).
    public func record(_ draft: JointEventDraft, today: CalendarDay) async throws -> RecordOutcome {
        var problems = agencyProblems(draft.agencies, field: "agencies")
        if Set(draft.agencies).count < 2 { problems.append("agencies: a joint event has at least two participating agencies") }
        if draft.date > today { problems.append("date: \(draft.date.iso) is after today (\(today.iso)): record what has happened") }
        var people: [String] = []
        for (index, snils) in draft.snils.enumerated() {
            do { people.append(try personKey.hash(snils: snils)) } catch { problems.append("people[\(index)].snils: not a valid SNILS") }
        }
        try refuse(problems, "the joint event")
        return try await keep(
            FactRecord(
                type: .jointEvent, kind: draft.kind.rawValue, date: draft.date.iso, agencies: draft.agencies, people: people,
                personKeyID: personKey.keyID, reference: draft.reference))
    }

    /// Records help provided to one person by one agency.
    public func record(_ draft: HelpDraft, today: CalendarDay) async throws -> RecordOutcome {
        var problems = agencyProblems([draft.agency], field: "agency")
        if draft.date > today { problems.append("date: \(draft.date.iso) is after today (\(today.iso)): record what has happened") }
        var person: String?
        do { person = try personKey.hash(snils: draft.snils) } catch { problems.append("person.snils: not a valid SNILS") }
        try refuse(problems, "the help record")
        return try await keep(
            FactRecord(
                type: .helpProvided, kind: draft.kind.rawValue, date: draft.date.iso, agencies: [draft.agency], people: [person!],
                personKeyID: personKey.keyID, reference: draft.reference))
    }

    private func keep(_ record: FactRecord) async throws -> RecordOutcome {
        do {
            return RecordOutcome(fact: try await registrar.record(record), alreadyRecorded: false)
        } catch let error as ArchiveError where error.code == .duplicateFact {
            let digest = record.digest
            let same = try await registrar.facts(FactQuery(type: record.type, from: record.date, to: record.date))
            guard let existing = same.first(where: { $0.record.digest == digest }) else { throw error }
            return RecordOutcome(fact: existing, alreadyRecorded: true)
        }
    }

    private func agencyProblems(_ agencies: [String], field: String) -> [String] {
        let known = directory.agencies.map(\.id)
        return agencies.filter { directory.agency(id: $0) == nil }.map { id in
            "\(field): \(id) is not in the agency directory"
                + (NearestName.suggestion(for: id, among: known).map { " — did you mean \($0)?" } ?? "")
        }
    }

    private func refuse(_ problems: [String], _ what: String) throws {
        guard problems.isEmpty else {
            throw RecordsError(.formInvalid, "\(what) cannot be recorded: \(problems.count) problem(s)", problems: problems)
        }
    }
}
