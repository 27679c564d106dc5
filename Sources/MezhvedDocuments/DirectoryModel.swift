/// The agency directory's data: regulations with their clauses, agencies with their letterheads.

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
    /// A decree (постановление) or an order (распоряжение).
    public let kind: RegulationKind
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
        id: String, kind: RegulationKind, number: String, date: String, amendedThrough: String? = nil, title: String, shortTitle: String,
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
        clause(matching: ClauseReference(reference))
    }

    func clause(matching parsed: ClauseReference) -> Clause? {
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
    /// An executive body or an institution subordinate to one.
    public let kind: AgencyKind
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
    /// The official who signs by default: a composed document's signature block names them, and the
    /// agency's test certificate is theirs.
    public let headOfficial: Official?
    /// `true` for a made-up example of a kind of institution that a regulation names only in general.
    public let example: Bool?

    public init(
        id: String, fullName: String, shortName: String, kind: AgencyKind, parent: String? = nil, regulations: [String],
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
    public var isExecutiveBody: Bool { kind == .executiveBody }

    /// Whether the agency is a made-up example (``example`` is `true`).
    public var isExample: Bool { example ?? false }
}

/// What kind of body an agency is (`kind` in `agencies.json`).
public enum AgencyKind: String, Sendable, Codable, CaseIterable {
    /// An executive body of Leningrad Oblast (a committee, an administration): `executive-body`.
    case executiveBody = "executive-body"
    /// A state institution subordinate to an executive body, or a branch of one: `institution`.
    case institution

    public init(from decoder: any Decoder) throws {
        self = try decodeKind(from: decoder)
    }
}

/// What kind of act a regulation is (`kind` in `regulations.json`).
public enum RegulationKind: String, Sendable, Codable, CaseIterable {
    /// Постановление: `decree`.
    case decree
    /// Распоряжение: `order`.
    case order

    public init(from decoder: any Decoder) throws {
        self = try decodeKind(from: decoder)
    }
}

/// A kind from its name, or an error that lists the names allowed (the directory's loader puts
/// the field's path before it).
private func decodeKind<Kind: RawRepresentable & CaseIterable>(from decoder: any Decoder) throws -> Kind where Kind.RawValue == String {
    let container = try decoder.singleValueContainer()
    let name = try container.decode(String.self)
    guard let kind = Kind(rawValue: name) else {
        let allowed = Kind.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")
        throw DecodingError.dataCorruptedError(in: container, debugDescription: "kind \"\(name)\" must be \(allowed)")
    }
    return kind
}
