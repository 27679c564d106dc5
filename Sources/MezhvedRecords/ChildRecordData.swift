import Foundation
import MezhvedDocuments

/// A child of the early-help target group as a clerk includes them (459-р cl. 1.4): the personal data
/// that is kept only sealed (``ChildSealedRecord``), never in the journal in clear.
public struct ChildDraft: Sendable, Equatable, Codable {
    /// The child.
    public var child: ChildPerson
    /// The parent or legal representative.
    public var representative: ChildRepresentative
    /// The organisation providing early help (directory id) that takes the child.
    public var organisation: String
    /// The day of inclusion in the record.
    public var includedOn: CalendarDay
    /// The basis of the inclusion (the medical commission's conclusion, the representative's application…).
    public var basis: String

    public init(child: ChildPerson, representative: ChildRepresentative, organisation: String, includedOn: CalendarDay, basis: String) {
        self.child = child
        self.representative = representative
        self.organisation = organisation
        self.includedOn = includedOn
        self.basis = basis
    }
}

/// The child's own data.
public struct ChildPerson: Sendable, Equatable, Codable {
    public var snils: String
    public var lastName: String
    public var firstName: String
    public var middleName: String?
    public var birthDate: CalendarDay

    public init(snils: String, lastName: String, firstName: String, middleName: String?, birthDate: CalendarDay) {
        self.snils = snils
        self.lastName = lastName
        self.firstName = firstName
        self.middleName = middleName
        self.birthDate = birthDate
    }

    /// Last, first and middle name.
    public var fullName: String { [lastName, firstName, middleName].compactMap { $0 }.joined(separator: " ") }
}

/// The parent or legal representative of a child.
public struct ChildRepresentative: Sendable, Equatable, Codable {
    /// `parent` or `legal-representative`.
    public var role: PersonRole
    public var lastName: String
    public var firstName: String
    public var middleName: String?
    public var birthDate: CalendarDay
    public var snils: String?
    public var phone: String?

    public init(
        role: PersonRole, lastName: String, firstName: String, middleName: String?, birthDate: CalendarDay, snils: String?, phone: String?
    ) {
        self.role = role
        self.lastName = lastName
        self.firstName = firstName
        self.middleName = middleName
        self.birthDate = birthDate
        self.snils = snils
        self.phone = phone
    }

    public var fullName: String { [lastName, firstName, middleName].compactMap { $0 }.joined(separator: " ") }
}

/// A stay of the child at an organisation before the present one (the history a transfer carries).
public struct ChildStay: Sendable, Equatable, Codable {
    /// The organisation (directory id), the first and last day there.
    public var organisation: String
    public var from: String
    public var to: String
    /// The number (as printed) of the transfer document that moved the child on from it.
    public var transferDocument: String?

    public init(organisation: String, from: String, to: String, transferDocument: String?) {
        self.organisation = organisation
        self.from = from
        self.to = to
        self.transferDocument = transferDocument
    }
}

/// Help the child received (the helpProvided facts of the child's keyed hash).
public struct ChildHelp: Sendable, Equatable, Codable {
    public var kind: String
    public var date: String
    public var agency: String

    public init(kind: String, date: String, agency: String) {
        self.kind = kind
        self.date = date
        self.agency = agency
    }
}

/// The child's history before the present organisation: the first inclusion anywhere, the earlier
/// organisations, the help received. Empty for a child first included here.
public struct ChildHistory: Sendable, Equatable, Codable {
    /// The first day the child was in the record of any organisation, and its basis.
    public var firstIncludedOn: String
    public var firstBasis: String
    public var previousOrganisations: [ChildStay]
    public var help: [ChildHelp]

    public init(firstIncludedOn: String, firstBasis: String, previousOrganisations: [ChildStay], help: [ChildHelp]) {
        self.firstIncludedOn = firstIncludedOn
        self.firstBasis = firstBasis
        self.previousOrganisations = previousOrganisations
        self.help = help
    }
}

/// What the sealed object of a `childRecorded` inclusion holds (JSON, sealed with the archive's data
/// key). It names the child's keyed hash, so that an object put under another child's event is found out.
public struct ChildSealedRecord: Sendable, Equatable, Codable {
    public static let format = "mezhved-child/1"
    public var format: String
    /// The child's keyed hash (the event's person).
    public var person: String
    public var draft: ChildDraft
    public var history: ChildHistory?

    public init(person: String, draft: ChildDraft, history: ChildHistory?) {
        self.format = Self.format
        self.person = person
        self.draft = draft
        self.history = history
    }

    func json() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }
}

/// Why a child leaves the record without a transfer.
public enum ChildExclusionReason: String, Sendable, Codable, CaseIterable {
    /// The child reached three years of age.
    case reachedThree = "reached-three"
    /// The family moved out of the region.
    case movedAway = "moved-away"
    /// The parent or legal representative declined early help.
    case declined
    /// The individual programme was completed.
    case programmeCompleted = "programme-completed"

    /// The reason in Russian.
    public var title: String {
        switch self {
        case .reachedThree: return "достижение ребенком возраста трех лет"
        case .movedAway: return "переезд семьи за пределы Ленинградской области"
        case .declined: return "отказ родителя (законного представителя) от услуг ранней помощи"
        case .programmeCompleted: return "завершение индивидуальной программы ранней помощи"
        }
    }
}
