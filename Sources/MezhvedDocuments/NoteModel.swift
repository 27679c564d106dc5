import Foundation

/// One criterion of the yearly evaluation and its value, as the note prints it.
public struct NoteCriterion: Sendable, Codable, Equatable {
    /// 1, 2 or 3 (562 cl. 6.2; 459-р cl. 4.1).
    public var number: Int
    /// The clauses the criterion comes from, e.g. «562 п. 6.2; 459-р п. 4.1».
    public var clause: String
    /// What is counted, in Russian.
    public var title: String
    public var value: Int

    public init(number: Int, clause: String, title: String, value: Int) {
        self.number = number
        self.clause = clause
        self.title = title
        self.value = value
    }
}

/// One agency's line of the note's table: the three criteria for that agency.
public struct NoteAgencyFigures: Sendable, Codable, Equatable {
    public var agency: String
    /// The short name, as the report's table names the agency.
    public var name: String
    /// Criterion 1: documents and information received from it.
    public var documentsReceived: Int
    /// Criterion 2: joint events it took part in.
    public var jointEvents: Int
    /// Criterion 3: distinct people in the records it is in.
    public var peopleHelped: Int

    public init(agency: String, name: String, documentsReceived: Int, jointEvents: Int, peopleHelped: Int) {
        self.agency = agency
        self.name = name
        self.documentsReceived = documentsReceived
        self.jointEvents = jointEvents
        self.peopleHelped = peopleHelped
    }
}

/// The figures of the yearly report the note carries.
public struct NoteFigures: Sendable, Codable, Equatable {
    public var year: Int
    /// The period's first and last day.
    public var from: CalendarDay
    public var to: CalendarDay
    /// The day unanswered requests were judged on.
    public var asOf: CalendarDay
    public var criteria: [NoteCriterion]
    public var agencies: [NoteAgencyFigures]

    public init(
        year: Int, from: CalendarDay, to: CalendarDay, asOf: CalendarDay, criteria: [NoteCriterion], agencies: [NoteAgencyFigures]
    ) {
        self.year = year
        self.from = from
        self.to = to
        self.asOf = asOf
        self.criteria = criteria
        self.agencies = agencies
    }
}

/// What the figures were computed from: the JSON report (its format and SHA-256 of its bytes) and
/// the sender's journal range (the log entry replayed up to and its hash), so that anybody with the
/// log can recompute them (docs/reports.md).
public struct NoteEvidence: Sendable, Codable, Equatable {
    /// `mezhved-report/1`.
    public var reportFormat: String
    /// Lower-case hex SHA-256 of the JSON report's bytes.
    public var reportSHA256: String
    public var journalLastSeq: Int
    public var journalLastHash: String

    public init(reportFormat: String, reportSHA256: String, journalLastSeq: Int, journalLastHash: String) {
        self.reportFormat = reportFormat
        self.reportSHA256 = reportSHA256
        self.journalLastSeq = journalLastSeq
        self.journalLastHash = journalLastHash
    }
}

/// The yearly analytic note (аналитическая справка, 562 cl. 6.2; 459-р cl. 4.1–4.2): an
/// informational letter on the evaluating body's letterhead that requests nothing and answers
/// nothing (no deadline). One copy is registered and sent per addressee: `recipient` is this copy's,
/// `addressees` the whole distribution list.
public struct AnalyticNote: Sendable, Codable, Equatable {
    public var id: String
    public var letterhead: DocumentLetterhead
    public var registration: DocumentReference
    public var sender: AgencyReference
    public var recipient: AgencyReference
    public var addressees: [AgencyReference]
    public var legalBasis: [LegalBasisReference]
    public var subject: String
    /// The letter's text, paragraphs separated by line breaks.
    public var text: String
    public var figures: NoteFigures
    public var evidence: NoteEvidence
    public var compiler: OfficialPerson?
    public var signatory: OfficialPerson
}

/// What the note is composed from: the sender, the copy's recipient and the distribution list by
/// directory id, the text, and the report's figures and evidence. The letterhead, the names and
/// identifiers, the legal basis titles and (when not given) the signatory come from the directory.
public struct NoteDraft: Sendable, Equatable {
    public var id: String?
    public var sender: String
    /// This copy's addressee (one of `addressees`).
    public var recipient: String
    /// Every addressee, directory ids (all participants of the regulations named, except the sender).
    public var addressees: [String]
    public var legalBasis: [LegalBasisDraft]
    public var subject: String
    public var text: String
    public var figures: NoteFigures
    public var evidence: NoteEvidence
    public var compiler: OfficialPerson?
    public var signatory: OfficialPerson?

    public init(
        id: String? = nil, sender: String, recipient: String, addressees: [String], legalBasis: [LegalBasisDraft], subject: String,
        text: String, figures: NoteFigures, evidence: NoteEvidence, compiler: OfficialPerson? = nil, signatory: OfficialPerson? = nil
    ) {
        self.id = id
        self.sender = sender
        self.recipient = recipient
        self.addressees = addressees
        self.legalBasis = legalBasis
        self.subject = subject
        self.text = text
        self.figures = figures
        self.evidence = evidence
        self.compiler = compiler
        self.signatory = signatory
    }
}
