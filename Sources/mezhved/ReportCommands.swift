import ArgumentParser
import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments
import MezhvedGateway
import MezhvedRecords

/// `mezhved report …`: the evaluation's figures from the journal and the records (docs/reports.md).
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Quarterly and yearly evaluation reports from the journal and the records (docs/reports.md).",
        subcommands: [ReportQuarterly.self, ReportYearly.self, ReportNote.self])
}

enum ReportFormat: String, ExpressibleByArgument, CaseIterable { case json, csv, html }

struct ReportOutputOptions: ParsableArguments {
    @OptionGroup var gateway: GatewayOption
    @Option(help: "json, csv or html.") var format: ReportFormat = .json
    @Option(name: .shortAndLong, help: "Write the report to this file (default: standard output).") var output: String?
    @Option(name: .customLong("as-of"), help: "The day unanswered requests are judged on (default: today, Moscow time).")
    var asOf: String?

    func asOfDay() throws -> CalendarDay {
        guard let asOf else { return CalendarDay(agencyDay: Date()) }
        guard let day = CalendarDay(iso: asOf) else { throw ValidationError("--as-of \(asOf) is not a date such as 2026-12-31") }
        return day
    }

    func run(_ period: ReportPeriod) async throws {
        let asOf = try asOfDay()
        let opened = try gateway.open()
        let archive = try await opened.openArchiveForCommand()
        let report = try await opened.reportBuilder(over: archive).build(period, asOf: asOf)
        let bytes: [UInt8]
        switch format {
        case .json: bytes = try report.json()
        case .csv: bytes = report.csv()
        case .html: bytes = Array(ReportPage.html(report).utf8)
        }
        try writeDocument(bytes, to: output)
        if let output {
            print(
                "report \(period.title) of \(report.agency) written to \(output) (journal up to log entry \(report.journal.lastSeq), "
                    + "head \(report.journal.lastHash.prefix(16))…)")
        }
    }
}

struct ReportQuarterly: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarterly", abstract: "The report of one quarter (562 cl. 3.5).")
    @Option(help: "The year.") var year: Int
    @Option(help: "The quarter, 1 to 4.") var quarter: Int
    @OptionGroup var options: ReportOutputOptions

    func run() async throws { try await options.run(try ReportPeriod.quarter(quarter, of: year)) }
}

struct ReportYearly: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "yearly", abstract: "The report of one year: the evaluation by the three criteria (562 cl. 6.2; 459-р cl. 4.1–4.2).")
    @Option(help: "The year.") var year: Int
    @OptionGroup var options: ReportOutputOptions

    func run() async throws { try await options.run(try ReportPeriod.year(year)) }
}
