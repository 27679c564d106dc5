import Foundation

extension DocumentXMLWriter.Writer {
    /// Writes the analytic note (schema mezhved-note-1.0.xsd).
    mutating func note(_ n: AnalyticNote) {
        open("Note", [("Id", n.id), ("version", "1.0")], namespace: true)
        letterhead(n.letterhead)
        reference("Registration", n.registration)
        agency("Sender", n.sender)
        agency("Recipient", n.recipient)
        open("Addressees")
        for addressee in n.addressees { agency("Addressee", addressee) }
        close("Addressees")
        for b in n.legalBasis { legalBasis(b) }
        text("Subject", n.subject)
        text("Text", n.text)
        let f = n.figures
        open("Figures", [("year", String(f.year)), ("from", f.from.iso), ("to", f.to.iso), ("asOf", f.asOf.iso)])
        for c in f.criteria {
            text("Criterion", c.title, [("number", String(c.number)), ("clause", c.clause), ("value", String(c.value))])
        }
        for a in f.agencies {
            empty(
                "Agency",
                [
                    ("agency", a.agency), ("name", a.name), ("documentsReceived", String(a.documentsReceived)),
                    ("jointEvents", String(a.jointEvents)), ("peopleHelped", String(a.peopleHelped)),
                ])
        }
        close("Figures")
        let e = n.evidence
        empty(
            "Evidence",
            [
                ("reportFormat", e.reportFormat), ("reportSHA256", e.reportSHA256), ("journalLastSeq", String(e.journalLastSeq)),
                ("journalLastHash", e.journalLastHash),
            ])
        if let c = n.compiler { official("Compiler", c) }
        official("Signatory", n.signatory)
        close("Note")
    }
}

extension DocumentXMLReader {
    /// Reads a schema-valid `Note`.
    static func note(_ r: Node) throws -> AnalyticNote {
        let f = r.child("Figures")
        let e = r.child("Evidence")
        let figures = NoteFigures(
            year: Int(f.attr("year")) ?? 0, from: try day(f.attr("from"), f, "Figures/@from"), to: try day(f.attr("to"), f, "Figures/@to"),
            asOf: try day(f.attr("asOf"), f, "Figures/@asOf"),
            criteria: f.children("Criterion").map {
                NoteCriterion(
                    number: Int($0.attr("number")) ?? 0, clause: $0.attr("clause"), title: $0.content, value: Int($0.attr("value")) ?? 0)
            },
            agencies: f.children("Agency").map {
                NoteAgencyFigures(
                    agency: $0.attr("agency"), name: $0.attr("name"), documentsReceived: Int($0.attr("documentsReceived")) ?? 0,
                    jointEvents: Int($0.attr("jointEvents")) ?? 0, peopleHelped: Int($0.attr("peopleHelped")) ?? 0)
            })
        return AnalyticNote(
            id: r.attr("Id"), letterhead: letterhead(r.child("Letterhead")),
            registration: try reference(r.child("Registration"), "Registration"), sender: agency(r.child("Sender")),
            recipient: agency(r.child("Recipient")), addressees: r.child("Addressees").children("Addressee").map(agency),
            legalBasis: r.children("LegalBasis").map(legalBasis), subject: r.text("Subject"), text: r.text("Text"), figures: figures,
            evidence: NoteEvidence(
                reportFormat: e.attr("reportFormat"), reportSHA256: e.attr("reportSHA256"),
                journalLastSeq: Int(e.attr("journalLastSeq")) ?? 0,
                journalLastHash: e.attr("journalLastHash")),
            compiler: r.optionalChild("Compiler").map(official), signatory: official(r.child("Signatory")))
    }
}
