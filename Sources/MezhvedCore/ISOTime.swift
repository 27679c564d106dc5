import Foundation

/// ISO 8601 / `xsd:dateTime` times in UTC, written and read without Foundation's
/// `ISO8601DateFormatter`: on Linux every new formatter builds an ICU date format, which cost more
/// than verifying a GOST signature in `verify`'s text output and in the archive's log replay.
public enum ISOTime {
    /// `2026-03-02T10:15:00Z`, or with `milliseconds` `2026-03-02T10:15:00.123Z`.
    public static func string(_ date: Date, milliseconds: Bool = false) -> String {
        let interval = date.timeIntervalSince1970
        var seconds = time_t(interval.rounded(.down))
        var millis = Int(((interval - Double(seconds)) * 1000).rounded())
        if millis == 1000 {
            seconds += 1
            millis = 0
        }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var text = pad(Int(parts.tm_year) + 1900, 4) + "-" + pad(Int(parts.tm_mon) + 1, 2) + "-" + pad(Int(parts.tm_mday), 2)
        text += "T" + pad(Int(parts.tm_hour), 2) + ":" + pad(Int(parts.tm_min), 2) + ":" + pad(Int(parts.tm_sec), 2)
        if milliseconds { text += "." + pad(millis, 3) }
        return text + "Z"
    }

    /// Reads `YYYY-MM-DDTHH:MM:SS`, optionally with a fraction of a second, and a zone (`Z` or
    /// `±HH:MM`). A time without a zone, or anything else, is nil.
    public static func date(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ count: Int) -> Int? {
            guard index + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<index + count] {
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            index += count
            return value
        }
        func expect(_ character: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == character else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect(0x2D), let month = number(2), expect(0x2D), let day = number(2),
            expect(0x54) || expect(0x74), let hour = number(2), expect(0x3A), let minute = number(2), expect(0x3A),
            let second = number(2)
        else { return nil }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var fraction = 0.0
        if expect(0x2E) {
            var scale = 0.1
            let start = index
            while index < bytes.count, bytes[index] >= 0x30 && bytes[index] <= 0x39 {
                fraction += Double(bytes[index] - 0x30) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        var offset = 0
        if expect(0x5A) || expect(0x7A) {
            offset = 0
        } else if index < bytes.count, bytes[index] == 0x2B || bytes[index] == 0x2D {
            let sign = bytes[index] == 0x2D ? -1 : 1
            index += 1
            guard let hours = number(2), expect(0x3A), let minutes = number(2), hours < 24, minutes < 60 else { return nil }
            offset = sign * (hours * 3600 + minutes * 60)
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = timegm(&parts)
        // timegm normalises 31 February into March: refuse days that do not exist.
        guard parts.tm_mday == Int32(day), parts.tm_mon == Int32(month - 1) else { return nil }
        return Date(timeIntervalSince1970: Double(seconds - offset) + fraction)
    }

    // MARK: - The agencies' time

    /// Moscow time, where the agencies' registration dates and years are reckoned.
    public static let agencyTimeZone = TimeZone(identifier: "Europe/Moscow") ?? TimeZone(secondsFromGMT: 3 * 3600)!

    /// The Gregorian calendar in Moscow time, made once (making one is costly).
    private static let agencyCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = agencyTimeZone
        return calendar
    }()

    /// The year, month and day of `date` in Moscow time.
    public static func agencyDay(_ date: Date) -> (year: Int, month: Int, day: Int) {
        let parts = agencyCalendar.dateComponents([.year, .month, .day], from: date)
        return (parts.year ?? 1, parts.month ?? 1, parts.day ?? 1)
    }

    /// The date of `date` in Moscow time, `YYYY-MM-DD`.
    public static func agencyDayString(_ date: Date) -> String {
        let day = agencyDay(date)
        return pad(day.year, 4) + "-" + pad(day.month, 2) + "-" + pad(day.day, 2)
    }

    /// The calendar year of `date` in Moscow time.
    public static func agencyYear(_ date: Date) -> Int { agencyDay(date).year }

    /// `date` in Moscow time with its offset, `2026-03-02T13:15:00+03:00` (whole seconds).
    public static func agencyDateTime(_ date: Date) -> String {
        let offset = agencyTimeZone.secondsFromGMT(for: date)
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down)) + time_t(offset)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var text = pad(Int(parts.tm_year) + 1900, 4) + "-" + pad(Int(parts.tm_mon) + 1, 2) + "-" + pad(Int(parts.tm_mday), 2)
        text += "T" + pad(Int(parts.tm_hour), 2) + ":" + pad(Int(parts.tm_min), 2) + ":" + pad(Int(parts.tm_sec), 2)
        let minutes = abs(offset) / 60
        return text + (offset < 0 ? "-" : "+") + pad(minutes / 60, 2) + ":" + pad(minutes % 60, 2)
    }

    /// Reads a time (ISO 8601 with a zone) or a date `YYYY-MM-DD` (its midnight UTC).
    public static func dateOrDay(_ text: String) -> Date? {
        if let date = date(text) { return date }
        guard text.utf8.count == 10 else { return nil }
        return date(text + "T00:00:00Z")
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
