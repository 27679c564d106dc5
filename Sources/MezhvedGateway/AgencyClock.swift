import Foundation
import MezhvedCore
import MezhvedDocuments

extension CalendarDay {
    /// The agencies' (Moscow) calendar day of a moment.
    init(agencyDayOf date: Date) {
        let day = ISOTime.agencyDay(date)
        // The components of a real moment always make a valid day.
        self = CalendarDay(year: day.year, month: day.month, day: day.day)!
    }
}
