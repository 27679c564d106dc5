import Foundation

extension ProductionCalendar {
    /// A day `workingDays` working days after `start`, and whether it is *provisional*: some of the days
    /// counted lie in years the calendar's data does not cover, which the Labour Code fallback counted
    /// (``Fallback/labourCode``). A provisional deadline may move when the year's official calendar is
    /// imported; callers say so in the document, the journal and what they print.
    public struct Deadline: Sendable, Hashable {
        /// The day counted from (not itself counted).
        public let start: CalendarDay
        /// The deadline: the day on which the last working day counted falls.
        public let day: CalendarDay
        /// How many working days were counted.
        public let workingDays: Int
        /// The years, in order, whose days were counted by the Labour Code (empty when none was).
        public let provisionalYears: [Int]

        /// A deadline as computed (see ``ProductionCalendar/deadline(workingDays:after:fallback:)``).
        public init(start: CalendarDay, day: CalendarDay, workingDays: Int, provisionalYears: [Int]) {
            self.start = start
            self.day = day
            self.workingDays = workingDays
            self.provisionalYears = provisionalYears
        }

        /// Whether a year without data was counted by the Labour Code.
        public var isProvisional: Bool { !provisionalYears.isEmpty }

        /// For people, in English: "provisional: the production calendar for 2027 is not approved or not
        /// imported; computed by Labour Code art. 112", or `nil` when the deadline is not provisional.
        public var provisionalNote: String? {
            isProvisional ? ProductionCalendar.provisionalNote(years: provisionalYears) : nil
        }
    }

    /// Why a deadline over `years` is provisional, in English (for the command line and logs).
    public static func provisionalNote(years: [Int]) -> String {
        let list = describe(years.sorted())
        let verb = years.count == 1 ? "is" : "are"
        return "provisional: the production calendar for \(list) \(verb) not approved or not imported; "
            + "computed by Labour Code art. 112 (public holidays, a holiday on a weekend moves the day off)"
    }

    /// Why a deadline is provisional, in Russian (for the printed document). `years` may be empty when only
    /// the document's mark is known: the text then names no year.
    public static func provisionalNoteRussian(years: [Int]) -> String {
        let sorted = years.sorted()
        let calendar: String
        switch sorted.count {
        case 0: calendar = "производственный календарь не утверждён"
        case 1: calendar = "производственный календарь на \(sorted[0]) год не утверждён"
        default: calendar = "производственный календарь на \(describe(sorted)) годы не утверждён"
        }
        return "предварительный срок: \(calendar), срок рассчитан по статье 112 Трудового кодекса РФ"
    }

    /// The years from `from`'s through `to`'s (in either order) that the data does not cover, in order.
    public func uncoveredYears(from: CalendarDay, to: CalendarDay) -> [Int] {
        (min(from.year, to.year)...max(from.year, to.year)).filter { years[$0] == nil }
    }

    /// This calendar without `removed`'s years: what it was before they were imported.
    public func removing(years removed: some Sequence<Int>) -> ProductionCalendar {
        var kept = years
        for year in removed { kept[year] = nil }
        return ProductionCalendar(years: kept)
    }

    /// This calendar's data for `wanted` years only; throws ``DocumentError/Code/calendarNotCovered``,
    /// naming `source`, when it lacks one of them.
    public func keeping(years wanted: [Int], source: String) throws -> ProductionCalendar {
        var kept: [Int: Year] = [:]
        for year in wanted {
            guard let data = years[year] else {
                throw DocumentError(
                    .calendarNotCovered, "\(source) has no data for \(year) (it has \(Self.describe(coveredYears)))",
                    hint: "give a file with the year's row, or leave out --year")
            }
            kept[year] = data
        }
        return ProductionCalendar(years: kept)
    }

    // MARK: A year as a whole

    /// One year of the calendar as a whole: for `mezhved calendar show`.
    public struct YearView: Sendable, Equatable {
        /// A day that is not an ordinary weekday or weekend day: a holiday or moved day off (also on a
        /// weekend, when the data names it), or a weekend day that is working.
        public struct SpecialDay: Sendable, Equatable {
            public let day: CalendarDay
            public let kind: DayKind
        }

        public let year: Int
        /// Where the year's days come from: the decree or import the data names, or the Labour Code.
        public let source: String
        /// Whether the year has no data and was computed by the Labour Code.
        public let isProvisional: Bool
        /// The year's special days, in order.
        public let specialDays: [SpecialDay]
        /// How many days of the year are working days, and how many are not.
        public let workingDayCount: Int
        public let nonWorkingDayCount: Int
    }

    /// `year` as a whole. Throws ``DocumentError/Code/calendarNotCovered`` for a year the data does not
    /// cover, unless `fallback` allows the Labour Code (the view is then provisional).
    public func view(ofYear year: Int, fallback: Fallback = .none) throws -> YearView {
        guard (1...9999).contains(year), let first = CalendarDay(year: year, month: 1, day: 1) else {
            throw DocumentError(.malformedData, "\(year) is not a year from 1 to 9999")
        }
        let data = try self.year(year, fallback: fallback)
        var special: [YearView.SpecialDay] = []
        var working = 0
        var nonWorking = 0
        var current = first
        while current.year == year {
            let kind = data.kind(of: current)
            if kind.isWorking { working += 1 } else { nonWorking += 1 }
            switch kind {
            case .holiday, .workingWeekend: special.append(YearView.SpecialDay(day: current, kind: kind))
            case .working, .weekend: break
            }
            current = current.adding(days: 1)
        }
        return YearView(
            year: year, source: data.source, isProvisional: years[year] == nil, specialDays: special, workingDayCount: working,
            nonWorkingDayCount: nonWorking)
    }
}
