import Foundation
import MezhvedTestSupport
import Testing

/// `mezhved calendar show|deadline|import` run as real processes.
@Suite("mezhved calendar commands")
struct CalendarCLITests {
    static let fixture2025And2026 = TestProcess.path("Tests/Fixtures/calendar/ru-production-calendar-2025-2026.csv")
    /// TEST DATA, not the real 2027 calendar (see CalendarImportTests).
    static let illustrative2027 = TestProcess.path("Tests/Fixtures/calendar/illustrative-2027.csv")

    static func temporaryFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mezhved-calendar-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// 24 December 2026 + 5 working days: 25, 28, 29, 30 December; 31 December 2026 is a day off (decree
    /// No. 1466), 1–8 January 2027 holidays, 9–10 a weekend — Monday 11 January 2027, by the Labour Code.
    @Test("calendar deadline: the due date and weekday; provisional across New Year 2027, with a warning, exit 0")
    func deadline() async throws {
        let five = try await TestProcess.mezhved(["calendar", "deadline", "2026-12-24", "--working-days", "5"])
        #expect(five.status == 0, "\(five.stderr)")
        #expect(five.stdout.hasPrefix("2027-01-11 Monday — 5 working days after 2026-12-24\n"), "\(five.stdout)")
        #expect(five.stdout.contains("provisional: the production calendar for 2027 is not approved or not imported"))
        #expect(five.stdout.contains("Labour Code art. 112"))
        #expect(five.stderr.hasPrefix("mezhved: warning: the deadline 2027-01-11 is provisional"), "\(five.stderr)")

        let four = try await TestProcess.mezhved(["calendar", "deadline", "2026-12-24", "--working-days", "4"])
        #expect(four.status == 0)
        #expect(four.stdout == "2026-12-30 Wednesday — 4 working days after 2026-12-24\n", "\(four.stdout)")
        #expect(four.stderr.isEmpty, "\(four.stderr)")

        let json = try await TestProcess.mezhved(["calendar", "deadline", "2026-12-25", "--working-days", "10", "--json"])
        #expect(json.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["deadline"] as? String == "2027-01-19")
        #expect(object["weekday"] as? String == "Tuesday")
        #expect(object["provisional"] as? Bool == true)
        #expect(object["provisionalYears"] as? [Int] == [2027])

        let strict = try await TestProcess.mezhved([
            "calendar", "deadline", "2026-12-24", "--working-days", "5", "--calendar-fallback", "none",
        ])
        #expect(strict.status == 6)
        #expect(strict.stderr.contains("the production calendar has no data for 2027"))
        let bad = try await TestProcess.mezhved(["calendar", "deadline", "24.12.2026", "--working-days", "5"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("24.12.2026 is not a date YYYY-MM-DD"))
    }

    @Test("calendar import --into, then show and deadline read the file: 2027 official, the deadline final")
    func importIntoAFile() async throws {
        let folder = try Self.temporaryFolder()
        let calendar = folder + "/calendar.json"
        let imported = try await TestProcess.mezhved(["calendar", "import", Self.illustrative2027, "--into", calendar])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout == "IMPORTED 2027 into \(calendar): 247 working days, 118 non-working\n", "\(imported.stdout)")

        let deadline = try await TestProcess.mezhved(
            ["calendar", "deadline", "2026-12-25", "--working-days", "10", "--calendar", calendar, "--calendar-fallback", "none"])
        #expect(deadline.status == 0, "\(deadline.stderr)")
        #expect(deadline.stdout == "2027-01-20 Wednesday — 10 working days after 2026-12-25\n", "\(deadline.stdout)")

        let shown = try await TestProcess.mezhved(["calendar", "show", "--year", "2027", "--calendar", calendar])
        #expect(shown.status == 0)
        #expect(
            shown.stdout.hasPrefix("2027: official — open data: production calendar (data.gov.ru CSV), imported from illustrative-2027.csv")
        )
        #expect(shown.stdout.contains("2027-01-11  Mon  non-working  перенесённый выходной день"), "\(shown.stdout)")
        #expect(shown.stderr.isEmpty)

        // 2025 from the open-data file shows as the shipped year does.
        let only2025 = folder + "/2025.json"
        let partial = try await TestProcess.mezhved(["calendar", "import", Self.fixture2025And2026, "--year", "2025", "--into", only2025])
        #expect(partial.status == 0, "\(partial.stderr)")
        let fromCSV = try await TestProcess.mezhved(["calendar", "show", "--year", "2025", "--calendar", only2025, "--json"])
        let shipped = try await TestProcess.mezhved(["calendar", "show", "--year", "2025", "--json"])
        let csvYear = try #require(try JSONSerialization.jsonObject(with: Data(fromCSV.stdout.utf8)) as? [String: Any])
        let shippedYear = try #require(try JSONSerialization.jsonObject(with: Data(shipped.stdout.utf8)) as? [String: Any])
        #expect(csvYear["days"] as? [[String: AnyHashable]] == shippedYear["days"] as? [[String: AnyHashable]])
        #expect(csvYear["workingDays"] as? Int == 247 && shippedYear["workingDays"] as? Int == 247)
        #expect(shippedYear["source"] as? String == "Government decree No. 1335 of 04.10.2024")
    }

    @Test("calendar show of a year without data: provisional (Labour Code), a warning, exit 0")
    func showProvisional() async throws {
        let shown = try await TestProcess.mezhved(["calendar", "show", "--year", "2027"])
        #expect(shown.status == 0)
        #expect(shown.stdout.hasPrefix("2027: provisional (Labour Code) — Labour Code art. 112"), "\(shown.stdout)")
        #expect(shown.stdout.contains("working days: 249, non-working days: 116"))
        #expect(shown.stdout.contains("2027-05-10  Mon  non-working  перенесённый выходной день"))
        #expect(shown.stderr.contains("warning: provisional: the production calendar for 2027"))
        let strict = try await TestProcess.mezhved(["calendar", "show", "--year", "2027", "--calendar-fallback", "none"])
        #expect(strict.status == 6)
    }

    @Test("calendar import refuses a bad file (exit 3, naming file, row and column) and writes nothing")
    func importRefusals() async throws {
        let folder = try Self.temporaryFolder()
        let bad = folder + "/bad.csv"
        let text = try String(contentsOfFile: Self.illustrative2027, encoding: .utf8).replacingOccurrences(of: "11+", with: "41")
        try Data(text.utf8).write(to: URL(fileURLWithPath: bad))
        let calendar = folder + "/calendar.json"
        let refused = try await TestProcess.mezhved(["calendar", "import", bad, "--into", calendar])
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("\(bad) is malformed: row 2 (2027), column \"Январь\": \"41\" is not a day"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: calendar))
        let noTarget = try await TestProcess.mezhved(["calendar", "import", Self.illustrative2027])
        #expect(noTarget.status == 64)
        #expect(noTarget.stderr.contains("--into FILE"))
        let missingYear = try await TestProcess.mezhved(["calendar", "import", Self.illustrative2027, "--year", "2028", "--into", calendar])
        #expect(missingYear.status == 6)
        #expect(missingYear.stderr.contains("has no row for 2028"), "\(missingYear.stderr)")
    }
}
