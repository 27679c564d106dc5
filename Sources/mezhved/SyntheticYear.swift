import ArgumentParser
import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments
import MezhvedGateway
import MezhvedRecords
import Synchronization

/// `mezhved synthetic-year` (hidden): a year of interagency traffic through real gateways, for the
/// reports' tests and figures (docs/reports.md). Not a tool for a production archive.
struct SyntheticYear: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synthetic-year",
        abstract: "Generates a year of traffic between test gateways through the real workflows (docs/reports.md).",
        discussion: """
            Creates in --out a gateway per agency (TEST keys from --root/Certificates, a new archive, data key, \
            and one person key shared by all), generated people (people.json: names and SNILS, the personal data \
            that must never reach a report), and then, working day by working day of --year on a simulated \
            clock: requests composed, numbered, signed and registered by the sender's outgoing workflow, received \
            by the recipient's incoming workflow (qualified validation, registration, signed receipt) and the \
            receipt received back; answers after 1–10 working days, some late, some never; joint events and help \
            records through the records module. Validation runs at the real time (the test CRL is newer than \
            the simulated year), so receipts carry the real time; the journals carry the simulated days.
            """,
        shouldDisplay: false)

    @Option(help: "A new (missing or empty) folder for the gateways.") var out: String
    @Option(help: "The simulated year.") var year: Int = 2025
    @Option(help: "Requests over the year.") var requests: Int = 3000
    @Option(help: "Joint events over the year (default: requests ÷ 12).") var jointEvents: Int?
    @Option(help: "Help records over the year (default: requests ÷ 3).") var helpRecords: Int?
    @Option(help: "Generated people.") var people: Int = 400
    @Option(help: "Children included in the hub's record of target-group children (default: people ÷ 10).") var children: Int?
    @Option(help: "Share of those children transferred to education's early-help organisation.") var transferShare: Double = 0.3
    @Option(help: "Share of requests answered late (after the deadline).") var lateShare: Double = 0.1
    @Option(help: "Share of requests never answered.") var unansweredShare: Double = 0.04
    @Option(help: "The agencies (the first is the hub: most traffic involves it, and it records the facts).")
    var agencies: String = "social-protection,health,education,employment,cszn"
    @Option(help: "The repository root (for Certificates/ and Samples/forms/).") var root: String = "."
    @Option(help: "The random seed (the same seed gives the same plan).") var seed: UInt64 = 18
    @Option(help: "Chains of work run at once within a day.") var width: Int = 4

    func validate() throws {
        if requests < 1 || people < 1 { throw ValidationError("--requests and --people must be at least 1") }
        if lateShare < 0 || unansweredShare < 0 || lateShare + unansweredShare > 1 {
            throw ValidationError("--late-share and --unanswered-share must be shares that add up to at most 1")
        }
        if FileManager.default.fileExists(atPath: out), !((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).isEmpty {
            throw ValidationError("--out \(out) exists and is not empty: give a new folder")
        }
        if width < 1 || width > 32 { throw ValidationError("--width must be 1 to 32") }
    }

    func run() async throws {
        let started = ContinuousClock.now
        let ids = agencies.split(separator: ",").map(String.init)
        guard ids.count >= 2 else { throw ValidationError("--agencies needs at least two agencies") }
        let root = URL(fileURLWithPath: self.root).standardizedFileURL.path
        let out = URL(fileURLWithPath: self.out).standardizedFileURL.path
        var random = SplitMix64(seed: seed)
        let calendar = try ProductionCalendar.bundled()
        var workingDays: [CalendarDay] = []
        var day = CalendarDay(year: year, month: 1, day: 1)!
        while day.year == year {
            if try calendar.isWorkingDay(day) { workingDays.append(day) }
            day = day.adding(days: 1)
        }
        let clock = SimulatedClock(start: Self.moment(workingDays[0], hour: 8))
        let world = try await SyntheticWorld.create(
            agencies: ids, out: out, root: root, created: Self.moment(CalendarDay(year: year, month: 1, day: 1)!, hour: 0), clock: clock)
        let population = SyntheticPeople.generate(count: people, random: &random)
        try writeOutput(try population.json(), to: out + "/people.json")

        let plan = try world.plan(
            requests: requests, jointEvents: jointEvents ?? max(1, requests / 12), helpRecords: helpRecords ?? max(1, requests / 3),
            people: population, workingDays: workingDays, calendar: calendar, lateShare: lateShare, unansweredShare: unansweredShare,
            children: children ?? max(1, people / 10), transferShare: transferShare, random: &random)
        try await world.prepareRegisters(on: workingDays[0])
        let tally = SyntheticCounter()
        for (index, day) in plan.days.enumerated() {
            clock.set(Self.moment(day, hour: 10))
            let work = plan.work[day] ?? []
            await withTaskGroup(of: Void.self) { group in
                var running = 0
                for item in work {
                    if running == width {
                        await group.next()
                        running -= 1
                    }
                    group.addTask {
                        do {
                            try await world.perform(item, on: day, tally: tally)
                        } catch {
                            tally.withLock { $0.failures.append("\(day.iso): \(item.label): \(error)") }
                        }
                    }
                    running += 1
                }
            }
            if index % 20 == 0 {
                let done = tally.withLock { $0.requestsSent }
                FileHandle.standardError.write(Data("synthetic-year: \(day.iso), \(done) requests sent\n".utf8))
            }
        }
        await world.finish()
        let seconds =
            Double((ContinuousClock.now - started).components.seconds)
            + Double((ContinuousClock.now - started).components.attoseconds) / 1e18
        let summary = tally.withLock { $0 }
        print("synthetic year \(year) in \(out): \(ids.count) gateways, \(population.people.count) people")
        print(
            "  requests sent \(summary.requestsSent), answers sent \(summary.answersSent), planned late \(plan.late), never answered \(plan.unanswered)"
        )
        print("  documents received \(summary.received), receipts received \(summary.receiptsReceived), quarantined \(summary.quarantined)")
        print("  joint events \(summary.jointEvents), help records \(summary.helpRecords) (\(summary.alreadyRecorded) already recorded)")
        print(
            "  children included \(summary.childrenIncluded), transferred \(summary.childrenTransferred), excluded at three \(summary.childrenExcluded)"
        )
        print(
            String(
                format: "  %.1f s, %.1f requests/s (each with its receipt, answer and the answer's receipt)", seconds,
                Double(summary.requestsSent) / seconds))
        for failure in summary.failures.prefix(20) { Output.error(failure) }
        if !summary.failures.isEmpty || summary.quarantined > 0 {
            throw SyntheticFailure("\(summary.failures.count) step(s) failed, \(summary.quarantined) document(s) quarantined")
        }
    }

    /// `hour`:00 Moscow time on `day`.
    static func moment(_ day: CalendarDay, hour: Int) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Moscow")!
        return calendar.date(from: DateComponents(year: day.year, month: day.month, day: day.day, hour: hour))!
    }
}

/// The clock every simulated archive writes its events with: a day's moment, a millisecond more at each read.
final class SimulatedClock: Sendable {
    private let now: Mutex<Date>
    init(start: Date) { now = Mutex(start) }
    func set(_ date: Date) { now.withLock { $0 = date } }
    func read() -> Date {
        now.withLock {
            $0 = $0.addingTimeInterval(0.001)
            return $0
        }
    }
    var archiveClock: ArchiveClock { ArchiveClock(name: "simulated") { [self] in read() } }
}

/// The counts of a simulation, shared by its tasks.
final class SyntheticCounter: Sendable {
    private let state = Mutex(SyntheticTally())
    func withLock<T>(_ body: (inout SyntheticTally) -> T) -> T { state.withLock { body(&$0) } }
}

struct SyntheticTally: Sendable {
    var requestsSent = 0
    var answersSent = 0
    var received = 0
    var receiptsReceived = 0
    var quarantined = 0
    var jointEvents = 0
    var helpRecords = 0
    var alreadyRecorded = 0
    var childrenIncluded = 0
    var childrenTransferred = 0
    var childrenExcluded = 0
    var failures: [String] = []
}

/// A seeded generator (SplitMix64): the same seed gives the same plan.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
