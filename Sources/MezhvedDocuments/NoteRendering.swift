import Foundation

extension DocumentRenderer.Page {
    /// The analytic note on the sender's letterhead: the distribution list as the addressee block
    /// (this copy's addressee first), the heading, the text, the table of the criteria and of each
    /// agency, and the evidence the figures were computed from.
    mutating func note(_ n: AnalyticNote) {
        let others = n.addressees.filter { $0.agency != n.recipient.agency }
        var addressee = "<div>\(Self.e(n.recipient.name))</div>"
        if !others.isEmpty {
            addressee +=
                "<div class=\"copies\">Копии: \(others.count) участник\(Self.ending(others.count)) взаимодействия (список рассылки ниже)</div>"
        }
        letterhead(n.letterhead, registration: n.registration, inReplyTo: nil, addressee: addressee)
        body += "<h2 class=\"heading\">\(Self.e(n.subject))</h2>\n<main>\n"
        body += Self.paragraphs(n.text)
        let f = n.figures
        body += "<style>\(Self.noteCSS)</style>\n"
        body +=
            "<h3 class=\"note\">Результаты оценки за \(f.year) год (\(f.from.russian)–\(f.to.russian), по состоянию на \(f.asOf.russian))</h3>\n"
        body += "<table class=\"figures\"><tr><th>№</th><th>Критерий</th><th>Основание</th><th>Значение</th></tr>"
        for c in f.criteria {
            body += "<tr><td>\(c.number)</td><td>\(Self.e(c.title))</td><td>\(Self.e(c.clause))</td><td class=\"n\">\(c.value)</td></tr>"
        }
        body += "</table>\n"
        if !f.agencies.isEmpty {
            body += "<h3 class=\"note\">По участникам взаимодействия</h3>\n"
            body +=
                "<table class=\"figures\"><tr><th>Участник</th><th>Документы и информация получены (1)</th><th>Совместные мероприятия (2)</th><th>Граждан получили помощь (3)</th></tr>"
            for a in f.agencies {
                body +=
                    "<tr><td>\(Self.e(a.name))</td><td class=\"n\">\(a.documentsReceived)</td><td class=\"n\">\(a.jointEvents)</td><td class=\"n\">\(a.peopleHelped)</td></tr>"
            }
            body += "</table>\n"
        }
        body += "<h3 class=\"note\">Список рассылки</h3>\n<ol class=\"mailing\">"
        for a in n.addressees { body += "<li>\(Self.e(a.name))</li>" }
        body += "</ol>\n"
        body += "<dl><dt>Основание</dt><dd>\(n.legalBasis.map { Self.e($0.title) }.joined(separator: "<br>"))</dd>"
        let e = n.evidence
        body +=
            "<dt>Данные для проверки</dt><dd class=\"evidence\">Отчёт \(Self.e(e.reportFormat)), SHA-256 <span class=\"mono\">\(Self.e(e.reportSHA256))</span>; журнал до записи № \(e.journalLastSeq), хеш <span class=\"mono\">\(Self.e(e.journalLastHash))</span></dd></dl>\n"
        body += "</main>\n"
        signatory = n.signatory
        compiler = n.compiler
    }

    /// «участник», «участника», «участников».
    static func ending(_ count: Int) -> String {
        let tens = count % 100
        let units = count % 10
        if (11...14).contains(tens) { return "ов" }
        if units == 1 { return "" }
        if (2...4).contains(units) { return "а" }
        return "ов"
    }

    static let noteCSS = """
        .copies { font-size: 10pt; margin-top: 2mm; color: #333; }
        h3.note { font-size: 12pt; margin: 6mm 0 2mm; }
        table.figures { border-collapse: collapse; width: 100%; font-size: 10pt; }
        table.figures th, table.figures td { border: 1px solid #444; padding: 1mm 2mm; text-align: left; vertical-align: top; }
        table.figures td.n { text-align: right; white-space: nowrap; }
        ol.mailing { font-size: 10pt; margin: 0; padding-left: 8mm; }
        .evidence { font-size: 9pt; }
        """
}
