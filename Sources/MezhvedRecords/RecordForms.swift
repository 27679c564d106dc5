import Foundation
import MezhvedCore
import MezhvedDocuments
import Yams

/// A joint event as a clerk records it (562 cl. 3.1): no names, the people by SNILS only (hashed
/// with the person key before anything is stored).
public struct JointEventDraft: Sendable, Equatable {
    public var kind: JointEventKind
    public var date: CalendarDay
    /// The participating agencies (directory ids), at least two.
    public var agencies: [String]
    /// The SNILS of the people helped (may be empty: a meeting on procedures).
    public var snils: [String]
    /// The agency's own reference (protocol number), if any.
    public var reference: String?

    public init(kind: JointEventKind, date: CalendarDay, agencies: [String], snils: [String], reference: String? = nil) {
        self.kind = kind
        self.date = date
        self.agencies = agencies
        self.snils = snils
        self.reference = reference
    }
}

/// Help provided to one person, as a clerk records it (562 cl. 6.2; 459-р cl. 4.1).
public struct HelpDraft: Sendable, Equatable {
    public var kind: HelpKind
    public var date: CalendarDay
    /// The agency that provided the help (directory id).
    public var agency: String
    public var snils: String
    public var reference: String?

    public init(kind: HelpKind, date: CalendarDay, agency: String, snils: String, reference: String? = nil) {
        self.kind = kind
        self.date = date
        self.agency = agency
        self.snils = snils
        self.reference = reference
    }
}

/// Reads the record forms (YAML or JSON; Samples/records/joint-event.yaml, help-provided.yaml),
/// listing every problem at once, each with its field; a SNILS is never repeated in a message.
public enum RecordForms {
    /// The largest form read.
    public static let maximumSize = 1 << 20

    public static func jointEvent(_ bytes: [UInt8], source: String) throws -> JointEventDraft {
        var reader = try FormNodeReader(bytes, source: source)
        reader.known(["kind", "date", "agencies", "people", "reference"])
        let kind: JointEventKind? = reader.choice("kind")
        let date = reader.day("date")
        let agencies = reader.texts("agencies")
        var snils: [String] = []
        if let people = reader.root["people"] {
            if let list = people.sequence {
                for (index, person) in list.enumerated() {
                    if let value = reader.snils(person, at: "people[\(index)]") { snils.append(value) }
                }
            } else {
                reader.problems.append("people: must be a list of {snils: …}")
            }
        }
        let reference = reader.text("reference", required: false)
        try reader.finish("the joint event form")
        return JointEventDraft(kind: kind!, date: date!, agencies: agencies, snils: snils, reference: reference)
    }

    public static func help(_ bytes: [UInt8], source: String) throws -> HelpDraft {
        var reader = try FormNodeReader(bytes, source: source)
        reader.known(["kind", "date", "agency", "person", "reference"])
        let kind: HelpKind? = reader.choice("kind")
        let date = reader.day("date")
        let agency = reader.text("agency", required: true)
        var snils: String?
        if let person = reader.root["person"] {
            snils = reader.snils(person, at: "person")
        } else {
            reader.problems.append("person: is required ({snils: …}: the person helped, by SNILS only)")
        }
        let reference = reader.text("reference", required: false)
        try reader.finish("the help form")
        return HelpDraft(kind: kind!, date: date!, agency: agency!, snils: snils!, reference: reference)
    }
}

/// Walks a form's YAML tree, collecting problems.
struct FormNodeReader {
    let source: String
    let root: Node.Mapping
    var problems: [String] = []

    init(_ bytes: [UInt8], source: String) throws {
        self.source = source
        let node: Node?
        do {
            node = try Yams.compose(yaml: String(decoding: bytes, as: UTF8.self))
        } catch {
            throw RecordsError(
                .formInvalid, "\(source) is not valid YAML or JSON: \(error)", hint: "check the indentation, colons and quotes")
        }
        guard let mapping = node?.mapping else {
            throw RecordsError(.formInvalid, "\(source) is not a mapping of keys", hint: "see Samples/records/joint-event.yaml")
        }
        root = mapping
    }

    /// A reader of a nested mapping: its problems name their fields after `prefix` (`child.`).
    init(mapping: Node.Mapping, source: String, prefix: String) {
        self.source = source
        self.root = mapping
        self.prefix = prefix
    }

    /// Put before every field name in a problem.
    var prefix = ""

    mutating func known(_ keys: [String]) {
        for key in root.keys.compactMap(\.string) where !keys.contains(key) {
            let nearest = NearestName.suggestion(for: key, among: keys).map { " — did you mean \($0)?" } ?? ""
            problems.append("\(prefix)\(key): is not a key of this form (\(keys.joined(separator: ", ")))\(nearest)")
        }
    }

    mutating func text(_ key: String, required: Bool) -> String? {
        guard let node = root[key] else {
            if required { problems.append("\(prefix)\(key): is required") }
            return nil
        }
        guard let value = node.scalar?.string, !value.trimmingCharacters(in: .whitespaces).isEmpty else {
            problems.append("\(prefix)\(key): must be a non-empty text")
            return nil
        }
        return value
    }

    mutating func texts(_ key: String) -> [String] {
        guard let node = root[key] else {
            problems.append("\(prefix)\(key): is required (a list of directory ids)")
            return []
        }
        guard let list = node.sequence else {
            problems.append("\(prefix)\(key): must be a list of directory ids")
            return []
        }
        return list.compactMap { item in
            guard let value = item.scalar?.string else {
                problems.append("\(prefix)\(key): every item must be a directory id")
                return nil
            }
            return value
        }
    }

    mutating func day(_ key: String) -> CalendarDay? {
        guard let value = text(key, required: true) else { return nil }
        guard let day = CalendarDay(iso: value) else {
            problems.append("\(prefix)\(key): \(value) is not a date such as 2026-03-02")
            return nil
        }
        return day
    }

    mutating func choice<T: RawRepresentable & CaseIterable>(_ key: String) -> T? where T.RawValue == String {
        guard let value = text(key, required: true) else { return nil }
        guard let kind = T(rawValue: value) else {
            let names = T.allCases.map(\.rawValue)
            let nearest = NearestName.suggestion(for: value, among: names).map { " — did you mean \($0)?" } ?? ""
            problems.append("\(prefix)\(key): \(value) is not one of \(names.joined(separator: ", "))\(nearest)")
            return nil
        }
        return kind
    }

    /// A `{snils: …}` mapping: the only key a person has here (names are never recorded).
    mutating func snils(_ node: Node, at place: String) -> String? {
        guard let map = node.mapping else {
            problems.append("\(place): must be {snils: …}")
            return nil
        }
        for key in map.keys.compactMap(\.string) where key != "snils" {
            problems.append("\(place).\(key): is not recorded — a person is identified by SNILS only (no names, no dates of birth)")
        }
        guard let value = map["snils"]?.scalar?.string else {
            problems.append("\(place).snils: is required")
            return nil
        }
        if let problem = RussianIdentifiers.snilsProblem(value) {
            problems.append("\(place).snils: \(problem)")
            return nil
        }
        return value
    }

    func finish(_ what: String) throws {
        guard problems.isEmpty else {
            throw RecordsError(
                .formInvalid, "\(source): \(what) has \(problems.count) problem(s)", hint: "correct the fields named below",
                problems: problems)
        }
    }
}
