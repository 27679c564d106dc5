import Foundation
import MezhvedCore

/// The participants of interagency exchange and the regulations they take part in: who may send
/// and receive requests, under which legal basis, with which requisites on the letterhead.
///
/// The bundled directory (``bundled()``) covers Decree No. 562 of 02.12.2014 and Order No. 459-р
/// of 30.06.2023 of the Government of Leningrad Oblast. Its names are the regulations'; its
/// registration numbers, addresses and people are test values. An agency replaces it with its own
/// files through ``load(agencies:regulations:)``.
public struct AgencyDirectory: Sendable {
    /// Every agency, in the order of the data file.
    public let agencies: [Agency]
    /// Every regulation, in the order of the data file.
    public let regulations: [Regulation]

    private let agencyIndex: [String: Int]
    private let ogrnIndex: [String: Int]
    private let regulationIndex: [String: Int]

    /// A directory of the given agencies and regulations. It is not checked: see ``consistencyProblems()``.
    public init(agencies: [Agency], regulations: [Regulation]) {
        self.agencies = agencies
        self.regulations = regulations
        var agencyIndex: [String: Int] = [:]
        for (index, agency) in agencies.enumerated() where agencyIndex[agency.id] == nil { agencyIndex[agency.id] = index }
        var ogrnIndex: [String: Int] = [:]
        for (index, agency) in agencies.enumerated() {
            // An OGRN names a legal entity: prefer the institution to its branches, which share it.
            if let existing = ogrnIndex[agency.ogrn] {
                if Self.isBranch(agencies[existing], agencies, agencyIndex) && !Self.isBranch(agency, agencies, agencyIndex) {
                    ogrnIndex[agency.ogrn] = index
                }
            } else {
                ogrnIndex[agency.ogrn] = index
            }
        }
        var regulationIndex: [String: Int] = [:]
        for (index, regulation) in regulations.enumerated() where regulationIndex[regulation.id] == nil {
            regulationIndex[regulation.id] = index
        }
        self.agencyIndex = agencyIndex
        self.ogrnIndex = ogrnIndex
        self.regulationIndex = regulationIndex
    }

    private static func isBranch(_ agency: Agency, _ agencies: [Agency], _ index: [String: Int]) -> Bool {
        guard let parent = agency.parent, let parentIndex = index[parent] else { return false }
        return agencies[parentIndex].ogrn == agency.ogrn
    }

    // MARK: Loading

    /// The directory shipped with mezhved (`Resources/directory/agencies.json` and `regulations.json`).
    public static func bundled() throws -> AgencyDirectory {
        try bundledDirectory.get()
    }

    private static let bundledDirectory: Result<AgencyDirectory, DocumentError> = {
        do {
            let agencies = try bundledFile("agencies")
            let regulations = try bundledFile("regulations")
            return .success(
                AgencyDirectory(
                    agencies: try decode(AgenciesFile.self, at: agencies).agencies,
                    regulations: try decode(RegulationsFile.self, at: regulations).regulations))
        } catch let error as DocumentError {
            return .failure(error)
        } catch {
            return .failure(DocumentError(.unreadableInput, "cannot load the bundled agency directory: \(error)"))
        }
    }()

    private static func bundledFile(_ name: String) throws -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Resources/directory") else {
            throw DocumentError(
                .unreadableInput, "the bundled agency directory file Resources/directory/\(name).json is missing",
                hint: "reinstall mezhved, or give a directory file of your own")
        }
        return url.path
    }

    /// A directory from an agency's own files: `agencies` is an agencies file (same format as the
    /// bundled `agencies.json`); `regulations` a regulations file, or `nil` for the bundled regulations.
    ///
    /// The files are decoded, not checked: call ``consistencyProblems()`` before use.
    /// - Throws: ``DocumentError`` `.unreadableInput` when a file cannot be read, `.malformedData`
    ///   when it is not JSON of the expected shape (the message names the file and the field path).
    public static func load(agencies: String, regulations: String?) throws -> AgencyDirectory {
        let agencyList = try decode(AgenciesFile.self, at: agencies).agencies
        let regulationList = try regulations.map { try decode(RegulationsFile.self, at: $0).regulations } ?? bundled().regulations
        return AgencyDirectory(agencies: agencyList, regulations: regulationList)
    }

    private static func decode<T: Decodable>(_ type: T.Type, at path: String) throws -> T {
        let data = try readFile(path)
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw DocumentError(
                .malformedData, "directory file \"\(path)\" is malformed: \(DecodingProblem.describe(error, data: data))",
                hint: "see docs/directory.md for the format")
        } catch {
            throw DocumentError(.malformedData, "directory file \"\(path)\" is malformed: \(error)")
        }
    }

    private static func readFile(_ path: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DocumentError(.unreadableInput, "cannot read directory file \"\(path)\": no such file")
        }
        if isDirectory.boolValue {
            throw DocumentError(.unreadableInput, "cannot read directory file \"\(path)\": it is a directory, not a JSON file")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw DocumentError(.unreadableInput, "cannot read directory file \"\(path)\": permission denied")
        }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw DocumentError(.unreadableInput, "cannot read directory file \"\(path)\": \(error.localizedDescription)")
        }
    }

    // MARK: Lookup

    /// The agency with this id, or `nil`.
    public func agency(id: String) -> Agency? {
        agencyIndex[id].map { agencies[$0] }
    }

    /// The agency with this OGRN, or `nil`. Branches share their institution's OGRN; the institution is returned.
    public func agency(ogrn: String) -> Agency? {
        ogrnIndex[ogrn].map { agencies[$0] }
    }

    /// The regulation with this id, or `nil`.
    public func regulation(id: String) -> Regulation? {
        regulationIndex[id].map { regulations[$0] }
    }

    /// The agencies that take part in the regulation, in directory order.
    public func participants(of regulationID: String) -> [Agency] {
        agencies.filter { $0.regulations.contains(regulationID) }
    }

    /// nil when `agencyID` exists and takes part in `regulationID`; otherwise the problem, at `path`
    /// (a form field path such as "recipient.agency").
    public func participationProblem(agencyID: String, regulationID: String, path: String) -> DocumentProblem? {
        if let problem = agencyProblem(agencyID, path: path) { return problem }
        guard let agency = agency(id: agencyID) else { return nil }
        if let problem = regulationProblem(regulationID, path: path) { return problem }
        if agency.regulations.contains(regulationID) { return nil }
        let participants = participants(of: regulationID).map(\.id)
        return DocumentProblem(
            path: path,
            message: "agency \"\(agencyID)\" (\(agency.fullName)) does not take part in regulation \(regulationID)"
                + " (its participants: \(Self.listing(participants, limit: 5)))",
            russian: "\(agency.fullName) не участвует в регламенте \(regulationID); выберите одного из его участников")
    }

    /// nil when the clause exists in the regulation (match by prefix: "2.2.7 п.3" matches clause "2.2.7").
    ///
    /// An item (`п.3`, `пп. 3`, `подпункт 3`) after the clause number is checked too when the
    /// directory knows how many items the clause has and which were repealed.
    public func clauseProblem(regulationID: String, clause: String, path: String) -> DocumentProblem? {
        if let problem = regulationProblem(regulationID, path: path) { return problem }
        guard let regulation = regulation(id: regulationID) else { return nil }
        var known: String { Self.listing(regulation.clauses.map(\.number), limit: 30) }
        let reference = ClauseReference(clause)
        if reference.isBlank {
            return DocumentProblem(
                path: path, message: "the clause of regulation \(regulationID) is missing (known clauses: \(known))",
                russian: "выберите пункт регламента \(regulationID) (пункты: \(known))")
        }
        if reference.number.isEmpty {
            return DocumentProblem(
                path: path,
                message: "clause \"\(clause)\" of regulation \(regulationID) does not start with a clause number such as \"2.2.7\"",
                russian: "«\(clause)» не начинается с номера пункта регламента, например «2.2.7»")
        }
        guard let found = regulation.clause(matching: reference) else {
            return DocumentProblem(
                path: path,
                message: "regulation \(regulationID) has no clause \(reference.number) among the clauses that govern data exchange"
                    + " (known clauses: \(known))",
                russian: "в регламенте \(regulationID) нет пункта \(reference.number) о межведомственном обмене (пункты: \(known))")
        }
        guard let item = reference.item, reference.number == found.number else { return nil }
        if let items = found.items, item < 1 || item > items {
            return DocumentProblem(
                path: path,
                message: "clause \(found.number) of regulation \(regulationID) has items 1–\(items), there is no item \(item)",
                russian: "в пункте \(found.number) регламента \(regulationID) подпункты 1–\(items), подпункта \(item) нет")
        }
        if found.repealedItems?.contains(item) == true {
            return DocumentProblem(
                path: path, message: "item \(item) of clause \(found.number) of regulation \(regulationID) has been repealed (исключен)",
                russian: "подпункт \(item) пункта \(found.number) регламента \(regulationID) исключен")
        }
        return nil
    }

    private func agencyProblem(_ agencyID: String, path: String) -> DocumentProblem? {
        let known = Self.listing(agencies.map(\.id), limit: 5)
        if agencyID.isEmpty {
            return DocumentProblem(
                path: path, message: "the agency is missing: give an agency id from the directory (known: \(known))",
                russian: "выберите орган из справочника участников обмена")
        }
        if agency(id: agencyID) != nil { return nil }
        var message = "unknown agency \"\(agencyID)\": no such agency in the directory (known: \(known))"
        var russian = "органа «\(agencyID)» нет в справочнике участников обмена"
        if let suggestion = NearestName.suggestion(for: agencyID, among: agencies.map(\.id)) {
            message += "; did you mean \"\(suggestion)\"?"
            russian += "; возможно, имелся в виду «\(suggestion)»"
        }
        return DocumentProblem(path: path, message: message, russian: russian)
    }

    private func regulationProblem(_ regulationID: String, path: String) -> DocumentProblem? {
        if regulation(id: regulationID) != nil { return nil }
        let known = Self.listing(regulations.map(\.id), limit: 5)
        var message = "unknown regulation \"\(regulationID)\": no such regulation in the directory (known: \(known))"
        var russian = "регламента «\(regulationID)» нет в справочнике (есть: \(known))"
        if let suggestion = NearestName.suggestion(for: regulationID, among: regulations.map(\.id)) {
            message += "; did you mean \"\(suggestion)\"?"
            russian += "; возможно, имелся в виду «\(suggestion)»"
        }
        return DocumentProblem(path: path, message: message, russian: russian)
    }

    /// `a, b, c and 4 more`.
    static func listing(_ items: [String], limit: Int) -> String {
        if items.isEmpty { return "none" }
        let shown = items.prefix(limit).joined(separator: ", ")
        return items.count > limit ? "\(shown) and \(items.count - limit) more" : shown
    }
}

/// The files' top-level objects. Other top-level keys (`test-data`, `note`) are for people.
private struct AgenciesFile: Decodable {
    let agencies: [Agency]
}

private struct RegulationsFile: Decodable {
    let regulations: [Regulation]
}

/// A clause reference as a form writes it: `2.2.7`, `2.2.7 п.3`, `п. 2.2.7 пп. 3`, `4.4 подпункт 2`.
struct ClauseReference {
    /// The leading clause number without a trailing dot (`2.2.7`), empty when there is none.
    let number: String
    /// The item number after the clause number, when one is written as п./пп./подпункт N.
    let item: Int?
    /// Whether the text was empty or only spaces.
    let isBlank: Bool

    init(_ text: String) {
        // Spaces and tabs around the text, as `.whitespaces` (Foundation's trimming is costly here).
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\u{A0}" || ($0.isWhitespace && !$0.isNewline) }
        var rest = Substring(text).drop(while: isSpace)
        while let last = rest.last, isSpace(last) { rest.removeLast() }
        isBlank = rest.isEmpty
        // An optional leading "п." / "пункт".
        if let first = rest.first, first.isLetter {
            rest = rest.drop { $0.isLetter }
            rest = rest.drop { $0 == "." || $0 == " " }
        }
        let numberText = rest.prefix { ($0.isASCII && $0.isNumber) || $0 == "." }
        var number = String(numberText)
        while number.hasSuffix(".") { number.removeLast() }
        self.number = number
        rest = rest.dropFirst(numberText.count).drop { $0 == " " || $0 == "," }
        // An item: "п.3", "пп. 3", "подпункт 3", "p. 3".
        var item: Int?
        if let first = rest.first, first == "п" || first == "p" {
            let afterWord = rest.drop { $0.isLetter }.drop { $0 == "." || $0 == " " }
            let digits = afterWord.prefix { $0.isASCII && $0.isNumber }
            item = Int(digits)
        }
        self.item = item
    }
}
