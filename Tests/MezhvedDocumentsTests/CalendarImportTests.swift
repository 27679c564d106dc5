import Foundation
import MezhvedDocuments
import MezhvedTestSupport
import Testing

/// A day from its ISO form; the tests' dates are all valid.
private func day(_ iso: String) -> CalendarDay {
    guard let day = CalendarDay(iso: iso) else { fatalError("bad test date \(iso)") }
    return day
}

/// Every day of `year`, in order.
private func days(of year: Int) -> [CalendarDay] {
    var result: [CalendarDay] = []
    var current = day("\(year)-01-01")
    while current.year == year {
        result.append(current)
        current = current.adding(days: 1)
    }
    return result
}

/// The open-data CSV of 2025 and 2026 (BOM, CRLF, quoted month cells, the hours columns), written from the
/// shipped calendar's days: what the proof compares.
private let fixture2025And2026 = TestProcess.path("Tests/Fixtures/calendar/ru-production-calendar-2025-2026.csv")
/// TEST DATA, not the real 2027 calendar: Labour Code art. 112 plus two made-up moved days off, Monday 11
/// January and Friday 31 December (LF line ends, no BOM).
private let illustrative2027 = TestProcess.path("Tests/Fixtures/calendar/illustrative-2027.csv")

private let header =
    "Год/Месяц,Январь,Февраль,Март,Апрель,Май,Июнь,Июль,Август,Сентябрь,Октябрь,Ноябрь,Декабрь,Всего рабочих дней,Всего праздничных и выходных дней"

/// The error `body` throws, which must be a ``DocumentError``.
private func documentError(_ body: () throws -> Void) -> DocumentError? {
    do {
        try body()
        Issue.record("no error thrown")
        return nil
    } catch let error as DocumentError {
        return error
    } catch {
        Issue.record("not a DocumentError: \(error)")
        return nil
    }
}

private func parse(_ text: String) throws -> ProductionCalendar {
    try ProductionCalendarCSV.parse(data: Data(text.utf8), source: "test.csv", yearSource: "test")
}

private func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("mezhved-\(UUID().uuidString)-\(name)").path
}

@Suite struct CalendarImportTests {
    let bundled: ProductionCalendar

    init() throws {
        bundled = try ProductionCalendar.bundled()
    }

    // MARK: The proof: the open-data CSV gives the shipped calendar

    /// Every day of 2025 and 2026 is the same kind of day — working or not, and with the same name — from the
    /// open-data CSV as from the shipped JSON.
    @Test(arguments: [2025, 2026]) func csvImportEqualsTheShippedCalendar(year: Int) throws {
        let imported = try ProductionCalendarCSV.load(contentsOf: fixture2025And2026)
        #expect(imported.coveredYears == [2025, 2026])
        var working = 0
        for date in days(of: year) {
            let expected = try bundled.kind(of: date)
            let got = try imported.kind(of: date)
            #expect(got == expected, "\(date.iso)")
            #expect(got.isWorking == expected.isWorking, "\(date.iso)")
            if got.isWorking { working += 1 }
        }
        #expect(working == 247)
        #expect(imported.source(ofYear: year)?.contains("ru-production-calendar-2025-2026.csv") == true)
        // And the deadlines computed over it are the same.
        for start in stride(from: 0, to: 365, by: 7) {
            let from = day("\(year)-01-01").adding(days: start)
            #expect(
                try imported.deadline(workingDays: 10, after: from, fallback: .labourCode)
                    == bundled.deadline(workingDays: 10, after: from, fallback: .labourCode))
        }
    }

    @Test func csvForms() throws {
        let row2027 = try String(contentsOfFile: illustrative2027, encoding: .utf8).split(separator: "\n")[1]
        let year = try parse("\(header)\n\(row2027)\n")
        #expect(try year.kind(of: day("2027-01-11")) == .holiday("перенесённый выходной день"))
        #expect(try year.kind(of: day("2027-05-10")) == .holiday("перенесённый выходной день"))
        #expect(try year.kind(of: day("2027-05-09")) == .holiday("День Победы"))
        #expect(try year.kind(of: day("2027-02-22")) == .working, "22* is a shortened working day")
        // Semicolons, reordered and missing total columns, blank lines, LF or CR line ends: the same days.
        let cells = try #require(CSVFixture.cells(of: String(row2027)))
        let months = Array(cells[1...12])
        let reordered =
            "Декабрь;Год/Месяц;"
            + ["Январь", "Февраль", "Март", "Апрель", "Май", "Июнь", "Июль", "Август", "Сентябрь", "Октябрь", "Ноябрь"]
            .joined(separator: ";") + "\r" + "\"\(months[11])\";2027;" + months[0..<11].map { "\"\($0)\"" }.joined(separator: ";") + "\r\r"
        let other = try parse(reordered)
        for date in days(of: 2027) { #expect(try other.kind(of: date) == year.kind(of: date), "\(date.iso)") }
        // A Saturday not listed is a working weekend day.
        let saturday = try parse(
            "\(header)\n2025,\"1\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",,\n")
        #expect(try saturday.kind(of: day("2025-01-04")) == .workingWeekend("перенесённый рабочий день"))
        #expect(try saturday.kind(of: day("2025-01-01")) == .holiday("Новогодние каникулы"))
    }

    @Test func badCSVIsRefusedWithWhereAndWhat() throws {
        let good = "2027,\"1,2,3\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\""
        let cases: [(String, [String])] = [
            ("", ["test.csv", "is empty"]),
            ("Year,Jan\n2027,1\n", ["row 1 (the header)", "Год/Месяц"]),
            (header.replacingOccurrences(of: ",Май", with: ",Mai") + "\n", ["no column \"Май\""]),
            ("\(header)\n", ["no year's row"]),
            ("\(header)\n27,\"1\"\n", ["row 2", "\"27\" is not a four-digit year"]),
            ("\(header)\n\(good.replacingOccurrences(of: "1,2,3", with: "1,2,32"))\n", ["row 2 (2027)", "\"Январь\"", "\"32\""]),
            ("\(header)\n\(good.replacingOccurrences(of: "1,2,3", with: "1,2,2"))\n", ["the day 2 is listed twice"]),
            ("\(header)\n\(good.replacingOccurrences(of: "1,2,3", with: "1,x"))\n", ["\"x\" is not a day"]),
            ("\(header)\n\(good)\n\(good)\n", ["row 3", "the year 2027 is given twice"]),
            ("\(header)\n2027,\"1,2\n", ["not closed"]),
            ("\(header)\n2027,\"1\"x,\"\"\n", ["after the closing quote"]),
            ("\(header)\n2027,\"1\",\"\"\n", ["row 2 (2027), column \"Март\"", "the row ends"]),
            ("\(header)\n\(good),300,65\n", ["\"Всего рабочих дней\"", "the total is 300, but the month columns give 362"]),
        ]
        for (text, expected) in cases {
            let error = try #require(documentError { _ = try parse(text) }, "\(text)")
            #expect(error.code == .malformedData)
            for part in expected { #expect(error.message.contains(part), "\(error.message) — expected \(part)") }
            #expect(error.hint != nil)
        }
        // A damaged row of another year does not stop the import of the year asked for.
        let damaged = "\(header)\n2020,\"1,2,99\"\n\(good)\n"
        #expect(documentError { _ = try parse(damaged) }?.message.contains("row 2 (2020)") == true)
        let only2027 = try ProductionCalendarCSV.parse(data: Data(damaged.utf8), source: "test.csv", yearSource: "test", years: [2027])
        #expect(only2027.coveredYears == [2027])
        let none = try #require(
            documentError { _ = try ProductionCalendarCSV.parse(data: Data(damaged.utf8), source: "t.csv", yearSource: "", years: [2028]) })
        #expect(none.code == .calendarNotCovered && none.message.contains("t.csv has no row for 2028"))
        let latin1 = Data([0xC7, 0xEE, 0xE4, 0x0A])
        let notUTF8 = try #require(
            documentError { _ = try ProductionCalendarCSV.parse(data: latin1, source: "cp1251.csv", yearSource: "") })
        #expect(notUTF8.message.contains("cp1251.csv is malformed: it is not UTF-8 text"))
        let missing = try #require(documentError { _ = try ProductionCalendarCSV.load(contentsOf: "/nonexistent/calendar.csv") })
        #expect(missing.code == .unreadableInput)
        #expect(missing.message.contains("/nonexistent/calendar.csv: it does not exist"))
    }

    // MARK: Provisional deadlines

    /// Checked by hand against the shipped calendar: 25, 28, 29, 30 December 2026 count; 31 December 2026 is a
    /// day off by decree No. 1466 and 1–8 January 2027 are holidays, 9–10 January a weekend: the fifth working
    /// day is Monday 11 January 2027 — by the Labour Code, so provisional. Four working days stay in 2026.
    @Test func deadlinesAcrossNewYearAreProvisional() throws {
        let five = try bundled.deadline(workingDays: 5, after: day("2026-12-24"), fallback: .labourCode)
        #expect(five.day == day("2027-01-11"))
        #expect(five.isProvisional && five.provisionalYears == [2027])
        #expect(five.provisionalNote?.contains("the production calendar for 2027 is not approved or not imported") == true)
        let four = try bundled.deadline(workingDays: 4, after: day("2026-12-24"), fallback: .labourCode)
        #expect(four.day == day("2026-12-30") && !four.isProvisional && four.provisionalNote == nil)
        #expect(try bundled.addingWorkingDays(5, to: day("2026-12-24"), fallback: .labourCode) == five.day)
        let strict = try #require(documentError { _ = try bundled.deadline(workingDays: 5, after: day("2026-12-24")) })
        #expect(strict.code == .calendarNotCovered)

        // Ten working days after 25 December 2026: 19 January by the Labour Code; with the (illustrative) 2027
        // imported, whose 11 January is a day off, 20 January, and final.
        let provisional = try bundled.deadline(workingDays: 10, after: day("2026-12-25"), fallback: .labourCode)
        #expect(provisional.day == day("2027-01-19") && provisional.isProvisional)
        let with2027 = bundled.merging(try ProductionCalendarCSV.load(contentsOf: illustrative2027))
        let official = try with2027.deadline(workingDays: 10, after: day("2026-12-25"), fallback: .none)
        #expect(official.day == day("2027-01-20") && !official.isProvisional)
        #expect(with2027.removing(years: [2027]).coveredYears == [2025, 2026])
        #expect(with2027.uncoveredYears(from: day("2026-12-25"), to: day("2028-01-20")) == [2028])
        #expect(ProductionCalendar.provisionalNoteRussian(years: [2027]).contains("производственный календарь на 2027 год не утверждён"))
    }

    @Test func yearViews() throws {
        let official = try bundled.view(ofYear: 2025)
        #expect(!official.isProvisional && official.workingDayCount == 247 && official.nonWorkingDayCount == 118)
        #expect(official.specialDays.contains { $0.day == day("2025-11-01") && $0.kind == .workingWeekend("перенесённый рабочий день") })
        let provisional = try bundled.view(ofYear: 2027, fallback: .labourCode)
        #expect(provisional.isProvisional && provisional.workingDayCount == 249 && provisional.source.contains("Labour Code"))
        #expect(provisional.specialDays.contains { $0.day == day("2027-05-10") })
        #expect(documentError { _ = try bundled.view(ofYear: 2027) }?.code == .calendarNotCovered)
    }

    // MARK: Writing the calendar file

    @Test func importingIntoAFileCreatesMergesAndRepeats() throws {
        let path = temporaryPath("calendar.json")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let written = try ProductionCalendar.importing(try ProductionCalendarCSV.load(contentsOf: illustrative2027), into: path)
        #expect(written.coveredYears == [2027])
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode == 0o644)
        let first = try Data(contentsOf: URL(fileURLWithPath: path))
        // The file is a calendar file of the documented format, and the commands' --calendar reads it.
        let loaded = try ProductionCalendar.load(contentsOf: path)
        for date in days(of: 2027) { #expect(try loaded.kind(of: date) == written.kind(of: date)) }
        // Importing 2025–2026 keeps 2027; importing 2027 again gives the same bytes.
        let merged = try ProductionCalendar.importing(try ProductionCalendarCSV.load(contentsOf: fixture2025And2026), into: path)
        #expect(merged.coveredYears == [2025, 2026, 2027])
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        _ = try ProductionCalendar.importing(try ProductionCalendarCSV.load(contentsOf: illustrative2027), into: path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "importing the same year again changes nothing")
        #expect(try ProductionCalendar.load(contentsOf: path).coveredYears == [2025, 2026, 2027])
        #expect(first.count > 100)
        // The shipped calendar written out and read back is the same, day by day.
        let copy = temporaryPath("bundled.json")
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try bundled.write(to: copy)
        let reread = try ProductionCalendar.load(contentsOf: copy)
        for year in [2025, 2026] {
            for date in days(of: year) { #expect(try reread.kind(of: date) == bundled.kind(of: date)) }
        }
        // Only some years of a file.
        let only2026 = try ProductionCalendarCSV.load(contentsOf: fixture2025And2026).keeping(years: [2026], source: "f.csv")
        #expect(only2026.coveredYears == [2026])
        let absent = try #require(
            documentError { _ = try ProductionCalendarCSV.load(contentsOf: fixture2025And2026).keeping(years: [2028], source: "f.csv") })
        #expect(absent.message.contains("f.csv has no data for 2028 (it has 2025–2026)"))
    }

    @Test func aBrokenTargetFileIsLeftAlone() throws {
        let path = temporaryPath("broken.json")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: path))
        let error = try #require(
            documentError { _ = try ProductionCalendar.importing(try ProductionCalendarCSV.load(contentsOf: illustrative2027), into: path) }
        )
        #expect(error.code == .malformedData)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{not json")
        let folder = FileManager.default.temporaryDirectory.path
        let intoFolder = try #require(
            documentError {
                _ = try ProductionCalendar.importing(try ProductionCalendarCSV.load(contentsOf: illustrative2027), into: folder)
            })
        #expect(intoFolder.message.contains("it is a folder"))
    }
}

/// Reads the cells of one CSV row of the fixtures (quoted cells hold commas).
enum CSVFixture {
    static func cells(of row: String) -> [String]? {
        var cells: [String] = []
        var current = ""
        var quoted = false
        for character in row {
            switch character {
            case "\"": quoted.toggle()
            case "," where !quoted:
                cells.append(current)
                current = ""
            default: current.append(character)
            }
        }
        cells.append(current)
        return cells.count >= 13 ? cells : nil
    }
}
