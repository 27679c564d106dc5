/// A document's registration in the journal: its number and date (the same value as
/// ``DocumentReference``, under the name the journal gives it).
public typealias Registration = DocumentReference

/// What a clerk fills for an interagency request, before it is registered: a form file
/// (``DocumentComposer/requestDraft(form:source:)``) or a web form gives one, and
/// ``DocumentComposer/request(_:registration:)`` turns it into the document once the journal has
/// given its number.
///
/// Nothing in a draft is checked or filled until it is composed: a field left empty is an empty
/// string or `nil` here, and composing names it. What the directory knows (names, OGRN/INN, the
/// letterhead, the head official who signs) and the default deadline are not part of the draft.
public struct RequestDraft: Sendable, Equatable, Codable {
    /// The root element's `Id`; `nil` gives one made from the registration (`request-2026-03-02-02-11-4817`).
    public var id: String?
    /// The registration number and date; `nil` until the journal assigns them.
    public var registration: Registration?
    /// The sending agency's directory id (`social-protection`).
    public var sender: String
    /// The receiving agency's directory id (`employment`).
    public var recipient: String
    /// The public service the request serves.
    public var service: ServiceReference
    /// The regulations and clauses that require the document (at least one).
    public var legalBasis: [LegalBasisDraft]
    public var subject: String
    /// Why the information is needed.
    public var informationNeeded: String
    /// The document or information requested.
    public var requestedDocument: String
    /// The expected answer date; `nil` for the regulation's default (10 working days after the registration date).
    public var responseDeadline: CalendarDay?
    /// Where the answer goes; `nil` for the sender's letterhead contacts.
    public var contactForAnswer: ContactDetails?
    /// The subject's consent, where the law requires it.
    public var consent: ConsentRecord?
    /// The official who prepared the request (исполнитель): full name, position, phone and e-mail.
    public var compiler: OfficialPerson
    /// Who signs; `nil` for the directory's head official of the sender.
    public var signatory: OfficialPerson?
    /// The people the request is about (at least one).
    public var personalData: [PersonDraft]

    public init(
        id: String? = nil, registration: Registration? = nil, sender: String, recipient: String, service: ServiceReference,
        legalBasis: [LegalBasisDraft], subject: String, informationNeeded: String, requestedDocument: String,
        responseDeadline: CalendarDay? = nil, contactForAnswer: ContactDetails? = nil, consent: ConsentRecord? = nil,
        compiler: OfficialPerson, signatory: OfficialPerson? = nil, personalData: [PersonDraft]
    ) {
        self.id = id
        self.registration = registration
        self.sender = sender
        self.recipient = recipient
        self.service = service
        self.legalBasis = legalBasis
        self.subject = subject
        self.informationNeeded = informationNeeded
        self.requestedDocument = requestedDocument
        self.responseDeadline = responseDeadline
        self.contactForAnswer = contactForAnswer
        self.consent = consent
        self.compiler = compiler
        self.signatory = signatory
        self.personalData = personalData
    }
}

/// What a clerk fills for the answer to a request, before it is registered. Sender, recipient,
/// "на № … от …" and the legal basis come from the request when it is composed
/// (``DocumentComposer/answer(_:to:registration:)``).
public struct AnswerDraft: Sendable, Equatable, Codable {
    /// What the answer gives.
    public enum Result: Sendable, Equatable, Codable {
        /// The documents or information requested (at least one).
        case provided([ProvidedDocument])
        /// A reasoned refusal, with the legal basis of the refusal when there is one.
        case refusal(reason: String, legalBasis: LegalBasisDraft?)
    }

    /// The root element's `Id`; `nil` gives one made from the registration.
    public var id: String?
    /// The registration number and date; `nil` until the journal assigns them.
    public var registration: Registration?
    /// `nil` for «Ответ на запрос № … от …».
    public var subject: String?
    /// The documents provided or the refusal; `nil` when the clerk has chosen neither yet.
    public var result: Result?
    /// The official who prepared the answer: full name, position and phone.
    public var compiler: OfficialPerson
    /// Who signs; `nil` for the directory's head official of the answering agency.
    public var signatory: OfficialPerson?
    /// The people the answer is about (may be empty).
    public var personalData: [PersonDraft]

    public init(
        id: String? = nil, registration: Registration? = nil, subject: String? = nil, result: Result?, compiler: OfficialPerson,
        signatory: OfficialPerson? = nil, personalData: [PersonDraft] = []
    ) {
        self.id = id
        self.registration = registration
        self.subject = subject
        self.result = result
        self.compiler = compiler
        self.signatory = signatory
        self.personalData = personalData
    }
}

/// A legal basis as a clerk cites it: the regulation's directory id and the clause; the title
/// defaults to the regulation's short title and the clause (`Регламент …, п. 2.2.7`).
public struct LegalBasisDraft: Sendable, Equatable, Codable {
    /// The regulation's directory id (`562-2014`).
    public var regulation: String
    /// The clause, with an item if any (`2.2.7 пп. 3`).
    public var clause: String
    /// The text written into the document; `nil` for the directory's.
    public var title: String?

    public init(regulation: String, clause: String, title: String? = nil) {
        self.regulation = regulation
        self.clause = clause
        self.title = title
    }
}

/// A person as a clerk enters them: like ``PersonRecord``, but the birth date may still be
/// missing (composing names it).
public struct PersonDraft: Sendable, Equatable, Codable {
    public var role: PersonRole
    public var lastName: String
    public var firstName: String
    public var middleName: String?
    public var birthDate: CalendarDay?
    /// The SNILS as written (`112-233-445 95` or `11223344595`); composing writes it as `112-233-445 95`.
    public var snils: String?
    public var address: String?
    public var identityDocument: String?

    public init(
        role: PersonRole = .subject, lastName: String, firstName: String, middleName: String? = nil, birthDate: CalendarDay?,
        snils: String? = nil, address: String? = nil, identityDocument: String? = nil
    ) {
        self.role = role
        self.lastName = lastName
        self.firstName = firstName
        self.middleName = middleName
        self.birthDate = birthDate
        self.snils = snils
        self.address = address
        self.identityDocument = identityDocument
    }
}
