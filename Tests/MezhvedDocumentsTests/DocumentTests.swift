import Foundation
import MezhvedDocuments
import MezhvedXMLDSig
import Testing

enum DocumentFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// A complete request form (YAML): social protection asks the employment committee whether a
    /// citizen is registered as unemployed (regulation 562, clause 2.2.7).
    static let requestForm = """
        registration:
          number: "02-11/4817"
          date: 2026-03-02
        sender: social-protection
        recipient: employment
        service:
          name: Предоставление социальных услуг в форме социального обслуживания на дому
        legalBasis:
          - regulation: 562-2014
            clause: "2.2.7"
        subject: О предоставлении сведений о регистрации гражданина в качестве безработного
        informationNeeded: Сведения необходимы для признания гражданина нуждающимся в социальном обслуживании.
        requestedDocument: Сведения о регистрации гражданина в качестве безработного
        compiler:
          fullName: Иванова Мария Петровна
          position: Начальник отдела
          phone: "+7 (812) 000-01-23"
          email: m.ivanova@social-protection.mezhved-test.invalid
        personalData:
          - role: subject
            lastName: Васильев
            firstName: Андрей
            middleName: Николаевич
            birthDate: 1975-06-14
            snils: "112-233-445 95"
        """

    static let context: DocumentContext = try! DocumentContext.bundled()
    static var composer: DocumentComposer { DocumentComposer(context: context) }
    static var validator: DocumentValidator { DocumentValidator(context: context) }

    static func compose(_ form: String) throws -> InteragencyRequest {
        try composer.request(form: Array(form.utf8), source: "form.yaml")
    }

    /// The problems of composing `form`, or a recorded issue when it composes.
    static func problems(_ form: String) -> [DocumentProblem] {
        DraftFixtures.problems { _ = try compose(form) }
    }

    /// Removes the line(s) of `key` (and, for a block, its indented children) from the form.
    static func without(_ key: String, in form: String = requestForm) -> String {
        var lines = form.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let index = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(key + ":") }) else {
            Issue.record("no key \(key) in the form")
            return form
        }
        let indent = lines[index].prefix { $0 == " " }.count
        var end = index + 1
        while end < lines.count, lines[end].prefix(while: { $0 == " " }).count > indent,
            !lines[end].trimmingCharacters(in: .whitespaces).isEmpty
        {
            end += 1
        }
        lines.removeSubrange(index..<end)
        return lines.joined(separator: "\n")
    }

    static func replacing(_ old: String, _ new: String, in form: String = requestForm) -> String {
        #expect(form.contains(old), "the form has no \(old)")
        return form.replacingOccurrences(of: old, with: new)
    }
}

@Suite("Composing requests")
struct ComposeRequestTests {
    @Test("a complete form composes a request on the sender's letterhead, with the directory's data and the default deadline")
    func complete() throws {
        let request = try DocumentFixtures.compose(DocumentFixtures.requestForm)
        #expect(request.letterhead.agencyName == "Комитет по социальной защите населения Ленинградской области")
        #expect(request.sender.ogrn == "1074709990013")
        #expect(request.recipient.name == "Комитет по труду и занятости населения Ленинградской области")
        // 2026-03-02 + 10 working days, past the moved day off of 9 March: 17 March.
        #expect(request.responseDeadline.iso == "2026-03-17")
        #expect(request.signatory.fullName.isEmpty == false)
        #expect(request.id == "request-2026-03-02-02-11-4817")
    }

    @Test("the composed XML validates with xmllint --schema as well as with mezhved, and reads back to the same request")
    func schemaAndRoundTrip() throws {
        let request = try DocumentFixtures.compose(DocumentFixtures.requestForm)
        let xml = try DocumentFixtures.composer.xml(.request(request))
        let report = try DocumentFixtures.validator.validate(xml, sourceName: "request.xml")
        #expect(report.isValid, "\(report.problems)")
        #expect(report.parsed == .request(request))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mz-doc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("request.xml")
        try Data(xml).write(to: file)
        let result = try run("xmllint", ["--noout", "--schema", DocumentValidator.schemaPath(for: .request)!, file.path])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("validates"))
    }

    @Test(
        "each missing mandatory field is named",
        arguments: [
            ("informationNeeded", "informationNeeded", "is required"),
            ("requestedDocument", "requestedDocument", "is required"),
            ("subject", "subject", "is required"),
            ("registration", "registration.number", "is required"),
            ("phone", "compiler.phone", "is required"),
            ("email", "compiler.email", "is required"),
            ("fullName", "compiler.fullName", "is required"),
            ("recipient", "recipient", "is required"),
            (
                "legalBasis", "legalBasis",
                "is required: name the regulation and clause (for example regulation: 562-2014, clause: \"2.2.7\")"
            ),
            ("service", "service.name", "is required"),
        ])
    func missing(key: String, path: String, message: String) {
        let problems = DocumentFixtures.problems(DocumentFixtures.without(key))
        #expect(problems.contains(DocumentProblem(path: path, message: message)), "\(problems)")
    }

    @Test("a wrong SNILS checksum")
    func snils() {
        let problems = DocumentFixtures.problems(DocumentFixtures.replacing("112-233-445 95", "112-233-445 96"))
        #expect(problems == [DocumentProblem(path: "personalData[0].snils", message: "SNILS check digits are 96, expected 95")])
    }

    @Test("an unknown agency")
    func unknownAgency() {
        let problems = DocumentFixtures.problems(DocumentFixtures.replacing("recipient: employment", "recipient: employmnet"))
        #expect(problems.count == 1)
        #expect(problems.first?.path == "recipient.agency")
        #expect(problems.first?.message.hasPrefix("unknown agency \"employmnet\": no such agency in the directory") == true)
    }

    @Test("an agency that does not take part in the regulation named")
    func notParticipant() {
        let form = DocumentFixtures.replacing(
            "regulation: 562-2014", "regulation: 459r-2023", in: DocumentFixtures.replacing("clause: \"2.2.7\"", "clause: \"3.2\""))
        let problems = DocumentFixtures.problems(form)
        #expect(
            problems.contains { $0.path == "recipient.agency" && $0.message.contains("does not take part in regulation 459r-2023") },
            "\(problems)")
    }

    @Test("a deadline on a holiday, on a weekend, and before the request")
    func deadlines() {
        let holiday = DocumentFixtures.problems(DocumentFixtures.requestForm + "\nresponseDeadline: 2026-03-09")
        #expect(holiday.map(\.path) == ["responseDeadline"])
        #expect(holiday.first?.message.hasPrefix("the response deadline 2026-03-09 falls on a non-working day") == true)
        let weekend = DocumentFixtures.problems(DocumentFixtures.requestForm + "\nresponseDeadline: 2026-03-14")
        #expect(
            weekend == [
                DocumentProblem(
                    path: "responseDeadline", message: "the response deadline 2026-03-14 falls on a weekend; choose a working day")
            ])
        let before = DocumentFixtures.problems(DocumentFixtures.requestForm + "\nresponseDeadline: 2026-02-27")
        #expect(
            before == [
                DocumentProblem(
                    path: "responseDeadline", message: "the response deadline 2026-02-27 is not after the request's date 2026-03-02")
            ])
    }

    @Test("a default deadline in a year the calendar does not cover is an error, or the Labour Code fallback when allowed")
    func uncoveredYear() throws {
        let form = DocumentFixtures.replacing("date: 2026-03-02", "date: 2026-12-28")
        let problems = DocumentFixtures.problems(form)
        #expect(problems.count == 1)
        #expect(problems.first?.path == "responseDeadline")
        #expect(problems.first?.message.contains("2027") == true)
        var context = DocumentFixtures.context
        context.fallback = .labourCode
        let request = try DocumentComposer(context: context).request(form: Array(form.utf8), source: "form.yaml")
        // 29–30 Dec 2026, 31 Dec off; 1–8 Jan 2027 holidays, 9–10 weekend; then 11–15 and 18–20 Jan.
        #expect(request.responseDeadline.iso == "2027-01-20")
    }

    @Test("every problem at once")
    func everyProblem() {
        var form = DocumentFixtures.replacing("112-233-445 95", "112-233-445 96")
        form = DocumentFixtures.replacing("recipient: employment", "recipient: nobody", in: form)
        form = DocumentFixtures.without("phone", in: form)
        form = DocumentFixtures.replacing("birthDate: 1975-06-14", "birthDate: 14/06/1975", in: form)
        let problems = DocumentFixtures.problems(form)
        #expect(
            Set(problems.map(\.path)) == ["recipient.agency", "compiler.phone", "personalData[0].snils", "personalData[0].birthDate"],
            "\(problems)")
        #expect(
            problems.contains(
                DocumentProblem(path: "personalData[0].birthDate", message: "\"14/06/1975\" is not a date (write 2026-03-02 or 02.03.2026)")
            ))
    }

    @Test("consent required but not obtained")
    func consent() {
        let problems = DocumentFixtures.problems(DocumentFixtures.requestForm + "\nconsent: {required: true, obtained: false}")
        #expect(
            problems == [
                DocumentProblem(
                    path: "consent.obtained", message: "the subject's consent is required for this request but has not been obtained")
            ])
    }

    @Test("malformed form files are refused naming the file")
    func malformed() {
        for text in ["{\"registration\": ", "registration: [unclosed"] {
            #expect {
                _ = try DocumentFixtures.composer.request(form: Array(text.utf8), source: "broken.yaml")
            } throws: { error in
                guard let error = error as? DocumentError else { return false }
                return error.code == .malformedData && error.message.hasPrefix("broken.yaml is not valid")
            }
        }
    }
}

@Suite("Validating documents")
struct ValidateDocumentTests {
    func xml() throws -> String {
        let request = try DocumentFixtures.compose(DocumentFixtures.requestForm)
        return String(decoding: try DocumentFixtures.composer.xml(.request(request)), as: UTF8.self)
    }

    @Test("a schema violation is reported with the element and line")
    func schemaViolation() throws {
        let text = try xml()
        let start = text.range(of: "  <Compiler>")!.lowerBound
        let end = text.range(of: "</Compiler>\n")!.upperBound
        let broken = text.replacingCharacters(in: start..<end, with: "")
        let report = try DocumentFixtures.validator.validate(Array(broken.utf8), sourceName: "broken.xml")
        #expect(!report.isValid)
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.message.contains("Signatory") == true)
        #expect(report.problems.first?.message.contains("Compiler") == true)
        #expect(report.problems.first?.line != nil)
    }

    @Test("rules are checked on received XML too: letterhead of another body, wrong OGRN")
    func rulesOnXML() throws {
        let text = try xml()
            .replacingOccurrences(
                of: "<AgencyName>Комитет по социальной защите населения Ленинградской области</AgencyName>",
                with: "<AgencyName>Комитет по здравоохранению Ленинградской области</AgencyName>"
            )
            .replacingOccurrences(of: "<OGRN>1074709990013</OGRN>", with: "<OGRN>1074709990024</OGRN>")
        let report = try DocumentFixtures.validator.validate(Array(text.utf8), sourceName: "r.xml")
        #expect(Set(report.problems.map(\.path)) == ["letterhead.agencyName", "sender.ogrn"], "\(report.problems)")
    }

    @Test("an answer pointing at another request than the one given")
    func answerToUnknownRequest() throws {
        let request = try DocumentFixtures.compose(DocumentFixtures.requestForm)
        let other = try DocumentFixtures.compose(DocumentFixtures.replacing("02-11/4817", "02-11/9999"))
        let answerForm = """
            registration: {number: "14-03/1022", date: 2026-03-10}
            provided:
              - name: Сведения о регистрации
                content: Зарегистрирован в качестве безработного с 12.01.2026.
            compiler: {fullName: Петрова Ольга Сергеевна, position: Главный специалист, phone: "+7 (812) 000-03-45"}
            """
        let answer = try DocumentFixtures.composer.answer(to: request, form: Array(answerForm.utf8), source: "answer.yaml")
        #expect(answer.inReplyTo == request.registration)
        #expect(answer.sender.agency == "employment" && answer.recipient.agency == "social-protection")
        let xml = try DocumentFixtures.composer.xml(.answer(answer))
        #expect(try DocumentFixtures.validator.validate(xml, sourceName: "a.xml", request: request).isValid)
        let report = try DocumentFixtures.validator.validate(xml, sourceName: "a.xml", request: other)
        #expect(
            report.problems.map { DocumentProblem(path: $0.path, message: $0.message, line: $0.line) } == [
                DocumentProblem(
                    path: "inReplyTo",
                    message: "the answer replies to № 02-11/4817 от 02.03.2026, but the request given is № 02-11/9999 от 02.03.2026")
            ])
    }

    @Test("a refusal and a receipt validate; a document of another format is named as such")
    func refusalAndReceipt() throws {
        let request = try DocumentFixtures.compose(DocumentFixtures.requestForm)
        let refusalForm = """
            registration: {number: "14-03/1023", date: 2026-03-11}
            refusal: {reason: "Гражданин не состоит на учёте в органах службы занятости Ленинградской области.", regulation: 562-2014, clause: "2.2.7"}
            compiler: {fullName: Петрова Ольга Сергеевна, position: Главный специалист, phone: "+7 (812) 000-03-45"}
            """
        let refusal = try DocumentFixtures.composer.answer(to: request, form: Array(refusalForm.utf8), source: "refusal.yaml")
        #expect(try DocumentFixtures.validator.validate(try DocumentFixtures.composer.xml(.answer(refusal)), sourceName: "r.xml").isValid)
        let receipt = try DocumentFixtures.composer.receipt(
            for: .request(request), receivedAt: Date(timeIntervalSince1970: 1_772_500_000),
            outcome: .rejected(reason: "Запрос подписан недействительной подписью."),
            digest: nil)
        let receiptXML = try DocumentFixtures.composer.xml(.receipt(receipt))
        let report = try DocumentFixtures.validator.validate(receiptXML, sourceName: "receipt.xml")
        #expect(report.isValid, "\(report.problems)")
        #expect(report.kind == .receipt)
        let foreign = try DocumentFixtures.validator.validate(Array("<doc xmlns=\"urn:other\"/>".utf8), sourceName: "f.xml")
        #expect(foreign.kind == nil)
        #expect(foreign.problems.first?.message.hasPrefix("not an interagency document") == true)
    }
}

@Suite("Rendering")
struct RenderTests {
    @Test("the HTML view carries the letterhead, registration, deadline, executor and signature mark; redaction hides personal data")
    func html() throws {
        let request = try DocumentFixtures.compose(DocumentFixtures.requestForm)
        let mark = SignatureMark(
            certificateSerial: "4C0EAFA5", owner: "Иванова Мария Петровна", organization: nil,
            validFrom: Date(timeIntervalSince1970: 1_763_700_000),
            validTo: Date(timeIntervalSince1970: 2_394_000_000), verification: "VALID")
        let html = DocumentRenderer.html(.request(request), signature: mark)
        #expect(html.contains("Комитет по социальной защите населения Ленинградской области"))
        #expect(html.contains("02.03.2026"))
        #expect(html.contains("до 17.03.2026"))
        #expect(html.contains("ДОКУМЕНТ ПОДПИСАН"))
        #expect(html.contains("4C0EAFA5"))
        #expect(html.contains("Исп. Иванова Мария Петровна"))
        #expect(html.contains("112-233-445 95"))
        let redacted = DocumentRenderer.html(.request(request), signature: nil, redactPersonalData: true)
        #expect(!redacted.contains("112-233-445 95"))
        #expect(!redacted.contains("Васильев"))
        #expect(redacted.contains("Электронная подпись отсутствует"))
        // Text from the form is escaped.
        let hostile = try DocumentFixtures.compose(
            DocumentFixtures.replacing("subject: О предоставлении", "subject: <script>x</script> О предоставлении"))
        #expect(!DocumentRenderer.html(.request(hostile), signature: nil).contains("<script>"))
    }
}

struct RunResult {
    let status: Int32
    let output: String
}

func run(_ program: String, _ arguments: [String]) throws -> RunResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [program] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return RunResult(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
}

@Suite("Published schemas")
struct PublishedSchemaTests {
    @Test("docs/schemas holds exactly the schemas mezhved enforces", arguments: ["common", "request", "answer", "receipt", "note"])
    func sameAsShipped(name: String) throws {
        let file = "mezhved-\(name)-1.0.xsd"
        let shipped = try Data(
            contentsOf: URL(fileURLWithPath: DocumentFixtures.path("Sources/MezhvedDocuments/Resources/schemas/\(file)")))
        let published = try Data(contentsOf: URL(fileURLWithPath: DocumentFixtures.path("docs/schemas/\(file)")))
        #expect(shipped == published, "copy Sources/MezhvedDocuments/Resources/schemas/\(file) to docs/schemas/")
    }
}
