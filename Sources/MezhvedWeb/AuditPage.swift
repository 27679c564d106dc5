import Foundation
import Hummingbird
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments
import MezhvedGateway
import MezhvedRecords

/// `/ui/audit`: the auditor's desk — the archive audit run on demand (the same call as
/// `POST /api/v1/audit` and `mezhved archive audit`) in the background with its progress, its
/// result per item, the checkpoint history,
/// and the year's figures from ``ReportBuilder`` as SVG charts (documents per month, per
/// counterpart, the on-time rate).
extension WebSite {
    struct AuditModel {
        struct Result {
            let passed: Bool
            let clean: Bool
            let summary: String
            let findings: [String]
            let policyFindings: [String]
            let notes: [String]
            let documents: [DocumentRow]
            let more: String?
            let documentCount: Int
        }

        struct DocumentRow {
            let number: String
            let href: String
            let level: String
            let status: String
            let ok: Bool
            let problems: String
        }

        struct CheckpointRow {
            let seq: String
            let time: String
            let count: String
            let head: String
        }

        let csrf: String
        let year: String
        let result: Result?
        /// The run asked for (`?run=`), or the one running.
        let progress: AuditProgress?
        let failure: String?
        /// An audit is running (the start button is hidden: starting would only join it).
        let running: Bool
        /// `?run=` names a run no longer kept (the server restarted, or another audit ran since).
        let runGone: Bool
        let checkpoints: [CheckpointRow]
        let checkpointTotal: String
        let months: BarChart
        let counterparts: BarChart
        let onTime: BarChart
        let figures: [String]
    }

    /// Starts the archive audit in the background (or joins the one running) and sends the browser
    /// to its progress: `/ui/audit?run=ID` reloads itself each second until the result is there.
    func runAudit<Context: WebRequestContext>(_ request: Request, context: Context, person: SignedInPerson) async throws -> Response {
        let (run, started) = audits.begin(by: person.name)
        if started {
            let (runs, gateway, dataKey, logger, caller) = (
                audits, gateway, archive.registrar.dataKey, context.logger, "\(person.name) (\(person.role))"
            )
            Task {
                do {
                    let report = try await gateway.auditArchive(dataKey: dataKey) { done, total in
                        runs.progress(run.id, done: done, total: total)
                    }
                    logger.notice("audit run", metadata: ["caller": "\(caller)", "passed": "\(report.passed)"])
                    runs.finish(run.id, result: Self.auditResult(report))
                } catch {
                    logger.error("audit failed", metadata: ["caller": "\(caller)", "error": "\(error)"])
                    runs.finish(run.id, result: nil, failure: "Аудит не выполнен: \(DocumentText.cut("\(error)"))")
                }
            }
        }
        return Self.redirect("/ui/audit?run=\(run.id)")
    }

    static func auditResult(_ report: AuditReport) -> AuditModel.Result {
        let shown = report.documents.prefix(500)
        return AuditModel.Result(
            passed: report.passed, clean: report.clean,
            summary:
                "Событий журнала: \(report.events), объектов: \(report.objects), контрольных точек: \(report.checkpoints), документов: \(report.documents.count).",
            findings: report.findings.map(\.description), policyFindings: report.policyFindings.map(\.description), notes: report.notes,
            documents: shown.map {
                AuditModel.DocumentRow(
                    number: $0.number, href: Self.documentLink(year: $0.year, number: $0.number), level: $0.signature.level.rawValue,
                    status: $0.signature.status, ok: $0.signature.problems.isEmpty, problems: $0.signature.problems.joined(separator: "; "))
            },
            more: report.documents.count > shown.count ? "Показаны первые \(shown.count) из \(report.documents.count)." : nil,
            documentCount: report.documents.count)
    }

    /// What the desk says of an audit run: how far it has got, or why there is no result.
    struct AuditProgress {
        let running: Bool
        let determinate: Bool
        let done: String
        let total: String
        let text: String
        let startedBy: String
        let link: String
    }

    static func progress(of run: AuditRuns.Run) -> AuditProgress {
        let percent = run.total > 0 ? Int((Double(run.done) / Double(run.total) * 100).rounded(.down)) : 0
        let text =
            run.total == 0
            ? "Читаются журнал и контрольные точки…"
            : "Проверено документов: \(run.done) из \(run.total) (\(percent) %)"
        return AuditProgress(
            running: !run.finished, determinate: run.total > 0, done: String(run.done), total: String(run.total), text: text,
            startedBy: "\(run.startedBy), \(RussianWords.time(run.startedAt))", link: "/ui/audit?run=\(run.id)")
    }

    func auditDesk(_ request: Request, person: SignedInPerson) async throws -> Response {
        let asked = request.uri.queryParameters["run"].map(String.init)
        let run = asked.flatMap { audits.run($0) } ?? (asked == nil ? audits.current : nil)
        let today = ISOTime.agencyDayString(Date())
        let currentYear = Int(today.prefix(4)) ?? 2026
        let year = request.uri.queryParameters["year"].flatMap { Int($0) }.map { min(max($0, 2000), currentYear) } ?? currentYear
        let period = try ReportPeriod.year(year)
        let asOf = CalendarDay(iso: min(today, "\(year)-12-31")) ?? CalendarDay(iso: today)!
        let report = try await gateway.reportBuilder(over: archive).build(period, asOf: asOf)
        let stored = try await archive.storage.checkpoints.all()
        let checkpoints = stored.suffix(20).reversed().map {
            AuditModel.CheckpointRow(
                seq: String($0.checkpoint.seq),
                time: ISOTime.dateOrDay($0.checkpoint.time).map(RussianWords.time) ?? $0.checkpoint.time,
                count: String($0.checkpoint.count), head: String($0.checkpoint.head.prefix(16)) + "…")
        }
        let monthNames = ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"]
        let months = BarChart(
            title: "Документы по месяцам: получено документов и информации / направлено запросов",
            labels: report.months.map { monthNames[(Int($0.month.suffix(2)) ?? 1) - 1] },
            series: [
                .init(name: "получено", cssClass: "s1", values: report.months.map(\.documentsReceived)),
                .init(name: "запросов направлено", cssClass: "s2", values: report.months.map(\.requestsSent)),
            ])
        let counterparts = BarChart(
            title: "Документы по участникам взаимодействия (получено / направлено запросов)",
            labels: report.counterparts.map { gateway.documents.directory.agency(id: $0.agency)?.shortName ?? $0.name },
            series: [
                .init(name: "получено", cssClass: "s1", values: report.counterparts.map(\.figures.documentsReceived)),
                .init(name: "запросов направлено", cssClass: "s2", values: report.counterparts.map(\.figures.requestsSent)),
            ], horizontal: true)
        let rates = [report.totals.answersToOurRequests.onTimeRate, report.totals.ourAnswers.onTimeRate]
        let onTime = BarChart(
            title: "Доля ответов в срок, %",
            labels: ["ответы на наши запросы", "наши ответы"],
            series: [
                .init(
                    name: "в срок, %", cssClass: "s3", values: rates.map { Int((($0 ?? 0) * 100).rounded()) },
                    texts: rates.map { $0 == nil ? "нет оценки" : "\(Int((($0 ?? 0) * 100).rounded())) %" })
            ], horizontal: true,
            maximum: 100)
        let t = report.totals
        let figures = [
            "Запросов направлено: \(t.requestsSent); получено: \(t.requestsReceived)",
            "Ответов направлено: \(t.answersSent); получено: \(t.answersReceived)",
            "Документов и информации получено: \(t.documentsReceived); отказов: \(t.refused)",
            "Совместных мероприятий: \(t.jointEvents); граждан получили помощь: \(t.peopleHelped)",
            "Просроченных запросов: \(report.overdue.count)",
        ]
        let model = AuditModel(
            csrf: person.csrfToken, year: String(year), result: run?.result, progress: run.map(Self.progress(of:)), failure: run?.failure,
            running: audits.current != nil,
            runGone: asked != nil && run == nil, checkpoints: Array(checkpoints),
            checkpointTotal: String(stored.count),
            months: months, counterparts: counterparts, onTime: onTime, figures: figures)
        let refreshing = asked != nil && run?.finished == false
        return respond("audit", model, title: "Аудит", person: person, refresh: refreshing ? 1 : nil)
    }
}

/// A bar chart as SVG geometry for the `chart` template: every coordinate computed here, every
/// label escaped by the template.
struct BarChart {
    struct Series {
        let name: String
        let cssClass: String
        let values: [Int]
        /// What each bar says, when not its value (nil: the values).
        var texts: [String]? = nil
    }

    struct Bar {
        let x: String
        let y: String
        let width: String
        let height: String
        let cssClass: String
        let tip: String
        let valueX: String
        let valueY: String
        let value: String
    }

    struct Label {
        let x: String
        let y: String
        let text: String
        let anchor: String
    }

    struct Legend {
        let name: String
        let cssClass: String
        let x: String
    }

    let title: String
    let width: String
    let height: String
    let viewBox: String
    let bars: [Bar]
    let labels: [Label]
    let legend: [Legend]
    let empty: Bool

    init(title: String, labels: [String], series: [Series], horizontal: Bool = false, maximum: Int? = nil) {
        self.title = title
        let top = max(maximum ?? 0, series.flatMap(\.values).max() ?? 0, 1)
        empty = series.allSatisfy { $0.values.allSatisfy { $0 == 0 } } && maximum == nil
        var bars: [Bar] = []
        var texts: [Label] = []
        func f(_ value: Double) -> String { String(format: "%.1f", value) }
        if horizontal {
            let labelWidth = 180.0
            let plot = 190.0
            let row = 14.0 * Double(series.count) + 12
            let chartHeight = Double(labels.count) * row + 30
            width = "420"
            height = f(chartHeight)
            viewBox = "0 0 420 \(f(chartHeight))"
            for (index, label) in labels.enumerated() {
                let y = 24 + Double(index) * row
                texts.append(
                    Label(x: f(labelWidth - 6), y: f(y + 10), text: label.count > 26 ? label.prefix(25) + "…" : label, anchor: "end"))
                for (s, serie) in series.enumerated() {
                    let value = index < serie.values.count ? serie.values[index] : 0
                    let length = plot * Double(value) / Double(top)
                    let barY = y + Double(s) * 14
                    bars.append(
                        Bar(
                            x: f(labelWidth), y: f(barY), width: f(max(length, 0.5)), height: "12", cssClass: serie.cssClass,
                            tip: "\(label): \(serie.name) — \(value)", valueX: f(labelWidth + length + 4), valueY: f(barY + 10),
                            value: serie.texts.map { index < $0.count ? $0[index] : "" } ?? String(value)))
                }
            }
        } else {
            let plotHeight = 160.0
            let group = 31.0
            let chartWidth = max(Double(labels.count) * group + 16, 300)
            width = f(chartWidth)
            height = "220"
            viewBox = "0 0 \(f(chartWidth)) 220"
            let barWidth = (group - 8) / Double(max(series.count, 1))
            for (index, label) in labels.enumerated() {
                let x = 10 + Double(index) * group
                texts.append(Label(x: f(x + (group - 8) / 2), y: "212", text: label, anchor: "middle"))
                for (s, serie) in series.enumerated() {
                    let value = index < serie.values.count ? serie.values[index] : 0
                    let barHeight = plotHeight * Double(value) / Double(top)
                    let barX = x + Double(s) * barWidth
                    bars.append(
                        Bar(
                            x: f(barX), y: f(190 - barHeight), width: f(barWidth - 1), height: f(max(barHeight, 0.5)),
                            cssClass: serie.cssClass, tip: "\(label): \(serie.name) — \(value)", valueX: f(barX + (barWidth - 1) / 2),
                            valueY: f(186 - barHeight), value: value == 0 ? "" : String(value)))
                }
            }
        }
        self.bars = bars
        self.labels = texts
        legend = series.enumerated().map { Legend(name: $0.element.name, cssClass: $0.element.cssClass, x: String(10 + $0.offset * 150)) }
    }
}
