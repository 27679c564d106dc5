import Foundation

extension DocumentComposer {
    /// Composes the analytic note of `draft` under `registration` (the journal's number and date):
    /// the letterhead, names and identifiers from the directory, the legal basis titles, the
    /// signatory (the sender's head official when the draft names none), and checks every rule.
    /// - Throws: ``DocumentError`` `.invalidDocument` listing every problem, each with its field path.
    public func note(_ draft: NoteDraft, registration: Registration) throws -> AnalyticNote {
        var p = CompositionProblems()
        let number = p.required(registration.number, "registration.number")
        let (sender, senderReference) = agency(draft.sender, "sender", &p)
        let (_, recipientReference) = agency(draft.recipient, "recipient", &p)
        if draft.addressees.isEmpty {
            p.add(
                "addressees", "is required: the note goes to every participant of the regulations",
                ru: "укажите адресатов: справка направляется всем участникам регламентов")
        }
        let addressees = draft.addressees.enumerated().compactMap { agency($1, "addressees[\($0)]", &p).1 }
        if draft.legalBasis.isEmpty {
            p.add(
                "legalBasis", "is required: name the clause of the evaluation (562-2014, 6.2)",
                ru: "укажите пункт регламента об оценке обмена (562-2014, п. 6.2)")
        }
        let bases = draft.legalBasis.enumerated().map { legalBasis($1, "legalBasis[\($0)]", &p) }
        let subject = p.required(draft.subject, "subject")
        let text = p.required(draft.text, "text")
        let compiler = draft.compiler.map { official($0, "compiler", &p) }
        let signatory = signatory(draft.signatory, of: sender, &p)
        let registered = Registration(number: number, date: registration.date)
        guard let senderReference, let recipientReference, let sender, let signatory else {
            try Self.refuse(p.all, "the note cannot be composed")
            throw DocumentError(.invalidDocument, "the note cannot be composed: its sender or recipient is missing")
        }
        let note = AnalyticNote(
            id: Self.trimmed(draft.id) ?? Self.documentID("note", registered) + "-\(Self.slug(draft.recipient))",
            letterhead: Self.letterhead(of: sender), registration: registered, sender: senderReference, recipient: recipientReference,
            addressees: addressees, legalBasis: bases, subject: subject, text: text, figures: draft.figures, evidence: draft.evidence,
            compiler: compiler, signatory: signatory)
        try finish(.note(note), formProblems: p.all, source: "the note")
        return note
    }
}
