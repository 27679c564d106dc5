import Foundation
import MezhvedDocuments

/// The agencies' calendar day of a moment: registration dates and years are reckoned in Moscow time.
enum AgencyClock {
    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Moscow") ?? TimeZone(secondsFromGMT: 3 * 3600)!
        return calendar
    }()

    /// The day of `date` in Moscow time.
    static func day(_ date: Date) -> CalendarDay {
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        // The components of a real date always make a valid day.
        return CalendarDay(year: parts.year ?? 1, month: parts.month ?? 1, day: parts.day ?? 1)!
    }
}
