import Foundation
import MezhvedCore

/// The kind of a recorded fact: what the evaluation counts beside documents (562 cl. 3.1, 6.2;
/// 459-р cl. 4.1). The same names are the log's event types.
public enum FactType: String, Sendable, Codable, CaseIterable {
    /// A joint event: a joint visit of a multidisciplinary patronage team, drawing up an individual
    /// programme, a meeting of a collegial body.
    case jointEvent
    /// Help provided to a person (rehabilitation, medical, psychological, pedagogical, legal, social).
    case helpProvided
    /// An organisation included in or excluded from the register of early-help organisations
    /// (459-р cl. 1.4 item 1): kind `included` or `excluded`, one agency, no people.
    case earlyHelpOrganisation
    /// A change in the record of target-group children (459-р cl. 1.4): kind `included` (the child's
    /// personal data sealed in `object`), `transfer-requested`, `transferred`, `excluded`, `viewed`; one
    /// organisation, one person (the child's keyed hash).
    case childRecorded

    /// The kinds a childRecorded fact may have.
    public static let childKinds = ["included", "transfer-requested", "transferred", "transfer-declined", "excluded", "viewed"]

    var eventType: EventType {
        switch self {
        case .jointEvent: return .jointEvent
        case .helpProvided: return .helpProvided
        case .earlyHelpOrganisation: return .earlyHelpOrganisation
        case .childRecorded: return .childRecorded
        }
    }
}

/// What a fact records (``JournalAppend/fact(_:)``): no names, no SNILS — people only as keyed
/// hashes (``PersonKey``). The journal keeps it for ever, like a registration, under the same
/// hash chain and checkpoints.
public struct FactRecord: Sendable, Equatable, Codable {
    public var type: FactType
    /// The kind of event or of help (a name the records module defines: `joint-visit`, `medical`, …).
    public var kind: String
    /// The day it happened (ISO date, `2026-03-02`).
    public var date: String
    /// The agencies (directory ids) that took part, or the one that helped (sorted, each once).
    public var agencies: [String]
    /// The people concerned, as keyed hashes of their SNILS (sorted, each once).
    public var people: [String]
    /// The id of the key the hashes were made with.
    public var personKeyID: String
    /// The agency's own reference (protocol or act number), if any.
    public var reference: String?
    /// The other organisation of a child's transfer (childRecorded): where the child goes, or came from.
    public var counterpart: String?
    /// SHA-256 of a sealed object the fact names (childRecorded `included`: the child's personal data),
    /// and the id of the data key it is sealed with.
    public var object: String?
    public var encryptedWith: String?

    public init(
        type: FactType, kind: String, date: String, agencies: [String], people: [String], personKeyID: String, reference: String? = nil,
        counterpart: String? = nil, object: String? = nil, encryptedWith: String? = nil
    ) {
        self.counterpart = counterpart
        self.object = object
        self.encryptedWith = encryptedWith
        self.type = type
        self.kind = kind
        self.date = date
        self.agencies = Array(Set(agencies)).sorted()
        self.people = Array(Set(people)).sorted()
        self.personKeyID = personKeyID
        self.reference = reference
    }

    /// SHA-256 of what the fact says: one fact is recorded once.
    public var digest: String {
        let text =
            [
                type.rawValue, kind, date, agencies.joined(separator: ","), people.joined(separator: ","), personKeyID, reference ?? "",
            ].joined(separator: "\u{1}")
            + (counterpart == nil && object == nil && encryptedWith == nil
                ? "" : "\u{1}" + [counterpart ?? "", object ?? "", encryptedWith ?? ""].joined(separator: "\u{1}"))
        return ArchiveCrypto.sha256Hex(Array(text.utf8))
    }

    init?(type: EventType, payload p: EventPayload) {
        let factType: FactType
        switch type {
        case .jointEvent: factType = .jointEvent
        case .helpProvided: factType = .helpProvided
        case .earlyHelpOrganisation: factType = .earlyHelpOrganisation
        case .childRecorded: factType = .childRecorded
        default: return nil
        }
        guard let kind = p.recordKind, let date = p.recordDate, let agencies = p.agencies, let people = p.people,
            let personKeyID = p.personKeyID
        else { return nil }
        self.init(
            type: factType, kind: kind, date: date, agencies: agencies, people: people, personKeyID: personKeyID, reference: p.reference,
            counterpart: p.counterpart, object: p.object, encryptedWith: p.encryptedWith)
    }

    var payload: EventPayload {
        var payload = EventPayload()
        payload.recordKind = kind
        payload.recordDate = date
        payload.agencies = agencies
        payload.people = people
        payload.personKeyID = personKeyID
        payload.reference = reference
        payload.counterpart = counterpart
        payload.object = object
        payload.encryptedWith = encryptedWith
        return payload
    }
}

/// A fact as the journal holds it: the log entry that recorded it, and when.
public struct RecordedFact: Sendable, Equatable, Codable {
    /// The log entry (seq) and its time.
    public let seq: Int
    public let time: String
    public let record: FactRecord
}

/// A search of the recorded facts (the store answers it; ``matches(_:)`` is the reference). Every
/// criterion given must hold; results in log order, `offset` skipped, at most `limit`.
public struct FactQuery: Sendable, Equatable {
    public var type: FactType?
    /// The fact's day at or after / at or before (ISO dates, inclusive).
    public var from: String?
    public var to: String?
    /// An agency that took part (or helped).
    public var agency: String?
    /// A person concerned (keyed hash).
    public var person: String?
    public var limit: Int?
    public var offset: Int

    public init(
        type: FactType? = nil, from: String? = nil, to: String? = nil, agency: String? = nil, person: String? = nil, limit: Int? = nil,
        offset: Int = 0
    ) {
        self.person = person
        self.type = type
        self.from = from
        self.to = to
        self.agency = agency
        self.limit = limit
        self.offset = offset
    }

    /// Whether `fact` meets every criterion.
    public func matches(_ fact: RecordedFact) -> Bool {
        if let type, fact.record.type != type { return false }
        if let from, fact.record.date < from { return false }
        if let to, fact.record.date > to { return false }
        if let agency, !fact.record.agencies.contains(agency) { return false }
        if let person, !fact.record.people.contains(person) { return false }
        return true
    }
}

extension Journal {
    /// The facts a query selects.
    public func facts(matching query: FactQuery) -> [RecordedFact] {
        JournalQuery(limit: query.limit, offset: query.offset).page(facts.lazy.filter { query.matches($0) })
    }

    /// The fact recorded with this digest, if any.
    public func fact(digest: String) -> RecordedFact? { factsByDigest[digest].map { facts[$0] } }

    /// The event a fact writes, or why it is refused: a fact already recorded, a day that is not one,
    /// no agency, a help record without exactly one person, an empty kind.
    func prepareFact(_ record: FactRecord) throws -> (EventType, EventPayload) {
        var problems: [String] = []
        if record.kind.trimmingCharacters(in: .whitespaces).isEmpty { problems.append("it has no kind") }
        if ISOTime.dateOrDay(record.date) == nil || record.date.count != 10 { problems.append("its date \(record.date) is not a day") }
        if record.agencies.isEmpty { problems.append("it names no agency") }
        if record.type == .helpProvided && record.people.count != 1 {
            problems.append("help provided concerns exactly one person, not \(record.people.count)")
        }
        if record.people.contains(where: { !$0.hasPrefix(PersonKey.hashPrefix) }) { problems.append("a person is not a keyed hash") }
        if record.type == .earlyHelpOrganisation {
            if record.agencies.count != 1 { problems.append("a register entry names exactly one organisation") }
            if !record.people.isEmpty { problems.append("a register entry names no person") }
            if record.kind != "included" && record.kind != "excluded" { problems.append("its kind is included or excluded") }
        }
        if record.type == .childRecorded {
            if record.agencies.count != 1 { problems.append("a child's record names exactly one organisation") }
            if record.people.count != 1 { problems.append("a child's record concerns exactly one child, not \(record.people.count)") }
            if !FactType.childKinds.contains(record.kind) {
                problems.append("its kind is one of \(FactType.childKinds.joined(separator: ", "))")
            }
            if record.kind == "included" && (record.object == nil || record.encryptedWith == nil) {
                problems.append("an inclusion names the sealed object of the child's personal data and its key")
            }
            if record.kind != "included" && record.object != nil { problems.append("only an inclusion names a sealed object") }
            if ["transfer-requested", "transferred", "transfer-declined"].contains(record.kind)
                && (record.counterpart == nil || record.reference == nil)
            {
                problems.append("a transfer names the other organisation and the transfer document")
            }
        } else if record.counterpart != nil || record.object != nil {
            problems.append("only a child's record names a counterpart or an object")
        }
        if !problems.isEmpty {
            throw ArchiveError(
                .documentRefused, "the \(record.type.rawValue) record cannot be kept: \(problems.joined(separator: "; "))",
                hint: "correct the record")
        }
        if let existing = fact(digest: record.digest) {
            throw ArchiveError(
                .duplicateFact, "the same \(record.type.rawValue) was recorded before, at log entry \(existing.seq)",
                hint: "nothing was recorded again")
        }
        return (record.type.eventType, record.payload)
    }

    mutating func applyFact(_ event: ArchiveEvent) {
        guard let record = FactRecord(type: event.type, payload: event.payload) else {
            anomalies.append(
                JournalAnomaly(seq: event.seq, message: "a \(event.type.rawValue) event without its kind, day, agencies or people"))
            return
        }
        let digest = record.digest
        if let existing = factsByDigest[digest] {
            anomalies.append(JournalAnomaly(seq: event.seq, message: "the fact of log entry \(facts[existing].seq) recorded again"))
            return
        }
        if let object = record.object { referencedObjects.insert(object) }
        facts.append(RecordedFact(seq: event.seq, time: event.time, record: record))
        factsByDigest[digest] = facts.count - 1
    }
}

extension ArchiveStorage {
    /// The recorded facts a query selects, by replaying the log (a store with an index answers
    /// this itself; ``FileSystemStorage`` does).
    public func facts(_ query: FactQuery) async throws -> [RecordedFact] {
        let head = try await head()
        guard head.seq > 0 else { return [] }
        var journal = Journal()
        var seq = 1
        while seq <= head.seq {
            let upper = min(head.seq, seq + 4095)
            for event in try await events(seq...upper)
            where FactType(rawValue: event.type.rawValue) != nil {
                journal.applyFact(event)
            }
            seq = upper + 1
        }
        return journal.facts(matching: query)
    }
}

extension ErrorCode where Domain == ArchiveError {
    /// The same fact (joint event, help provided) was recorded before: nothing is recorded again.
    public static let duplicateFact = ErrorCode("duplicate-fact", .refused)
}
