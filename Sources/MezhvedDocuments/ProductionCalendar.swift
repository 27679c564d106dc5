import Foundation

/// The Russian production calendar: which days are working days, year by year, from data
/// (the bundled `ru-production-calendar.json`, a file of the same format, or years imported from the
/// government's open data with ``ProductionCalendarCSV``; see docs/calendar.md), and working-day arithmetic
/// over it, such as the 10-working-day response deadline of regulation 562, clause 3.4.
///
/// A year the data does not cover is an error (``DocumentError/Code/calendarNotCovered``), never a silent
/// guess — unless the caller allows the Labour Code fallback (``Fallback/labourCode``), whose answers are
/// provisional (``Deadline/isProvisional``).
public struct ProductionCalendar: Sendable {
    /// What to do about a year the calendar's data does not cover.
    public enum Fallback: String, Sendable, CaseIterable {
        /// Refuse: ``DocumentError/Code/calendarNotCovered``.
        case none
        /// Compute the year from Labour Code art. 112 alone: its public holidays, with a holiday on a Saturday
        /// or Sunday moving the day off to the next working day (except the January holidays, whose moves a
        /// decree sets and the fallback cannot know); no working Saturdays. The yearly decree's moves are
        /// missing, so the result is an approximation, *provisional*: callers say that it was used
        /// (``ProductionCalendar/deadline(workingDays:after:fallback:)`` returns which years it counted).
        case labourCode = "labour-code"
    }

    /// One year's data.
    struct Year: Sendable {
        /// Where the year's data comes from (the decree).
        var source: String
        /// Non-working days that are not ordinary weekend days, with their names.
        var nonWorkingDays: [CalendarDay: String]
        /// Saturdays and Sundays that are working days, with their names.
        var workingDays: [CalendarDay: String]

        func kind(of day: CalendarDay) -> DayKind {
            if let name = workingDays[day] { return .workingWeekend(name) }
            if let name = nonWorkingDays[day] { return .holiday(name) }
            return day.isWeekend ? .weekend : .working
        }
    }

    /// The format tag a calendar file must carry.
    public static let formatTag = "mezhved-production-calendar/1"

    /// The years of the data, by number.
    let years: [Int: Year]

    init(years: [Int: Year]) {
        self.years = years
    }

    // MARK: Questions

    /// The years the data covers, in order.
    public var coveredYears: [Int] { years.keys.sorted() }

    /// Where the data of `year` comes from (the decree, as the file says), or `nil` when the year is not covered.
    public func source(ofYear year: Int) -> String? { years[year]?.source }

    /// What `day` is. Throws ``DocumentError/Code/calendarNotCovered`` for a year the data does not cover,
    /// unless `fallback` allows the Labour Code.
    public func kind(of day: CalendarDay, fallback: Fallback = .none) throws -> DayKind {
        try year(day.year, fallback: fallback).kind(of: day)
    }

    /// Whether `day` is a working day (see ``kind(of:fallback:)``).
    public func isWorkingDay(_ day: CalendarDay, fallback: Fallback = .none) throws -> Bool {
        try kind(of: day, fallback: fallback).isWorking
    }

    /// The date `count` working days after `day` (`day` itself not counted), e.g. a response deadline:
    /// 10 working days after the day a request was received. `count` 0 gives `day` itself.
    /// ``deadline(workingDays:after:fallback:)`` gives the same day and says whether it is provisional.
    ///
    /// Throws ``DocumentError/Code/malformedData`` for a negative count, and
    /// ``DocumentError/Code/calendarNotCovered`` when the count runs into a year the data does not cover
    /// (unless `fallback` allows the Labour Code).
    public func addingWorkingDays(_ count: Int, to day: CalendarDay, fallback: Fallback = .none) throws -> CalendarDay {
        try deadline(workingDays: count, after: day, fallback: fallback).day
    }

    /// The day `count` working days after `day` (`day` itself not counted), with the years whose days were
    /// counted by the Labour Code because the data does not cover them: a deadline that is *provisional*
    /// until those years are imported (``Deadline/isProvisional``). `count` 0 gives `day` itself.
    ///
    /// Throws as ``addingWorkingDays(_:to:fallback:)`` does.
    public func deadline(workingDays count: Int, after day: CalendarDay, fallback: Fallback = .none) throws -> Deadline {
        guard count >= 0 else {
            throw DocumentError(.malformedData, "a working-day count cannot be negative (got \(count))")
        }
        var resolver = YearResolver(calendar: self, fallback: fallback)
        var current = day
        var remaining = count
        while remaining > 0 {
            current = current.adding(days: 1)
            if try resolver.year(current.year).kind(of: current).isWorking { remaining -= 1 }
        }
        return Deadline(start: day, day: current, workingDays: count, provisionalYears: resolver.fallbackYears.sorted())
    }

    /// The number of working days in (`from`, `to`]: after `from`, up to and including `to` — for a deadline
    /// `d = addingWorkingDays(n, to: from)`, this gives `n` back for `to: d`. When `to` is before `from`, the
    /// result is negative: minus the working days in (`to`, `from`].
    ///
    /// Throws ``DocumentError/Code/calendarNotCovered`` when a day counted is in a year the data does not cover
    /// (unless `fallback` allows the Labour Code).
    public func workingDays(after from: CalendarDay, through to: CalendarDay, fallback: Fallback = .none) throws -> Int {
        if to < from { return -(try workingDays(after: to, through: from, fallback: fallback)) }
        var resolver = YearResolver(calendar: self, fallback: fallback)
        var count = 0
        var current = from
        while current < to {
            current = current.adding(days: 1)
            if try resolver.year(current.year).kind(of: current).isWorking { count += 1 }
        }
        return count
    }

    /// Whether any year from `from`'s through `to`'s (in either order) is not covered by the data, so that an
    /// answer about those days would use the fallback (or fail without it) — callers should then say so.
    public func usesFallback(from: CalendarDay, to: CalendarDay) -> Bool {
        let first = min(from.year, to.year)
        let last = max(from.year, to.year)
        return (first...last).contains { years[$0] == nil }
    }

    // MARK: Years

    func year(_ year: Int, fallback: Fallback) throws -> Year {
        if let data = years[year] { return data }
        switch fallback {
        case .labourCode:
            return ProductionCalendar.labourCodeYear(year)
        case .none:
            throw DocumentError(
                .calendarNotCovered,
                "the production calendar has no data for \(year) (it covers \(ProductionCalendar.describe(coveredYears)))",
                hint: "add the year to a calendar file given with --calendar, or allow --calendar-fallback labour-code")
        }
    }

    /// Year data for a stretch of days, computed once per year; notes the years the fallback gave.
    private struct YearResolver {
        let calendar: ProductionCalendar
        let fallback: Fallback
        var cached: (number: Int, data: Year)?
        var fallbackYears: Set<Int> = []

        mutating func year(_ number: Int) throws -> Year {
            if let cached, cached.number == number { return cached.data }
            let data = try calendar.year(number, fallback: fallback)
            if calendar.years[number] == nil { fallbackYears.insert(number) }
            cached = (number, data)
            return data
        }
    }

    /// "2025–2026", "2025–2026, 2028", "no year".
    static func describe(_ years: [Int]) -> String {
        guard var start = years.first else { return "no year" }
        var ranges: [String] = []
        var end = start
        for year in years.dropFirst() {
            if year == end + 1 {
                end = year
                continue
            }
            ranges.append(start == end ? "\(start)" : "\(start)–\(end)")
            start = year
            end = year
        }
        ranges.append(start == end ? "\(start)" : "\(start)–\(end)")
        return ranges.joined(separator: ", ")
    }

    /// The public holidays of Labour Code art. 112 in `year`, with their official names.
    static func labourCodeHolidays(_ year: Int) -> [CalendarDay: String] {
        var holidays: [CalendarDay: String] = [:]
        func add(_ month: Int, _ day: Int, _ name: String) {
            if let date = CalendarDay(year: year, month: month, day: day) { holidays[date] = name }
        }
        for day in [1, 2, 3, 4, 5, 6, 8] { add(1, day, "Новогодние каникулы") }
        add(1, 7, "Рождество Христово")
        add(2, 23, "День защитника Отечества")
        add(3, 8, "Международный женский день")
        add(5, 1, "Праздник Весны и Труда")
        add(5, 9, "День Победы")
        add(6, 12, "День России")
        add(11, 4, "День народного единства")
        return holidays
    }

    /// The year from Labour Code art. 112 alone (see ``Fallback/labourCode``).
    static func labourCodeYear(_ year: Int) -> Year {
        let holidays = labourCodeHolidays(year)
        var nonWorking = holidays
        for holiday in holidays.keys.sorted() where holiday.month != 1 && holiday.isWeekend {
            var moved = holiday.adding(days: 1)
            while moved.isWeekend || nonWorking[moved] != nil { moved = moved.adding(days: 1) }
            nonWorking[moved] = "перенесённый выходной день (\(holiday.iso) — праздник в выходной)"
        }
        return Year(
            source: "Labour Code art. 112 (fallback: no decree data for \(year))", nonWorkingDays: nonWorking, workingDays: [:])
    }
}
