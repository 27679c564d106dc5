import Foundation

/// The report as JSON and CSV (the HTML page is ``ReportPage``). Both hold only figures, agency ids,
/// journal numbers and days: never a name or a SNILS.
extension EvaluationReport {
    /// Pretty JSON with sorted keys: the same journal range gives the same bytes.
    public func json() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self)) + [10]
    }

    /// The columns of the figures table, in order.
    public static let figureColumns = [
        "requestsSent", "requestsReceived", "answersSent", "answersReceived", "receiptsReceived", "documentsReceived", "refused",
        "jointEvents", "helpRecords", "peopleHelped", "answersToOurRequestsDue", "answersToOurRequestsOnTime", "answersToOurRequestsLate",
        "answersToOurRequestsOpen", "answersToOurRequestsPending", "answersToOurRequestsOnTimeRate", "ourAnswersDue", "ourAnswersOnTime",
        "ourAnswersLate", "ourAnswersOpen", "ourAnswersPending", "ourAnswersOnTimeRate",
    ]

    static func values(_ f: ReportFigures) -> [String] {
        func rate(_ r: Double?) -> String { r.map { String(format: "%.4f", $0) } ?? "" }
        let a = f.answersToOurRequests
        let o = f.ourAnswers
        return [
            f.requestsSent, f.requestsReceived, f.answersSent, f.answersReceived, f.receiptsReceived, f.documentsReceived, f.refused,
            f.jointEvents, f.helpRecords, f.peopleHelped, a.due, a.onTime, a.late, a.open, a.pending,
        ].map(String.init) + [rate(a.onTimeRate)] + [o.due, o.onTime, o.late, o.open, o.pending].map(String.init) + [rate(o.onTimeRate)]
    }

    /// CSV (RFC 4180, UTF-8): three tables separated by an empty line — the report's identity and
    /// journal range; the figures, the whole journal first (agency `*`) then each counterpart; the
    /// overdue requests.
    public func csv() -> [UInt8] {
        var lines: [String] = []
        func row(_ fields: [String]) { lines.append(fields.map(Self.csvField).joined(separator: ",")) }
        row(["report", "agency", "period", "year", "quarter", "from", "to", "asOf", "journalLastSeq", "journalLastHash", "personKeyIDs"])
        row([
            format, agency, period.kind.rawValue, String(period.year), period.quarter.map(String.init) ?? "", period.from, period.to, asOf,
            String(journal.lastSeq), journal.lastHash, personKeyIDs.joined(separator: " "),
        ])
        lines.append("")
        row(["agency", "name"] + Self.figureColumns)
        row(["*", agencyName + " (всего)"] + Self.values(totals))
        for line in counterparts { row([line.agency, line.name] + Self.values(line.figures)) }
        lines.append("")
        row([
            "number", "year", "direction", "counterpart", "counterpartName", "documentNumber", "deadline", "answeredOn", "daysOverdue",
            "workingDaysOverdue",
        ])
        for item in overdue {
            row([
                item.number, String(item.year), item.direction, item.counterpart, item.counterpartName, item.documentNumber ?? "",
                item.deadline,
                item.answeredOn ?? "",
                String(item.daysOverdue), String(item.workingDaysOverdue),
            ])
        }
        return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
