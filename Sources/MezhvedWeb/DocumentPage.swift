import Foundation
import Hummingbird
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments
import MezhvedGateway
import MezhvedValidation

/// `/ui/document?year=…&number=…`: one journal entry — its letter on letterhead (the same
/// templates as the printed form), the qualified validation report in words (the four conditions
/// of 63-FZ art. 11 with their evidence, the chain), the receipts, the answer ↔ request links and
/// the delivery. Personal data only for roles allowed ``AccessPermission/readPersonalData``; each
/// such view is a line in the operators' log (who, which document; never the data).
extension WebSite {
    struct DocumentModel {
        struct Link {
            let label: String
            let href: String?
        }

        struct Fact {
            let term: String
            let value: String
        }

        struct Message {
            let peer: String
            let state: String
            let attempts: String
            let updated: String
            let lastError: String?
        }

        let title: String
        let facts: [Fact]
        let overdue: Bool
        let links: [Link]
        let letter: String?
        let redacted: Bool
        let report: ReportModel?
        let messages: [Message]
        /// The answer form's address, for an incoming request and a role that may draft answers.
        let answerLink: String?
    }

    func document<Context: WebRequestContext>(_ request: Request, context: Context, person: SignedInPerson) async throws -> Response {
        let query = request.uri.queryParameters
        guard let yearText = query["year"], let year = Int(yearText), (1900...9999).contains(year),
            let number = query["number"].map(String.init),
            !number.isEmpty, number.count <= 200
        else {
            throw WebRefusal(.badRequest, "Укажите документ: год и номер журнала (например, /ui/document?year=2026&number=01-12/000001).")
        }
        guard let entry = try await archive.registrar.entries(JournalQuery(number: number, year: year)).first else {
            throw WebRefusal(.notFound, "В журнале нет номера \(DocumentText.cut(number)) за \(year) год.")
        }
        let day = ISOTime.agencyDayString(Date())
        let status = entry.status(on: day)
        let standing = documents.standing(of: entry, on: day)
        let directory = gateway.documents.directory
        var facts: [DocumentModel.Fact] = [
            .init(term: "Журнал", value: RussianWords.direction(entry.direction)),
            .init(term: "Вид", value: RussianWords.kind(entry.kind)),
            .init(term: "Зарегистрирован", value: RussianWords.day(entry.registeredAt ?? entry.allocatedAt)),
            .init(term: "Состояние", value: RussianWords.status(status)),
            .init(term: "Доставка", value: RussianWords.delivery(entry, status: status)),
        ]
        if let counterpart = entry.counterpart {
            facts.append(.init(term: "Контрагент", value: directory.agency(id: counterpart)?.fullName ?? counterpart))
        }
        if let documentNumber = entry.documentNumber {
            facts.append(.init(term: "Номер документа", value: "\(documentNumber) от \(RussianWords.isoDay(entry.documentDate))"))
        }
        if let deadline = entry.deadline {
            let left = standing.workingDaysLeft.map { ", осталось рабочих дней: \($0)" } ?? ""
            facts.append(
                .init(term: "Срок ответа", value: "до \(RussianWords.isoDay(deadline))\(left)\(standing.overdue ? " — просрочен" : "")"))
        }
        if let reason = entry.voidReason { facts.append(.init(term: "Причина аннулирования", value: reason)) }
        var links: [DocumentModel.Link] = []
        if let request = entry.inReplyTo {
            var found = try await archive.registrar.entries(JournalQuery(number: request)).first
            if found == nil { found = try await archive.registrar.entries(JournalQuery(documentNumber: request)).first }
            links.append(.init(label: "Ответ на запрос № \(request)", href: found.map(Self.documentLink)))
        }
        for answer in entry.answeredBy {
            let found = try await archive.registrar.entries(JournalQuery(number: answer)).first
            links.append(.init(label: "Ответ: № \(answer)", href: found.map(Self.documentLink)))
        }
        for receipt in entry.acknowledgedBy {
            let found = try await archive.registrar.entries(JournalQuery(number: receipt)).first
            links.append(.init(label: "Квитанция № \(receipt)", href: found.map(Self.documentLink)))
        }
        if let acknowledged = entry.acknowledges {
            links.append(
                .init(
                    label: "Квитанция о документе № \(acknowledged.number)",
                    href: Self.documentLink(year: acknowledged.year, number: acknowledged.number)))
        }
        var letter: String?
        var report: ReportModel?
        let mayReadPersonalData = person.may(.readPersonalData)
        if entry.object != nil {
            let shown = try await documents.letter(of: entry)
            letter = DocumentRenderer.sheet(shown.document, signature: shown.mark, redactPersonalData: !mayReadPersonalData)
            if mayReadPersonalData, Self.holdsPersonalData(shown.document) {
                context.logger.notice(
                    "personal data viewed",
                    metadata: [
                        "caller": "\(person.name) (\(person.role))", "number": "\(entry.number)", "year": "\(entry.year)", "view": "page",
                    ])
            }
            report = ReportModel(try await documents.report(of: entry))
        }
        let messages = try await archive.registrar.messages(MessageQuery(number: entry.number, year: entry.year)).map {
            DocumentModel.Message(
                peer: directory.agency(id: $0.peer)?.shortName ?? $0.peer, state: RussianWords.message($0.state),
                attempts: String($0.attempts),
                updated: RussianWords.time($0.updatedAt), lastError: $0.lastError)
        }
        let model = DocumentModel(
            title: "\(RussianWords.kind(entry.kind).capitalizedFirst) № \(entry.number) (\(entry.year))", facts: facts,
            overdue: standing.overdue, links: links, letter: letter, redacted: !mayReadPersonalData, report: report, messages: messages,
            answerLink: entry.direction == .incoming && entry.kind == .request && entry.object != nil && person.may(.checkDrafts)
                ? Self.answerLink(entry) : nil)
        return respond("document", model, title: "Документ \(entry.number)", person: person)
    }

    /// `/ui/answer?year=…&number=…` for an incoming request.
    static func answerLink(_ entry: JournalEntry) -> String {
        var components = URLComponents()
        components.queryItems = [URLQueryItem(name: "year", value: String(entry.year)), URLQueryItem(name: "number", value: entry.number)]
        return "/ui/answer?" + (components.percentEncodedQuery ?? "")
    }

    static func holdsPersonalData(_ document: InteragencyDocument) -> Bool {
        switch document {
        case .request(let r): return !r.personalData.isEmpty
        case .answer(let a): return !a.personalData.isEmpty
        default: return false
        }
    }
}

/// A qualified validation report in words, as the document page and the verifier show it.
struct ReportModel {
    struct Condition {
        let mark: String
        let passed: Bool
        let failed: Bool
        let title: String
        let clause: String
        let evidence: [String]
    }

    struct ChainItem {
        let role: String
        let subject: String
        let serial: String
        let validity: String
        let atSigning: String
    }

    let indication: String
    let indicationCode: String
    let passed: Bool
    let failed: Bool
    let subIndication: String?
    let qualification: String
    let reasons: [String]
    let signingTime: String
    let signer: String?
    let conditions: [Condition]
    let chain: [ChainItem]
    let letterhead: String?
    let findings: [String]
    let digest: String

    init(_ report: QualifiedValidationReport) {
        indication = RussianWords.indication(report.indication)
        indicationCode = report.indication.rawValue
        passed = report.indication == .totalPassed
        failed = report.indication == .totalFailed
        subIndication = report.subIndication?.rawValue
        qualification = report.qualification.status.rawValue
        reasons = report.qualification.reasons
        signingTime = "\(RussianWords.time(report.signingTime.time)) (\(report.signingTime.source.rawValue))"
        signer = report.signer.map { [$0.commonName, $0.organization].compactMap { $0 }.joined(separator: ", ") }
        conditions = report.conditions.map {
            Condition(
                mark: $0.result == .passed ? "✓" : ($0.result == .failed ? "✗" : "?"), passed: $0.result == .passed,
                failed: $0.result == .failed, title: RussianWords.condition($0.id, fallback: $0.title), clause: $0.clause,
                evidence: $0.evidence)
        }
        chain = report.chain.map {
            ChainItem(
                role: $0.role, subject: $0.certificate.commonName ?? $0.certificate.subject, serial: $0.certificate.serialNumber,
                validity: "\(RussianWords.time($0.certificate.notBefore)) — \(RussianWords.time($0.certificate.notAfter))",
                atSigning: $0.validAtSigningTime ? "✓ действителен" : "✗ недействителен")
        }
        letterhead = report.letterhead.map { "\($0.result.rawValue): \($0.detail)" }
        findings = report.findings.map { "\($0.area): \($0.message)" }
        digest = report.documentSHA256
    }
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
