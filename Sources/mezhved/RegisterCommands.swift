import ArgumentParser
import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments
import MezhvedGateway
import MezhvedRecords

/// `mezhved register early-help …`: the register of early-help organisations (459-р cl. 1.4 item 1).
struct RegisterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register", abstract: "The registers of the regulations (docs/reports.md).",
        subcommands: [EarlyHelpRegisterCommand.self, ChildrenRegisterCommand.self])
}

struct EarlyHelpRegisterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "early-help",
        abstract: "The register of organisations providing early help (459-р cl. 1.4 item 1): include, exclude, export as open data.",
        subcommands: [EarlyHelpChange.self, EarlyHelpExport.self])
}

struct EarlyHelpChange: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "change", abstract: "Includes an organisation of the directory in the register, or excludes it (--exclude).")

    @OptionGroup var gateway: GatewayOption
    @Argument(help: "The organisation's directory id.") var organisation: String
    @Flag(help: "Exclude it instead of including it.") var exclude = false
    @Option(help: "The day of the decision (default: today).") var date: String?
    @Option(help: "The decision (order number and date).") var decision: String?

    func run() async throws {
        let today = CalendarDay(agencyDay: Date())
        var day = today
        if let date {
            guard let parsed = CalendarDay(iso: date) else { throw ValidationError("--date \(date) is not a date such as 2026-03-02") }
            day = parsed
        }
        let opened = try gateway.open()
        let archive = try await opened.openArchiveForCommand()
        let register = EarlyHelpRegister(registrar: archive.registrar, directory: opened.documents.directory)
        let fact = try await register.change(organisation, include: !exclude, date: day, decision: decision, today: today)
        await archive.registrar.finishBackgroundWork()
        print(
            "\(exclude ? "EXCLUDED" : "INCLUDED") \(organisation) on \(day.iso), log entry \(fact.seq)"
                + (decision.map { ", decision \($0)" } ?? ""))
    }
}

struct EarlyHelpExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "The register on a day as open data (CSV or JSON): public requisites only, no person.")

    @OptionGroup var gateway: GatewayOption
    @Option(help: "csv or json.") var format: String = "csv"
    @Option(name: .shortAndLong, help: "Write to this file (default: standard output).") var output: String?
    @Option(name: .customLong("as-of"), help: "The day (default: today).") var asOf: String?

    func validate() throws {
        if format != "csv" && format != "json" { throw ValidationError("--format must be csv or json") }
    }

    func run() async throws {
        var day = CalendarDay(agencyDay: Date())
        if let asOf {
            guard let parsed = CalendarDay(iso: asOf) else { throw ValidationError("--as-of \(asOf) is not a date such as 2026-03-02") }
            day = parsed
        }
        let opened = try gateway.open()
        let archive = try await opened.openArchiveForCommand()
        let entries = try await EarlyHelpRegister(registrar: archive.registrar, directory: opened.documents.directory).entries(on: day)
        try writeDocument(format == "csv" ? EarlyHelpRegister.csv(entries) : try EarlyHelpRegister.json(entries, on: day), to: output)
    }
}
