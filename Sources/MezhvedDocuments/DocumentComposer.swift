import Foundation
import MezhvedXMLDSig

/// Composes interagency documents from form files (YAML or JSON) on the sender's letterhead,
/// fills what the directory and the calendar know (names, identifiers, letterhead requisites, the
/// default deadline, the signatory), checks every rule, and writes schema-valid XML.
public struct DocumentComposer: Sendable {
    public let context: DocumentContext

    public init(context: DocumentContext) { self.context = context }

    /// Composes a request from a form. Throws ``DocumentError`` with every problem found.
    public func request(form bytes: [UInt8], source: String) throws -> InteragencyRequest {
        let form = try FormValue.parse(bytes, source: source)
        var f = FormReader()
        let registration = DocumentReference(
            number: f.text(form, "registration.number"), date: f.day(form, "registration.date") ?? CalendarDay(iso: "1970-01-01")!)
        let senderID = agencyID(form, "sender", &f)
        let recipientID = agencyID(form, "recipient", &f)
        let sender = senderID.flatMap { context.directory.agency(id: $0) }
        let recipient = recipientID.flatMap { context.directory.agency(id: $0) }

        let service: ServiceReference
        if case .scalar? = f.value(form, "service") {
            service = ServiceReference(name: f.text(form, "service"), registryId: nil)
        } else {
            service = ServiceReference(name: f.text(form, "service.name"), registryId: f.optionalText(form, "service.registryId"))
        }
        var bases: [LegalBasisReference] = []
        let basisItems = f.isList(form, "legalBasis") ? f.list(form, "legalBasis").indices.map { "legalBasis[\($0)]" } : ["legalBasis"]
        if f.value(form, "legalBasis") == nil {
            f.problem("legalBasis", "is required: name the regulation and clause (for example regulation: 562-2014, clause: \"2.2.7\")")
        } else {
            for path in basisItems { bases.append(legalBasis(form, path, &f)) }
        }
        let registered = registration.date
        var deadline = f.optionalDay(form, "responseDeadline")
        if deadline == nil, f.value(form, "responseDeadline") == nil, f.problems.allSatisfy({ !$0.path.hasPrefix("registration.date") }) {
            let days = bases.first.flatMap { context.directory.regulation(id: $0.regulation)?.responseDeadlineWorkingDays } ?? 10
            do {
                deadline = try context.calendar.addingWorkingDays(days, to: registered, fallback: context.fallback)
            } catch let error as DocumentError {
                f.problem("responseDeadline", "cannot be computed: \(error.message)" + (error.hint.map { " — \($0)" } ?? ""))
            }
        }
        let compiler = official(form, "compiler", &f)
        var signatory = OfficialPerson(fullName: sender?.headOfficial?.name ?? "", position: sender?.headOfficial?.position ?? "")
        if f.value(form, "signatory") != nil {
            signatory = OfficialPerson(fullName: f.text(form, "signatory.fullName"), position: f.text(form, "signatory.position"))
        } else if sender?.headOfficial == nil && sender != nil {
            f.problem("signatory", "is required: the directory names no head official for \(sender!.id)")
        }
        var contact = ContactDetails(
            postalAddress: f.optionalText(form, "contactForAnswer.postalAddress"), phone: f.optionalText(form, "contactForAnswer.phone"),
            email: f.optionalText(form, "contactForAnswer.email"))
        if f.value(form, "contactForAnswer") == nil, let sender {
            contact = ContactDetails(
                postalAddress: sender.letterhead.postalAddress, phone: sender.letterhead.phone, email: sender.letterhead.email)
        }
        var consent: ConsentRecord?
        if f.value(form, "consent") != nil {
            consent = ConsentRecord(
                required: f.bool(form, "consent.required") ?? false, obtained: f.bool(form, "consent.obtained") ?? false,
                date: f.optionalDay(form, "consent.date"), document: f.optionalText(form, "consent.document"))
        }
        let people = persons(form, "personalData", &f)
        let request = InteragencyRequest(
            id: f.optionalText(form, "id") ?? Self.documentID("request", registration),
            letterhead: letterhead(of: sender), registration: registration, sender: reference(sender, senderID),
            recipient: reference(recipient, recipientID), service: service, legalBasis: bases, subject: f.text(form, "subject"),
            informationNeeded: f.text(form, "informationNeeded"), requestedDocument: f.text(form, "requestedDocument"),
            responseDeadline: deadline ?? registered, contactForAnswer: contact, consent: consent, compiler: compiler,
            signatory: signatory, personalData: people)
        try finish(.request(request), formProblems: f.problems, source: source)
        return request
    }

    /// Composes the answer to `request` from a form. Sender and recipient are the request's,
    /// swapped; "на № … от …" is the request's registration.
    public func answer(to request: InteragencyRequest, form bytes: [UInt8], source: String, baseDirectory: String? = nil) throws
        -> InteragencyAnswer
    {
        let form = try FormValue.parse(bytes, source: source)
        var f = FormReader()
        let registration = DocumentReference(
            number: f.text(form, "registration.number"), date: f.day(form, "registration.date") ?? request.registration.date)
        let sender = context.directory.agency(id: request.recipient.agency)
        let recipient = context.directory.agency(id: request.sender.agency)
        let result: AnswerResult
        if f.value(form, "refusal") != nil {
            var basis: LegalBasisReference?
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
                        f.problem("\(at).file", "\(path) cannot be read")
                    }
                } else {
                    documents.append(ProvidedDocument(name: name, body: .text(f.text(form, "\(at).content"))))
                }
            }
            if documents.isEmpty { f.problem("provided", "list at least one document or piece of information") }
            result = .provided(documents)
        } else {
            f.problem("provided", "give either `provided` (the documents or information) or `refusal` (with its reason)")
            result = .provided([])
        }
        var signatory = OfficialPerson(fullName: sender?.headOfficial?.name ?? "", position: sender?.headOfficial?.position ?? "")
        if f.value(form, "signatory") != nil {
            signatory = OfficialPerson(fullName: f.text(form, "signatory.fullName"), position: f.text(form, "signatory.position"))
        }
        let answer = InteragencyAnswer(
            id: f.optionalText(form, "id") ?? Self.documentID("answer", registration), letterhead: letterhead(of: sender),
            registration: registration, inReplyTo: request.registration, sender: reference(sender, request.recipient.agency),
            recipient: reference(recipient, request.sender.agency), legalBasis: request.legalBasis,
            subject: f.optionalText(form, "subject") ?? "Ответ на запрос \(request.registration)", result: result,
            compiler: official(form, "compiler", &f), signatory: signatory,
            personalData: f.value(form, "personalData") != nil ? persons(form, "personalData", &f) : [])
        try finish(.answer(answer), formProblems: f.problems, source: source, request: request)
        return answer
    }

    /// A receipt for a received document: accepted with the incoming registration, or rejected.
    public func receipt(
        for document: InteragencyDocument, receivedAt: Date, outcome: ReceiptOutcome, digest: (algorithm: String, value: String)?,
        compiler: OfficialPerson? = nil
    ) throws -> DeliveryReceipt {
        let (received, from, to): (DocumentReference, AgencyReference, AgencyReference)
        switch document {
        case .request(let r): (received, from, to) = (r.registration, r.sender, r.recipient)
        case .answer(let a): (received, from, to) = (a.registration, a.sender, a.recipient)
        case .receipt:
            throw DocumentError(.invalidDocument, "a receipt is not acknowledged with another receipt")
        }
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "Europe/Moscow")
        formatter.formatOptions = [.withInternetDateTime]
        let receipt = DeliveryReceipt(
            id: "receipt-\(Self.slug(received.number))-\(Int(receivedAt.timeIntervalSince1970))", sender: to, recipient: from,
            receivedKind: document.kind, receivedDocument: received, receivedDigestAlgorithm: digest?.algorithm,
            receivedDigest: digest?.value,
            receivedAt: formatter.string(from: receivedAt), outcome: outcome, compiler: compiler)
        try finish(.receipt(receipt), formProblems: [], source: "receipt")
        return receipt
    }

    /// Writes a composed document as XML, after checking it against its schema.
    public func xml(_ document: InteragencyDocument) throws -> [UInt8] {
        let bytes = DocumentXMLWriter.write(document)
        let tree = try XMLTree.parse(bytes, sourceName: "composed \(document.kind.rawValue)", limits: XMLParsingLimits())
        let violations = try DocumentSchemas.schema(for: document.kind).violations(of: tree)
        if !violations.isEmpty {
            throw DocumentError(
                .invalidDocument, "the composed \(document.kind.rawValue) does not match its schema", problems: violations)
        }
        return bytes
    }

    // MARK: - Pieces

    private func finish(
        _ document: InteragencyDocument, formProblems: [DocumentProblem], source: String, request: InteragencyRequest? = nil
    )
        throws
    {
        var problems = formProblems
        for problem in DocumentRules.check(document, context: context, request: request)
        where !problems.contains(where: { $0.path == problem.path }) {
            problems.append(problem)
        }
        if !problems.isEmpty {
            throw DocumentError(
                .invalidDocument,
                "\(source): the \(document.kind.rawValue) cannot be composed: \(problems.count) problem\(problems.count == 1 ? "" : "s")",
                hint: "correct the fields named below", problems: problems)
        }
    }

    private func agencyID(_ form: FormValue, _ path: String, _ f: inout FormReader) -> String? {
        if case .map? = f.value(form, path) {
            return f.text(form, "\(path).agency")
        }
        let id = f.text(form, path)
        return id.isEmpty ? nil : id
    }

    private func legalBasis(_ form: FormValue, _ path: String, _ f: inout FormReader) -> LegalBasisReference {
        let regulationID = f.text(form, "\(path).regulation")
        let clause = f.text(form, "\(path).clause")
        let title: String
        if let given = f.optionalText(form, "\(path).title") {
            title = given
        } else if let regulation = context.directory.regulation(id: regulationID) {
            title = "\(regulation.shortTitle), п. \(clause)"
        } else {
            title = "\(regulationID), п. \(clause)"
        }
        return LegalBasisReference(regulation: regulationID, clause: clause, title: title)
    }

    private func official(_ form: FormValue, _ path: String, _ f: inout FormReader) -> OfficialPerson {
        OfficialPerson(
            fullName: f.text(form, "\(path).fullName"), position: f.text(form, "\(path).position"),
            phone: f.optionalText(form, "\(path).phone"), email: f.optionalText(form, "\(path).email"))
    }

    private func persons(_ form: FormValue, _ path: String, _ f: inout FormReader) -> [PersonRecord] {
        var result: [PersonRecord] = []
        for index in f.list(form, path).indices {
            let at = "\(path)[\(index)]"
            let roleText = f.optionalText(form, "\(at).role") ?? "subject"
            let role = PersonRole(rawValue: roleText)
            if role == nil {
                f.problem("\(at).role", "\"\(roleText)\" is not a role (\(PersonRole.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            var snils = f.optionalText(form, "\(at).snils")
            if let s = snils, let normalized = RussianIdentifiers.normalizedSNILS(s) { snils = normalized }
            result.append(
                PersonRecord(
                    role: role ?? .subject, lastName: f.text(form, "\(at).lastName"), firstName: f.text(form, "\(at).firstName"),
                    middleName: f.optionalText(form, "\(at).middleName"),
                    birthDate: f.day(form, "\(at).birthDate") ?? CalendarDay(iso: "1970-01-01")!, snils: snils,
                    address: f.optionalText(form, "\(at).address"), identityDocument: f.optionalText(form, "\(at).identityDocument")))
        }
        return result
    }

    private func letterhead(of agency: Agency?) -> DocumentLetterhead {
        guard let agency else {
            return DocumentLetterhead(
                coatOfArms: "-", agencyName: "-", agencyShortName: nil, postalAddress: "-", phone: "00000", email: "a@b.c")
        }
        return DocumentLetterhead(
            coatOfArms: agency.letterhead.coatOfArms, agencyName: agency.fullName, agencyShortName: agency.shortName,
            postalAddress: agency.letterhead.postalAddress, phone: agency.letterhead.phone, email: agency.letterhead.email,
            website: agency.letterhead.website)
    }

    private func reference(_ agency: Agency?, _ id: String?) -> AgencyReference {
        guard let agency else { return AgencyReference(agency: id ?? "", name: "", ogrn: nil, inn: nil) }
        return AgencyReference(agency: agency.id, name: agency.fullName, ogrn: agency.ogrn, inn: agency.inn)
    }

    static func slug(_ s: String) -> String {
        let mapped = s.unicodeScalars.map { scalar -> Character in
            let c = Character(scalar)
            return (scalar.isASCII && (c.isLetter || c.isNumber)) ? c : "-"
        }
        return String(mapped).split(separator: "-").joined(separator: "-")
    }

    static func documentID(_ kind: String, _ registration: DocumentReference) -> String {
        "\(kind)-\(registration.date.iso)-\(slug(registration.number))"
    }
}
