import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments

/// Computes an ``EvaluationReport`` from a gateway's journal and records: the log is replayed up to
/// its head at the start (named in the report), so the figures are those of that journal range
/// whatever is appended meanwhile, and anyone with the log can recompute them (docs/reports.md).
///
/// - A document belongs to the period of its registration day here (Moscow time).
/// - A request is judged in the period its journal deadline falls in; its answer is the first
///   answer of the same counterpart naming it, on the date that answer was registered by its sender
///   (the date printed on it), considered only when that date is no later than the as-of day.
/// - Joint events and help belong to the period of the day they happened.
public struct ReportBuilder: Sendable {
    public let storage: any ArchiveStorage
    public let directory: AgencyDirectory
    public let calendar: ProductionCalendar
    public let fallback: ProductionCalendar.Fallback

    public init(
        storage: any ArchiveStorage, directory: AgencyDirectory, calendar: ProductionCalendar, fallback: ProductionCalendar.Fallback
    ) {
        self.storage = storage
        self.directory = directory
        self.calendar = calendar
        self.fallback = fallback
    }

    /// The report of `period`, unanswered requests judged on `asOf`.
    public func build(_ period: ReportPeriod, asOf: CalendarDay) async throws -> EvaluationReport {
        let head = try await storage.head()
        // Replayed a chunk at a time: memory holds the journal's state, not the whole log.
        var journal = Journal()
        var seq = 1
        while seq <= head.seq {
            let upper = min(head.seq, seq + 4095)
            journal.replay(try await storage.events(seq...upper))
            seq = upper + 1
        }
        guard journal.lastSeq == head.seq, journal.lastHash == head.hash else {
            throw RecordsError(
                .journalChanged, "the journal read (up to entry \(journal.lastSeq)) is not the head taken (entry \(head.seq))",
                hint: "run `mezhved archive audit`")
        }
        return try compute(journal, head: head, period: period, asOf: asOf)
    }

    func compute(_ journal: Journal, head: LogHead, period: ReportPeriod, asOf: CalendarDay) throws -> EvaluationReport {
        let agency = journal.agency ?? storage.configuration.agency
        var totals = ReportFigures()
        var byCounterpart: [String: ReportFigures] = [:]
        var months: [String: MonthFigures] = [:]
        for month in 1...12 where period.quarter.map({ (($0 - 1) * 3 + 1)...($0 * 3) ~= month }) ?? true {
            let key = String(format: "%04d-%02d", period.year, month)
            months[key] = MonthFigures(month: key)
        }
        func inPeriod(_ day: String) -> Bool { day >= period.from && day <= period.to }
        func update(_ counterpart: String?, _ change: (inout ReportFigures) -> Void) {
            change(&totals)
            if let counterpart { change(&byCounterpart[counterpart, default: ReportFigures()]) }
        }

        // Documents.
        let registered = journal.entries.filter { $0.registeredAt != nil && $0.kind != nil }
        for entry in registered {
            guard let day = Self.agencyDay(entry.registeredAt), inPeriod(day) else { continue }
            let month = String(day.prefix(7))
            switch (entry.direction, entry.kind!) {
            case (.outgoing, .request):
                update(entry.counterpart) { $0.requestsSent += 1 }
                months[month]?.requestsSent += 1
            case (.outgoing, .answer): update(entry.counterpart) { $0.answersSent += 1 }
            case (.incoming, .request):
                update(entry.counterpart) {
                    $0.requestsReceived += 1
                    $0.documentsReceived += 1
                }
                months[month]?.documentsReceived += 1
            case (.incoming, .answer):
                update(entry.counterpart) {
                    $0.answersReceived += 1
                    $0.documentsReceived += 1
                }
                months[month]?.documentsReceived += 1
            case (.incoming, .receipt): update(entry.counterpart) { $0.receiptsReceived += 1 }
            case (.outgoing, .receipt): break
            case (_, .note): break  // an analytic note: neither a request nor information asked for (docs/reports.md)
            }
        }
        for document in journal.quarantined {
            guard let day = Self.agencyDay(document.time), inPeriod(day) else { continue }
            update(document.counterpart) { $0.refused += 1 }
        }

        // Deadlines.
        var byNumber: [String: [JournalEntry]] = [:]
        for entry in registered where entry.kind == .answer { byNumber[entry.number, default: []].append(entry) }
        var overdue: [OverdueRequest] = []
        for request in registered where request.kind == .request {
            guard let deadline = request.deadline, inPeriod(deadline), let deadlineDay = CalendarDay(iso: deadline) else { continue }
            let answerDays = request.answeredBy.flatMap { byNumber[$0] ?? [] }
                .filter { answer in
                    answer.counterpart == request.counterpart
                        && answer.inReplyTo == (request.direction == .outgoing ? request.number : request.documentNumber)
                }
                .compactMap { $0.documentDate }
                .filter { $0 <= asOf.iso }
            let answeredOn = answerDays.min()
            var verdict: (inout Timeliness) -> Void
            var missed: CalendarDay?
            if let answeredOn {
                if answeredOn <= deadline {
                    verdict = { $0.onTime += 1 }
                } else {
                    verdict = { $0.late += 1 }
                    missed = CalendarDay(iso: answeredOn)
                }
            } else if deadline < asOf.iso {
                verdict = { $0.open += 1 }
                missed = asOf
            } else {
                verdict = { $0.pending += 1 }
            }
            let outgoing = request.direction == .outgoing
            update(request.counterpart) { figures in
                if outgoing {
                    figures.answersToOurRequests.due += 1
                    verdict(&figures.answersToOurRequests)
                } else {
                    figures.ourAnswers.due += 1
                    verdict(&figures.ourAnswers)
                }
            }
            if let missed {
                overdue.append(
                    OverdueRequest(
                        number: request.number, year: request.year, direction: request.direction.rawValue,
                        counterpart: request.counterpart ?? "",
                        counterpartName: request.counterpart.map { directory.agency(id: $0)?.shortName ?? $0 } ?? "",
                        documentNumber: request.documentNumber, deadline: deadline,
                        answeredOn: answeredOn, daysOverdue: Self.days(from: deadlineDay, to: missed),
                        workingDaysOverdue: try calendar.workingDays(after: deadlineDay, through: missed, fallback: fallback)))
            }
        }
        overdue.sort { ($0.deadline, $0.direction, $0.number) < ($1.deadline, $1.direction, $1.number) }

        // Joint events and help.
        let facts = journal.facts.filter {
            ($0.record.type == .jointEvent || $0.record.type == .helpProvided) && inPeriod($0.record.date)
        }
        var allPeople = Set<String>()
        var peopleByAgency: [String: Set<String>] = [:]
        var jointKinds = Dictionary(uniqueKeysWithValues: JointEventKind.allCases.map { ($0.rawValue, (0, Set<String>())) })
        var helpKinds = Dictionary(uniqueKeysWithValues: HelpKind.allCases.map { ($0.rawValue, (0, Set<String>())) })
        for fact in facts {
            let record = fact.record
            let month = String(record.date.prefix(7))
            allPeople.formUnion(record.people)
            for participant in record.agencies { peopleByAgency[participant, default: []].formUnion(record.people) }
            switch record.type {
            case .jointEvent:
                totals.jointEvents += 1
                for participant in record.agencies { byCounterpart[participant, default: ReportFigures()].jointEvents += 1 }
                months[month]?.jointEvents += 1
                jointKinds[record.kind, default: (0, [])].0 += 1
                jointKinds[record.kind, default: (0, [])].1.formUnion(record.people)
            case .helpProvided:
                totals.helpRecords += 1
                for participant in record.agencies { byCounterpart[participant, default: ReportFigures()].helpRecords += 1 }
                months[month]?.helpRecords += 1
                helpKinds[record.kind, default: (0, [])].0 += 1
                helpKinds[record.kind, default: (0, [])].1.formUnion(record.people)
            case .earlyHelpOrganisation, .childRecorded:
                break
            }
        }
        totals.peopleHelped = allPeople.count
        for (participant, people) in peopleByAgency { byCounterpart[participant, default: ReportFigures()].peopleHelped = people.count }
        totals.answersToOurRequests.finish()
        totals.ourAnswers.finish()
        let counterparts = byCounterpart.keys.sorted().map { id -> CounterpartFigures in
            var figures = byCounterpart[id]!
            figures.answersToOurRequests.finish()
            figures.ourAnswers.finish()
            return CounterpartFigures(agency: id, name: directory.agency(id: id)?.shortName ?? id, figures: figures)
        }
        let criteria = [
            CriterionFigure(
                criterion: 1, clause: "562 п. 6.2; 459-р п. 4.1",
                title: "Количество документов и информации, полученных в рамках межведомственного взаимодействия",
                value: totals.documentsReceived),
            CriterionFigure(
                criterion: 2, clause: "562 пп. 3.1, 6.2; 459-р п. 4.1", title: "Количество совместных мероприятий",
                value: totals.jointEvents),
            CriterionFigure(
                criterion: 3, clause: "562 п. 6.2; 459-р п. 4.1",
                title: "Количество граждан (детей и родителей), которым оказано содействие в предоставлении помощи",
                value: totals.peopleHelped),
        ]
        var report = EvaluationReport(
            agency: agency, agencyName: directory.agency(id: agency)?.shortName ?? agency, period: period, asOf: asOf.iso,
            journal: JournalRange(lastSeq: head.seq, lastHash: head.hash),
            personKeyIDs: Array(Set(facts.map(\.record.personKeyID))).sorted(), criteria: criteria, totals: totals,
            counterparts: counterparts,
            jointEventsByKind: JointEventKind.allCases.map {
                JointEventKindFigures(
                    kind: $0.rawValue, title: $0.title, events: jointKinds[$0.rawValue]!.0, people: jointKinds[$0.rawValue]!.1.count)
            },
            helpByKind: HelpKind.allCases.map {
                HelpKindFigures(
                    kind: $0.rawValue, title: $0.title, records: helpKinds[$0.rawValue]!.0, people: helpKinds[$0.rawValue]!.1.count)
            },
            months: months.keys.sorted().map { months[$0]! }, overdue: overdue)
        report.children = Self.children(journal.facts.filter { $0.record.type == .childRecorded }, from: period.from, to: period.to)
        return report
    }

    /// The children's figures of a period from the childRecorded facts in log order.
    static func children(_ facts: [RecordedFact], from: String, to: String) -> ChildrenFigures {
        var figures = ChildrenFigures()
        var open: [String: String] = [:]
        var inRecord = Set<String>()
        func close(_ person: String, on day: String) {
            if let start = open.removeValue(forKey: person), start <= to, day >= from { inRecord.insert(person) }
        }
        for fact in facts {
            let r = fact.record
            guard let person = r.people.first else { continue }
            let inside = from <= r.date && r.date <= to
            switch r.kind {
            case "included":
                if let start = open[person] { close(person, on: max(start, r.date)) }
                open[person] = r.date
                if inside {
                    figures.included += 1
                    if r.counterpart != nil { figures.transferredIn += 1 }
                }
            case "transferred":
                close(person, on: r.date)
                if inside { figures.transferredOut += 1 }
            case "excluded":
                close(person, on: r.date)
                if inside { figures.excluded += 1 }
            default: break
            }
        }
        for (person, start) in open where start <= to { inRecord.insert(person) }
        figures.inRecord = inRecord.count
        return figures
    }

    /// The agency (Moscow) day of a journal time.
    static func agencyDay(_ time: String?) -> String? {
        guard let time, let date = ISOTime.dateOrDay(time) else { return nil }
        return ISOTime.agencyDayString(date)
    }

    static func days(from a: CalendarDay, to b: CalendarDay) -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start = calendar.date(from: DateComponents(year: a.year, month: a.month, day: a.day))!
        let end = calendar.date(from: DateComponents(year: b.year, month: b.month, day: b.day))!
        return calendar.dateComponents([.day], from: start, to: end).day ?? 0
    }
}
