import Foundation
import MezhvedCore

extension ProductionCalendar {
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

    /// The bundled calendar with the years of the calendar file at `path` added (a year both have is the
    /// file's), or the bundled one alone when `path` is nil: the calendar every command and the gateway use.
    public static func bundled(adding path: String?) throws -> ProductionCalendar {
        let bundled = try bundled()
        guard let path else { return bundled }
        return bundled.merging(try load(contentsOf: path))
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

    // MARK: Writing

    /// The calendar as a file of the format of docs/calendar.md (`mezhved-production-calendar/1`), every
    /// year it covers: UTF-8 JSON, keys sorted, so that the same calendar gives the same bytes.
    public func fileData() throws -> Data {
        var entries: [String: CalendarFile.YearEntry] = [:]
        for (number, year) in years {
            func strings(_ days: [CalendarDay: String]) -> [String: String] {
                Dictionary(uniqueKeysWithValues: days.map { ($0.key.iso, $0.value) })
            }
            entries[String(number)] = CalendarFile.YearEntry(
                source: year.source, nonWorkingDays: strings(year.nonWorkingDays), workingDays: strings(year.workingDays))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(CalendarFile(years: entries)) + Data("\n".utf8)
        } catch {
            throw DocumentError(.unwritableOutput, "the production calendar cannot be encoded: \(error)")
        }
    }

    /// Imports `imported`'s years into the calendar file at `path` — created when it does not exist — and
    /// returns what the file then holds: its other years are kept, a year both have is taken whole from
    /// `imported` (importing the same file twice gives the same file). Written as ``write(to:)`` does.
    ///
    /// Throws as ``load(contentsOf:)`` does for an existing file that is not a valid calendar (it is then
    /// left as it is), and ``DocumentError/Code/unwritableOutput`` when the file cannot be written.
    public static func importing(_ imported: ProductionCalendar, into path: String) throws -> ProductionCalendar {
        var isFolder: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
        if exists && isFolder.boolValue {
            throw DocumentError(
                .unwritableOutput, "cannot write the production calendar file \(path): it is a folder", hint: "give a file name")
        }
        let existing = exists ? try load(contentsOf: path) : ProductionCalendar(years: [:])
        let result = existing.merging(imported)
        try result.write(to: path)
        return result
    }

    /// Writes the calendar to `path` (see ``fileData()``), atomically and durably (a crash leaves the old
    /// file or the new one), mode 0644: a calendar holds no secret, and the gateway's users read it.
    ///
    /// Throws ``DocumentError/Code/unreadableInput`` naming the file when it cannot be written.
    public func write(to path: String) throws {
        let bytes = [UInt8](try fileData())
        do {
            try DurableFile.replace(path, with: bytes, mode: 0o644)
        } catch {
            throw DocumentError(
                .unwritableOutput, "cannot write the production calendar file \(path): \(error.reason)",
                hint: error.couldNotCreate ? "check that the folder exists and is writable" : "check free space and permissions")
        }
    }
}

/// The first fields of a calendar file, read before the rest (see ``ProductionCalendar/load(data:source:)``).
private struct CalendarFileHeader: Decodable {
    let format: String
    let country: String
}

/// A calendar file: `years` maps "2026" to its days.
private struct CalendarFile: Codable {
    struct YearEntry: Codable {
        /// The decree that sets the year's days.
        let source: String
        /// "2026-01-01": "Новогодние каникулы", …
        let nonWorkingDays: [String: String]
        /// Weekend days that are working days, when there are any.
        let workingDays: [String: String]?
    }

    var format = ProductionCalendar.formatTag
    var country = "RU"
    let years: [String: YearEntry]

    enum CodingKeys: String, CodingKey {
        case format, country, years
    }
}
