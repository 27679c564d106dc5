import Foundation
import MezhvedCore

/// Problems of one composition, one per field path: the form's come first, then the draft's
/// (what is missing), then the rules'; a later problem at a path already named is left out.
struct CompositionProblems {
    private(set) var all: [DocumentProblem] = []

    init(_ initial: [DocumentProblem] = []) {
        for problem in initial { add(problem) }
    }

    mutating func add(_ problem: DocumentProblem) {
        if !all.contains(where: { $0.path == problem.path }) { all.append(problem) }
    }

    mutating func add(_ path: String, _ message: String, ru russian: String) {
        add(DocumentProblem(path: path, message: message, russian: russian))
    }

    /// `path` is empty but required.
    mutating func missing(_ path: String) { add(path, "is required", ru: "заполните это поле") }

    /// `text` with its surrounding white space removed; empty adds "`path` is required".
    mutating func required(_ text: String, _ path: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { missing(path) }
        return trimmed
    }
}

extension DocumentComposer {
    /// The problems of a form without a registration (unless the form already named them).
    static func missingRegistration(_ problems: [DocumentProblem]) -> [DocumentProblem] {
        if problems.contains(where: { $0.path.hasPrefix("registration") }) { return [] }
        return [
            DocumentProblem(path: "registration.number", message: "is required", russian: "укажите регистрационный номер"),
            DocumentProblem(
                path: "registration.date", message: "is required (a date such as 2026-03-02)",
                russian: "укажите дату регистрации (например, 2026-03-02)"),
        ]
    }

    /// Throws the problems of `what`, when there are any.
    static func refuse(_ problems: [DocumentProblem], _ what: String) throws {
        guard !problems.isEmpty else { return }
        throw DocumentError(
            .invalidDocument, "\(what): \(problems.count) problem\(problems.count == 1 ? "" : "s")",
            hint: "correct the fields named below", problems: problems)
    }

    func composeRequest(_ draft: RequestDraft, registration: Registration?, formProblems: [DocumentProblem], source: String) throws
        -> InteragencyRequest
    {
        var p = CompositionProblems(formProblems)
        let number = registration.map { p.required($0.number, "registration.number") }
        let (sender, senderReference) = agency(draft.sender, "sender", &p)
        let (_, recipientReference) = agency(draft.recipient, "recipient", &p)
        let service = ServiceReference(
            name: p.required(draft.service.name, "service.name"), registryId: Self.trimmed(draft.service.registryId))
        if draft.legalBasis.isEmpty {
            p.add(
                "legalBasis", "is required: name the regulation and clause (for example regulation: 562-2014, clause: \"2.2.7\")",
                ru: "укажите регламент и его пункт, на основании которых направляется запрос")
        }
        let bases = draft.legalBasis.enumerated().map { legalBasis($1, "legalBasis[\($0)]", &p) }
        let subject = p.required(draft.subject, "subject")
        let informationNeeded = p.required(draft.informationNeeded, "informationNeeded")
        let requestedDocument = p.required(draft.requestedDocument, "requestedDocument")
        var deadline = draft.responseDeadline
        var deadlineProvisional: Bool?
        if deadline == nil, let registered = registration?.date {
            let days = bases.first.flatMap { context.directory.regulation(id: $0.regulation)?.responseDeadlineWorkingDays } ?? 10
            do {
                let computed = try context.calendar.deadline(workingDays: days, after: registered, fallback: context.fallback)
                deadline = computed.day
                deadlineProvisional = computed.isProvisional ? true : nil
            } catch let error as DocumentError {
                p.add(
                    "responseDeadline", "cannot be computed: \(error.message)" + (error.hint.map { " — \($0)" } ?? ""),
                    ru: DocumentRules.Checker.calendarProblemInRussian(registered.year))
            }
        }
        let compiler = official(draft.compiler, "compiler", &p)
        let signatory = signatory(draft.signatory, of: sender, &p)
        let contact =
            draft.contactForAnswer
            ?? sender.map {
                ContactDetails(postalAddress: $0.letterhead.postalAddress, phone: $0.letterhead.phone, email: $0.letterhead.email)
            }
        let persons = draft.personalData.enumerated().map { person($1, "personalData[\($0)]", &p) }
        let letterhead = sender.map(Self.letterhead(of:))

        var rules = DocumentRules.Checker(context: context)
        rules.request(
            RequestFacts(
                sender: senderReference, recipient: recipientReference, letterhead: letterhead, legalBasis: bases,
                registered: registration?.date, deadline: deadline, compiler: compiler, signatory: signatory, contact: contact,
                consent: draft.consent, persons: persons.map { PersonFacts(role: $0.role, birthDate: $0.birthDate, snils: $0.snils) }))
        for problem in rules.problems { p.add(problem) }
        try Self.refuse(p.all, "\(source): the request cannot be composed")
        guard let registration, let number, let senderReference, let recipientReference, let letterhead, let deadline,
            let signatory, let contact
        else { throw Self.incomplete(source, "request") }
        let registered = Registration(number: number, date: registration.date)
        return InteragencyRequest(
            id: Self.trimmed(draft.id) ?? Self.documentID("request", registered), letterhead: letterhead, registration: registered,
            sender: senderReference, recipient: recipientReference, service: service, legalBasis: bases, subject: subject,
            informationNeeded: informationNeeded, requestedDocument: requestedDocument, responseDeadline: deadline,
            contactForAnswer: contact, consent: draft.consent, compiler: compiler, signatory: signatory,
            personalData: try Self.records(persons, source), responseDeadlineProvisional: deadlineProvisional)
    }

    func composeAnswer(
        _ draft: AnswerDraft, to request: InteragencyRequest, registration: Registration?, formProblems: [DocumentProblem],
        source: String
    ) throws -> InteragencyAnswer {
        var p = CompositionProblems(formProblems)
        let number = registration.map { p.required($0.number, "registration.number") }
        let sender = context.directory.agency(id: request.recipient.agency)
        let recipient = context.directory.agency(id: request.sender.agency)
        let senderReference = Self.reference(sender, request.recipient.agency)
        let recipientReference = Self.reference(recipient, request.sender.agency)
        let result: AnswerResult?
        switch draft.result {
        case .provided(let documents)?:
            if documents.isEmpty {
                p.add("provided", "list at least one document or piece of information", ru: "укажите хотя бы один документ или сведения")
            }
            for (index, document) in documents.enumerated() {
                _ = p.required(document.name, "provided[\(index)].name")
                if case .text(let content) = document.body { _ = p.required(content, "provided[\(index)].content") }
            }
            result = .provided(documents)
        case .refusal(let reason, let basis)?:
            result = .refusal(reason: p.required(reason, "refusal.reason"), legalBasis: basis.map { legalBasis($0, "refusal", &p) })
        case nil:
            p.add(
                "provided", "give either `provided` (the documents or information) or `refusal` (with its reason)",
                ru: "выберите: предоставить документы (сведения) или мотивированно отказать")
            result = nil
        }
        let compiler = official(draft.compiler, "compiler", &p)
        let signatory = signatory(draft.signatory, of: sender, &p)
        let persons = draft.personalData.enumerated().map { person($1, "personalData[\($0)]", &p) }
        let letterhead = sender.map(Self.letterhead(of:))
        var refusalReason: String?
        if case .refusal(let reason, _)? = result { refusalReason = reason }

        var rules = DocumentRules.Checker(context: context)
        rules.answer(
            AnswerFacts(
                sender: senderReference, recipient: recipientReference, letterhead: letterhead, registered: registration?.date,
                inReplyTo: request.registration, legalBasis: request.legalBasis, refusalReason: refusalReason, compiler: compiler,
                signatory: signatory, persons: persons.map { PersonFacts(role: $0.role, birthDate: $0.birthDate, snils: $0.snils) }),
            request: request)
        for problem in rules.problems { p.add(problem) }
        try Self.refuse(p.all, "\(source): the answer cannot be composed")
        guard let registration, let number, let letterhead, let result, let signatory else { throw Self.incomplete(source, "answer") }
        let registered = Registration(number: number, date: registration.date)
        return InteragencyAnswer(
            id: Self.trimmed(draft.id) ?? Self.documentID("answer", registered), letterhead: letterhead, registration: registered,
            inReplyTo: request.registration, sender: senderReference, recipient: recipientReference, legalBasis: request.legalBasis,
            subject: Self.trimmed(draft.subject) ?? "Ответ на запрос \(request.registration)", result: result, compiler: compiler,
            signatory: signatory, personalData: try Self.records(persons, source))
    }

    /// Checks `document` against the rules; throws every problem with `formProblems` before them.
    func finish(_ document: InteragencyDocument, formProblems: [DocumentProblem], source: String) throws {
        var p = CompositionProblems(formProblems)
        for problem in DocumentRules.check(document, context: context) { p.add(problem) }
        try Self.refuse(p.all, "\(source): the \(document.kind.rawValue) cannot be composed")
    }

    // MARK: Pieces

    /// The agency named by `id` and the reference written into the document; `nil` for no id
    /// (reported at `path`). An id the directory does not know gives a reference the rules report.
    func agency(_ id: String, _ path: String, _ p: inout CompositionProblems) -> (Agency?, AgencyReference?) {
        let id = id.trimmingCharacters(in: .whitespacesAndNewlines)
        if id.isEmpty {
            p.missing(path)
            return (nil, nil)
        }
        let agency = context.directory.agency(id: id)
        return (agency, Self.reference(agency, id))
    }

    func legalBasis(_ draft: LegalBasisDraft, _ path: String, _ p: inout CompositionProblems) -> LegalBasisReference {
        let regulationID = p.required(draft.regulation, "\(path).regulation")
        let clause = p.required(draft.clause, "\(path).clause")
        let title: String
        if let given = Self.trimmed(draft.title) {
            title = given
        } else if let regulation = context.directory.regulation(id: regulationID) {
            title = "\(regulation.shortTitle), п. \(clause)"
        } else {
            title = "\(regulationID), п. \(clause)"
        }
        return LegalBasisReference(regulation: regulationID, clause: clause, title: title)
    }

    func official(_ person: OfficialPerson, _ path: String, _ p: inout CompositionProblems) -> OfficialPerson {
        OfficialPerson(
            fullName: p.required(person.fullName, "\(path).fullName"), position: p.required(person.position, "\(path).position"),
            phone: Self.trimmed(person.phone), email: Self.trimmed(person.email))
    }

    /// The signatory given, or the directory's head official of the sender.
    func signatory(_ given: OfficialPerson?, of sender: Agency?, _ p: inout CompositionProblems) -> OfficialPerson? {
        if let given { return official(given, "signatory", &p) }
        guard let sender else { return nil }
        guard let head = sender.headOfficial else {
            p.add(
                "signatory", "is required: the directory names no head official for \(sender.id)",
                ru: "в справочнике не указан руководитель органа «\(sender.shortName)»; укажите подписанта")
            return nil
        }
        return OfficialPerson(fullName: head.name, position: head.position)
    }

    private func person(_ draft: PersonDraft, _ path: String, _ p: inout CompositionProblems) -> PersonDraft {
        var person = draft
        person.lastName = p.required(draft.lastName, "\(path).lastName")
        person.firstName = p.required(draft.firstName, "\(path).firstName")
        person.middleName = Self.trimmed(draft.middleName)
        if draft.birthDate == nil {
            p.add(
                "\(path).birthDate", "is required (a date such as 2026-03-02)",
                ru: "укажите дату рождения (например, 02.03.2026 или 2026-03-02)")
        }
        person.snils = Self.trimmed(draft.snils).map { RussianIdentifiers.normalizedSNILS($0) ?? $0 }
        person.address = Self.trimmed(draft.address)
        person.identityDocument = Self.trimmed(draft.identityDocument)
        return person
    }

    /// The people of a composed document: each has a birth date once the problems are none.
    private static func records(_ persons: [PersonDraft], _ source: String) throws -> [PersonRecord] {
        try persons.map { person in
            guard let birthDate = person.birthDate else { throw incomplete(source, "document") }
            return PersonRecord(
                role: person.role, lastName: person.lastName, firstName: person.firstName, middleName: person.middleName,
                birthDate: birthDate, snils: person.snils, address: person.address, identityDocument: person.identityDocument)
        }
    }

    /// A draft without problems lacks a value the document needs: a bug, reported rather than papered over.
    private static func incomplete(_ source: String, _ kind: String) -> DocumentError {
        DocumentError(
            .invalidDocument, "\(source): the \(kind) lacks a value although no problem was found",
            hint: "report this as a mezhved bug, with the form")
    }

    static func letterhead(of agency: Agency) -> DocumentLetterhead {
        DocumentLetterhead(
            coatOfArms: agency.letterhead.coatOfArms, agencyName: agency.fullName, agencyShortName: agency.shortName,
            postalAddress: agency.letterhead.postalAddress, phone: agency.letterhead.phone, email: agency.letterhead.email,
            website: agency.letterhead.website)
    }

    /// The reference written for an agency: the directory's name and identifiers; an agency the
    /// directory does not know has only its id (the rules report it, so it never reaches a document).
    static func reference(_ agency: Agency?, _ id: String) -> AgencyReference {
        guard let agency else { return AgencyReference(agency: id, name: "", ogrn: nil, inn: nil) }
        return AgencyReference(agency: agency.id, name: agency.fullName, ogrn: agency.ogrn, inn: agency.inn)
    }

    /// `text` trimmed, `nil` when empty.
    static func trimmed(_ text: String?) -> String? {
        guard let text = text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        return text
    }
}
