import Foundation
import MezhvedCore

/// One clause of a regulation that governs an exchange of documents or information, so that a
/// request's legal basis ("562-2014", clause "2.2.7 п.3") can be checked to exist.
public struct Clause: Sendable, Codable, Equatable {
    /// The clause number as the regulation writes it, e.g. `2.2.7`.
    public let number: String
    /// What the clause says about the exchange, in a few words (Russian, as in the source).
    public let summary: String
    /// How many numbered items (подпункты 1), 2), …) the clause has, when it has any.
    public let items: Int?
    /// Items that an amendment has repealed (исключен); citing them is a mistake.
    public let repealedItems: [Int]?

    public init(number: String, summary: String, items: Int? = nil, repealedItems: [Int]? = nil) {
        self.number = number
        self.summary = summary
        self.items = items
        self.repealedItems = repealedItems
    }
}

/// A regulation (a decree or an order of the Government of Leningrad Oblast) that sets up an
/// interagency exchange.
public struct Regulation: Sendable, Codable, Equatable {
    /// A stable identifier, e.g. `562-2014` or `459r-2023`.
    public let id: String
    /// `decree` (постановление) or `order` (распоряжение).
    public let kind: String
    /// The number as printed, e.g. `562` or `459-р`.
    public let number: String
    /// The date of adoption, ISO 8601 (`2014-12-02`).
    public let date: String
    /// The date of the latest amendment the directory's clauses follow, ISO 8601, when known.
    public let amendedThrough: String?
    /// The official title, e.g. «Об утверждении Регламента …».
    public let title: String
    /// A short name for lists and messages.
    public let shortTitle: String
    /// The answer deadline the regulation sets, in working days, or `nil` when it sets none.
    public let responseDeadlineWorkingDays: Int?
    /// The clauses that name data exchanges.
    public let clauses: [Clause]

    public init(
        id: String, kind: String, number: String, date: String, amendedThrough: String? = nil, title: String, shortTitle: String,
        responseDeadlineWorkingDays: Int?, clauses: [Clause]
    ) {
        self.id = id
        self.kind = kind
        self.number = number
        self.date = date
        self.amendedThrough = amendedThrough
        self.title = title
        self.shortTitle = shortTitle
        self.responseDeadlineWorkingDays = responseDeadlineWorkingDays
        self.clauses = clauses
    }

    /// The clause a reference such as `2.2.7 п.3` or `п. 2.2.7` points to: the clause whose number is
    /// the reference's leading number, or the closest enclosing clause (`2.2.7.1` → `2.2.7`).
    public func clause(matching reference: String) -> Clause? {
        let parsed = ClauseReference(reference)
        guard !parsed.number.isEmpty else { return nil }
        return
            clauses
            .filter { parsed.number == $0.number || parsed.number.hasPrefix($0.number + ".") }
            .max { $0.number.count < $1.number.count }
    }
}

/// The reference data printed on an agency's letterhead (бланк), GOST R 7.0.97.
public struct Letterhead: Sendable, Codable, Equatable {
    /// Whose coat of arms heads the letterhead: `Ленинградская область`.
    public let coatOfArms: String
    public let postalAddress: String
    public let phone: String
    public let email: String
    public let website: String?

    public init(coatOfArms: String, postalAddress: String, phone: String, email: String, website: String? = nil) {
        self.coatOfArms = coatOfArms
        self.postalAddress = postalAddress
        self.phone = phone
        self.email = email
        self.website = website
    }
}

/// A participant of interagency exchange: an executive body of Leningrad Oblast or an institution
/// subordinate to one.
public struct Agency: Sendable, Codable, Equatable {
    /// ``kind`` of an executive body of Leningrad Oblast (a committee, an administration).
    public static let executiveBody = "executive-body"
    /// ``kind`` of a state institution subordinate to an executive body (or a branch of one).
    public static let institution = "institution"

    /// The head whose position and name go into the signature block.
    public struct Official: Sendable, Codable, Equatable {
        public let position: String
        public let name: String

        public init(position: String, name: String) {
            self.position = position
            self.name = name
        }
    }

    /// A stable slug, e.g. `social-protection`; forms name agencies by it.
    public let id: String
    /// The official name, nominative case, e.g. «Комитет по здравоохранению Ленинградской области».
    public let fullName: String
    public let shortName: String
    /// ``executiveBody`` (`executive-body`) or ``institution`` (`institution`).
    public let kind: String
    /// The id of the body (or, for a branch, the institution) the agency is subordinate to.
    public let parent: String?
    /// The ids of the regulations the agency takes part in.
    public let regulations: [String]
    public let letterhead: Letterhead
    /// State registration number of the legal entity (13 digits). A branch shares its institution's.
    public let ogrn: String
    /// Taxpayer number of the legal entity (10 digits). A branch shares its institution's.
    public let inn: String
    /// Tax registration reason code (9 characters).
    public let kpp: String
    /// The agency's test signing certificate, relative to the repository root, when there is one.
    public let certificate: String?
    public let headOfficial: Official?
    /// `true` for a made-up example of a kind of institution that a regulation names only in general.
    public let example: Bool?

    public init(
        id: String, fullName: String, shortName: String, kind: String, parent: String? = nil, regulations: [String],
        letterhead: Letterhead, ogrn: String, inn: String, kpp: String, certificate: String? = nil, headOfficial: Official? = nil,
        example: Bool? = nil
    ) {
        self.id = id
        self.fullName = fullName
        self.shortName = shortName
        self.kind = kind
        self.parent = parent
        self.regulations = regulations
        self.letterhead = letterhead
        self.ogrn = ogrn
        self.inn = inn
        self.kpp = kpp
        self.certificate = certificate
        self.headOfficial = headOfficial
        self.example = example
    }

    /// Whether the agency is an executive body rather than an institution.
    public var isExecutiveBody: Bool { kind == Self.executiveBody }

    /// Whether the agency is a made-up example (``example`` is `true`).
    public var isExample: Bool { example ?? false }
}

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
                hint: "reinstall mezhved, or pass your own directory with --directory FILE")
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
                .malformedData, "directory file \"\(path)\" is malformed: \(describe(error, data: data))",
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

    /// A decoding error in words: where (`agencies[3].letterhead.email`) and what.
    private static func describe(_ error: DecodingError, data: Data) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return "\(fieldPath(context.codingPath + [key])): missing field \"\(key.stringValue)\""
        case .typeMismatch(let type, let context):
            return "\(fieldPath(context.codingPath)): expected \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "\(fieldPath(context.codingPath)): expected \(typeName(type)), found null"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "not valid JSON: \(syntaxProblem(in: data))" }
            return "\(fieldPath(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    /// Where the JSON syntax breaks, from JSONSerialization ("Invalid value around character 15"),
    /// with the character offset turned into a line and column.
    private static func syntaxProblem(in data: Data) -> String {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return "it cannot be decoded"
        } catch {
            var detail = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? error.localizedDescription
            while detail.hasSuffix(".") { detail.removeLast() }
            guard let range = detail.range(of: "character "),
                let offset = Int(detail[range.upperBound...].prefix { $0.isNumber }), offset <= data.count
            else { return detail }
            let before = data.prefix(offset)
            let line = before.filter { $0 == UInt8(ascii: "\n") }.count + 1
            let lineStart = before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? before.startIndex
            let column = String(decoding: before[lineStart...], as: UTF8.self).count + 1
            return "\(detail) (line \(line), column \(column))"
        }
    }

    private static func fieldPath(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text.isEmpty ? "top level" : text
    }

    private static func typeName(_ type: Any.Type) -> String {
        let name = String(describing: type)
        if name.hasPrefix("String") { return "a string" }
        if name.hasPrefix("Int") || name.hasPrefix("Double") { return "a number" }
        if name.hasPrefix("Bool") { return "true or false" }
        if name.hasPrefix("Array") { return "a list" }
        if name.hasPrefix("Dictionary") { return "an object" }
        return name
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
                + " (its participants: \(Self.listing(participants, limit: 5)))")
    }

    /// nil when the clause exists in the regulation (match by prefix: "2.2.7 п.3" matches clause "2.2.7").
    ///
    /// An item (`п.3`, `пп. 3`, `подпункт 3`) after the clause number is checked too when the
    /// directory knows how many items the clause has and which were repealed.
    public func clauseProblem(regulationID: String, clause: String, path: String) -> DocumentProblem? {
        if let problem = regulationProblem(regulationID, path: path) { return problem }
        guard let regulation = regulation(id: regulationID) else { return nil }
        let known = Self.listing(regulation.clauses.map(\.number), limit: 30)
        let reference = ClauseReference(clause)
        if clause.trimmingCharacters(in: .whitespaces).isEmpty {
            return DocumentProblem(path: path, message: "the clause of regulation \(regulationID) is missing (known clauses: \(known))")
        }
        if reference.number.isEmpty {
            return DocumentProblem(
                path: path,
                message: "clause \"\(clause)\" of regulation \(regulationID) does not start with a clause number such as \"2.2.7\"")
        }
        guard let found = regulation.clause(matching: clause) else {
            return DocumentProblem(
                path: path,
                message: "regulation \(regulationID) has no clause \(reference.number) among the clauses that govern data exchange"
                    + " (known clauses: \(known))")
        }
        guard let item = reference.item, reference.number == found.number else { return nil }
        if let items = found.items, item < 1 || item > items {
            return DocumentProblem(
                path: path,
                message: "clause \(found.number) of regulation \(regulationID) has items 1–\(items), there is no item \(item)")
        }
        if found.repealedItems?.contains(item) == true {
            return DocumentProblem(
                path: path, message: "item \(item) of clause \(found.number) of regulation \(regulationID) has been repealed (исключен)")
        }
        return nil
    }

    private func agencyProblem(_ agencyID: String, path: String) -> DocumentProblem? {
        let known = Self.listing(agencies.map(\.id), limit: 5)
        if agencyID.isEmpty {
            return DocumentProblem(path: path, message: "the agency is missing: give an agency id from the directory (known: \(known))")
        }
        if agency(id: agencyID) != nil { return nil }
        var message = "unknown agency \"\(agencyID)\": no such agency in the directory (known: \(known))"
        if let suggestion = ClosestName.to(agencyID, among: agencies.map(\.id)) { message += "; did you mean \"\(suggestion)\"?" }
        return DocumentProblem(path: path, message: message)
    }

    private func regulationProblem(_ regulationID: String, path: String) -> DocumentProblem? {
        if regulation(id: regulationID) != nil { return nil }
        let known = Self.listing(regulations.map(\.id), limit: 5)
        var message = "unknown regulation \"\(regulationID)\": no such regulation in the directory (known: \(known))"
        if let suggestion = ClosestName.to(regulationID, among: regulations.map(\.id)) { message += "; did you mean \"\(suggestion)\"?" }
        return DocumentProblem(path: path, message: message)
    }

    /// `a, b, c and 4 more`.
    private static func listing(_ items: [String], limit: Int) -> String {
        if items.isEmpty { return "none" }
        let shown = items.prefix(limit).joined(separator: ", ")
        return items.count > limit ? "\(shown) and \(items.count - limit) more" : shown
    }

    // MARK: Consistency

    /// Consistency of the data itself: unique ids, parents exist, identifiers valid, regulations known.
    ///
    /// Problems are at paths such as `agencies[3].ogrn` or `regulations[1].clauses[2].number`.
    public func consistencyProblems() -> [DocumentProblem] {
        var problems: [DocumentProblem] = []
        problems += regulationProblems()
        problems += agencyProblems()
        return problems
    }

    private func regulationProblems() -> [DocumentProblem] {
        var problems: [DocumentProblem] = []
        func add(_ path: String, _ message: String) { problems.append(DocumentProblem(path: path, message: message)) }
        if regulations.isEmpty { add("regulations", "the directory has no regulations") }
        var seen: [String: Int] = [:]
        for (index, regulation) in regulations.enumerated() {
            let at = "regulations[\(index)]"
            let name = "regulation \"\(regulation.id)\""
            if regulation.id.isEmpty {
                add("\(at).id", "the regulation id is empty")
            } else if let first = seen[regulation.id] {
                add("\(at).id", "duplicate regulation id \"\(regulation.id)\" (also regulations[\(first)])")
            } else {
                seen[regulation.id] = index
            }
            for (field, value) in [("kind", regulation.kind), ("number", regulation.number), ("title", regulation.title)]
            where value.trimmingCharacters(in: .whitespaces).isEmpty {
                add("\(at).\(field)", "\(name): \(field) is empty")
            }
            if regulation.shortTitle.trimmingCharacters(in: .whitespaces).isEmpty {
                add("\(at).shortTitle", "\(name): shortTitle is empty")
            }
            if !Self.isISODate(regulation.date) {
                add("\(at).date", "\(name): date \"\(regulation.date)\" is not a calendar date written as YYYY-MM-DD")
            }
            if let amended = regulation.amendedThrough {
                if !Self.isISODate(amended) {
                    add("\(at).amendedThrough", "\(name): amendedThrough \"\(amended)\" is not a calendar date written as YYYY-MM-DD")
                } else if amended < regulation.date {
                    add("\(at).amendedThrough", "\(name): amendedThrough \(amended) is before the regulation's date \(regulation.date)")
                }
            }
            if let days = regulation.responseDeadlineWorkingDays, days <= 0 {
                add(
                    "\(at).responseDeadlineWorkingDays",
                    "\(name): the response deadline must be a positive number of working days, not \(days)")
            }
            var clauseNumbers: Set<String> = []
            for (clauseIndex, clause) in regulation.clauses.enumerated() {
                let clauseAt = "\(at).clauses[\(clauseIndex)]"
                if !Self.isClauseNumber(clause.number) {
                    add("\(clauseAt).number", "\(name): clause number \"\(clause.number)\" must be numbers separated by dots, e.g. 2.2.7")
                } else if !clauseNumbers.insert(clause.number).inserted {
                    add("\(clauseAt).number", "\(name): clause \(clause.number) is listed twice")
                }
                if clause.summary.trimmingCharacters(in: .whitespaces).isEmpty {
                    add("\(clauseAt).summary", "\(name): clause \(clause.number) has an empty summary")
                }
                if let items = clause.items, items < 1 {
                    add("\(clauseAt).items", "\(name): clause \(clause.number) must have at least 1 item, not \(items)")
                }
                for item in clause.repealedItems ?? [] where item < 1 || item > (clause.items ?? Int.max) {
                    add("\(clauseAt).repealedItems", "\(name): clause \(clause.number) has no item \(item) to be repealed")
                }
            }
        }
        return problems
    }

    private func agencyProblems() -> [DocumentProblem] {
        var problems: [DocumentProblem] = []
        func add(_ path: String, _ message: String) { problems.append(DocumentProblem(path: path, message: message)) }
        if agencies.isEmpty { add("agencies", "the directory has no agencies") }
        var seenIDs: [String: Int] = [:]
        var seenOGRN: [String: Int] = [:]
        var seenINN: [String: Int] = [:]
        for (index, agency) in agencies.enumerated() {
            let at = "agencies[\(index)]"
            let name = "agency \"\(agency.id)\""
            // Identity.
            if !Self.isSlug(agency.id) {
                add(
                    "\(at).id",
                    "agency id \"\(agency.id)\" must be lower-case Latin letters and digits joined by hyphens, e.g. social-protection")
            } else if let first = seenIDs[agency.id] {
                add("\(at).id", "duplicate agency id \"\(agency.id)\" (also agencies[\(first)])")
            } else {
                seenIDs[agency.id] = index
            }
            if agency.fullName.trimmingCharacters(in: .whitespaces).isEmpty {
                add("\(at).fullName", "\(name): fullName is empty")
            } else if agency.fullName.first?.isUppercase != true && agency.fullName.first?.isLetter == true {
                add("\(at).fullName", "\(name): fullName \"\(agency.fullName)\" must start with a capital letter")
            }
            if agency.shortName.trimmingCharacters(in: .whitespaces).isEmpty { add("\(at).shortName", "\(name): shortName is empty") }
            // Hierarchy.
            var parentAgency: Agency?
            switch (agency.kind, agency.parent) {
            case (Agency.executiveBody, let parent?):
                add("\(at).parent", "\(name) is an executive body and cannot have a parent (\"\(parent)\")")
            case (Agency.institution, nil):
                add("\(at).parent", "\(name) is an institution and must name the agency it is subordinate to in parent")
            case (Agency.institution, let parent?):
                if parent == agency.id {
                    add("\(at).parent", "\(name) cannot be its own parent")
                } else if let found = self.agency(id: parent) {
                    parentAgency = found
                    if let cycle = cycleProblem(from: agency) { add("\(at).parent", cycle) }
                } else {
                    add("\(at).parent", "\(name): parent \"\(parent)\" is not an agency in the directory")
                }
            case (Agency.executiveBody, nil):
                break
            default:
                add("\(at).kind", "\(name): kind \"\(agency.kind)\" must be \"\(Agency.executiveBody)\" or \"\(Agency.institution)\"")
            }
            // Regulations.
            if agency.regulations.isEmpty { add("\(at).regulations", "\(name) takes part in no regulation") }
            var agencyRegulations: Set<String> = []
            for regulationID in agency.regulations {
                if !agencyRegulations.insert(regulationID).inserted {
                    add("\(at).regulations", "\(name): regulation \(regulationID) is listed twice")
                } else if regulation(id: regulationID) == nil {
                    add(
                        "\(at).regulations",
                        "\(name): unknown regulation \"\(regulationID)\" (known: \(Self.listing(regulations.map(\.id), limit: 5)))")
                } else if let parentAgency, !parentAgency.regulations.contains(regulationID) {
                    add(
                        "\(at).regulations",
                        "\(name) takes part in regulation \(regulationID), but its parent \"\(parentAgency.id)\" does not")
                }
            }
            // Requisites. A branch shares the OGRN and INN of its institution and has its own KPP.
            let isBranch = parentAgency.map { $0.ogrn == agency.ogrn } ?? false
            if let problem = RussianIdentifiers.ogrnProblem(agency.ogrn) {
                add("\(at).ogrn", "\(name): \(problem)")
            } else if agency.ogrn.count != 13 {
                add("\(at).ogrn", "\(name): OGRN \(agency.ogrn) is an individual entrepreneur's OGRNIP; an agency has a 13-digit OGRN")
            } else if isBranch {
                if let parentAgency, parentAgency.inn != agency.inn {
                    add("\(at).inn", "\(name) shares the OGRN of \"\(parentAgency.id)\" (a branch) but has another INN, \(agency.inn)")
                }
                if let parentAgency, parentAgency.kpp == agency.kpp {
                    add(
                        "\(at).kpp",
                        "\(name) shares the OGRN of \"\(parentAgency.id)\" (a branch) and must have its own KPP, not \(agency.kpp)")
                }
            } else if let first = seenOGRN[agency.ogrn] {
                add("\(at).ogrn", "\(name): OGRN \(agency.ogrn) is also the OGRN of \"\(agencies[first].id)\"")
            } else {
                seenOGRN[agency.ogrn] = index
            }
            if let problem = RussianIdentifiers.innProblem(agency.inn) {
                add("\(at).inn", "\(name): \(problem)")
            } else if agency.inn.count != 10 {
                add("\(at).inn", "\(name): INN \(agency.inn) is an individual's INN; an agency has a 10-digit INN")
            } else if !isBranch {
                if let first = seenINN[agency.inn] {
                    add("\(at).inn", "\(name): INN \(agency.inn) is also the INN of \"\(agencies[first].id)\"")
                } else {
                    seenINN[agency.inn] = index
                }
            }
            if let problem = RussianIdentifiers.kppProblem(agency.kpp) { add("\(at).kpp", "\(name): \(problem)") }
            // Letterhead and signature block.
            let letterhead = agency.letterhead
            for (field, value) in [
                ("coatOfArms", letterhead.coatOfArms), ("postalAddress", letterhead.postalAddress), ("phone", letterhead.phone),
            ] where value.trimmingCharacters(in: .whitespaces).isEmpty {
                add("\(at).letterhead.\(field)", "\(name): letterhead \(field) is empty")
            }
            if !Self.isEmail(letterhead.email) {
                add("\(at).letterhead.email", "\(name): letterhead e-mail \"\(letterhead.email)\" is not an address like name@example.org")
            }
            if let website = letterhead.website, !(website.hasPrefix("https://") || website.hasPrefix("http://")) {
                add("\(at).letterhead.website", "\(name): website \"\(website)\" must start with https:// or http://")
            }
            if let certificate = agency.certificate, certificate.trimmingCharacters(in: .whitespaces).isEmpty {
                add("\(at).certificate", "\(name): certificate is empty; write null when the agency has no certificate")
            }
            if let head = agency.headOfficial {
                if head.position.trimmingCharacters(in: .whitespaces).isEmpty {
                    add("\(at).headOfficial.position", "\(name): head's position is empty")
                }
                if head.name.trimmingCharacters(in: .whitespaces).isEmpty {
                    add("\(at).headOfficial.name", "\(name): head's name is empty")
                }
            }
        }
        return problems
    }

    /// A message when following `parent` from `agency` loops or ends at an institution without parent.
    private func cycleProblem(from agency: Agency) -> String? {
        var visited: [String] = [agency.id]
        var current = agency
        while let parentID = current.parent, let parent = self.agency(id: parentID) {
            if visited.contains(parent.id) {
                return "agency \"\(agency.id)\": the parent chain loops (\((visited + [parent.id]).joined(separator: " → ")))"
            }
            visited.append(parent.id)
            current = parent
        }
        return nil
    }

    private static func isSlug(_ s: String) -> Bool {
        !s.isEmpty && !s.hasPrefix("-") && !s.hasSuffix("-") && !s.contains("--")
            && s.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
    }

    private static func isClauseNumber(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return !parts.isEmpty && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
    }

    private static func isEmail(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !s.contains(where: \.isWhitespace)
    }

    /// `YYYY-MM-DD` naming a real day of the Gregorian calendar.
    private static func isISODate(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]), (1...12).contains(month)
        else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return (1...days).contains(day)
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
private struct ClauseReference {
    /// The leading clause number without a trailing dot (`2.2.7`), empty when there is none.
    let number: String
    /// The item number after the clause number, when one is written as п./пп./подпункт N.
    let item: Int?

    init(_ text: String) {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
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
