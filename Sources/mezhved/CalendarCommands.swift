import ArgumentParser
import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments
import MezhvedGateway

/// `mezhved calendar …`: the production calendar, working-day deadlines, and the import of a year
/// from the government's open data (docs/calendar.md).
struct CalendarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendar", abstract: "The production calendar: days off, deadlines, and importing a year (see docs/calendar.md).",
        subcommands: [CalendarShow.self, CalendarDeadline.self, CalendarImport.self])
}

/// `--calendar FILE` and `--calendar-fallback`: which calendar, and what a year without data is.
struct CalendarChoice: ParsableArguments {
    @Option(help: "A production calendar file (JSON) adding or replacing years of the bundled one (for example 2027).")
    var calendar: String?

    @Option(
        name: .customLong("calendar-fallback"),
        help: """
            For a year the calendar does not cover: labour-code (the default: Labour Code art. 112, the answer marked provisional) \
            or none (an error).
            """)
    var calendarFallback: String = ProductionCalendar.Fallback.labourCode.rawValue

    func validate() throws {
        if ProductionCalendar.Fallback(rawValue: calendarFallback) == nil {
            throw ValidationError("--calendar-fallback must be labour-code or none")
        }
    }

    var fallback: ProductionCalendar.Fallback { ProductionCalendar.Fallback(rawValue: calendarFallback) ?? .labourCode }

    func load() throws -> ProductionCalendar { try ProductionCalendar.bundled(adding: calendar) }
}

struct CalendarShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Lists a year's holidays, moved days off and working weekend days, with the totals and where the data comes from.",
        discussion: "A year the calendar does not cover is shown as computed by the Labour Code, marked provisional (exit 0, a warning).")

    @Option(help: "The year (default: this year, Moscow time).") var year: Int?
    @OptionGroup var choice: CalendarChoice
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let calendar = try choice.load()
        let year = self.year ?? CalendarDay(Date(), in: TimeZone(identifier: "Europe/Moscow") ?? .gmt).year
        let view = try calendar.view(ofYear: year, fallback: choice.fallback)
        if view.isProvisional {
            Output.warning(ProductionCalendar.provisionalNote(years: [year]))
        }
        if json {
            print(try CalendarJSON.text(CalendarJSON.Year(view)))
            return
        }
        let status = view.isProvisional ? "provisional (Labour Code)" : "official"
        print("\(year): \(status) — \(view.source)")
        print("working days: \(view.workingDayCount), non-working days: \(view.nonWorkingDayCount)")
        for special in view.specialDays {
            let (what, name): (String, String)
            switch special.kind {
            case .holiday(let holiday): (what, name) = ("non-working", holiday)
            case .workingWeekend(let reason): (what, name) = ("working", reason)
            case .working, .weekend: continue
            }
            print(
                "\(special.day.iso)  \(special.day.weekdayName.prefix(3))  \(what.padding(toLength: 11, withPad: " ", startingAt: 0))  \(name)"
            )
        }
    }
}

struct CalendarDeadline: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deadline",
        abstract: "Prints the day N working days after DAY (DAY not counted): a response deadline, and whether it is provisional.",
        discussion: """
            A deadline that runs into a year the calendar does not cover is counted by the Labour Code (art. 112) and \
            printed as provisional (exit 0, a warning on standard error); with --calendar-fallback none it is an error (exit 6).
            """)

    @Argument(help: "The day counted from, YYYY-MM-DD (for a request: its registration date).") var day: String
    @Option(name: .customLong("working-days"), help: "How many working days (regulation 562 clause 3.4: 10).") var workingDays: Int
    @OptionGroup var choice: CalendarChoice
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if CalendarDay(iso: day) == nil { throw ValidationError("\(day) is not a date YYYY-MM-DD") }
        if workingDays < 0 { throw ValidationError("--working-days cannot be negative") }
    }

    func run() throws {
        guard let start = CalendarDay(iso: day) else { throw ValidationError("\(day) is not a date YYYY-MM-DD") }
        let deadline = try choice.load().deadline(workingDays: workingDays, after: start, fallback: choice.fallback)
        if let note = deadline.provisionalNote { Output.warning("the deadline \(deadline.day.iso) is \(note)") }
        if json {
            print(try CalendarJSON.text(CalendarJSON.Deadline(deadline)))
            return
        }
        print("\(deadline.day.iso) \(deadline.day.weekdayName) — \(workingDays) working days after \(start.iso)")
        if let note = deadline.provisionalNote { print(note) }
    }
}

struct CalendarImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Imports years from the government's open-data production calendar (CSV) into a mezhved calendar file.",
        discussion: """
            FILE is the CSV of the data.gov.ru dataset "Производственный календарь" (one row per year). The years are written \
            into the calendar file --into (created, or merged: its other years are kept), atomically, mode 0644. With --gateway, \
            the file is the one the configuration's documents.calendar names, and every open request of the gateway's journal \
            whose deadline is provisional gets it computed again; the journal records each change.
            """)

    @Argument(help: "The open-data CSV file.") var file: String
    @Option(help: "Import only this year (repeatable; default: every year of the file).") var year: [Int] = []
    @Option(help: "The mezhved calendar file (JSON) to write; with --gateway, default its documents.calendar.") var into: String?
    @OptionGroup var gateway: GatewayOption
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if into == nil && gateway.path == nil {
            throw ValidationError("give the calendar file to write with --into FILE (or --gateway CONFIG to use its documents.calendar)")
        }
    }

    func run() async throws {
        var imported = try ProductionCalendarCSV.load(contentsOf: file, years: year.isEmpty ? nil : Set(year))
        if !year.isEmpty { imported = try imported.keeping(years: year, source: file) }
        let target: String
        if gateway.path != nil {
            target = try ProvisionalDeadlines.calendarFile(of: try gateway.configuration(), into: into)
        } else {
            guard let into else { throw ValidationError("give the calendar file to write with --into FILE") }
            target = into
        }
        let toImport = imported
        let written = try await offThePool { try ProductionCalendar.importing(toImport, into: target) }
        var changes: [DeadlineChange] = []
        if gateway.path != nil {
            // Opened on the calendar as imported: the recomputation takes the imported years out itself.
            let opened = try gateway.open()
            let archive = try await opened.openArchiveForCommand()
            changes = try await ProvisionalDeadlines(gateway: opened, registrar: archive.registrar).recompute(
                after: imported, source: (file as NSString).lastPathComponent)
            await archive.registrar.finishBackgroundWork()
        }
        let views = try imported.coveredYears.map { try written.view(ofYear: $0) }
        if json {
            print(try CalendarJSON.text(CalendarJSON.Import(file: target, years: views, changes: changes)))
            return
        }
        for view in views {
            print(
                "IMPORTED \(view.year) into \(target): \(view.workingDayCount) working days, \(view.nonWorkingDayCount) non-working")
        }
        for change in changes {
            let still = change.provisional ? " (still provisional)" : ""
            print(
                "RECOMPUTED \(change.entry.number) (\(change.entry.year)): deadline \(change.previousDeadline) → \(change.deadline)\(still)"
            )
        }
        if gateway.path != nil && changes.isEmpty { print("no open request had a provisional deadline to recompute") }
    }
}

/// The JSON the calendar commands print.
enum CalendarJSON {
    struct Day: Encodable {
        let date: String
        let weekday: String
        let working: Bool
        let name: String
    }

    struct Year: Encodable {
        let year: Int
        let source: String
        let provisional: Bool
        let workingDays: Int
        let nonWorkingDays: Int
        let days: [Day]

        init(_ view: ProductionCalendar.YearView) {
            year = view.year
            source = view.source
            provisional = view.isProvisional
            workingDays = view.workingDayCount
            nonWorkingDays = view.nonWorkingDayCount
            days = view.specialDays.map { special in
                let name: String
                switch special.kind {
                case .holiday(let text), .workingWeekend(let text): name = text
                case .working, .weekend: name = ""
                }
                return Day(date: special.day.iso, weekday: special.day.weekdayName, working: special.kind.isWorking, name: name)
            }
        }
    }

    struct Deadline: Encodable {
        let from: String
        let workingDays: Int
        let deadline: String
        let weekday: String
        let provisional: Bool
        let provisionalYears: [Int]
        let note: String?

        init(_ deadline: ProductionCalendar.Deadline) {
            from = deadline.start.iso
            workingDays = deadline.workingDays
            self.deadline = deadline.day.iso
            weekday = deadline.day.weekdayName
            provisional = deadline.isProvisional
            provisionalYears = deadline.provisionalYears
            note = deadline.provisionalNote
        }
    }

    struct Change: Encodable {
        let number: String
        let year: Int
        let previousDeadline: String
        let deadline: String
        let provisional: Bool
    }

    struct Import: Encodable {
        let file: String
        let years: [Year]
        let recomputed: [Change]

        init(file: String, years: [ProductionCalendar.YearView], changes: [DeadlineChange]) {
            self.file = file
            self.years = years.map(Year.init)
            recomputed = changes.map {
                Change(
                    number: $0.entry.number, year: $0.entry.year, previousDeadline: $0.previousDeadline, deadline: $0.deadline,
                    provisional: $0.provisional)
            }
        }
    }

    static func text(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
