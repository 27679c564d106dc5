import Foundation
import Mustache

/// The mark of an electronic signature on the printed form (GOST R 7.0.97-2025): certificate number,
/// owner, validity, and the result of the check.
public struct SignatureMark: Sendable, Equatable {
    public var certificateSerial: String
    public var owner: String
    public var organization: String?
    public var validFrom: Date
    public var validTo: Date
    /// "VALID", "INVALID", "INDETERMINATE" or "NOT CHECKED".
    public var verification: String
    /// Why, when not valid.
    public var details: [String]
    public var checkedAt: Date?

    public init(
        certificateSerial: String, owner: String, organization: String?, validFrom: Date, validTo: Date, verification: String,
        details: [String] = [], checkedAt: Date? = nil
    ) {
        self.certificateSerial = certificateSerial
        self.owner = owner
        self.organization = organization
        self.validFrom = validFrom
        self.validTo = validTo
        self.verification = verification
        self.details = details
        self.checkedAt = checkedAt
    }
}

/// Renders an interagency document as a self-contained HTML page laid out like the paper form on
/// letterhead (clause 4.4 of regulation 562; GOST R 7.0.97): coat of arms, the body's name and
/// requisites, date and number, "на № … от …", addressee, heading, text, signature block with the
/// electronic signature mark, and the executor mark. The markup is the mustache templates of
/// ``LetterTemplates`` (every value escaped); this type only says what goes into them.
public enum DocumentRenderer {
    /// - Parameter redactPersonalData: replace personal data with a note (for views that must not
    ///   show it).
    public static func html(_ document: InteragencyDocument, signature: SignatureMark?, redactPersonalData: Bool = false) -> String {
        let page = LetterPageModel(
            title: title(document), css: LetterTemplates.css,
            letter: model(document, signature: signature, redactPersonalData: redactPersonalData))
        return render(page, template: "letter-page")
    }

    /// The sheet alone (`<article class="sheet">…</article>`), for a page that embeds the letter
    /// and links ``LetterTemplates/css`` (the web pages' document view and preview).
    public static func sheet(_ document: InteragencyDocument, signature: SignatureMark?, redactPersonalData: Bool = false) -> String {
        render(model(document, signature: signature, redactPersonalData: redactPersonalData), template: "letter")
    }

    /// The document's title, as the page's title says it.
    public static func title(_ document: InteragencyDocument) -> String {
        switch document {
        case .request(let r): return "Межведомственный запрос № \(r.registration.number) от \(r.registration.date.russian)"
        case .answer(let a): return "Ответ № \(a.registration.number) от \(a.registration.date.russian)"
        case .receipt(let r): return "Квитанция о получении документа № \(r.receivedDocument.number)"
        case .note(let n): return "Аналитическая справка № \(n.registration.number) от \(n.registration.date.russian)"
        }
    }

    static func render(_ model: Any, template name: String) -> String {
        switch LetterTemplates.loaded {
        case .success(let templates):
            guard let template = templates[name] else {
                return brokenInstallation(LetterTemplatesMissing(detail: "there is no template \(name)"))
            }
            return template.render(model, library: MustacheLibrary(templates: templates))
        case .failure(let missing):
            return brokenInstallation(missing)
        }
    }

    /// What is shown instead of a letter when the templates are not installed: never a crash,
    /// never a half-made letter.
    static func brokenInstallation(_ missing: LetterTemplatesMissing) -> String {
        let text = missing.description.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        return "<!DOCTYPE html>\n<html lang=\"ru\"><meta charset=\"utf-8\"><title>Бланк недоступен</title><p>\(text)</p></html>\n"
    }

    static func model(_ document: InteragencyDocument, signature: SignatureMark?, redactPersonalData: Bool) -> LetterModel {
        switch document {
        case .request(let r):
            return LetterModel(
                head: head(r.letterhead, registration: r.registration, inReplyTo: nil, addressee: r.recipient.name), heading: r.subject,
                request: request(r), personal: personal(r.personalData, redact: redactPersonalData),
                sign: sign(signature, signatory: r.signatory, compiler: r.compiler))
        case .answer(let a):
            return LetterModel(
                head: head(a.letterhead, registration: a.registration, inReplyTo: a.inReplyTo, addressee: a.recipient.name),
                heading: a.subject, answer: answer(a), personal: personal(a.personalData, redact: redactPersonalData),
                sign: sign(signature, signatory: a.signatory, compiler: a.compiler))
        case .receipt(let r):
            return LetterModel(
                head: LetterModel.Head(agency: r.sender.name, addressee: r.recipient.name), heading: "Квитанция о получении документа",
                receipt: receipt(r), sign: sign(signature, signatory: nil, compiler: r.compiler))
        case .note(let n):
            return LetterModel(
                head: noteHead(n), heading: n.subject, note: note(n), sign: sign(signature, signatory: n.signatory, compiler: n.compiler))
        }
    }

    static func head(_ l: DocumentLetterhead, registration: DocumentReference, inReplyTo: DocumentReference?, addressee: String)
        -> LetterModel.Head
    {
        LetterModel.Head(
            arms: l.coatOfArms, agency: l.agencyName, shortName: l.agencyShortName,
            requisites: LetterModel.Requisites(address: l.postalAddress, phone: l.phone, email: l.email, website: l.website),
            registration: LetterModel.Reference(number: registration.number, date: registration.date.russian),
            inReplyTo: inReplyTo.map { LetterModel.Reference(number: $0.number, date: $0.date.russian) }, addressee: addressee)
    }

    /// "2026-03-02T10:47:00+03:00" → "02.03.2026 10:47 (UTC+03:00)"; anything else as written.
    static func readableTime(_ dateTime: String) -> String {
        let parts = dateTime.split(separator: "T", maxSplits: 1)
        guard parts.count == 2, let day = CalendarDay(iso: String(parts[0])) else { return dateTime }
        let time = parts[1]
        let clock = String(time.prefix(5))
        let zone = time.dropFirst(8)
        let zoneText = zone.isEmpty ? "" : (zone == "Z" ? " (UTC)" : " (UTC\(zone))")
        return "\(day.russian) \(clock)\(zoneText)"
    }

    /// "Кузнецова Ольга Сергеевна" → "О.С. Кузнецова", as a signature block writes it (GOST R 7.0.97).
    static func initialsAndSurname(_ fullName: String) -> String {
        let parts = fullName.split(separator: " ").map(String.init)
        guard parts.count >= 2 else { return fullName }
        let initials = parts.dropFirst().compactMap { $0.first.map { "\($0)." } }.joined()
        return "\(initials)\u{00A0}\(parts[0])"
    }

    /// The paragraphs of a text (its non-empty lines).
    static func paragraphs(_ s: String) -> [String] {
        s.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    static func personal(_ persons: [PersonRecord], redact: Bool) -> LetterModel.Personal? {
        guard !persons.isEmpty else { return nil }
        if redact { return LetterModel.Personal(redactedCount: persons.count) }
        let roles: [PersonRole: String] = [
            .subject: "заявитель", .child: "ребёнок", .parent: "родитель", .legalRepresentative: "законный представитель",
        ]
        let rows = persons.map { p in
            LetterModel.PersonRow(
                role: roles[p.role] ?? p.role.rawValue, fullName: p.fullName, birthDate: p.birthDate.russian, snils: p.snils ?? "—",
                address: p.address ?? "—")
        }
        return LetterModel.Personal(table: LetterModel.PersonTable(rows: rows))
    }

    static func request(_ r: InteragencyRequest) -> LetterModel.Request {
        let contact = [r.contactForAnswer.postalAddress, r.contactForAnswer.phone.map { "тел. \($0)" }, r.contactForAnswer.email]
            .compactMap { $0 }.joined(separator: "; ")
        var consent: String?
        if let c = r.consent {
            let text = c.obtained ? "получено\(c.date.map { " \($0.russian)" } ?? "")\(c.document.map { " (\($0))" } ?? "")" : "не получено"
            consent = "\(c.required ? "требуется; " : "")\(text)"
        }
        return LetterModel.Request(
            requested: paragraphs(r.requestedDocument), needed: paragraphs(r.informationNeeded), service: r.service.name,
            registryId: r.service.registryId, basis: LetterModel.Line.lines(r.legalBasis.map(\.title)),
            deadline: r.responseDeadline.russian,
            provisionalNote: r.responseDeadlineProvisional == true
                ? ProductionCalendar.provisionalNoteRussian(years: [r.responseDeadline.year]) : nil,
            contact: contact, consent: consent)
    }

    static func answer(_ a: InteragencyAnswer) -> LetterModel.Answer {
        switch a.result {
        case .provided(let documents):
            let items = documents.map { d -> LetterModel.ProvidedDocument in
                switch d.body {
                case .text(let content): return LetterModel.ProvidedDocument(documentName: d.name, textParagraphs: paragraphs(content))
                case .attachment(let fileName, let mediaType, let data):
                    return LetterModel.ProvidedDocument(
                        documentName: d.name,
                        attachment: LetterModel.Attachment(fileName: fileName, mediaType: mediaType, size: String(data.count)))
                }
            }
            return LetterModel.Answer(provided: LetterModel.Provided(requestReference: a.inReplyTo.description, documents: items))
        case .refusal(let reason, let basis):
            return LetterModel.Answer(
                refusal: LetterModel.Refusal(
                    requestReference: a.inReplyTo.description, reason: paragraphs(reason), refusalBasis: basis?.title))
        }
    }

    static func receipt(_ r: DeliveryReceipt) -> LetterModel.Receipt {
        let kind: String
        switch r.receivedKind {
        case .request: kind = "межведомственный запрос"
        case .note: kind = "аналитическая справка"
        default: kind = "ответ на межведомственный запрос"
        }
        var model = LetterModel.Receipt(
            receivedKind: kind, receivedDocument: r.receivedDocument.description, receivedAt: readableTime(r.receivedAt),
            digest: r.receivedDigest)
        switch r.outcome {
        case .accepted(let number, let date): model.accepted = LetterModel.Accepted(incomingNumber: number, incomingDate: date.russian)
        case .rejected(let reason): model.rejectedReason = reason
        }
        return model
    }

    static func sign(_ mark: SignatureMark?, signatory: OfficialPerson?, compiler: OfficialPerson?) -> LetterModel.Signature {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "ru_RU")
        formatter.timeZone = TimeZone(identifier: "Europe/Moscow")
        formatter.dateFormat = "dd.MM.yyyy"
        let shown = mark.map { mark -> LetterModel.Mark in
            let status: (String, String)
            switch mark.verification {
            case "VALID": status = ("ok", "подпись действительна")
            case "NOT CHECKED": status = ("warn", "подпись не проверялась")
            case "INVALID": status = ("bad", "подпись недействительна")
            default: status = ("warn", "действительность подписи не подтверждена")
            }
            return LetterModel.Mark(
                serial: mark.certificateSerial, owner: mark.owner, validFrom: formatter.string(from: mark.validFrom),
                validTo: formatter.string(from: mark.validTo), statusClass: status.0, statusText: status.1,
                checkedAt: mark.checkedAt.map { formatter.string(from: $0) }, details: mark.details)
        }
        return LetterModel.Signature(
            position: signatory?.position ?? "", mark: shown, signatoryName: signatory.map { initialsAndSurname($0.fullName) } ?? "",
            executor: compiler.map { LetterModel.Executor(executorName: $0.fullName, executorPhone: $0.phone, executorEmail: $0.email) })
    }
}
