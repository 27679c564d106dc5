import Foundation

/// The report as one HTML page: plain HTML and CSS, inline SVG bar charts (documents received per
/// month, documents per counterpart, on-time answer rate per counterpart), no JavaScript, nothing
/// fetched. Every text is escaped.
public enum ReportPage {
    public static func html(_ report: EvaluationReport) -> String {
        var body = ""
        body += "<header><h1>Оценка результатов межведомственного взаимодействия</h1>"
        body += "<p class=\"sub\">\(e(report.agencyName)) · \(e(report.period.title)) (\(e(report.period.from)) — \(e(report.period.to)))"
        body += " · состояние на \(e(report.asOf))</p></header>"
        body += "<section class=\"cards\">"
        for criterion in report.criteria {
            body += "<div class=\"card\"><div class=\"n\">\(criterion.value)</div><div class=\"t\">\(e(criterion.title))</div>"
            body += "<div class=\"c\">Критерий \(criterion.criterion) · \(e(criterion.clause))</div></div>"
        }
        body += "</section>"
        body += "<section><h2>Документы, полученные по месяцам</h2>"
        body += columnChart(report.months.map { (monthName($0.month), $0.documentsReceived) }, color: "#2b6cb0")
        body += "</section>"
        let documentLines = report.counterparts.filter { $0.figures.documentsReceived + $0.figures.requestsSent > 0 }
        body += "<section class=\"two\"><div><h2>Документы по участникам</h2>"
        body += barChart(
            documentLines.map { ($0.name, Double($0.figures.documentsReceived), "\($0.figures.documentsReceived)") }, maximum: nil,
            color: "#2f855a")
        body += "</div><div><h2>Ответы в срок (10 рабочих дней)</h2>"
        let rated = report.counterparts.compactMap { line -> (String, Double, String)? in
            guard let rate = line.figures.answersToOurRequests.onTimeRate else { return nil }
            return (line.name, rate * 100, String(format: "%.1f %%", rate * 100))
        }
        body += barChart(rated, maximum: 100, color: "#c05621")
        body += "</div></section>"
        body += "<section><h2>По участникам</h2><table><thead><tr><th>Участник</th><th>Запросов направлено</th><th>Запросов получено</th>"
        body += "<th>Ответов направлено</th><th>Ответов получено</th><th>Документов получено</th><th>Совместных мероприятий</th>"
        body += "<th>Лиц получили помощь</th><th>Ответы нам в срок</th><th>Наши ответы в срок</th></tr></thead><tbody>"
        func row(_ name: String, _ f: ReportFigures, total: Bool) -> String {
            let cells = [
                f.requestsSent, f.requestsReceived, f.answersSent, f.answersReceived, f.documentsReceived, f.jointEvents, f.peopleHelped,
            ]
            .map { "<td>\($0)</td>" }.joined()
            return
                "<tr\(total ? " class=\"total\"" : "")><th>\(e(name))</th>\(cells)<td>\(rate(f.answersToOurRequests))</td><td>\(rate(f.ourAnswers))</td></tr>"
        }
        for line in report.counterparts {
            body += row(line.agency == report.agency ? line.name + " (собственные записи)" : line.name, line.figures, total: false)
        }
        body += row("Всего", report.totals, total: true)
        body += "</tbody></table></section>"
        body += "<section class=\"two\"><div><h2>Совместные мероприятия</h2><table><tbody>"
        for kind in report.jointEventsByKind { body += "<tr><th>\(e(kind.title))</th><td>\(kind.events)</td></tr>" }
        body += "</tbody></table></div><div><h2>Помощь по видам (лиц)</h2><table><tbody>"
        for kind in report.helpByKind { body += "<tr><th>\(e(kind.title))</th><td>\(kind.people)</td></tr>" }
        body += "</tbody></table></div></section>"
        let c = report.children
        body += "<section><h2>Учет детей целевой группы (459-р п. 1.4)</h2><table><tbody>"
        body += "<tr><th>Детей в учете за период (без повторов)</th><td>\(c.inRecord)</td></tr>"
        body +=
            "<tr><th>Включено в учет</th><td>\(c.included)</td></tr><tr><th>из них переданы из других организаций</th><td>\(c.transferredIn)</td></tr>"
        body +=
            "<tr><th>Переданы в другие организации</th><td>\(c.transferredOut)</td></tr><tr><th>Исключены из учета</th><td>\(c.excluded)</td></tr>"
        body += "</tbody></table></section>"
        body += "<section><h2>Просроченные запросы (\(report.overdue.count))</h2>"
        if report.overdue.isEmpty {
            body += "<p>Нет.</p>"
        } else {
            body += "<table class=\"overdue\"><thead><tr><th>Номер запроса</th><th>Чей ответ</th><th>Участник</th>"
            body += "<th>Срок</th><th>Ответ</th>"
            body += "<th>Просрочка, дн.</th><th>раб. дн.</th></tr></thead><tbody>"
            for item in report.overdue.prefix(200) {
                body += "<tr><td>\(e(item.number))</td><td>\(item.direction == "outgoing" ? "ответ нам" : "наш ответ")</td>"
                body += "<td>\(e(item.counterpartName))</td><td>\(e(item.deadline))</td><td>\(e(item.answeredOn ?? "—"))</td>"
                body += "<td>\(item.daysOverdue)</td><td>\(item.workingDaysOverdue)</td></tr>"
            }
            body += "</tbody></table>"
            if report.overdue.count > 200 { body += "<p>… и ещё \(report.overdue.count - 200) (полный список — в JSON и CSV).</p>" }
        }
        body += "</section>"
        body += "<footer>Рассчитано по журналу регистрации до записи № \(report.journal.lastSeq), хеш \(e(report.journal.lastHash))."
        body +=
            " Лица учтены по ключевому хешу СНИЛС (ключ \(e(report.personKeyIDs.joined(separator: ", ")))); персональные данные в отчёт не входят.</footer>"
        return """
            <!DOCTYPE html>
            <html lang="ru"><head><meta charset="utf-8"><title>\(e(report.agencyName)) — \(e(report.period.title))</title>
            <style>\(style)</style></head><body>\(body)</body></html>

            """
    }

    static let style = """
        body{font-family:"PT Sans","DejaVu Sans",Arial,sans-serif;margin:24px 32px;color:#1a202c;background:#fff}
        h1{font-size:24px;margin:0 0 4px}h2{font-size:17px;margin:20px 0 8px}.sub{color:#4a5568;margin:0 0 16px}
        .cards{display:flex;gap:16px}.card{flex:1;border:1px solid #cbd5e0;border-radius:6px;padding:12px 16px;background:#f7fafc}
        .card .n{font-size:34px;font-weight:bold;color:#2b6cb0}.card .t{font-size:14px;margin:4px 0}.card .c{font-size:12px;color:#718096}
        .two{display:flex;gap:32px}.two>div{flex:1;min-width:0}
        table{border-collapse:collapse;width:100%;font-size:13px}th,td{border:1px solid #e2e8f0;padding:4px 6px;text-align:right}
        th{text-align:left;font-weight:normal}thead th{background:#edf2f7;font-weight:bold;text-align:center}
        tr.total th,tr.total td{font-weight:bold;background:#f7fafc}table.overdue td{text-align:left}
        svg text{font-family:inherit;font-size:10px;fill:#2d3748}footer{margin-top:24px;font-size:12px;color:#718096;word-break:break-all}
        """

    static func rate(_ t: Timeliness) -> String {
        guard let rate = t.onTimeRate else { return "—" }
        return String(format: "%.1f %%", rate * 100) + " <small>(\(t.onTime) из \(t.onTime + t.late + t.open))</small>"
    }

    static func monthName(_ month: String) -> String {
        let names = ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"]
        guard let number = Int(month.suffix(2)), (1...12).contains(number) else { return month }
        return names[number - 1]
    }

    /// Vertical bars, one per item, with its value above.
    static func columnChart(_ items: [(String, Int)], color: String) -> String {
        let width = 1180.0
        let height = 220.0
        let top = max(1, items.map(\.1).max() ?? 1)
        let slot = width / Double(max(items.count, 1))
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\">"
        svg += "<line x1=\"0\" y1=\"\(height - 20)\" x2=\"\(width)\" y2=\"\(height - 20)\" stroke=\"#a0aec0\"/>"
        for (index, item) in items.enumerated() {
            let barHeight = (height - 50) * Double(item.1) / Double(top)
            let x = Double(index) * slot + slot * 0.15
            let y = height - 20 - barHeight
            svg += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(slot * 0.7))\" height=\"\(f(barHeight))\" fill=\"\(color)\"/>"
            svg += "<text x=\"\(f(x + slot * 0.35))\" y=\"\(f(y - 4))\" text-anchor=\"middle\">\(item.1)</text>"
            svg += "<text x=\"\(f(x + slot * 0.35))\" y=\"\(f(height - 5))\" text-anchor=\"middle\">\(e(item.0))</text>"
        }
        return svg + "</svg>"
    }

    /// Horizontal bars with their labels on the left.
    static func barChart(_ items: [(String, Double, String)], maximum: Double?, color: String) -> String {
        guard !items.isEmpty else { return "<p>Нет данных.</p>" }
        let width = 560.0
        let label = 250.0
        let rowHeight = 22.0
        let height = rowHeight * Double(items.count) + 6
        let top = max(maximum ?? 0, items.map(\.1).max() ?? 1, 1)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\">"
        for (index, item) in items.enumerated() {
            let y = Double(index) * rowHeight + 3
            let length = (width - label - 60) * item.1 / top
            let name = item.0.count > 38 ? String(item.0.prefix(37)) + "…" : item.0
            svg += "<text x=\"\(f(label - 6))\" y=\"\(f(y + 14))\" text-anchor=\"end\">\(e(name))</text>"
            svg += "<rect x=\"\(f(label))\" y=\"\(f(y + 2))\" width=\"\(f(length))\" height=\"\(f(rowHeight - 6))\" fill=\"\(color)\"/>"
            svg += "<text x=\"\(f(label + length + 4))\" y=\"\(f(y + 14))\">\(e(item.2))</text>"
        }
        return svg + "</svg>"
    }

    static func f(_ value: Double) -> String { String(format: "%.1f", value) }

    /// Escapes text for HTML content and attribute values.
    static func e(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
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
}
