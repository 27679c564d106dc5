import Foundation

/// A calendar date without time zone (the production calendar is about Russian dates, not moments).
///
/// Dates are in the proleptic Gregorian calendar; the ISO form is `YYYY-MM-DD`.
public struct CalendarDay: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The year: 1…9999 for a day made from its parts or its ISO form.
    public let year: Int
    /// The month, 1…12.
    public let month: Int
    /// The day of the month, 1…31.
    public let day: Int

    /// A day from its parts, or `nil` when there is no such date (`2025-02-29`, month 13, year 0).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1,
            day <= CalendarDay.daysInMonth(month, of: year)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// A day from its ISO form, exactly `YYYY-MM-DD` (`2026-03-02`), or `nil` when it is not one.
    public init?(iso: String) {
        let bytes = Array(iso.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// The day on which `date` falls in `timeZone` (for "today", use Moscow time: `Europe/Moscow`).
    public init(_ date: Date, in timeZone: TimeZone) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        self.init(dayNumber: CalendarDay.dayNumber(year: parts.year!, month: parts.month!, day: parts.day!))
    }

    /// The ISO form, `YYYY-MM-DD`.
    public var iso: String {
        func padded(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))"
    }

    public var description: String { iso }

    /// The ISO weekday: 1 = Monday … 6 = Saturday, 7 = Sunday.
    public var weekday: Int {
        // Day number 0 is 1970-01-01, a Thursday (ISO 4).
        let offset = (dayNumber + 3) % 7
        return (offset < 0 ? offset + 7 : offset) + 1
    }

    /// Whether the day is a Saturday or a Sunday.
    public var isWeekend: Bool { weekday >= 6 }

    /// The day `days` days later (earlier when negative).
    public func adding(days: Int) -> CalendarDay {
        CalendarDay(dayNumber: dayNumber + days)
    }

    public static func < (lhs: CalendarDay, rhs: CalendarDay) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// Decodes the ISO form, `"2026-03-02"`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let day = CalendarDay(iso: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\"\(text)\" is not a date in the form YYYY-MM-DD")
        }
        self = day
    }

    /// Encodes the ISO form, `"2026-03-02"`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(iso)
    }

    // MARK: Day numbers (days since 1970-01-01; H. Hinnant's civil-date algorithms)

    /// Days since 1970-01-01.
    var dayNumber: Int { CalendarDay.dayNumber(year: year, month: month, day: day) }

    init(dayNumber: Int) {
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        self.year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        self.month = month
        self.day = day
    }

    static func dayNumber(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func daysInMonth(_ month: Int, of year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

/// What a day is in the production calendar.
public enum DayKind: Sendable, Hashable {
    /// An ordinary working day (Monday to Friday).
    case working
    /// An ordinary Saturday or Sunday.
    case weekend
    /// A non-working day on a weekday or a weekend: a public holiday or a moved day off, with its name
    /// (`"День России"`, `"перенесённый выходной день"`).
    case holiday(String)
    /// A Saturday or Sunday that is a working day, with its name (`"перенесённый рабочий день"`).
    case workingWeekend(String)

    /// Whether people work on the day.
    public var isWorking: Bool {
        switch self {
        case .working, .workingWeekend: return true
        case .weekend, .holiday: return false
        }
    }
}

/// The Russian production calendar: which days are working days, year by year, from data
/// (the bundled `ru-production-calendar.json`, or a user's file of the same format; see docs/calendar.md),
/// and working-day arithmetic over it, such as the 10-working-day response deadline of regulation 562, clause 3.4.
///
/// A year the data does not cover is an error (``DocumentError/Code/calendarNotCovered``), never a silent
/// guess — unless the caller allows the Labour Code fallback (``Fallback/labourCode``).
public struct ProductionCalendar: Sendable {
    /// What to do about a year the calendar's data does not cover.
    public enum Fallback: String, Sendable, CaseIterable {
        /// Refuse: ``DocumentError/Code/calendarNotCovered``.
        case none
        /// Compute the year from Labour Code art. 112 alone: its public holidays, with a holiday on a Saturday
        /// or Sunday moving the day off to the next working day (except the January holidays, whose moves a
        /// decree sets and the fallback cannot know); no working Saturdays. The yearly decree's moves are
        /// missing, so the result is an approximation: callers should say that it was used
        /// (``ProductionCalendar/usesFallback(from:to:)``).
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

    private let years: [Int: Year]

    init(years: [Int: Year]) {
        self.years = years
    }

    // MARK: Loading

    /// The calendar shipped with mezhved (2025 and 2026 in this release).
    public static func bundled() throws -> ProductionCalendar {
        guard
            let url = Bundle.module.url(
                forResource: "ru-production-calendar", withExtension: "json", subdirectory: "Resources/calendar")
        else {
            throw DocumentError(
                .unreadableInput, "the bundled production calendar (ru-production-calendar.json) is missing",
                hint: "the installation of mezhved is incomplete; reinstall it")
        }
        return try load(contentsOf: url.path)
    }

    /// A calendar file in the format of docs/calendar.md, e.g. a user's file that adds 2027.
    ///
    /// Throws ``DocumentError/Code/unreadableInput`` when the file cannot be read and
    /// ``DocumentError/Code/malformedData`` when it is not a valid calendar; both name the file.
    public static func load(contentsOf path: String) throws -> ProductionCalendar {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "it cannot be read" : "it does not exist"
            throw DocumentError(
                .unreadableInput, "cannot read the production calendar file \(path): \(reason)",
                hint: "check the path given with --calendar")
        }
        return try load(data: data, source: path)
    }

    /// A calendar from the bytes of a calendar file; `source` names it in error messages.
    public static func load(data: Data, source: String) throws -> ProductionCalendar {
        func malformed(_ what: String) -> DocumentError {
            DocumentError(
                .malformedData, "the production calendar file \(source) is malformed: \(what)",
                hint: "see docs/calendar.md for the format")
        }
        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            do {
                return try JSONDecoder().decode(type, from: data)
            } catch let error as DecodingError {
                throw malformed(DecodingProblem.describe(error, data: data))
            }
        }
        // The header first, so that a file of another format is named as such before its content is.
        let header = try decode(CalendarFileHeader.self)
        guard header.format == formatTag else {
            throw malformed("\"format\" is \"\(header.format)\", expected \"\(formatTag)\"")
        }
        guard header.country == "RU" else { throw malformed("\"country\" is \"\(header.country)\", expected \"RU\"") }
        let file = try decode(CalendarFile.self)
        guard !file.years.isEmpty else { throw malformed("\"years\" lists no year") }

        var years: [Int: Year] = [:]
        for (key, entry) in file.years.sorted(by: { $0.key < $1.key }) {
            guard key.utf8.count == 4, key.allSatisfy(\.isASCII), let year = Int(key), (1...9999).contains(year) else {
                throw malformed("years.\(key): not a four-digit year")
            }
            guard !entry.source.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw malformed("years.\(key).source is empty (name the decree)")
            }
            func days(_ field: String, _ entries: [String: String]) throws -> [CalendarDay: String] {
                var result: [CalendarDay: String] = [:]
                for (dateKey, name) in entries {
                    let path = "years.\(key).\(field).\(dateKey)"
                    guard let day = CalendarDay(iso: dateKey) else {
                        throw malformed("\(path): \"\(dateKey)\" is not a date in the form YYYY-MM-DD")
                    }
                    guard day.year == year else { throw malformed("\(path): the date is not in \(key)") }
                    result[day] = name
                }
                return result
            }
            let nonWorking = try days("nonWorkingDays", entry.nonWorkingDays)
            let working = try days("workingDays", entry.workingDays ?? [:])
            for day in working.keys.sorted() {
                if nonWorking[day] != nil {
                    throw malformed("years.\(key): \(day.iso) is listed both as a working and as a non-working day")
                }
                if !day.isWeekend {
                    throw malformed(
                        "years.\(key).workingDays.\(day.iso): not a Saturday or Sunday (only weekend days that are working belong there)")
                }
            }
            years[year] = Year(source: entry.source, nonWorkingDays: nonWorking, workingDays: working)
        }
        return ProductionCalendar(years: years)
    }

    /// This calendar with `other`'s years added; a year both cover is taken whole from `other`.
    public func merging(_ other: ProductionCalendar) -> ProductionCalendar {
        ProductionCalendar(years: years.merging(other.years) { _, theirs in theirs })
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
    ///
    /// Throws ``DocumentError/Code/malformedData`` for a negative count, and
    /// ``DocumentError/Code/calendarNotCovered`` when the count runs into a year the data does not cover
    /// (unless `fallback` allows the Labour Code).
    public func addingWorkingDays(_ count: Int, to day: CalendarDay, fallback: Fallback = .none) throws -> CalendarDay {
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
        return current
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

    private func year(_ year: Int, fallback: Fallback) throws -> Year {
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

    /// Year data for a stretch of days, computed once per year.
    private struct YearResolver {
        let calendar: ProductionCalendar
        let fallback: Fallback
        var cached: (number: Int, data: Year)?

        mutating func year(_ number: Int) throws -> Year {
            if let cached, cached.number == number { return cached.data }
            let data = try calendar.year(number, fallback: fallback)
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

    /// The year from Labour Code art. 112 alone (see ``Fallback/labourCode``).
    static func labourCodeYear(_ year: Int) -> Year {
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

/// The first fields of a calendar file, read before the rest (see ``ProductionCalendar/load(data:source:)``).
private struct CalendarFileHeader: Decodable {
    let format: String
    let country: String
}

/// A calendar file: `years` maps "2026" to its days.
private struct CalendarFile: Decodable {
    struct YearEntry: Decodable {
        /// The decree that sets the year's days.
        let source: String
        /// "2026-01-01": "Новогодние каникулы", …
        let nonWorkingDays: [String: String]
        /// Weekend days that are working days, when there are any.
        let workingDays: [String: String]?
    }

    let years: [String: YearEntry]
}
