import Foundation
import MezhvedDocuments
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

/// The ranges of FACTS.md ("Working-day calendar") as written there: every non-working day of the year,
/// weekends included.
private func factsNonWorkingDays(_ year: Int) -> Set<CalendarDay> {
    let ranges: [(String, String)]
    switch year {
    case 2025:
        ranges = [
            ("01-01", "01-08"), ("02-22", "02-23"), ("03-08", "03-09"), ("05-01", "05-04"), ("05-08", "05-11"),
            ("06-12", "06-15"), ("11-02", "11-04"), ("12-31", "12-31"),
        ]
    case 2026:
        ranges = [
            ("01-01", "01-11"), ("02-21", "02-23"), ("03-07", "03-09"), ("05-01", "05-03"), ("05-09", "05-11"),
            ("06-12", "06-14"), ("11-04", "11-04"), ("12-31", "12-31"),
        ]
    default: return []
    }
    var result: Set<CalendarDay> = []
    for (first, last) in ranges {
        var current = day("\(year)-\(first)")
        while current <= day("\(year)-\(last)") {
            result.insert(current)
            current = current.adding(days: 1)
        }
    }
    return result
}

/// A temporary file holding `text`, removed by the caller.
private func temporaryFile(_ text: String, name: String = "calendar") throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("mezhved-\(name)-\(UUID().uuidString).json").path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

/// The error `body` throws, which must be a ``DocumentError``.
private func documentError(_ body: () throws -> Void) -> DocumentError? {
    do {
        try body()
        return nil
    } catch let error as DocumentError {
        return error
    } catch {
        Issue.record("not a DocumentError: \(error)")
        return nil
    }
}

/// A calendar file whose only year, 2027, has the entries `body` (a JSON object's inside).
private func fileWith2027(_ body: String) -> String {
    #"{"format":"mezhved-production-calendar/1","country":"RU","years":{"2027":{"# + body + "}}}"
}

/// A user's calendar file for 2027. TEST DATA, not the real 2027 calendar (no decree yet): Jan 1–8 off, plus
/// Monday Jan 11 as a made-up moved day off, so that results differ from the Labour Code fallback.
private let user2027 = """
    {
        "format": "mezhved-production-calendar/1",
        "country": "RU",
        "years": {
            "2027": {
                "source": "test data (not a real decree)",
                "nonWorkingDays": {
                    "2027-01-01": "Новогодние каникулы", "2027-01-02": "Новогодние каникулы",
                    "2027-01-03": "Новогодние каникулы", "2027-01-04": "Новогодние каникулы",
                    "2027-01-05": "Новогодние каникулы", "2027-01-06": "Новогодние каникулы",
                    "2027-01-07": "Рождество Христово", "2027-01-08": "Новогодние каникулы",
                    "2027-01-11": "перенесённый выходной день"
                }
            }
        }
    }
    """

@Suite struct CalendarTests {
    let calendar: ProductionCalendar

    init() throws {
        calendar = try ProductionCalendar.bundled()
    }

    // MARK: The bundled data

    @Test func bundledYearsAndSources() {
        #expect(calendar.coveredYears == [2025, 2026])
        #expect(calendar.source(ofYear: 2025)?.contains("1335") == true)
        #expect(calendar.source(ofYear: 2026)?.contains("1466") == true)
        #expect(calendar.source(ofYear: 2027) == nil)
    }

    /// The official totals: 247 working and 118 non-working days in both years.
    @Test(arguments: [2025, 2026]) func officialTotals(year: Int) throws {
        let working = try days(of: year).filter { try calendar.isWorkingDay($0) }.count
        #expect(working == 247)
        #expect(days(of: year).count - working == 118)
        #expect(try calendar.workingDays(after: day("\(year - 1)-12-31"), through: day("\(year)-12-31")) == 247)
    }

    /// Every day of the year agrees with the ranges of FACTS.md (and Saturday 2025-11-01 is working).
    @Test(arguments: [2025, 2026]) func everyDayMatchesTheDecree(year: Int) throws {
        let nonWorking = factsNonWorkingDays(year)
        let workingWeekends: Set<CalendarDay> = year == 2025 ? [day("2025-11-01")] : []
        for date in days(of: year) {
            let expected = workingWeekends.contains(date) || (!nonWorking.contains(date) && !date.isWeekend)
            #expect(try calendar.isWorkingDay(date) == expected, "\(date)")
        }
    }

    @Test func specificDays() throws {
        #expect(try calendar.kind(of: day("2025-05-02")) == .holiday("перенесённый выходной день"))
        #expect(try calendar.kind(of: day("2025-11-01")) == .workingWeekend("перенесённый рабочий день"))
        #expect(try calendar.kind(of: day("2025-11-03")) == .holiday("перенесённый выходной день"))
        #expect(try calendar.kind(of: day("2025-11-04")) == .holiday("День народного единства"))
        #expect(try calendar.kind(of: day("2025-12-31")) == .holiday("перенесённый выходной день"))
        #expect(try calendar.kind(of: day("2026-01-07")) == .holiday("Рождество Христово"))
        #expect(try calendar.kind(of: day("2026-01-09")) == .holiday("перенесённый выходной день"))
        #expect(try calendar.kind(of: day("2026-01-10")) == .weekend)
        #expect(try calendar.kind(of: day("2026-01-12")) == .working)
        #expect(try calendar.isWorkingDay(day("2026-01-12")))
        #expect(try !calendar.isWorkingDay(day("2026-05-11")))
        #expect(try calendar.isWorkingDay(day("2025-03-10")))  // 8 March 2025 was a Saturday; the decree moved it to 13 June
    }

    // MARK: Deadlines

    /// 10 (and 1) working days after a day, checked against an independent count over the FACTS.md ranges.
    @Test(arguments: [
        ("2025-12-25", "2026-01-20", "2025-12-26"),  // across the New Year holidays and 31 December
        ("2025-12-30", "2026-01-23", "2026-01-12"),  // the next working day is 12 January
        ("2025-04-28", "2025-05-16", "2025-04-29"),  // across the May holidays
        ("2025-04-30", "2025-05-20", "2025-05-05"),
        ("2025-06-11", "2025-06-27", "2025-06-16"),  // across the moved day off 2025-06-13
        ("2025-10-30", "2025-11-14", "2025-10-31"),  // the working Saturday 1 November, then 3–4 November off
        ("2026-03-06", "2026-03-23", "2026-03-10"),  // from a Friday, across the moved 9 March
        ("2026-05-08", "2026-05-25", "2026-05-12"),  // from a Friday, across the moved 11 May
        ("2026-01-05", "2026-01-23", "2026-01-12"),  // from a holiday
        ("2025-11-04", "2025-11-18", "2025-11-05"),  // from a holiday
    ])
    func deadline(from: String, tenDays: String, oneDay: String) throws {
        #expect(try calendar.addingWorkingDays(10, to: day(from)) == day(tenDays))
        #expect(try calendar.addingWorkingDays(1, to: day(from)) == day(oneDay))
        #expect(try calendar.workingDays(after: day(from), through: day(tenDays)) == 10)
    }

    @Test func zeroAndNegativeCounts() throws {
        #expect(try calendar.addingWorkingDays(0, to: day("2026-01-03")) == day("2026-01-03"))
        let error = documentError { _ = try calendar.addingWorkingDays(-1, to: day("2026-01-12")) }
        #expect(error?.code == .malformedData)
        #expect(error?.message.contains("negative") == true)
    }

    @Test func workingDaysBetween() throws {
        #expect(try calendar.workingDays(after: day("2025-12-31"), through: day("2026-01-31")) == 15)
        #expect(try calendar.workingDays(after: day("2026-01-31"), through: day("2025-12-31")) == -15)
        #expect(try calendar.workingDays(after: day("2026-01-12"), through: day("2026-01-12")) == 0)
        #expect(try calendar.workingDays(after: day("2024-12-31"), through: day("2026-12-31")) == 494)
    }

    // MARK: Years without data

    @Test func uncoveredYearIsAnError() {
        let error = documentError { _ = try calendar.addingWorkingDays(10, to: day("2026-12-25")) }
        #expect(error?.code == .calendarNotCovered)
        #expect(error?.message == "the production calendar has no data for 2027 (it covers 2025–2026)")
        #expect(error?.hint?.contains("--calendar") == true)
        #expect(documentError { _ = try calendar.kind(of: day("2024-12-31")) }?.message.contains("2024") == true)
        // Inside 2026 the answer needs no 2027 data.
        #expect(throws: Never.self) { try calendar.addingWorkingDays(1, to: day("2026-12-25")) }
    }

    @Test func labourCodeFallback() throws {
        // 28–30 Dec, (31 Dec off, 1–8 Jan holidays, 9–10 Jan weekend), 11–15 and 18–19 Jan.
        #expect(try calendar.addingWorkingDays(10, to: day("2026-12-25"), fallback: .labourCode) == day("2027-01-19"))
        #expect(try calendar.addingWorkingDays(1, to: day("2026-12-30"), fallback: .labourCode) == day("2027-01-11"))
        #expect(try calendar.kind(of: day("2027-01-08"), fallback: .labourCode) == .holiday("Новогодние каникулы"))
        #expect(try calendar.kind(of: day("2027-01-09"), fallback: .labourCode) == .weekend)
        // January holidays on a weekend (2 and 3 Jan 2027) are not moved by the fallback.
        #expect(try calendar.kind(of: day("2027-01-11"), fallback: .labourCode) == .working)
        // 1 May 2027 is a Saturday, 9 May a Sunday, 12 June a Saturday: the days off move to Monday.
        #expect(try !calendar.isWorkingDay(day("2027-05-03"), fallback: .labourCode))
        #expect(try !calendar.isWorkingDay(day("2027-05-10"), fallback: .labourCode))
        #expect(try !calendar.isWorkingDay(day("2027-06-14"), fallback: .labourCode))
        #expect(try calendar.isWorkingDay(day("2027-05-04"), fallback: .labourCode))
        #expect(try calendar.isWorkingDay(day("2027-12-31"), fallback: .labourCode))  // only a decree makes it a day off
        #expect(try calendar.workingDays(after: day("2026-12-31"), through: day("2027-12-31"), fallback: .labourCode) == 249)
        // The fallback never overrides data: 2026 keeps its decree days.
        #expect(try calendar.isWorkingDay(day("2026-12-31"), fallback: .labourCode) == false)
        #expect(try calendar.isWorkingDay(day("2026-01-09"), fallback: .labourCode) == false)
    }

    /// The fallback alone, for a year whose decree is known, shows what the decree changes: 2025's
    /// 23 February (Sunday) and 8 March (Saturday) move to the next Monday, not to 8 May and 13 June.
    @Test func labourCodeFallbackOnAKnownYear() throws {
        let empty = try ProductionCalendar.load(
            data: Data(
                #"{"format":"mezhved-production-calendar/1","country":"RU","years":{"2030":{"source":"x","nonWorkingDays":{}}}}"#.utf8),
            source: "inline")
        #expect(try !empty.isWorkingDay(day("2025-02-24"), fallback: .labourCode))
        #expect(try !empty.isWorkingDay(day("2025-03-10"), fallback: .labourCode))
        #expect(try empty.isWorkingDay(day("2025-05-08"), fallback: .labourCode))
        #expect(try empty.isWorkingDay(day("2025-11-01"), fallback: .labourCode) == false)  // no working Saturdays
    }

    @Test func usesFallback() {
        #expect(!calendar.usesFallback(from: day("2025-01-01"), to: day("2026-12-31")))
        #expect(calendar.usesFallback(from: day("2026-12-25"), to: day("2027-01-19")))
        #expect(calendar.usesFallback(from: day("2027-01-19"), to: day("2026-12-25")))
        #expect(calendar.usesFallback(from: day("2024-12-31"), to: day("2025-01-10")))
    }

    // MARK: User files

    @Test func userFileAdds2027() throws {
        let path = try temporaryFile(user2027)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let merged = calendar.merging(try ProductionCalendar.load(contentsOf: path))
        #expect(merged.coveredYears == [2025, 2026, 2027])
        #expect(!merged.usesFallback(from: day("2026-12-25"), to: day("2027-01-20")))
        // The user's moved day off (11 Jan) counts: one day later than the Labour Code fallback's 19 January.
        #expect(try merged.addingWorkingDays(10, to: day("2026-12-25")) == day("2027-01-20"))
        #expect(try merged.kind(of: day("2027-01-11")) == .holiday("перенесённый выходной день"))
        #expect(try merged.kind(of: day("2026-01-09")) == .holiday("перенесённый выходной день"))  // bundled years kept
        #expect(documentError { _ = try merged.kind(of: day("2028-01-10")) }?.message.contains("2025–2027") == true)
    }

    @Test func userFileReplacesAYear() throws {
        let replacement = try ProductionCalendar.load(
            data: Data(
                #"""
                {"format":"mezhved-production-calendar/1","country":"RU","years":{
                  "2026":{"source":"test","nonWorkingDays":{"2026-12-30":"test day off"}},
                  "2028":{"source":"test","nonWorkingDays":{}}}}
                """#.utf8),
            source: "replacement.json")
        let merged = calendar.merging(replacement)
        #expect(try !merged.isWorkingDay(day("2026-12-30")))
        #expect(try merged.isWorkingDay(day("2026-12-31")))  // 2026 is taken whole from the other calendar
        #expect(try calendar.isWorkingDay(day("2026-12-30")))  // the original is unchanged
        #expect(documentError { _ = try merged.kind(of: day("2027-01-11")) }?.message.contains("it covers 2025–2026, 2028") == true)
    }

    @Test(arguments: [
        ("not json", "not valid JSON"),
        (#"[1, 2]"#, "top level"),
        (#"{"format":"mezhved-production-calendar/2","country":"RU","years":{}}"#, "mezhved-production-calendar/2"),
        (#"{"format":"mezhved-production-calendar/1","country":"BY","years":{"2025":{}}}"#, "\"BY\""),
        (#"{"format":"mezhved-production-calendar/1","country":"RU","years":{}}"#, "no year"),
        (#"{"format":"mezhved-production-calendar/1","country":"RU","years":{"27":{"source":"x","nonWorkingDays":{}}}}"#, "years.27"),
        (fileWith2027(#""nonWorkingDays":{}"#), "years.2027.source"),
        (fileWith2027(#""source":"x""#), "years.2027.nonWorkingDays"),
        (fileWith2027(#""source":"x","nonWorkingDays":{"2027-02-30":"x"}"#), "2027-02-30"),
        (fileWith2027(#""source":"x","nonWorkingDays":{"2027-1-08":"x"}"#), "2027-1-08"),
        (fileWith2027(#""source":"x","nonWorkingDays":{"2028-01-03":"x"}"#), "years.2027.nonWorkingDays.2028-01-03"),
        (fileWith2027(#""source":"x","nonWorkingDays":{"2027-01-03":5}"#), "years.2027.nonWorkingDays.2027-01-03"),
        (fileWith2027(#""source":"x","nonWorkingDays":{"2027-11-06":"a"},"workingDays":{"2027-11-06":"b"}"#), "2027-11-06 is listed both"),
        (fileWith2027(#""source":"x","nonWorkingDays":{},"workingDays":{"2027-11-05":"b"}"#), "years.2027.workingDays.2027-11-05"),
    ])
    func malformedFile(text: String, offending: String) throws {
        let path = try temporaryFile(text, name: "malformed")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = documentError { _ = try ProductionCalendar.load(contentsOf: path) }
        #expect(error?.code == .malformedData)
        #expect(error?.message.contains(path) == true, "\(String(describing: error))")
        #expect(error?.message.contains(offending) == true, "\(String(describing: error))")
    }

    @Test func missingFile() {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mezhved-no-such-calendar-\(UUID().uuidString).json").path
        let error = documentError { _ = try ProductionCalendar.load(contentsOf: path) }
        #expect(error?.code == .unreadableInput)
        #expect(error?.message.contains(path) == true)
    }

    // MARK: CalendarDay

    @Test func calendarDayParsingAndArithmetic() throws {
        #expect(CalendarDay(iso: "2026-03-02")?.iso == "2026-03-02")
        #expect(CalendarDay(iso: "2024-02-29") != nil)
        #expect(CalendarDay(iso: "2025-02-29") == nil)
        #expect(CalendarDay(iso: "2025-13-01") == nil)
        #expect(CalendarDay(iso: "2025-1-01") == nil)
        #expect(CalendarDay(iso: "2025-01-01T00:00") == nil)
        #expect(CalendarDay(iso: "+025-01-01") == nil)
        #expect(CalendarDay(year: 2025, month: 4, day: 31) == nil)
        #expect(CalendarDay(year: 2026, month: 3, day: 2) == day("2026-03-02"))
        #expect(day("2026-03-02").weekday == 1)
        #expect(day("2025-11-01").weekday == 6)
        #expect(day("2026-03-08").weekday == 7)
        #expect(day("1970-01-01").weekday == 4)
        #expect(day("2025-12-31").adding(days: 1) == day("2026-01-01"))
        #expect(day("2024-02-28").adding(days: 1) == day("2024-02-29"))
        #expect(day("2026-03-01").adding(days: -1) == day("2026-02-28"))
        #expect(day("2000-01-01").adding(days: 366 + 365 * 26 + 6) == day("2027-01-01"))
        #expect(day("2025-12-31") < day("2026-01-01"))
        #expect(day("2026-01-31") < day("2026-02-01"))
        #expect("\(day("2026-01-12"))" == "2026-01-12")
    }

    @Test func calendarDayCodable() throws {
        let encoded = try JSONEncoder().encode([day("2026-01-12")])
        #expect(String(decoding: encoded, as: UTF8.self) == #"["2026-01-12"]"#)
        #expect(try JSONDecoder().decode([CalendarDay].self, from: encoded) == [day("2026-01-12")])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([CalendarDay].self, from: Data(#"["2026-02-30"]"#.utf8)) }
    }

    @Test func calendarDayFromAMoment() throws {
        let moscow = try #require(TimeZone(identifier: "Europe/Moscow"))
        let moment = Date(timeIntervalSince1970: 1_767_220_200)  // 2025-12-31T22:30:00Z = 2026-01-01 01:30 in Moscow
        #expect(CalendarDay(moment, in: moscow) == day("2026-01-01"))
        #expect(CalendarDay(moment, in: try #require(TimeZone(identifier: "UTC"))) == day("2025-12-31"))
    }
}
