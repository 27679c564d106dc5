import Foundation

/// The XML namespace of mezhved's interagency documents, version 1.0.
public let interagencyNamespace = "urn:mezhved:interagency:1.0"

/// The kinds of interagency document.
public enum DocumentKind: String, Sendable, Codable, CaseIterable {
    /// A request for documents or information (clause 4.2 of regulation 562, 3.2 of 459-r).
    case request
    /// An answer to a request: the documents or information, or a reasoned refusal.
    case answer
    /// An acknowledgement that a document arrived, or why it was rejected.
    case receipt
    /// An informational letter that requests and answers nothing: the yearly analytic note.
    case note

    /// The root element's local name.
    public var rootElement: String {
        switch self {
        case .request: return "Request"
        case .answer: return "Answer"
        case .receipt: return "Receipt"
        case .note: return "Note"
        }
    }

    /// The schema file shipped with mezhved (also published in docs/schemas/).
    public var schemaFile: String { "mezhved-\(rawValue)-1.0.xsd" }

    init?(rootElement: String) {
        guard let kind = Self.allCases.first(where: { $0.rootElement == rootElement }) else { return nil }
        self = kind
    }
}

/// The letterhead (бланк) of a state body: coat of arms, the body's names and its reference data.
public struct DocumentLetterhead: Sendable, Codable, Equatable {
    public var coatOfArms: String
    public var agencyName: String
    public var agencyShortName: String?
    public var postalAddress: String
    public var phone: String
    public var email: String
    public var website: String?
}

/// A participant, by its directory id, with the name and identifiers written into the document.
public struct AgencyReference: Sendable, Codable, Equatable {
    public var agency: String
    public var name: String
    public var ogrn: String?
    public var inn: String?

    public init(agency: String, name: String, ogrn: String? = nil, inn: String? = nil) {
        self.agency = agency
        self.name = name
        self.ogrn = ogrn
        self.inn = inn
    }
}

/// A document's registration number and date.
public struct DocumentReference: Sendable, Codable, Equatable, CustomStringConvertible {
    public var number: String
    public var date: CalendarDay

    public init(number: String, date: CalendarDay) {
        self.number = number
        self.date = date
    }

    /// "№ 02-11/4817 от 02.03.2026"
    public var description: String { "№ \(number) от \(date.russian)" }
}

/// The legal act and clause that require the document.
public struct LegalBasisReference: Sendable, Codable, Equatable {
    public var regulation: String
    public var clause: String
    public var title: String

    public init(regulation: String, clause: String, title: String) {
        self.regulation = regulation
        self.clause = clause
        self.title = title
    }
}

/// The public service the request serves, with its registry id when it has one.
public struct ServiceReference: Sendable, Codable, Equatable {
    public var name: String
    public var registryId: String?

    public init(name: String, registryId: String? = nil) {
        self.name = name
        self.registryId = registryId
    }
}

/// A person acting for an agency: the compiler (исполнитель) or the signatory.
public struct OfficialPerson: Sendable, Codable, Equatable {
    public var fullName: String
    public var position: String
    public var phone: String?
    public var email: String?

    public init(fullName: String, position: String, phone: String? = nil, email: String? = nil) {
        self.fullName = fullName
        self.position = position
        self.phone = phone
        self.email = email
    }
}

/// Where the answer goes.
public struct ContactDetails: Sendable, Codable, Equatable {
    public var postalAddress: String?
    public var phone: String?
    public var email: String?

    public init(postalAddress: String? = nil, phone: String? = nil, email: String? = nil) {
        self.postalAddress = postalAddress
        self.phone = phone
        self.email = email
    }
}

/// The subject's consent to the request, where the law requires it.
public struct ConsentRecord: Sendable, Codable, Equatable {
    public var required: Bool
    public var obtained: Bool
    public var date: CalendarDay?
    public var document: String?

    public init(required: Bool, obtained: Bool, date: CalendarDay? = nil, document: String? = nil) {
        self.required = required
        self.obtained = obtained
        self.date = date
        self.document = document
    }
}

/// The role of a person in the personal data of a document.
public enum PersonRole: String, Sendable, Codable, CaseIterable {
    case subject, child, parent
    case legalRepresentative = "legal-representative"
}

/// Personal data of one person the document is about.
public struct PersonRecord: Sendable, Codable, Equatable {
    public var role: PersonRole
    public var lastName: String
    public var firstName: String
    public var middleName: String?
    public var birthDate: CalendarDay
    public var snils: String?
    public var address: String?
    public var identityDocument: String?

    /// "Петров Пётр Петрович"
    public var fullName: String { [lastName, firstName, middleName].compactMap { $0 }.joined(separator: " ") }
}

/// An interagency request.
public struct InteragencyRequest: Sendable, Codable, Equatable {
    public var id: String
    public var letterhead: DocumentLetterhead
    public var registration: DocumentReference
    public var sender: AgencyReference
    public var recipient: AgencyReference
    public var service: ServiceReference
    public var legalBasis: [LegalBasisReference]
    public var subject: String
    public var informationNeeded: String
    public var requestedDocument: String
    public var responseDeadline: CalendarDay
    public var contactForAnswer: ContactDetails
    public var consent: ConsentRecord?
    public var compiler: OfficialPerson
    public var signatory: OfficialPerson
    public var personalData: [PersonRecord]
    /// `true` when the response deadline is *provisional*: computed for a year the production calendar
    /// did not cover, by Labour Code art. 112 alone (written `provisional="true"` on `ResponseDeadline`).
    /// `nil` or `false`: the deadline is final.
    public var responseDeadlineProvisional: Bool? = nil
}

/// A document or piece of information provided in an answer.
public struct ProvidedDocument: Sendable, Codable, Equatable {
    public enum Body: Sendable, Codable, Equatable {
        /// The information as text.
        case text(String)
        /// An attached file.
        case attachment(fileName: String, mediaType: String, data: [UInt8])
    }

    public var name: String
    public var body: Body

    public init(name: String, body: Body) {
        self.name = name
        self.body = body
    }
}

/// What an answer gives.
public enum AnswerResult: Sendable, Codable, Equatable {
    /// The documents or information requested.
    case provided([ProvidedDocument])
    /// A reasoned refusal.
    case refusal(reason: String, legalBasis: LegalBasisReference?)
}

/// An answer to an interagency request.
public struct InteragencyAnswer: Sendable, Codable, Equatable {
    public var id: String
    public var letterhead: DocumentLetterhead
    public var registration: DocumentReference
    public var inReplyTo: DocumentReference
    public var sender: AgencyReference
    public var recipient: AgencyReference
    public var legalBasis: [LegalBasisReference]
    public var subject: String
    public var result: AnswerResult
    public var compiler: OfficialPerson
    public var signatory: OfficialPerson
    public var personalData: [PersonRecord]
}

/// Whether a received document was accepted (and registered) or rejected.
public enum ReceiptOutcome: Sendable, Codable, Equatable {
    case accepted(incomingNumber: String, incomingDate: CalendarDay)
    case rejected(reason: String)
}

/// A receipt acknowledging a received document.
public struct DeliveryReceipt: Sendable, Codable, Equatable {
    public var id: String
    public var sender: AgencyReference
    public var recipient: AgencyReference
    public var receivedKind: DocumentKind
    public var receivedDocument: DocumentReference
    public var receivedDigestAlgorithm: String?
    public var receivedDigest: String?
    /// When the document arrived (xs:dateTime, e.g. 2026-03-02T10:15:00+03:00).
    public var receivedAt: String
    public var outcome: ReceiptOutcome
    public var compiler: OfficialPerson?
}

/// Any of the documents.
public enum InteragencyDocument: Sendable, Equatable {
    case request(InteragencyRequest)
    case answer(InteragencyAnswer)
    case receipt(DeliveryReceipt)
    case note(AnalyticNote)

    public var kind: DocumentKind {
        switch self {
        case .request: return .request
        case .answer: return .answer
        case .receipt: return .receipt
        case .note: return .note
        }
    }

    public var id: String {
        switch self {
        case .request(let r): return r.id
        case .answer(let a): return a.id
        case .receipt(let r): return r.id
        case .note(let n): return n.id
        }
    }
}

extension CalendarDay {
    /// "02.03.2026", as Russian documents write dates.
    public var russian: String {
        let parts = iso.split(separator: "-")
        guard parts.count == 3 else { return iso }
        return "\(parts[2]).\(parts[1]).\(parts[0])"
    }
}
