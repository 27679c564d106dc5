import Foundation
import MezhvedDocuments

/// The period a report covers: a quarter (562 cl. 3.5) or a year (562 cl. 6.2; 459-р cl. 4.2).
public struct ReportPeriod: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable { case quarterly, yearly }
    public let kind: Kind
    public let year: Int
    public let quarter: Int?
    /// The first and the last day (inclusive, ISO dates).
    public let from: String
    public let to: String

    /// The quarter `quarter` (1–4) of `year`.
    public static func quarter(_ quarter: Int, of year: Int) throws -> ReportPeriod {
        guard (1...4).contains(quarter) else {
            throw RecordsError(.periodInvalid, "quarter \(quarter) is not one of 1, 2, 3, 4", hint: "give --quarter 1 to 4")
        }
        try checkYear(year)
        let firstMonth = (quarter - 1) * 3 + 1
        let lastDay = CalendarDay(year: year, month: firstMonth + 2, day: 1)!.addingMonth().adding(days: -1)
        return ReportPeriod(
            kind: .quarterly, year: year, quarter: quarter, from: CalendarDay(year: year, month: firstMonth, day: 1)!.iso, to: lastDay.iso)
    }

    /// The calendar year `year`.
    public static func year(_ year: Int) throws -> ReportPeriod {
        try checkYear(year)
        return ReportPeriod(kind: .yearly, year: year, quarter: nil, from: "\(year)-01-01", to: "\(year)-12-31")
    }

    static func checkYear(_ year: Int) throws {
        guard (2000...2100).contains(year) else {
            throw RecordsError(.periodInvalid, "the year \(year) is out of range", hint: "give a year such as 2026")
        }
    }

    /// «2026, 1st quarter» / «2026».
    public var title: String { quarter.map { "\(year), \($0) квартал" } ?? "\(year) год" }
}

extension CalendarDay {
    /// The same day of the next month (the first of a month gives the first of the next).
    func addingMonth() -> CalendarDay {
        month == 12 ? CalendarDay(year: year + 1, month: 1, day: day)! : CalendarDay(year: year, month: month + 1, day: day)!
    }
}

/// How answers kept their 10-working-day deadlines (562 cl. 3.4), for requests due in the period.
public struct Timeliness: Sendable, Codable, Equatable {
    /// Requests whose journal deadline falls in the period.
    public var due = 0
    /// Answered on or before the deadline.
    public var onTime = 0
    /// Answered after the deadline (by the as-of day).
    public var late = 0
    /// Not answered by the as-of day, the deadline passed.
    public var open = 0
    /// Not answered, the deadline not yet passed on the as-of day (not judged).
    public var pending = 0
    /// onTime ÷ (onTime + late + open), to 4 decimals; nil when nothing could be judged.
    public var onTimeRate: Double? = nil

    mutating func finish() {
        let judged = onTime + late + open
        onTimeRate = judged == 0 ? nil : (Double(onTime) / Double(judged) * 10_000).rounded() / 10_000
    }
}

/// The figures of the whole journal, or of one counterpart.
public struct ReportFigures: Sendable, Codable, Equatable {
    public var requestsSent = 0
    public var requestsReceived = 0
    public var answersSent = 0
    public var answersReceived = 0
    public var receiptsReceived = 0
    /// Criterion 1: documents and information received — incoming requests and answers registered.
    public var documentsReceived = 0
    /// Received documents refused and kept in quarantine (not counted as received).
    public var refused = 0
    /// Criterion 2: joint events held (for a counterpart: those it took part in).
    public var jointEvents = 0
    public var helpRecords = 0
    /// Criterion 3: distinct people helped (keyed hashes), by help records and joint events.
    public var peopleHelped = 0
    /// Answers to the requests this agency sent (the counterparts' timeliness).
    public var answersToOurRequests = Timeliness()
    /// This agency's answers to the requests it received.
    public var ourAnswers = Timeliness()
}

/// One counterpart's line.
public struct CounterpartFigures: Sendable, Codable, Equatable {
    public let agency: String
    public let name: String
    public var figures: ReportFigures
}

/// A request that missed its deadline (no personal data: numbers, counterpart, days).
public struct OverdueRequest: Sendable, Codable, Equatable {
    /// The journal number and year.
    public let number: String
    public let year: Int
    /// outgoing: we asked and wait; incoming: we were asked.
    public let direction: String
    /// The counterpart's directory id (for machines and the recompute script).
    public let counterpart: String
    /// The counterpart's short name in the directory (its id when the directory does not know it).
    public let counterpartName: String
    /// The number the document carries (its sender's registration).
    public let documentNumber: String?
    public let deadline: String
    /// The answer's date, nil when not answered by the as-of day.
    public let answeredOn: String?
    /// Calendar days and working days (production calendar) past the deadline, to the answer or the as-of day.
    public let daysOverdue: Int
    public let workingDaysOverdue: Int
}

/// One month's counts.
public struct MonthFigures: Sendable, Codable, Equatable {
    public let month: String
    public var documentsReceived = 0
    public var requestsSent = 0
    public var jointEvents = 0
    public var helpRecords = 0
}

/// Help of one kind.
public struct HelpKindFigures: Sendable, Codable, Equatable {
    public let kind: String
    public let title: String
    public var records = 0
    public var people = 0
}

/// Joint events of one kind.
public struct JointEventKindFigures: Sendable, Codable, Equatable {
    public let kind: String
    public let title: String
    public var events = 0
    public var people = 0
}

/// A criterion of the evaluation and its value.
public struct CriterionFigure: Sendable, Codable, Equatable {
    public let criterion: Int
    public let clause: String
    public let title: String
    public let value: Int
}

/// The journal range a report was computed from: replaying the log up to `lastSeq` (whose hash is
/// `lastHash`) gives the same figures.
public struct JournalRange: Sendable, Codable, Equatable {
    public let lastSeq: Int
    public let lastHash: String
}

/// The evaluation report of one gateway's journal and records for a period.
public struct EvaluationReport: Sendable, Codable, Equatable {
    public static let currentFormat = "mezhved-report/1"
    public var format = EvaluationReport.currentFormat
    public let agency: String
    public let agencyName: String
    public let period: ReportPeriod
    /// The day unanswered requests are judged on.
    public let asOf: String
    public let journal: JournalRange
    /// The ids of the person keys the people's hashes were made with (one, unless the key changed).
    public let personKeyIDs: [String]
    public let criteria: [CriterionFigure]
    public let totals: ReportFigures
    public let counterparts: [CounterpartFigures]
    public let jointEventsByKind: [JointEventKindFigures]
    public let helpByKind: [HelpKindFigures]
    public let months: [MonthFigures]
    public let overdue: [OverdueRequest]
    /// The record of target-group children over the period (459-р cl. 1.4, 4.1).
    public var children = ChildrenFigures()
}

/// The record of target-group children over a period (childRecorded facts, by their days).
public struct ChildrenFigures: Sendable, Codable, Equatable {
    /// Distinct children (keyed hashes) in the record at some time in the period: a stay from its
    /// inclusion to its transfer or exclusion (or still open) that meets the period.
    public var inRecord = 0
    /// Inclusions in the period, and of them those by a transfer from another organisation.
    public var included = 0
    public var transferredIn = 0
    /// Transfers accepted elsewhere and exclusions in the period.
    public var transferredOut = 0
    public var excluded = 0

    public init() {}
}
