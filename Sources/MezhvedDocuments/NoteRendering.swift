import Foundation

extension DocumentRenderer {
    /// The analytic note's letterhead: the distribution list as the addressee block (this copy's
    /// addressee first, the others counted).
    static func noteHead(_ n: AnalyticNote) -> LetterModel.Head {
        var model = Self.head(n.letterhead, registration: n.registration, inReplyTo: nil, addressee: n.recipient.name)
        let others = n.addressees.filter { $0.agency != n.recipient.agency }
        if !others.isEmpty {
            model.copies = "Копии: \(others.count) участник\(ending(others.count)) взаимодействия (список рассылки ниже)"
        }
        return model
    }

    /// The analytic note's body: the text, the table of the criteria and of each agency, the
    /// mailing list and the evidence the figures were computed from.
    static func note(_ n: AnalyticNote) -> LetterModel.Note {
        let f = n.figures
        let rows = f.agencies.map {
            LetterModel.AgencyRow(
                agencyName: $0.name, documentsReceived: String($0.documentsReceived), jointEvents: String($0.jointEvents),
                peopleHelped: String($0.peopleHelped))
        }
        return LetterModel.Note(
            paragraphs: paragraphs(n.text), year: String(f.year), from: f.from.russian, to: f.to.russian, asOf: f.asOf.russian,
            criteria: f.criteria.map {
                LetterModel.Criterion(number: String($0.number), title: $0.title, clause: $0.clause, value: String($0.value))
            },
            agencyTable: rows.isEmpty ? nil : LetterModel.AgencyTable(rows: rows), mailing: n.addressees.map(\.name),
            noteBasis: LetterModel.Line.lines(n.legalBasis.map(\.title)), reportFormat: n.evidence.reportFormat,
            reportSHA256: n.evidence.reportSHA256, journalLastSeq: String(n.evidence.journalLastSeq),
            journalLastHash: n.evidence.journalLastHash)
    }

    /// «участник», «участника», «участников».
    static func ending(_ count: Int) -> String {
        let tens = count % 100
        let units = count % 10
        if (11...14).contains(tens) { return "ов" }
        if units == 1 { return "" }
        if (2...4).contains(units) { return "а" }
        return "ов"
    }
}
