import Foundation
import Hummingbird
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments
import MezhvedGateway

/// `/ui/answer?year=…&number=…`: the answer to an incoming request. The request is read from the
/// journal (sender and recipient swapped, "на № … от …" and the legal basis are the request's);
/// the clerk gives the documents or information provided — or a reasoned refusal with the clause
/// it rests on — the official who prepared it and which of the request's people the answer is
/// about. "Проверить" shows every problem next to its field in the library's Russian, or the
/// answer on letterhead; "Подписать и отправить" (signatories) numbers, signs, registers and
/// queues it — the same calls as `POST /api/v1/answers`.
extension WebSite {
    /// The most documents one answer form offers (each a name and its text).
    static let answerDocumentSlots = 10

    static let answerOfficialFields: [(name: String, label: String)] = [
        ("compiler.fullName", "Исполнитель: ФИО"), ("compiler.position", "Исполнитель: должность"),
        ("compiler.phone", "Исполнитель: телефон"), ("compiler.email", "Исполнитель: e-mail (необязательно)"),
    ]

    struct AnswerModel {
        struct Slot {
            let index: Int
            let number: Int
            let name: ComposeModel.Field
            let content: ComposeModel.Field
        }

        struct Person {
            let index: Int
            let label: String
            let checked: Bool
        }

        let csrf: String
        let year: Int
        let number: String
        let requestLink: String
        let requestTitle: String
        let requestFrom: String
        let requestSubject: String
        let deadline: String?
        let overdue: Bool
        let answeredBy: [DocumentModel.Link]
        let provided: Bool
        let refusal: Bool
        let resultErrors: [String]
        let subject: ComposeModel.Field
        let slots: [Slot]
        let reason: ComposeModel.Field
        let clauses: [ComposeModel.Option]
        let clauseErrors: [String]
        let officials: [ComposeModel.Field]
        let persons: [Person]
        let generalErrors: [String]
        let hasErrors: Bool
        let preview: String?
        let maySign: Bool
        let passphraseNeeded: Bool
        let signatoryName: String
        let passphraseErrors: [String]
    }

    /// The incoming request being answered: its journal entry, the request, the answers given to it.
    struct RequestBeingAnswered {
        let entry: JournalEntry
        let request: InteragencyRequest
        let answeredBy: [DocumentModel.Link]
    }

    func answerForm<Context: WebRequestContext>(_ request: Request, context: Context, person: SignedInPerson) async throws -> Response {
        let query = request.uri.queryParameters
        var form = WebForm()
        form.fields["year"] = query["year"].map { [String($0)] }
        form.fields["number"] = query["number"].map { [String($0)] }
        let answering = try await requestBeingAnswered(form)
        logPersonalDataShown(answering, context: context, person: person)
        return respond(
            "answer", answerModel(form, answering: answering, person: person, review: nil), title: "Ответ на запрос", person: person)
    }

    func answer<Context: WebRequestContext>(_ form: WebForm, context: Context, person: SignedInPerson) async throws -> Response {
        let answering = try await requestBeingAnswered(form)
        logPersonalDataShown(answering, context: context, person: person)
        let draft = OutgoingDraft.answer(Self.answerDraft(form, request: answering.request), to: answering.request)
        let review = try outgoing.review(draft)
        guard form.value("action") == "sign", review.document != nil else {
            return respond(
                "answer", answerModel(form, answering: answering, person: person, review: review), title: "Ответ на запрос", person: person,
                status: review.document == nil ? .unprocessableContent : .ok)
        }
        return try await signAndQueue(draft, form: form, context: context, person: person) { passphraseErrors, status in
            respond(
                "answer", answerModel(form, answering: answering, person: person, review: review, passphraseErrors: passphraseErrors),
                title: "Ответ на запрос", person: person, status: status)
        }
    }

    /// The request named by the form's (or the query's) `year` and `number`: an incoming request
    /// of this gateway's journal, else the page is refused in words.
    func requestBeingAnswered(_ form: WebForm) async throws -> RequestBeingAnswered {
        guard let yearText = form.text("year"), let year = Int(yearText), (1900...9999).contains(year), let number = form.text("number"),
            number.count <= 200
        else {
            throw WebRefusal(
                .badRequest, "Укажите запрос, на который отвечаете: год и номер входящего журнала (ссылка «Ответить» на странице запроса).")
        }
        guard let entry = try await archive.registrar.entries(JournalQuery(number: number, year: year)).first else {
            throw WebRefusal(.notFound, "Во входящем журнале нет номера \(DocumentText.cut(number)) за \(year) год.")
        }
        guard entry.direction == .incoming, entry.kind == .request else {
            throw WebRefusal(
                .unprocessableContent,
                "№ \(DocumentText.cut(number)) — \(RussianWords.direction(entry.direction)) \(RussianWords.kind(entry.kind)), а ответ дается только на входящий запрос."
            )
        }
        let request: InteragencyRequest
        do {
            request = try await documents.requestToAnswer(number: entry.number, year: entry.year)
        } catch let error as GatewayError where error.code == .wrongDocument {
            throw WebRefusal(
                .unprocessableContent, "Документ № \(DocumentText.cut(number)) не читается как запрос: ответить на него нельзя.")
        }
        var answeredBy: [DocumentModel.Link] = []
        for answer in entry.answeredBy {
            let found = try await archive.registrar.entries(JournalQuery(number: answer)).first
            answeredBy.append(.init(label: "№ \(answer)", href: found.map(Self.documentLink)))
        }
        return RequestBeingAnswered(entry: entry, request: request, answeredBy: answeredBy)
    }

    /// The page names the request's people to a role that may read personal data: logged (who, which request; never the data).
    func logPersonalDataShown<Context: WebRequestContext>(_ answering: RequestBeingAnswered, context: Context, person: SignedInPerson) {
        guard person.may(.readPersonalData), !answering.request.personalData.isEmpty else { return }
        context.logger.notice(
            "personal data viewed",
            metadata: [
                "caller": "\(person.name) (\(person.role))", "number": "\(answering.entry.number)", "year": "\(answering.entry.year)",
                "view": "answer form",
            ])
    }

    /// The documents the form gives, in order, each a name and its text; empty slots are left out.
    static func providedDocuments(_ form: WebForm) -> [(name: String, content: String)] {
        (0..<answerDocumentSlots).compactMap { index in
            let name = form.value("provided[\(index)].name") ?? ""
            let content = form.value("provided[\(index)].content") ?? ""
            if name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
                && content.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            {
                return nil
            }
            return (name, content)
        }
    }

    /// The answer draft of the form. The people are the request's, those the clerk ticked; the
    /// refusal's clause is one of the request's regulation.
    static func answerDraft(_ form: WebForm, request: InteragencyRequest) -> AnswerDraft {
        let result: AnswerDraft.Result?
        switch form.value("result") {
        case "provided":
            result = .provided(providedDocuments(form).map { ProvidedDocument(name: $0.name, body: .text($0.content)) })
        case "refusal":
            let basis = form.text("refusal.clause").flatMap { clause in
                request.legalBasis.first.map { LegalBasisDraft(regulation: $0.regulation, clause: clause, title: nil) }
            }
            result = .refusal(reason: form.value("refusal.reason") ?? "", legalBasis: basis)
        default:
            result = nil
        }
        let chosen = Set((form.fields["person"] ?? []).compactMap(Int.init))
        let persons = request.personalData.enumerated().filter { chosen.contains($0.offset) }.map { _, record in
            PersonDraft(
                role: record.role, lastName: record.lastName, firstName: record.firstName, middleName: record.middleName,
                birthDate: record.birthDate, snils: record.snils, address: record.address, identityDocument: record.identityDocument)
        }
        return AnswerDraft(
            subject: form.text("subject"), result: result,
            compiler: OfficialPerson(
                fullName: form.value("compiler.fullName") ?? "", position: form.value("compiler.position") ?? "",
                phone: form.text("compiler.phone"), email: form.text("compiler.email")),
            personalData: persons)
    }

    func answerModel(
        _ form: WebForm, answering: RequestBeingAnswered, person: SignedInPerson, review: DraftReview?, passphraseErrors: [String] = []
    ) -> AnswerModel {
        let directory = gateway.documents.directory
        let request = answering.request
        var problems = FieldProblems(review?.problems ?? [])
        func field(_ name: String, _ label: String, area: Bool = false) -> ComposeModel.Field {
            let errors = problems.take(name)
            return ComposeModel.Field(
                name: name, label: label, value: form.value(name) ?? "", area: area, date: false, errors: errors, invalid: !errors.isEmpty)
        }
        let filled = Self.providedDocuments(form)
        let slots = (0..<min(Self.answerDocumentSlots, max(2, filled.count + 1))).map { index -> AnswerModel.Slot in
            let given = index < filled.count ? filled[index] : (name: "", content: "")
            let nameErrors = problems.take("provided[\(index)].name")
            let contentErrors = problems.take("provided[\(index)].content")
            return AnswerModel.Slot(
                index: index, number: index + 1,
                name: ComposeModel.Field(
                    name: "provided[\(index)].name", label: "Наименование документа (сведений)", value: given.name, area: false,
                    date: false, errors: nameErrors, invalid: !nameErrors.isEmpty),
                content: ComposeModel.Field(
                    name: "provided[\(index)].content", label: "Текст документа (сведения)", value: given.content, area: true, date: false,
                    errors: contentErrors, invalid: !contentErrors.isEmpty))
        }
        let resultErrors = problems.take("provided")
        let reason = field("refusal.reason", "Причины отказа", area: true)
        let clauseErrors = problems.take("refusal")
        let regulation = request.legalBasis.first.flatMap { directory.regulation(id: $0.regulation) }
        let clauses = (regulation?.clauses ?? []).map {
            ComposeModel.Option(
                value: $0.number, label: "п. \($0.number) — \($0.summary)", selected: form.value("refusal.clause") == $0.number)
        }
        let subject = field("subject", "Заголовок (если пусто — «Ответ на запрос № … от …»)")
        let officials = Self.answerOfficialFields.map { field($0.name, $0.label) }
        let mayReadPersonalData = person.may(.readPersonalData)
        let chosen = Set((form.fields["person"] ?? []).compactMap(Int.init))
        let persons = request.personalData.enumerated().map { index, record in
            AnswerModel.Person(
                index: index,
                label: mayReadPersonalData
                    ? "\(record.fullName), \(record.birthDate.russian) г. р. (\(RussianWords.personRole(record.role)))"
                    : "лицо \(index + 1) из запроса (\(RussianWords.personRole(record.role)))",
                checked: chosen.contains(index))
        }
        let rest = problems.rest()
        let standing = documents.standing(of: answering.entry, on: ISOTime.agencyDayString(Date()))
        let deadline = answering.entry.deadline.map { day in
            "до \(RussianWords.isoDay(day))" + (standing.workingDaysLeft.map { ", осталось рабочих дней: \($0)" } ?? "")
                + (standing.overdue ? " — просрочен" : "")
        }
        let signing = pageSignatory
        return AnswerModel(
            csrf: person.csrfToken, year: answering.entry.year, number: answering.entry.number,
            requestLink: Self.documentLink(answering.entry), requestTitle: "Запрос \(request.registration)",
            requestFrom: directory.agency(id: request.sender.agency)?.fullName ?? request.sender.name, requestSubject: request.subject,
            deadline: deadline, overdue: standing.overdue, answeredBy: answering.answeredBy, provided: form.value("result") == "provided",
            refusal: form.value("result") == "refusal", resultErrors: resultErrors, subject: subject, slots: slots, reason: reason,
            clauses: clauses, clauseErrors: clauseErrors, officials: officials, persons: persons, generalErrors: rest,
            hasErrors: !problems.isEmpty,
            preview: review?.document.map { DocumentRenderer.sheet($0, signature: nil, redactPersonalData: !mayReadPersonalData) },
            maySign: person.may(.compose), passphraseNeeded: signing?.unlocksPerSigning ?? false, signatoryName: signing?.ownerName ?? "",
            passphraseErrors: passphraseErrors)
    }
}
