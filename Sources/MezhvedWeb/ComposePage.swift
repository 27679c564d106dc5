import Foundation
import Hummingbird
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments
import MezhvedGateway

/// `/ui/compose`: the request form. The regulation is chosen first (the recipients are then its
/// participants, the legal basis its clauses); "Проверить" runs the gateway's draft check and shows
/// every problem next to its field with the library's message, or the letter on letterhead with
/// the deadline in working days; "Подписать и отправить" (signatories) composes, numbers, signs
/// and registers it through ``OutgoingWorkflow`` and queues it in the outbox — the same calls as
/// `POST /api/v1/requests`.
extension WebSite {
    /// The form's fields: (name = the form key's path, label, kind).
    static let composeFields: [(name: String, label: String, kind: String)] = [
        ("service.name", "Государственная услуга (функция)", "text"), ("service.registryId", "Реестровый номер услуги", "text"),
        ("subject", "Заголовок (о чём запрос)", "text"), ("requestedDocument", "Запрашиваемые документы (информация)", "area"),
        ("informationNeeded", "Сведения, необходимые для предоставления", "area"),
        ("responseDeadline", "Срок ответа (если не по регламенту), ГГГГ-ММ-ДД", "date"),
        ("consent.document", "Документ о согласии на обработку персональных данных", "text"),
        ("consent.date", "Дата согласия", "date"), ("compiler.fullName", "Исполнитель: ФИО", "text"),
        ("compiler.position", "Исполнитель: должность", "text"), ("compiler.phone", "Исполнитель: телефон", "text"),
        ("compiler.email", "Исполнитель: e-mail", "text"), ("personalData[0].lastName", "Заявитель: фамилия", "text"),
        ("personalData[0].firstName", "Заявитель: имя", "text"), ("personalData[0].middleName", "Заявитель: отчество", "text"),
        ("personalData[0].birthDate", "Заявитель: дата рождения", "date"), ("personalData[0].snils", "Заявитель: СНИЛС", "text"),
        ("personalData[0].address", "Заявитель: адрес", "text"),
    ]

    struct ComposeModel {
        struct Option {
            let value: String
            let label: String
            let selected: Bool
        }

        struct Field {
            let name: String
            let label: String
            let value: String
            let area: Bool
            let date: Bool
            let errors: [String]
            /// Stored, not computed: the templates see stored properties only.
            let invalid: Bool
        }

        let csrf: String
        let regulations: [Option]
        let regulationChosen: Bool
        let regulationTitle: String
        let recipients: [Option]
        let recipientErrors: [String]
        let clauses: [Option]
        let clauseErrors: [String]
        let fields: [Field]
        let consentRequired: Bool
        let consentObtained: Bool
        let generalErrors: [String]
        let hasErrors: Bool
        let deadline: String?
        let preview: String?
        let maySign: Bool
        /// The signing signatory's key is unlocked per signing: the form asks for its passphrase.
        let passphraseNeeded: Bool
        let signatoryName: String
        let passphraseErrors: [String]
    }

    func composeForm(_ request: Request, person: SignedInPerson) async throws -> Response {
        let regulation = request.uri.queryParameters["regulation"].map(String.init)
        var form = WebForm()
        if let regulation { form.fields["legalBasis[0].regulation"] = [regulation] }
        return respond("compose", composeModel(form, person: person, review: nil), title: "Новый запрос", person: person)
    }

    func compose<Context: WebRequestContext>(_ form: WebForm, context: Context, person: SignedInPerson) async throws -> Response {
        let action = form.value("action") ?? "check"
        if action == "choose" {
            return respond("compose", composeModel(form, person: person, review: nil), title: "Новый запрос", person: person)
        }
        let draft: OutgoingDraft
        do {
            let composer = DocumentComposer(context: gateway.documents)
            draft = .request(try composer.requestDraft(form: try Self.formJSON(form, sender: gateway.agency.id), source: "форма запроса"))
        } catch let error as DocumentError where error.category == .documentInvalid || error.category == .unusableInput {
            let problems = error.problems.isEmpty ? [DocumentProblem(path: "", message: error.message)] : error.problems
            return respond(
                "compose", composeModel(form, person: person, review: DraftReview(document: nil, problems: problems)),
                title: "Новый запрос",
                person: person, status: .unprocessableContent)
        }
        let review = try outgoing.review(draft)
        guard action == "sign", review.document != nil else {
            return respond(
                "compose", composeModel(form, person: person, review: review), title: "Новый запрос", person: person,
                status: review.document == nil ? .unprocessableContent : .ok)
        }
        return try await signAndQueue(draft, form: form, context: context, person: person) { passphraseErrors, status in
            respond(
                "compose", composeModel(form, person: person, review: review, passphraseErrors: passphraseErrors), title: "Новый запрос",
                person: person, status: status)
        }
    }

    func composeModel(_ form: WebForm, person: SignedInPerson, review: DraftReview?, passphraseErrors: [String] = []) -> ComposeModel {
        let directory = gateway.documents.directory
        let chosen = form.text("legalBasis[0].regulation").flatMap { directory.regulation(id: $0) }
        var problems = FieldProblems(review?.problems ?? [])
        let regulations = gateway.agency.regulations.compactMap { directory.regulation(id: $0) }.map {
            ComposeModel.Option(value: $0.id, label: $0.shortTitle, selected: $0.id == chosen?.id)
        }
        let recipients = (chosen.map { directory.participants(of: $0.id) } ?? []).filter { $0.id != gateway.agency.id }.map {
            ComposeModel.Option(value: $0.id, label: $0.fullName, selected: form.value("recipient") == $0.id)
        }
        let clauses = (chosen?.clauses ?? []).flatMap { clause -> [ComposeModel.Option] in
            var numbers = [clause.number]
            if let items = clause.items, items > 0 {
                let repealed = Set(clause.repealedItems ?? [])
                numbers = (1...items).filter { !repealed.contains($0) }.map { "\(clause.number) пп. \($0)" }
            }
            return numbers.map {
                ComposeModel.Option(value: $0, label: "п. \($0) — \(clause.summary)", selected: form.value("legalBasis[0].clause") == $0)
            }
        }
        let recipientErrors = problems.take("recipient")
        let clauseErrors = problems.take("legalBasis")
        let fields = Self.composeFields.map { field in
            let errors = problems.take(field.name)
            return ComposeModel.Field(
                name: field.name, label: field.label, value: form.value(field.name) ?? "", area: field.kind == "area",
                date: field.kind == "date", errors: errors, invalid: !errors.isEmpty)
        }
        let consentErrors = problems.take("consent")
        let rest = problems.rest()
        let signing = pageSignatory
        var deadline: String?
        if let day = review?.deadline, let calendarDay = CalendarDay(iso: day) {
            let days = chosen?.responseDeadlineWorkingDays.map { " — \($0) рабочих дней по регламенту" } ?? ""
            deadline = "до \(calendarDay.russian)\(days)"
        } else if let days = chosen?.responseDeadlineWorkingDays {
            deadline = "\(days) рабочих дней со дня регистрации (дата появится после проверки)"
        }
        return ComposeModel(
            csrf: person.csrfToken, regulations: regulations, regulationChosen: chosen != nil, regulationTitle: chosen?.title ?? "",
            recipients: recipients, recipientErrors: recipientErrors, clauses: clauses, clauseErrors: clauseErrors, fields: fields,
            consentRequired: form.value("consent.required") == "true", consentObtained: form.value("consent.obtained") == "true",
            generalErrors: consentErrors + rest, hasErrors: !problems.isEmpty, deadline: deadline,
            preview: review?.document.map { DocumentRenderer.sheet($0, signature: nil, redactPersonalData: false) },
            maySign: person.may(.compose), passphraseNeeded: signing?.unlocksPerSigning ?? false, signatoryName: signing?.ownerName ?? "",
            passphraseErrors: passphraseErrors)
    }

    /// The form's fields as the request form's JSON (the keys of docs/documents.md): each field's
    /// name is its key's path (`compiler.fullName`, `personalData[0].snils`); empty fields are left out.
    static func formJSON(_ form: WebForm, sender: String) throws -> [UInt8] {
        var object: [String: Any] = ["sender": sender]
        var names = composeFields.map(\.name) + ["recipient", "legalBasis[0].regulation", "legalBasis[0].clause"]
        if form.text("personalData[0].lastName") != nil || form.text("personalData[0].snils") != nil {
            object["personalData"] = [["role": "subject"]]
        }
        if form.value("consent.required") == "true" || form.value("consent.obtained") == "true" {
            object["consent"] = [
                "required": form.value("consent.required") == "true", "obtained": form.value("consent.obtained") == "true",
            ]
        } else {
            names.removeAll { $0.hasPrefix("consent.") }
        }
        for name in names {
            guard let value = form.text(name) else { continue }
            set(&object, path: pathComponents(name), value: value)
        }
        return Array(try JSONSerialization.data(withJSONObject: object))
    }

    enum PathComponent {
        case key(String)
        case index(Int)
    }

    static func pathComponents(_ path: String) -> [PathComponent] {
        var components: [PathComponent] = []
        for part in path.split(separator: ".") {
            if let open = part.firstIndex(of: "["), let close = part.firstIndex(of: "]"),
                let index = Int(part[part.index(after: open)..<close])
            {
                components.append(.key(String(part[..<open])))
                components.append(.index(index))
            } else {
                components.append(.key(String(part)))
            }
        }
        return components
    }

    static func set(_ object: inout [String: Any], path: [PathComponent], value: Any) {
        guard case .key(let key) = path.first else { return }
        let rest = Array(path.dropFirst())
        if rest.isEmpty {
            object[key] = value
            return
        }
        if case .index(let index) = rest[0] {
            var list = object[key] as? [Any] ?? []
            while list.count <= index { list.append([String: Any]()) }
            var item = list[index] as? [String: Any] ?? [:]
            set(&item, path: Array(rest.dropFirst()), value: value)
            list[index] = item
            object[key] = list
        } else {
            var inner = object[key] as? [String: Any] ?? [:]
            set(&inner, path: rest, value: value)
            object[key] = inner
        }
    }
}
