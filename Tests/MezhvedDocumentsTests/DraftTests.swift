import Foundation
import MezhvedDocuments
import Testing

enum DraftFixtures {
    static let registration = Registration(number: "02-11/4817", date: CalendarDay(iso: "2026-03-02")!)

    /// The request of `DocumentFixtures.requestForm`, built in code as a web form would.
    static var request: RequestDraft {
        RequestDraft(
            sender: "social-protection", recipient: "employment",
            service: ServiceReference(name: "Предоставление социальных услуг в форме социального обслуживания на дому"),
            legalBasis: [LegalBasisDraft(regulation: "562-2014", clause: "2.2.7")],
            subject: "О предоставлении сведений о регистрации гражданина в качестве безработного",
            informationNeeded: "Сведения необходимы для признания гражданина нуждающимся в социальном обслуживании.",
            requestedDocument: "Сведения о регистрации гражданина в качестве безработного",
            compiler: OfficialPerson(
                fullName: "Иванова Мария Петровна", position: "Начальник отдела", phone: "+7 (812) 000-01-23",
                email: "m.ivanova@social-protection.mezhved-test.invalid"),
            personalData: [
                PersonDraft(
                    lastName: "Васильев", firstName: "Андрей", middleName: "Николаевич", birthDate: CalendarDay(iso: "1975-06-14"),
                    snils: "11223344595")
            ])
    }

    static func problems(_ body: () throws -> Void) -> [DocumentProblem] {
        do {
            try body()
            Issue.record("composed without problems")
            return []
        } catch let error as DocumentError {
            #expect(error.code == .invalidDocument)
            // Every problem of a composition has its Russian text for the clerk's page; compared in English below.
            for problem in error.problems {
                #expect(problem.russian?.contains(where: { ("а"..."я").contains($0) }) == true, "no Russian for \(problem)")
            }
            return error.problems.map { DocumentProblem(path: $0.path, message: $0.message, line: $0.line) }
        } catch {
            Issue.record("unexpected error \(error)")
            return []
        }
    }
}

@Suite("Drafts: form → draft → document")
struct DraftTests {
    let composer = DocumentFixtures.composer

    @Test("a draft built in code composes under the journal's registration into what the form gives")
    func draftInCode() throws {
        let request = try composer.request(DraftFixtures.request, registration: DraftFixtures.registration)
        #expect(request == (try DocumentFixtures.compose(DocumentFixtures.requestForm)))
        #expect(request.registration == DraftFixtures.registration)
        #expect(request.responseDeadline.iso == "2026-03-17")
        #expect(request.id == "request-2026-03-02-02-11-4817")
        #expect(request.personalData.first?.snils == "112-233-445 95")
        // The signatory defaults to the directory's head official of the sender.
        let head = try #require(DocumentFixtures.context.directory.agency(id: "social-protection")?.headOfficial)
        #expect(request.signatory == OfficialPerson(fullName: head.name, position: head.position))
    }

    @Test("the default deadline follows the registration date the journal gives, not the form's")
    func deadlineFromRegistration() throws {
        var draft = try composer.requestDraft(form: Array(DocumentFixtures.requestForm.utf8), source: "form.yaml")
        #expect(draft.registration == DraftFixtures.registration)
        draft.registration = nil
        let later = Registration(number: "02-11/5000", date: CalendarDay(iso: "2026-03-10")!)
        let request = try composer.request(draft, registration: later)
        #expect(request.registration == later)
        // 10 working days after Tuesday 10 March 2026: 24 March.
        #expect(request.responseDeadline.iso == "2026-03-24")
        #expect(request.id == "request-2026-03-10-02-11-5000")
    }

    @Test("a form without a registration reads into a draft; composing it from the form alone names the registration")
    func formWithoutRegistration() throws {
        let form = DocumentFixtures.without("registration")
        let draft = try composer.requestDraft(form: Array(form.utf8), source: "form.yaml")
        #expect(draft.registration == nil)
        #expect(draft.sender == "social-protection")
        #expect(
            try composer.request(draft, registration: DraftFixtures.registration) == DocumentFixtures.compose(DocumentFixtures.requestForm))
        let problems = DocumentFixtures.problems(form)
        #expect(
            problems == [
                DocumentProblem(path: "registration.number", message: "is required"),
                DocumentProblem(path: "registration.date", message: "is required (a date such as 2026-03-02)"),
            ])
    }

    @Test("a half-filled draft: every missing value is named at once, with its path")
    func everyMissingValue() {
        var draft = DraftFixtures.request
        draft.sender = " "
        draft.subject = ""
        draft.legalBasis = []
        draft.compiler.position = ""
        draft.personalData[0].birthDate = nil
        draft.personalData[0].lastName = ""
        let problems = DraftFixtures.problems { _ = try composer.request(draft, registration: DraftFixtures.registration) }
        #expect(
            problems.map(\.path) == [
                "sender", "legalBasis", "subject", "compiler.position", "personalData[0].lastName", "personalData[0].birthDate",
            ], "\(problems)")
        #expect(problems.first == DocumentProblem(path: "sender", message: "is required"))
    }

    @Test("an empty registration number is refused, never written")
    func emptyNumber() {
        let problems = DraftFixtures.problems {
            _ = try composer.request(DraftFixtures.request, registration: Registration(number: "  ", date: CalendarDay(iso: "2026-03-02")!))
        }
        #expect(problems == [DocumentProblem(path: "registration.number", message: "is required")])
    }

    @Test("an unknown sender gives no letterhead and no default signatory: only the agency is named")
    func unknownSender() {
        var draft = DraftFixtures.request
        draft.sender = "social-protektion"
        let problems = DraftFixtures.problems { _ = try composer.request(draft, registration: DraftFixtures.registration) }
        #expect(problems.map(\.path) == ["sender.agency"], "\(problems)")
        #expect(problems.first?.message.contains("did you mean \"social-protection\"?") == true)
    }

    @Test("an answer draft built in code: provided information, under the journal's registration")
    func answerInCode() throws {
        let request = try DocumentFixtures.compose(DocumentFixtures.requestForm)
        let draft = AnswerDraft(
            result: .provided([
                ProvidedDocument(name: "Сведения о регистрации", body: .text("Зарегистрирован в качестве безработного с 12.01.2026."))
            ]),
            compiler: OfficialPerson(fullName: "Петрова Ольга Сергеевна", position: "Главный специалист", phone: "+7 (812) 000-03-45"))
        let registration = Registration(number: "14-03/1022", date: CalendarDay(iso: "2026-03-10")!)
        let answer = try composer.answer(draft, to: request, registration: registration)
        #expect(answer.registration == registration)
        #expect(answer.inReplyTo == request.registration)
        #expect(answer.sender.agency == "employment" && answer.recipient.agency == "social-protection")
        #expect(answer.subject == "Ответ на запрос № 02-11/4817 от 02.03.2026")
        #expect(answer.id == "answer-2026-03-10-14-03-1022")
        let xml = try composer.xml(.answer(answer))
        #expect(try DocumentFixtures.validator.validate(xml, sourceName: "a.xml", request: request).isValid)
    }

    @Test("an answer draft without a result, or dated before the request, is refused with every problem")
    func answerProblems() throws {
        let request = try DocumentFixtures.compose(DocumentFixtures.requestForm)
        let draft = AnswerDraft(result: nil, compiler: OfficialPerson(fullName: "Петрова Ольга Сергеевна", position: ""))
        let early = Registration(number: "14-03/1022", date: CalendarDay(iso: "2026-03-01")!)
        let problems = DraftFixtures.problems { _ = try composer.answer(draft, to: request, registration: early) }
        #expect(
            problems.map(\.path) == ["provided", "compiler.position", "inReplyTo.date", "compiler.phone"], "\(problems)")
    }

    @Test("the answer form's draft equals the one built in code, registration included")
    func answerForm() throws {
        let form = """
            registration: {number: "14-03/1022", date: 2026-03-10}
            refusal: {reason: "Гражданин не состоит на учёте в органах службы занятости.", regulation: 562-2014, clause: "2.2.7"}
            compiler: {fullName: Петрова Ольга Сергеевна, position: Главный специалист, phone: "+7 (812) 000-03-45"}
            """
        let draft = try composer.answerDraft(form: Array(form.utf8), source: "answer.yaml")
        #expect(
            draft
                == AnswerDraft(
                    registration: Registration(number: "14-03/1022", date: CalendarDay(iso: "2026-03-10")!),
                    result: .refusal(
                        reason: "Гражданин не состоит на учёте в органах службы занятости.",
                        legalBasis: LegalBasisDraft(regulation: "562-2014", clause: "2.2.7")),
                    compiler: OfficialPerson(
                        fullName: "Петрова Ольга Сергеевна", position: "Главный специалист", phone: "+7 (812) 000-03-45")))
    }

    @Test("a date the schema admits but a registration cannot carry is a problem of the received document, at its element")
    func receivedDateWithTimeZone() throws {
        let request = try DocumentFixtures.compose(DocumentFixtures.requestForm)
        let text = String(decoding: try composer.xml(.request(request)), as: UTF8.self)
            .replacingOccurrences(of: "date=\"2026-03-02\"", with: "date=\"2026-03-02+03:00\"")
        let report = try DocumentFixtures.validator.validate(Array(text.utf8), sourceName: "r.xml")
        #expect(!report.isValid)
        #expect(report.parsed == nil)
        #expect(report.problems.map(\.path) == ["Registration/@date"], "\(report.problems)")
        #expect(report.problems.first?.line != nil)
    }
}

@Suite("docs/documents.md")
struct DocumentsPageTests {
    @Test("the page's form example composes as written, and its first person is the one the page shows")
    func formExample() throws {
        let page = try String(contentsOfFile: DocumentFixtures.path("docs/documents.md"), encoding: .utf8)
        let start = try #require(page.range(of: "```yaml\n"))
        let end = try #require(page.range(of: "```", range: start.upperBound..<page.endIndex))
        let form = String(page[start.upperBound..<end.lowerBound])
        let request = try DocumentFixtures.composer.request(form: Array(form.utf8), source: "docs/documents.md")
        #expect(request.responseDeadline.iso == "2026-03-17")
        #expect(request.personalData.first?.lastName == "Васильев")
        #expect(!request.signatory.fullName.isEmpty)
    }
}
