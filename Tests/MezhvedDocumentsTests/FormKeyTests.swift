import Foundation
import MezhvedDocuments
import Testing

@Suite("Form keys: a key the format does not know is an error naming the nearest known key")
struct FormKeyTests {
    let composer = DocumentFixtures.composer

    func draftProblems(_ form: String) -> [DocumentProblem] {
        DraftFixtures.problems { _ = try composer.requestDraft(form: Array(form.utf8), source: "form.yaml") }
    }

    @Test("a top-level typo: `signatry:` is not silently replaced by the directory's head official")
    func topLevel() {
        let form = DocumentFixtures.requestForm + "\nsignatry: {fullName: Иванова Мария Петровна, position: Начальник отдела}"
        let problems = draftProblems(form)
        #expect(problems == [DocumentProblem(path: "signatry", message: "unknown key `signatry` — did you mean `signatory`?")])
        // Composing from the form reports it too, with the other problems.
        #expect(DocumentFixtures.problems(form) == problems)
    }

    @Test("`responseDeadlin:` is refused, not left to the default deadline")
    func responseDeadline() {
        let problems = draftProblems(DocumentFixtures.requestForm + "\nresponseDeadlin: 2026-03-20")
        #expect(
            problems == [
                DocumentProblem(path: "responseDeadlin", message: "unknown key `responseDeadlin` — did you mean `responseDeadline`?")
            ])
    }

    @Test("nested typos: in a map, in a list item, in a one-line map; every one at once")
    func nested() {
        var form = DocumentFixtures.replacing("  phone: \"+7 (812) 000-01-23\"", "  phnoe: \"+7 (812) 000-01-23\"")
        form = DocumentFixtures.replacing("    snils: \"112-233-445 95\"", "    snisl: \"112-233-445 95\"", in: form)
        form = DocumentFixtures.replacing("  date: 2026-03-02", "  dat: 2026-03-02", in: form)
        form += "\nconsent: {required: true, obtained: true, date: 2026-02-27, documnet: Заявление}"
        let problems = draftProblems(form)
        #expect(
            Set(problems) == [
                DocumentProblem(path: "registration.dat", message: "unknown key `dat` — did you mean `date`?"),
                DocumentProblem(path: "compiler.phnoe", message: "unknown key `phnoe` — did you mean `phone`?"),
                DocumentProblem(path: "personalData[0].snisl", message: "unknown key `snisl` — did you mean `snils`?"),
                DocumentProblem(path: "consent.documnet", message: "unknown key `documnet` — did you mean `document`?"),
                DocumentProblem(path: "registration.date", message: "is required (a date such as 2026-03-02)"),
            ], "\(problems)")
    }

    @Test("a key given twice is refused: only the first would be read")
    func duplicate() {
        let problems = draftProblems(DocumentFixtures.requestForm + "\nsubject: Другая тема")
        #expect(problems == [DocumentProblem(path: "subject", message: "`subject` is given twice; keep one")])
        let nested = draftProblems(DocumentFixtures.requestForm + "\nconsent: {required: true, required: false}")
        #expect(nested == [DocumentProblem(path: "consent.required", message: "`required` is given twice; keep one")])
    }

    @Test("a key far from every known one lists the keys of its level")
    func farKey() {
        let problems = draftProblems(DocumentFixtures.without("service") + "\nservice: {name: Услуга, cost: 0}")
        #expect(
            problems == [
                DocumentProblem(path: "service.cost", message: "unknown key `cost` (the keys here are `name`, `registryId`)")
            ])
    }

    @Test("an answer form: a typo in a provided document and at the top")
    func answerForm() {
        let form = """
            registration: {number: "14-03/1022", date: 2026-03-10}
            provided:
              - name: Сведения
                contnet: Зарегистрирован.
            compiler: {fullName: Петрова Ольга Сергеевна, position: Главный специалист, phone: "+7 (812) 000-03-45"}
            signatary: {fullName: Кузнецова Ольга Сергеевна, position: Главный специалист}
            """
        let problems = DraftFixtures.problems {
            _ = try composer.answerDraft(form: Array(form.utf8), source: "answer.yaml")
        }
        #expect(
            problems == [
                DocumentProblem(path: "provided[0].contnet", message: "unknown key `contnet` — did you mean `content`?"),
                DocumentProblem(path: "signatary", message: "unknown key `signatary` — did you mean `signatory`?"),
            ], "\(problems)")
    }

    @Test("every sample form reads into a draft without problems", arguments: SampleFixtures.formNames)
    func samples(name: String) throws {
        let bytes = try SampleFixtures.bytes("\(SampleFixtures.forms)/\(name).yaml")
        if name.hasPrefix("answer") {
            _ = try composer.answerDraft(form: bytes, source: "\(name).yaml", baseDirectory: SampleFixtures.forms)
        } else {
            let draft = try composer.requestDraft(form: bytes, source: "\(name).yaml")
            #expect(draft.registration != nil)
        }
    }
}
