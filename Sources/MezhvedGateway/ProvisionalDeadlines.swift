import Foundation
import MezhvedArchive
import MezhvedDocuments

/// A provisional deadline the import of a year's official calendar moved (or made final).
public struct DeadlineChange: Sendable, Equatable {
    /// The journal entry after the change.
    public let entry: JournalEntry
    /// The deadline before and after.
    public let previousDeadline: String
    public let deadline: String
    /// Whether the new deadline is still provisional (it runs into a year still without data).
    public let provisional: Bool
}

/// The gateway's provisional deadlines and the import of a year's official production calendar: a
/// request composed or received while its deadline's year had no data has its deadline counted by the
/// Labour Code and marked provisional (in the document, the journal, the registers). When the official
/// calendar of the year is imported, every *open* request of the journal with such a deadline —
/// registered, sent or delivered, not answered, voided or rejected — gets its deadline computed again,
/// with the same number of working days from the same document date, and the journal records the change
/// (a `deadlineRecomputed` event with the old and the new deadline and the reason). The signed document
/// is not touched: it keeps the date it was signed with.
public struct ProvisionalDeadlines: Sendable {
    public let gateway: Gateway
    public let registrar: Registrar

    public init(gateway: Gateway, registrar: Registrar) {
        self.gateway = gateway
        self.registrar = registrar
    }

    /// The calendar file a gateway of `configuration` reads (`documents.calendar`), which an import must
    /// write for the gateway to use it. `into`, when given, must be that file.
    ///
    /// An import writes the file first and then recomputes (``recompute(after:source:)``): a gateway
    /// opened on the file as imported counts the same, and an import stopped in between is finished by
    /// running it again.
    public static func calendarFile(of configuration: GatewayConfiguration, into: String?) throws -> String {
        guard let configured = configuration.documents.calendar else {
            throw GatewayError(
                .configurationInvalid,
                "the gateway configuration \(configuration.source) names no documents.calendar file, so an imported year would not be used",
                hint: "add `calendar: calendar.json` under `documents:` to the configuration, then import again")
        }
        if let into, Self.standardized(into) != Self.standardized(configured) {
            throw GatewayError(
                .configurationInvalid, "--into \(into) is not the calendar file the gateway reads (documents.calendar: \(configured))",
                hint: "leave out --into, or give \(configured)")
        }
        return configured
    }

    /// Recomputes the open provisional deadlines after `imported`'s years were written to the gateway's
    /// calendar file; `source` names what was imported (for the journal's reason). Returns every change
    /// recorded, in journal order. An entry whose deadline does not depend on the imported years is left.
    public func recompute(after imported: ProductionCalendar, source: String) async throws -> [DeadlineChange] {
        let years = imported.coveredYears
        guard !years.isEmpty else { return [] }
        // The calendar the provisional deadlines were counted with (the imported years by the Labour Code),
        // and the one they are counted with now. Taking the imported years out of the gateway's calendar,
        // rather than reading the file before the import, gives the same counts when an import is repeated.
        let before = gateway.documents.calendar.removing(years: years)
        let after = before.merging(imported)
        let yearList = years.map(String.init).joined(separator: ", ")
        let reason = "the official production calendar for \(yearList) was imported from \(source)"
        var changes: [DeadlineChange] = []
        for entry in try await registrar.entries(JournalQuery(kind: .request)) where Self.isOpenProvisional(entry) {
            guard let start = entry.documentDate.flatMap(CalendarDay.init(iso:)),
                let old = entry.deadline.flatMap(CalendarDay.init(iso:)),
                before.uncoveredYears(from: start, to: old).contains(where: years.contains)
            else { continue }
            let count = try before.workingDays(after: start, through: old, fallback: .labourCode)
            let new = try after.deadline(workingDays: count, after: start, fallback: .labourCode)
            if new.day == old && new.isProvisional { continue }
            let updated = try await registrar.recomputeDeadline(
                DeadlineRevision(
                    number: entry.number, year: entry.year, previousDeadline: old.iso, deadline: new.day.iso,
                    provisional: new.isProvisional, reason: reason))
            changes.append(
                DeadlineChange(entry: updated, previousDeadline: old.iso, deadline: new.day.iso, provisional: new.isProvisional))
        }
        return changes
    }

    /// A registered request, not answered, voided or rejected, whose journal deadline is provisional.
    static func isOpenProvisional(_ entry: JournalEntry) -> Bool {
        guard entry.kind == .request, entry.registeredAt != nil, entry.deadlineProvisional == true else { return false }
        switch entry.recordedStatus {
        case .registered, .sent, .delivered, .overdue: return true
        case .reserved, .answered, .rejected, .voided: return false
        }
    }

    static func standardized(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
}
