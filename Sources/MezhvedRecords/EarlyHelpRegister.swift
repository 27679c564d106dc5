import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments

/// The register of organisations providing early help (459-р cl. 1.4 item 1), kept in the
/// gateway's journal (`earlyHelpOrganisation` events: included or excluded, on a day, by a decision)
/// and published as open data: the organisations' public requisites from the directory, never a person.
public struct EarlyHelpRegister: Sendable {
    /// One organisation in the register.
    public struct Entry: Sendable, Codable, Equatable {
        public let id: String
        public let fullName: String
        public let shortName: String
        public let ogrn: String
        public let inn: String
        public let kpp: String
        /// The body the organisation is subordinate to (directory id).
        public let parent: String?
        public let address: String
        public let phone: String?
        public let email: String?
        public let website: String?
        /// The day it was included, and the decision (order number) when recorded.
        public let includedOn: String
        public let decision: String?
    }

    public let registrar: Registrar
    public let directory: AgencyDirectory

    public init(registrar: Registrar, directory: AgencyDirectory) {
        self.registrar = registrar
        self.directory = directory
    }

    /// The organisations in the register on `day` (included on or before it, not excluded since), by id.
    public func entries(on day: CalendarDay) async throws -> [Entry] {
        var included: [String: RecordedFact] = [:]
        for fact in try await registrar.facts(FactQuery(type: .earlyHelpOrganisation, to: day.iso)) {
            guard let id = fact.record.agencies.first else { continue }
            if fact.record.kind == "included" { included[id] = fact } else { included[id] = nil }
        }
        return included.keys.sorted().compactMap { id in
            guard let agency = directory.agency(id: id), let fact = included[id] else { return nil }
            let l = agency.letterhead
            return Entry(
                id: id, fullName: agency.fullName, shortName: agency.shortName, ogrn: agency.ogrn, inn: agency.inn, kpp: agency.kpp,
                parent: agency.parent, address: l.postalAddress, phone: l.phone, email: l.email, website: l.website,
                includedOn: fact.record.date, decision: fact.record.reference)
        }
    }

    /// Includes (`true`) or excludes an organisation of the directory on `date`. Refused: an id not in the
    /// directory, a day after today, including one already in the register or excluding one not in it.
    public func change(_ id: String, include: Bool, date: CalendarDay, decision: String?, today: CalendarDay) async throws -> RecordedFact {
        var problems: [String] = []
        if directory.agency(id: id) == nil {
            let known = directory.agencies.map(\.id)
            problems.append(
                "\(id) is not in the agency directory" + (NearestName.suggestionText(for: id, among: known)))
        }
        if date > today { problems.append("the day \(date.iso) is after today (\(today.iso))") }
        let member = try await entries(on: date).contains { $0.id == id }
        if include && member { problems.append("\(id) is already in the register") }
        if !include && !member { problems.append("\(id) is not in the register on \(date.iso)") }
        guard problems.isEmpty else {
            throw RecordsError(
                .formInvalid, "the register of early-help organisations cannot be changed: \(problems.count) problem(s)", problems: problems
            )
        }
        return try await registrar.record(
            FactRecord(
                type: .earlyHelpOrganisation, kind: include ? "included" : "excluded", date: date.iso, agencies: [id], people: [],
                personKeyID: "none", reference: decision))
    }

    /// The open-data columns, in order.
    public static let columns = [
        "id", "fullName", "shortName", "ogrn", "inn", "kpp", "parent", "address", "phone", "email", "website", "includedOn", "decision",
    ]

    /// JSON (sorted keys): the register on `day`.
    public static func json(_ entries: [Entry], on day: CalendarDay) throws -> [UInt8] {
        struct Document: Codable {
            let register: String
            let regulation: String
            let asOf: String
            let organisations: [Entry]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(
            try encoder.encode(
                Document(register: "early-help-organisations", regulation: "459-р п. 1.4 пп. 1", asOf: day.iso, organisations: entries)))
            + [10]
    }

    /// CSV (RFC 4180, CRLF, a header line).
    public static func csv(_ entries: [Entry]) -> [UInt8] {
        var lines = [columns.joined(separator: ",")]
        for e in entries {
            let fields = [
                e.id, e.fullName, e.shortName, e.ogrn, e.inn, e.kpp, e.parent ?? "", e.address, e.phone ?? "", e.email ?? "",
                e.website ?? "",
                e.includedOn, e.decision ?? "",
            ]
            lines.append(fields.map(EvaluationReport.csvField).joined(separator: ","))
        }
        return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }
}

extension NearestName {
    static func suggestionText(for name: String, among known: [String]) -> String {
        suggestion(for: name, among: known).map { " — did you mean \($0)?" } ?? ""
    }
}
