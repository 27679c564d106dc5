import Foundation

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
/// electronic signature mark, and the executor mark.
public enum DocumentRenderer {
    /// - Parameter redactPersonalData: replace personal data with a note (for views that must not
    ///   show it).
    public static func html(_ document: InteragencyDocument, signature: SignatureMark?, redactPersonalData: Bool = false) -> String {
        var page = Page()
        switch document {
        case .request(let r): page.request(r, redact: redactPersonalData)
        case .answer(let a): page.answer(a, redact: redactPersonalData)
        case .receipt(let r): page.receipt(r)
        case .note(let n): page.note(n)
        }
        page.signature(signature)
        return page.finish(title: title(document))
    }

    static func title(_ document: InteragencyDocument) -> String {
        switch document {
        case .request(let r): return "Межведомственный запрос № \(r.registration.number) от \(r.registration.date.russian)"
        case .answer(let a): return "Ответ № \(a.registration.number) от \(a.registration.date.russian)"
        case .receipt(let r): return "Квитанция о получении документа № \(r.receivedDocument.number)"
        case .note(let n): return "Аналитическая справка № \(n.registration.number) от \(n.registration.date.russian)"
        }
    }

    struct Page {
        var body = ""
        var signatory: OfficialPerson?
        var compiler: OfficialPerson?

        static func e(_ s: String) -> String {
            var out = ""
            for c in s {
                switch c {
                case "&": out += "&amp;"
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "\"": out += "&quot;"
                case "'": out += "&#39;"
                default: out.append(c)
                }
            }
            return out
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

        /// Keeps e-mail addresses, phones and identifiers on one line.
        static func unbroken(_ s: String) -> String { "<span class=\"nowrap\">\(e(s))</span>" }

        static func paragraphs(_ s: String) -> String {
            s.split(separator: "\n", omittingEmptySubsequences: true).map { "<p>\(e(String($0)))</p>" }.joined()
        }

        mutating func letterhead(_ l: DocumentLetterhead, registration: DocumentReference, inReplyTo: DocumentReference?, addressee: String)
        {
            body += """
                <header class="head">
                  <div class="blank">
                    <div class="arms" aria-label="Герб: \(Self.e(l.coatOfArms))">\(Self.arms)<div class="arms-caption">\(Self.e(l.coatOfArms))</div></div>
                    <div class="agency">\(Self.e(l.agencyName))</div>
                    \(l.agencyShortName.map { "<div class=\"short\">(\(Self.e($0)))</div>" } ?? "")
                    <div class="requisites">\(Self.e(l.postalAddress))<br>тел. \(Self.unbroken(l.phone)), e-mail: \(Self.unbroken(l.email))\(l.website.map { "<br>\(Self.unbroken($0))" } ?? "")</div>
                    <div class="regline"><span class="field">\(registration.date.russian)</span> № <span class="field">\(Self.e(registration.number))</span></div>
                    \(inReplyTo.map { "<div class=\"regline\">на № <span class=\"field\">\(Self.e($0.number))</span> от <span class=\"field\">\($0.date.russian)</span></div>" } ?? "")
                  </div>
                  <div class="addressee">\(addressee)</div>
                </header>

                """
        }

        mutating func personal(_ persons: [PersonRecord], redact: Bool) {
            guard !persons.isEmpty else { return }
            if redact {
                body +=
                    "<section class=\"pd\"><h3>Персональные данные</h3><p class=\"redacted\">Сведения о \(persons.count) лиц(е) скрыты: персональные данные не отображаются в этом представлении.</p></section>\n"
                return
            }
            let roles: [PersonRole: String] = [
                .subject: "заявитель", .child: "ребёнок", .parent: "родитель", .legalRepresentative: "законный представитель",
            ]
            body +=
                "<section class=\"pd\"><h3>Персональные данные (конфиденциально)</h3><table><tr><th>Роль</th><th>ФИО</th><th>Дата рождения</th><th>СНИЛС</th><th>Адрес</th></tr>"
            for p in persons {
                body +=
                    "<tr><td>\(roles[p.role] ?? p.role.rawValue)</td><td>\(Self.e(p.fullName))</td><td>\(p.birthDate.russian)</td><td>\(Self.unbroken(p.snils ?? "—"))</td><td>\(Self.e(p.address ?? "—"))</td></tr>"
            }
            body += "</table></section>\n"
        }

        mutating func request(_ r: InteragencyRequest, redact: Bool) {
            letterhead(r.letterhead, registration: r.registration, inReplyTo: nil, addressee: Self.e(r.recipient.name))
            body += "<h2 class=\"heading\">\(Self.e(r.subject))</h2>\n<main>\n"
            body += "<p class=\"lead\">Межведомственный запрос о предоставлении документов (информации).</p>\n"
            body += "<dl>"
            body += "<dt>Запрашиваемые документы (информация)</dt><dd>\(Self.paragraphs(r.requestedDocument))</dd>"
            body +=
                "<dt>Сведения, необходимые для предоставления документов (информации)</dt><dd>\(Self.paragraphs(r.informationNeeded))</dd>"
            body +=
                "<dt>Государственная услуга (функция)</dt><dd>\(Self.e(r.service.name))\(r.service.registryId.map { " (реестровый № \(Self.e($0)))" } ?? "")</dd>"
            body += "<dt>Правовое основание</dt><dd>\(r.legalBasis.map { Self.e($0.title) }.joined(separator: "<br>"))</dd>"
            var deadline = "<strong>до \(r.responseDeadline.russian)</strong>"
            if r.responseDeadlineProvisional == true {
                let note = ProductionCalendar.provisionalNoteRussian(years: [r.responseDeadline.year])
                deadline += " <span class=\"provisional\">(\(Self.e(note)))</span>"
            }
            body += "<dt>Срок направления ответа</dt><dd>\(deadline)</dd>"
            let contact = [r.contactForAnswer.postalAddress, r.contactForAnswer.phone.map { "тел. \($0)" }, r.contactForAnswer.email]
                .compactMap { $0 }.map(Self.e).joined(separator: "; ")
            body += "<dt>Контактные данные для направления ответа</dt><dd>\(contact)</dd>"
            if let c = r.consent {
                let text =
                    c.obtained
                    ? "получено\(c.date.map { " \($0.russian)" } ?? "")\(c.document.map { " (\(Self.e($0)))" } ?? "")" : "не получено"
                body += "<dt>Согласие субъекта персональных данных</dt><dd>\(c.required ? "требуется; " : "")\(text)</dd>"
            }
            body += "</dl>\n"
            personal(r.personalData, redact: redact)
            body += "</main>\n"
            signatory = r.signatory
            compiler = r.compiler
        }

        mutating func answer(_ a: InteragencyAnswer, redact: Bool) {
            letterhead(a.letterhead, registration: a.registration, inReplyTo: a.inReplyTo, addressee: Self.e(a.recipient.name))
            body += "<h2 class=\"heading\">\(Self.e(a.subject))</h2>\n<main>\n"
            switch a.result {
            case .provided(let documents):
                body +=
                    "<p class=\"lead\">В ответ на межведомственный запрос \(Self.e(a.inReplyTo.description)) направляем запрошенные документы (информацию):</p><ol>"
                for d in documents {
                    switch d.body {
                    case .text(let content): body += "<li><strong>\(Self.e(d.name))</strong>\(Self.paragraphs(content))</li>"
                    case .attachment(let fileName, let mediaType, let data):
                        body +=
                            "<li><strong>\(Self.e(d.name))</strong><p>Приложение: \(Self.e(fileName)) (\(Self.e(mediaType)), \(data.count) байт)</p></li>"
                    }
                }
                body += "</ol>\n"
            case .refusal(let reason, let basis):
                body +=
                    "<p class=\"lead\">По межведомственному запросу \(Self.e(a.inReplyTo.description)) сообщаем об отказе в предоставлении документов (информации).</p>"
                body += "<dl><dt>Причина отказа</dt><dd>\(Self.paragraphs(reason))</dd>"
                if let basis { body += "<dt>Основание</dt><dd>\(Self.e(basis.title))</dd>" }
                body += "</dl>\n"
            }
            personal(a.personalData, redact: redact)
            body += "</main>\n"
            signatory = a.signatory
            compiler = a.compiler
        }

        mutating func receipt(_ r: DeliveryReceipt) {
            body +=
                "<header class=\"head\"><div class=\"blank\"><div class=\"agency\">\(Self.e(r.sender.name))</div></div><div class=\"addressee\">\(Self.e(r.recipient.name))</div></header>\n"
            body += "<h2 class=\"heading\">Квитанция о получении документа</h2>\n<main><dl>"
            let kind: String
            switch r.receivedKind {
            case .request: kind = "межведомственный запрос"
            case .note: kind = "аналитическая справка"
            default: kind = "ответ на межведомственный запрос"
            }
            body += "<dt>Получен документ</dt><dd>\(kind) \(Self.e(r.receivedDocument.description))</dd>"
            body += "<dt>Время получения</dt><dd>\(Self.e(Self.readableTime(r.receivedAt)))</dd>"
            if let digest = r.receivedDigest { body += "<dt>Контрольная сумма</dt><dd class=\"mono\">\(Self.e(digest))</dd>" }
            switch r.outcome {
            case .accepted(let number, let date):
                body += "<dt>Результат</dt><dd><strong>Принят и зарегистрирован</strong>: вх. № \(Self.e(number)) от \(date.russian)</dd>"
            case .rejected(let reason):
                body += "<dt>Результат</dt><dd><strong>Отклонён</strong>: \(Self.e(reason))</dd>"
            }
            body += "</dl></main>\n"
            compiler = r.compiler
        }

        mutating func signature(_ mark: SignatureMark?) {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "ru_RU")
            formatter.timeZone = TimeZone(identifier: "Europe/Moscow")
            formatter.dateFormat = "dd.MM.yyyy"
            body += "<footer class=\"sign\">\n<div class=\"position\">\(Self.e(signatory?.position ?? ""))</div>\n"
            if let mark {
                let status: String
                switch mark.verification {
                case "VALID": status = "<span class=\"ok\">подпись действительна</span>"
                case "NOT CHECKED": status = "<span class=\"warn\">подпись не проверялась</span>"
                case "INVALID": status = "<span class=\"bad\">подпись недействительна</span>"
                default: status = "<span class=\"warn\">действительность подписи не подтверждена</span>"
                }
                body += """
                    <div class="stamp">
                      <div class="stamp-title">ДОКУМЕНТ ПОДПИСАН<br>ЭЛЕКТРОННОЙ ПОДПИСЬЮ</div>
                      <div>Сертификат: <span class="mono">\(Self.e(mark.certificateSerial))</span></div>
                      <div>Владелец: \(Self.e(mark.owner))</div>
                      <div>Действителен: с \(formatter.string(from: mark.validFrom)) по \(formatter.string(from: mark.validTo))</div>
                      <div class="status">Проверка: \(status)\(mark.checkedAt.map { " (\(formatter.string(from: $0)))" } ?? "")</div>
                      \(mark.details.map { "<div class=\"detail\">\(Self.e($0))</div>" }.joined())
                    </div>

                    """
            } else {
                body += "<div class=\"stamp unsigned\">Электронная подпись отсутствует</div>\n"
            }
            body += "<div class=\"name\">\(Self.e(signatory.map { Self.initialsAndSurname($0.fullName) } ?? ""))</div>\n</footer>\n"
            if let compiler {
                body +=
                    "<div class=\"executor\">Исп. \(Self.e(compiler.fullName))\(compiler.phone.map { ", тел. \(Self.e($0))" } ?? "")\(compiler.email.map { ", \(Self.e($0))" } ?? "")</div>\n"
            }
        }

        func finish(title: String) -> String {
            """
            <!DOCTYPE html>
            <html lang="ru">
            <head>
            <meta charset="utf-8">
            <title>\(Self.e(title))</title>
            <style>\(Self.css)</style>
            </head>
            <body>
            <article class="sheet">
            \(body)</article>
            </body>
            </html>

            """
        }

        static let arms = """
            <svg width="46" height="54" viewBox="0 0 46 54" xmlns="http://www.w3.org/2000/svg" role="img"><path d="M3 3h40v24c0 13-9 21-20 24C12 48 3 40 3 27z" fill="#f2f2f2" stroke="#333" stroke-width="2"/><path d="M3 27h40" stroke="#1d4f91" stroke-width="5"/><path d="M13 20l10-9 10 9" fill="none" stroke="#333" stroke-width="2"/></svg>
            """

        static let css = """
            @page { size: A4; margin: 20mm 10mm 20mm 20mm; }
            body { background: #e8e8e8; margin: 0; font-family: "Times New Roman", "Liberation Serif", "DejaVu Serif", serif; font-size: 14pt; color: #111; }
            .sheet { background: #fff; width: 180mm; min-height: 257mm; margin: 10mm auto; padding: 20mm 10mm 20mm 20mm; box-shadow: 0 0 4mm rgba(0,0,0,.25); }
            .head { display: flex; justify-content: space-between; align-items: flex-start; gap: 10mm; }
            .blank { width: 85mm; text-align: center; font-size: 11pt; }
            .arms svg { display: block; margin: 0 auto 2mm; }
            .arms-caption { font-size: 8pt; color: #555; }
            .agency { font-weight: bold; text-transform: uppercase; font-size: 11pt; margin-top: 2mm; }
            .short { font-size: 10pt; }
            .requisites { font-size: 9pt; margin-top: 2mm; }
            .regline { margin-top: 3mm; text-align: left; font-size: 11pt; }
            .field { border-bottom: 1px solid #111; padding: 0 2mm; }
            .addressee { width: 75mm; margin-top: 25mm; font-size: 13pt; }
            .heading { font-size: 13pt; font-weight: normal; font-style: italic; margin: 10mm 0 6mm; width: 90mm; }
            main p { text-indent: 12.5mm; margin: 0 0 2mm; text-align: justify; hyphens: auto; }
            .lead { text-indent: 12.5mm; }
            dl { margin: 4mm 0; } dt { font-weight: bold; font-size: 12pt; margin-top: 3mm; } dd { margin: 1mm 0 0 0; }
            dd p { text-indent: 0; }
            .pd table { border-collapse: collapse; width: 100%; font-size: 10pt; }
            .pd th, .pd td { border: 1px solid #444; padding: 1mm 2mm; text-align: left; }
            .pd h3 { font-size: 12pt; margin: 6mm 0 2mm; }
            .redacted { font-style: italic; color: #555; }
            .sign { display: flex; justify-content: space-between; align-items: center; margin-top: 14mm; gap: 4mm; }
            .position { width: 55mm; font-size: 12pt; }
            .name { width: 45mm; text-align: right; font-size: 12pt; white-space: nowrap; }
            .stamp { width: 70mm; border: 2px solid #1d4f91; border-radius: 3mm; padding: 2mm 3mm; font-size: 8pt; color: #1d4f91; font-family: "DejaVu Sans", Arial, sans-serif; }
            .stamp-title { text-align: center; font-weight: bold; margin-bottom: 1mm; }
            .stamp.unsigned { color: #777; border-color: #aaa; text-align: center; }
            .nowrap { white-space: nowrap; }
            .mono { font-family: "DejaVu Sans Mono", monospace; word-break: break-all; }
            .ok { color: #0a6b2a; font-weight: bold; } .bad { color: #b00020; font-weight: bold; } .warn { color: #8a5a00; font-weight: bold; }
            .detail { color: #8a5a00; }
            .executor { margin-top: 20mm; font-size: 10pt; }
            @media print { body { background: #fff; } .sheet { margin: 0; box-shadow: none; } }
            """
    }
}
