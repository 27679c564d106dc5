import Foundation
import MezhvedCore

/// The government's open-data production calendar in CSV: the data.gov.ru dataset
/// "Производственный календарь" (7708660670-proizvcalendar), one row per year.
///
/// The header is `Год/Месяц,Январь,…,Декабрь,Всего рабочих дней,Всего праздничных и выходных дней,
/// Количество рабочих часов при 40-часовой рабочей неделе,…`. Each month's cell lists, comma-separated
/// (so the cell is quoted), **every day off of the month**, ordinary weekends included; a day followed by
/// `*` is a shortened pre-holiday day — a *working* day — and one followed by `+` a moved day off. A day
/// not listed is a working day, even a Saturday or Sunday.
///
/// The reader takes a UTF-8 file with or without a byte-order mark, CRLF or LF line ends, `,` or `;`
/// between fields, the columns in any order and extra columns (the hours); the totals, when given, must
/// agree with the month cells.
public enum ProductionCalendarCSV {
    /// The header of the year column.
    static let yearColumn = "Год/Месяц"
    /// The month columns' headers, January first.
    static let monthColumns = [
        "Январь", "Февраль", "Март", "Апрель", "Май", "Июнь", "Июль", "Август", "Сентябрь", "Октябрь", "Ноябрь", "Декабрь",
    ]
    static let workingTotalColumn = "Всего рабочих дней"
    static let nonWorkingTotalColumn = "Всего праздничных и выходных дней"
    /// The largest file read (the whole dataset since 1999 is about 10 KiB).
    static let sizeLimit = 4 << 20

    /// The names the import gives to days the CSV marks without naming: a day off on a weekday that is
    /// not a public holiday, and a Saturday or Sunday that is working (as in the shipped calendar).
    static let movedDayOff = "перенесённый выходной день"
    static let movedWorkingDay = "перенесённый рабочий день"

    /// The years of the CSV file at `path` (only `years`, when given: the other rows are skipped unread
    /// beyond their year); `source` of each year says it was imported from that file.
    ///
    /// Throws ``DocumentError/Code/unreadableInput`` when the file cannot be read and
    /// ``DocumentError/Code/malformedData`` (naming the file, the row and the column) when it is not the
    /// open-data format.
    public static func load(contentsOf path: String, years: Set<Int>? = nil) throws -> ProductionCalendar {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if let size = attributes?[.size] as? Int, size > sizeLimit {
            throw DocumentError(
                .malformedData, "the open-data production calendar \(path) is \(size) bytes, over the \(sizeLimit) a calendar can be",
                hint: "give the CSV file of the data.gov.ru dataset \"Производственный календарь\"")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "it cannot be read" : "it does not exist"
            throw DocumentError(
                .unreadableInput, "cannot read the open-data production calendar \(path): \(reason)", hint: "check the path")
        }
        let name = (path as NSString).lastPathComponent
        return try parse(
            data: data, source: path, yearSource: "open data: production calendar (data.gov.ru CSV), imported from \(name)", years: years)
    }

    /// The years of a CSV file's bytes (only `years`, when given). `source` names the file in error
    /// messages; `yearSource` is the `source` every imported year records.
    public static func parse(data: Data, source: String, yearSource: String, years wanted: Set<Int>? = nil) throws
        -> ProductionCalendar
    {
        func malformed(
            _ what: String, hint: String = "give the CSV file of the data.gov.ru dataset \"Производственный календарь\" as downloaded"
        )
            -> DocumentError
        {
            DocumentError(.malformedData, "the open-data production calendar \(source) is malformed: \(what)", hint: hint)
        }
        guard data.count <= sizeLimit else { throw malformed("it is over \(sizeLimit) bytes") }
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw malformed("it is not UTF-8 text", hint: "save the file as UTF-8 (the dataset is published in UTF-8)")
        }
        let firstLine = text.prefix { $0 != "\n" && $0 != "\r\n" && $0 != "\r" }
        let separator: Character = firstLine.contains(";") && !firstLine.contains(",") ? ";" : ","
        let records: [[String]]
        do {
            records = try CSVRecords.split(text, separator: separator)
        } catch let failure as CSVRecords.Failure {
            throw malformed("row \(failure.row): \(failure.problem)")
        }
        guard let header = records.first else { throw malformed("it is empty") }

        let names = header.map { $0.trimmingCharacters(in: .whitespaces) }
        func column(_ name: String) -> Int? { names.firstIndex { $0.caseInsensitiveCompare(name) == .orderedSame } }
        guard let yearIndex = column(yearColumn) else {
            throw malformed("row 1 (the header) has no column \"\(yearColumn)\" (it starts \"\(DocumentText.cut(header.first ?? ""))\")")
        }
        var monthIndices: [Int] = []
        for name in monthColumns {
            guard let index = column(name) else { throw malformed("row 1 (the header) has no column \"\(name)\"") }
            monthIndices.append(index)
        }
        let workingTotal = column(workingTotalColumn)
        let nonWorkingTotal = column(nonWorkingTotalColumn)

        var years: [Int: ProductionCalendar.Year] = [:]
        var seenYears: Set<Int> = []
        for (offset, record) in records.enumerated().dropFirst() {
            let row = offset + 1
            if record.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            func cell(_ index: Int) -> String {
                index < record.count ? record[index].trimmingCharacters(in: .whitespaces) : ""
            }
            let yearText = cell(yearIndex)
            guard yearText.utf8.count == 4, yearText.allSatisfy(\.isASCII), let year = Int(yearText), (1...9999).contains(year) else {
                throw malformed("row \(row), column \"\(yearColumn)\": \"\(DocumentText.cut(yearText))\" is not a four-digit year")
            }
            guard seenYears.insert(year).inserted else { throw malformed("row \(row): the year \(year) is given twice") }
            if let wanted, !wanted.contains(year) { continue }
            var daysOff: Set<CalendarDay> = []
            for (month, index) in monthIndices.enumerated() {
                let where_ = "row \(row) (\(year)), column \"\(monthColumns[month])\""
                guard index < record.count else { throw malformed("\(where_): the row ends before the column") }
                let listed = try monthDays(cell(index), year: year, month: month + 1) { malformed("\(where_): \($0)") }
                daysOff.formUnion(listed)
            }
            let data = yearData(year, daysOff: daysOff, source: yearSource)
            let working = daysInYear(year) - daysOff.count
            for (index, name, expected) in [
                (workingTotal, workingTotalColumn, working), (nonWorkingTotal, nonWorkingTotalColumn, daysInYear(year) - working),
            ] {
                guard let index else { continue }
                let text = cell(index)
                if text.isEmpty { continue }
                guard let total = Int(text) else {
                    throw malformed("row \(row) (\(year)), column \"\(name)\": \"\(DocumentText.cut(text))\" is not a number")
                }
                guard total == expected else {
                    throw malformed(
                        "row \(row) (\(year)), column \"\(name)\": the total is \(total), but the month columns give \(expected)",
                        hint: "the file is damaged or was edited: download it again, or correct the month columns")
                }
            }
            years[year] = data
        }
        guard !years.isEmpty else {
            if let wanted {
                throw DocumentError(
                    .calendarNotCovered, "\(source) has no row for \(wanted.sorted().map(String.init).joined(separator: ", "))",
                    hint: "give a file with the year's row, or leave out --year")
            }
            throw malformed("it has a header but no year's row")
        }
        return ProductionCalendar(years: years)
    }

    /// The days off a month's cell lists: `1,2,3*,4+` (`*`: a shortened working day, not a day off).
    static func monthDays(_ cell: String, year: Int, month: Int, _ malformed: (String) -> DocumentError) throws -> [CalendarDay] {
        var result: [CalendarDay] = []
        var seen: Set<Int> = []
        for token in cell.split(separator: ",", omittingEmptySubsequences: false) {
            let item = token.trimmingCharacters(in: .whitespaces)
            if item.isEmpty { continue }
            var digits = Substring(item)
            var shortened = false
            while let last = digits.last, last == "*" || last == "+" {
                if last == "*" { shortened = true }
                digits = digits.dropLast()
            }
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(digits),
                let date = CalendarDay(year: year, month: month, day: number)
            else {
                throw malformed("\"\(DocumentText.cut(item))\" is not a day of the month (a number, then * or + at most)")
            }
            guard seen.insert(number).inserted else { throw malformed("the day \(number) is listed twice") }
            if !shortened { result.append(date) }
        }
        return result
    }

    /// A year in the form of the calendar file: the days off that are not ordinary weekends (and the public
    /// holidays, named, on whatever day they fall), and the working weekend days.
    static func yearData(_ year: Int, daysOff: Set<CalendarDay>, source: String) -> ProductionCalendar.Year {
        let holidays = ProductionCalendar.labourCodeHolidays(year)
        var nonWorking: [CalendarDay: String] = [:]
        var working: [CalendarDay: String] = [:]
        var current = CalendarDay(year: year, month: 1, day: 1)!
        while current.year == year {
            if daysOff.contains(current) {
                if let name = holidays[current] {
                    nonWorking[current] = name
                } else if !current.isWeekend {
                    nonWorking[current] = movedDayOff
                }
            } else if current.isWeekend {
                working[current] = movedWorkingDay
            }
            current = current.adding(days: 1)
        }
        return ProductionCalendar.Year(source: source, nonWorkingDays: nonWorking, workingDays: working)
    }

    static func daysInYear(_ year: Int) -> Int { CalendarDay.daysInMonth(2, of: year) == 29 ? 366 : 365 }
}

/// RFC 4180 records: fields separated by `separator`, a field in double quotes may hold separators, line
/// ends and `""` for a quote; records end at CRLF, LF or CR.
enum CSVRecords {
    struct Failure: Error {
        let row: Int
        let problem: String
    }

    static func split(_ text: String, separator: Character) throws -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var afterQuote = false
        var characters = text.makeIterator()
        func endField() {
            record.append(field)
            field = ""
            afterQuote = false
        }
        while let character = characters.next() {
            if quoted {
                if character == "\"" {
                    quoted = false
                    afterQuote = true
                } else {
                    field.append(character)
                }
                continue
            }
            switch character {
            case "\"":
                if afterQuote {
                    // `""` inside a quoted field: one quote, and the field goes on quoted.
                    field.append("\"")
                    quoted = true
                    afterQuote = false
                } else if field.trimmingCharacters(in: .whitespaces).isEmpty {
                    field = ""
                    quoted = true
                } else {
                    throw Failure(row: records.count + 1, problem: "a quote inside the unquoted field \"\(DocumentText.cut(field))\"")
                }
            case separator:
                endField()
            case "\n", "\r\n", "\r":
                endField()
                records.append(record)
                record = []
            default:
                if afterQuote && !character.isWhitespace {
                    throw Failure(row: records.count + 1, problem: "text after the closing quote of a field")
                }
                if !afterQuote { field.append(character) }
            }
        }
        if quoted { throw Failure(row: records.count + 1, problem: "a quoted field is not closed (the file is cut short?)") }
        if !field.isEmpty || !record.isEmpty || afterQuote {
            endField()
            records.append(record)
        }
        return records
    }
}
