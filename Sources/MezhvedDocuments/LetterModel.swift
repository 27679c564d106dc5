import Foundation

/// What the letterhead's templates show, as plain text (the templates escape it): one value per
/// document, built by ``DocumentRenderer``. Keys are distinct across the nesting, because a
/// mustache name missing in a section is looked up in the sections around it.
struct LetterModel {
    struct Head {
        var arms: String?
        var agency: String
        var shortName: String?
        var requisites: Requisites?
        var registration: Reference?
        var inReplyTo: Reference?
        var addressee: String
        var copies: String?
    }

    struct Requisites {
        var address: String
        var phone: String
        var email: String
        var website: String?
    }

    struct Reference {
        var number: String
        var date: String
    }

    /// A line of a list written one under another (`<br>` before all but the first).
    struct Line {
        var title: String
        var lineBefore: Bool

        static func lines(_ titles: [String]) -> [Line] {
            titles.enumerated().map { Line(title: $1, lineBefore: $0 > 0) }
        }
    }

    struct Request {
        var requested: [String]
        var needed: [String]
        var service: String
        var registryId: String?
        var basis: [Line]
        var deadline: String
        var provisionalNote: String?
        var contact: String
        var consent: String?
    }

    struct Answer {
        var provided: Provided?
        var refusal: Refusal?
    }

    struct Provided {
        var requestReference: String
        var documents: [ProvidedDocument]
    }

    struct ProvidedDocument {
        var documentName: String
        var textParagraphs: [String]?
        var attachment: Attachment?
    }

    struct Attachment {
        var fileName: String
        var mediaType: String
        var size: String
    }

    struct Refusal {
        var requestReference: String
        var reason: [String]
        var refusalBasis: String?
    }

    struct Receipt {
        var receivedKind: String
        var receivedDocument: String
        var receivedAt: String
        var digest: String?
        var accepted: Accepted?
        var rejectedReason: String?
    }

    struct Accepted {
        var incomingNumber: String
        var incomingDate: String
    }

    struct Note {
        var paragraphs: [String]
        var year: String
        var from: String
        var to: String
        var asOf: String
        var criteria: [Criterion]
        var agencyTable: AgencyTable?
        var mailing: [String]
        var noteBasis: [Line]
        var reportFormat: String
        var reportSHA256: String
        var journalLastSeq: String
        var journalLastHash: String
    }

    struct Criterion {
        var number: String
        var title: String
        var clause: String
        var value: String
    }

    struct AgencyTable {
        var rows: [AgencyRow]
    }

    struct AgencyRow {
        var agencyName: String
        var documentsReceived: String
        var jointEvents: String
        var peopleHelped: String
    }

    struct Personal {
        var redactedCount: Int?
        var table: PersonTable?
    }

    struct PersonTable {
        var rows: [PersonRow]
    }

    struct PersonRow {
        var role: String
        var fullName: String
        var birthDate: String
        var snils: String
        var address: String
    }

    struct Signature {
        var position: String
        var mark: Mark?
        var signatoryName: String
        var executor: Executor?
    }

    struct Mark {
        var serial: String
        var owner: String
        var validFrom: String
        var validTo: String
        var statusClass: String
        var statusText: String
        var checkedAt: String?
        var details: [String]
    }

    struct Executor {
        var executorName: String
        var executorPhone: String?
        var executorEmail: String?
    }

    var head: Head
    var heading: String
    var request: Request?
    var answer: Answer?
    var receipt: Receipt?
    var note: Note?
    var personal: Personal?
    var sign: Signature
}

/// The whole page: its title, the letter's style and the letter.
struct LetterPageModel {
    var title: String
    var css: String
    var letter: LetterModel
}
