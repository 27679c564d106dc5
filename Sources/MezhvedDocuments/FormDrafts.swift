import Foundation

/// Reads form files into drafts. Every problem the draft cannot hold — a key the format does not
/// know (``FormKeys``), a date that is not one, text where a list belongs — is collected with the field's path;
/// a mandatory field left out is not a problem here (the draft holds it as empty, and composing
/// names it).
enum FormDraftReader {
    /// The request draft of a form, with the form's problems.
    static func request(_ bytes: [UInt8], source: String) throws -> (RequestDraft, [DocumentProblem]) {
        let form = try FormValue.parse(bytes, source: source)
        var f = FormReader()
        FormKeys.check(form, against: FormKeys.request, &f)
        let registration = registration(form, &f)
        let service: ServiceReference
        if case .scalar? = f.value(form, "service") {
            service = ServiceReference(name: f.text(form, "service"))
        } else {
            service = ServiceReference(name: f.text(form, "service.name"), registryId: f.optionalText(form, "service.registryId"))
        }
        var bases: [LegalBasisDraft] = []
        if f.isList(form, "legalBasis") {
            for index in f.list(form, "legalBasis").indices { bases.append(legalBasis(form, "legalBasis[\(index)]", &f)) }
        } else if f.value(form, "legalBasis") != nil {
            bases.append(legalBasis(form, "legalBasis", &f))
        }
        var contact: ContactDetails?
        if f.value(form, "contactForAnswer") != nil {
            contact = ContactDetails(
                postalAddress: f.optionalText(form, "contactForAnswer.postalAddress"),
                phone: f.optionalText(form, "contactForAnswer.phone"), email: f.optionalText(form, "contactForAnswer.email"))
        }
        var consent: ConsentRecord?
        if f.value(form, "consent") != nil {
            consent = ConsentRecord(
                required: f.bool(form, "consent.required") ?? false, obtained: f.bool(form, "consent.obtained") ?? false,
                date: f.optionalDay(form, "consent.date"), document: f.optionalText(form, "consent.document"))
        }
        let draft = RequestDraft(
            id: f.optionalText(form, "id"), registration: registration, sender: agencyID(form, "sender", &f),
            recipient: agencyID(form, "recipient", &f), service: service, legalBasis: bases, subject: f.text(form, "subject"),
            informationNeeded: f.text(form, "informationNeeded"), requestedDocument: f.text(form, "requestedDocument"),
            responseDeadline: f.optionalDay(form, "responseDeadline"), contactForAnswer: contact, consent: consent,
            compiler: official(form, "compiler", &f), signatory: f.value(form, "signatory").map { _ in official(form, "signatory", &f) },
            personalData: persons(form, "personalData", &f))
        return (draft, f.problems)
    }

    /// The answer draft of a form, with the form's problems. A provided document's `file` is read
    /// relative to `baseDirectory` (default: the current directory).
    static func answer(_ bytes: [UInt8], source: String, baseDirectory: String?) throws -> (AnswerDraft, [DocumentProblem]) {
        let form = try FormValue.parse(bytes, source: source)
        var f = FormReader()
        FormKeys.check(form, against: FormKeys.answer, &f)
        let registration = registration(form, &f)
        var result: AnswerDraft.Result?
        if f.value(form, "refusal") != nil {
            var basis: LegalBasisDraft?
            if f.value(form, "refusal.regulation") != nil { basis = legalBasis(form, "refusal", &f) }
            result = .refusal(reason: f.text(form, "refusal.reason"), legalBasis: basis)
        } else if f.value(form, "provided") != nil {
            var documents: [ProvidedDocument] = []
            for index in f.list(form, "provided").indices {
                let at = "provided[\(index)]"
                let name = f.text(form, "\(at).name")
                if let file = f.optionalText(form, "\(at).file") {
                    let path = file.hasPrefix("/") ? file : ((baseDirectory ?? ".") as NSString).appendingPathComponent(file)
                    if let data = FileManager.default.contents(atPath: path) {
                        documents.append(
                            ProvidedDocument(
                                name: name,
                                body: .attachment(
                                    fileName: (file as NSString).lastPathComponent,
                                    mediaType: f.optionalText(form, "\(at).mediaType") ?? "application/octet-stream", data: [UInt8](data))))
                    } else {
                        f.problem("\(at).file", "\(path) cannot be read", ru: "файл \(path) не читается")
                    }
                } else {
                    documents.append(ProvidedDocument(name: name, body: .text(f.text(form, "\(at).content"))))
                }
            }
            result = .provided(documents)
        }
        let draft = AnswerDraft(
            id: f.optionalText(form, "id"), registration: registration, subject: f.optionalText(form, "subject"), result: result,
            compiler: official(form, "compiler", &f), signatory: f.value(form, "signatory").map { _ in official(form, "signatory", &f) },
            personalData: f.value(form, "personalData") != nil ? persons(form, "personalData", &f) : [])
        return (draft, f.problems)
    }

    /// The form's registration: absent is `nil` (the journal assigns it); a half-written one is a problem.
    private static func registration(_ form: FormValue, _ f: inout FormReader) -> Registration? {
        guard f.value(form, "registration") != nil else { return nil }
        let number = f.text(form, "registration.number")
        if f.value(form, "registration.number") == nil {
            f.problem("registration.number", "is required", ru: "укажите регистрационный номер")
        }
        let date = f.optionalDay(form, "registration.date")
        if f.value(form, "registration.date") == nil {
            f.problem(
                "registration.date", "is required (a date such as 2026-03-02)", ru: "укажите дату регистрации (например, 2026-03-02)")
        }
        guard let date, !number.isEmpty else { return nil }
        return Registration(number: number, date: date)
    }

    private static func agencyID(_ form: FormValue, _ path: String, _ f: inout FormReader) -> String {
        if case .map? = f.value(form, path) { return f.text(form, "\(path).agency") }
        return f.text(form, path)
    }

    private static func legalBasis(_ form: FormValue, _ path: String, _ f: inout FormReader) -> LegalBasisDraft {
        LegalBasisDraft(
            regulation: f.text(form, "\(path).regulation"), clause: f.text(form, "\(path).clause"),
            title: f.optionalText(form, "\(path).title"))
    }

    private static func official(_ form: FormValue, _ path: String, _ f: inout FormReader) -> OfficialPerson {
        OfficialPerson(
            fullName: f.text(form, "\(path).fullName"), position: f.text(form, "\(path).position"),
            phone: f.optionalText(form, "\(path).phone"), email: f.optionalText(form, "\(path).email"))
    }

    private static func persons(_ form: FormValue, _ path: String, _ f: inout FormReader) -> [PersonDraft] {
        var result: [PersonDraft] = []
        for index in f.list(form, path).indices {
            let at = "\(path)[\(index)]"
            let roleText = f.optionalText(form, "\(at).role") ?? PersonRole.subject.rawValue
            let role = PersonRole(rawValue: roleText)
            if role == nil {
                f.problem(
                    "\(at).role", "\"\(roleText)\" is not a role (\(PersonRole.allCases.map(\.rawValue).joined(separator: ", ")))",
                    ru: "«\(roleText)» — не роль лица (\(PersonRole.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            result.append(
                PersonDraft(
                    role: role ?? .subject, lastName: f.text(form, "\(at).lastName"), firstName: f.text(form, "\(at).firstName"),
                    middleName: f.optionalText(form, "\(at).middleName"), birthDate: f.optionalDay(form, "\(at).birthDate"),
                    snils: f.optionalText(form, "\(at).snils"), address: f.optionalText(form, "\(at).address"),
                    identityDocument: f.optionalText(form, "\(at).identityDocument")))
        }
        if f.value(form, path) != nil, !f.isList(form, path) {
            f.problem(path, "must be a list of people", ru: "здесь должен быть список лиц")
        }
        return result
    }
}
