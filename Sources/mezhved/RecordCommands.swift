import ArgumentParser
import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments
import MezhvedGateway
import MezhvedRecords

/// `mezhved record …`: the facts the evaluation counts that are not documents (docs/reports.md).
struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record", abstract: "Records joint events and help provided, people by keyed hash of SNILS only (docs/reports.md).",
        subcommands: [RecordEvent.self, RecordHelp.self])
}

struct RecordEvent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "event",
        abstract: "Records a joint event (562 cl. 3.1: joint visit, individual programme, collegial meeting) from a YAML/JSON form.",
        discussion: "Prints what was recorded, without personal data. The same event recorded again is kept once (ALREADY RECORDED).")

    @OptionGroup var gateway: GatewayOption
    @Argument(help: "The form (Samples/records/joint-event.yaml), or - for standard input.") var form: String

    func run() async throws {
        let (bytes, name) = try readInput(form)
        let draft = try RecordForms.jointEvent(bytes, source: name)
        let opened = try gateway.open()
        let archive = try await opened.openArchiveForCommand()
        let outcome = try await opened.recorder(over: archive).record(draft, today: CalendarDay(agencyDay: Date()))
        await archive.registrar.finishBackgroundWork()
        let fact = outcome.fact.record
        print(
            "\(outcome.alreadyRecorded ? "ALREADY RECORDED" : "RECORDED") log entry \(outcome.fact.seq): joint event \(fact.kind) on "
                + "\(fact.date), agencies \(fact.agencies.joined(separator: ", ")), \(fact.people.count) \(fact.people.count == 1 ? "person" : "people")"
                + (fact.reference.map { ", reference \($0)" } ?? ""))
    }
}

struct RecordHelp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "help",
        abstract: "Records help provided to one person (562 cl. 6.2; 459-р cl. 4.1) from a YAML/JSON form.",
        discussion: "Prints what was recorded, without personal data. The same record again is kept once (ALREADY RECORDED).")

    @OptionGroup var gateway: GatewayOption
    @Argument(help: "The form (Samples/records/help-provided.yaml), or - for standard input.") var form: String

    func run() async throws {
        let (bytes, name) = try readInput(form)
        let draft = try RecordForms.help(bytes, source: name)
        let opened = try gateway.open()
        let archive = try await opened.openArchiveForCommand()
        let outcome = try await opened.recorder(over: archive).record(draft, today: CalendarDay(agencyDay: Date()))
        await archive.registrar.finishBackgroundWork()
        let fact = outcome.fact.record
        print(
            "\(outcome.alreadyRecorded ? "ALREADY RECORDED" : "RECORDED") log entry \(outcome.fact.seq): \(fact.kind) help by "
                + "\(fact.agencies.joined(separator: ", ")) on \(fact.date) to 1 person"
                + (fact.reference.map { ", reference \($0)" } ?? ""))
    }
}

extension CalendarDay {
    /// The agencies' (Moscow) day of a moment.
    init(agencyDay date: Date) {
        let day = ISOTime.agencyDay(date)
        self = CalendarDay(year: day.year, month: day.month, day: day.day)!
    }
}
