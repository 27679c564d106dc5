import Foundation
import MezhvedArchive
import MezhvedDocuments
import MezhvedGateway

/// The yearly analytic note (562 cl. 6.2; 459-р cl. 4.1–4.2) made from a yearly report: the text,
/// the figures per criterion and per agency, and the evidence (the JSON report's SHA-256 and the
/// journal range) — one draft per addressee.
public enum AnalyticNotes {
    /// The clauses of the evaluation, per regulation.
    public static let clauses: [(regulation: String, clause: String)] = [("562-2014", "6.2"), ("459r-2023", "4.2")]

    /// The regulations of the evaluation `sender` takes part in (the note's legal basis).
    public static func regulations(of sender: Agency) -> [(regulation: String, clause: String)] {
        clauses.filter { sender.regulations.contains($0.regulation) }
    }

    /// The note's figures: the report's three criteria, and a line per counterpart with the three
    /// criteria for it.
    public static func figures(of report: EvaluationReport) throws -> NoteFigures {
        guard let from = CalendarDay(iso: report.period.from), let to = CalendarDay(iso: report.period.to),
            let asOf = CalendarDay(iso: report.asOf)
        else { throw RecordsError(.periodInvalid, "the report's period \(report.period.from)–\(report.period.to) is not one") }
        return NoteFigures(
            year: report.period.year, from: from, to: to, asOf: asOf,
            criteria: report.criteria.map { NoteCriterion(number: $0.criterion, clause: $0.clause, title: $0.title, value: $0.value) },
            agencies: report.counterparts.map {
                NoteAgencyFigures(
                    agency: $0.agency, name: $0.name, documentsReceived: $0.figures.documentsReceived,
                    jointEvents: $0.figures.jointEvents, peopleHelped: $0.figures.peopleHelped)
            })
    }

    /// The note's text (Russian), from the report's figures, in the name of `sender`.
    public static func text(of report: EvaluationReport, sender: Agency) -> String {
        let value = { (n: Int) in report.criteria.first { $0.criterion == n }?.value ?? 0 }
        let day = { (iso: String) in CalendarDay(iso: iso)?.russian ?? iso }
        let clauses = regulations(of: sender).map {
            $0.regulation == "562-2014"
                ? "пунктом 6.2 Регламента межведомственного взаимодействия (постановление Правительства Ленинградской области от 02.12.2014 № 562)"
                : "пунктами 4.1–4.2 распоряжения № 459-р"
        }
        var lines = [
            "\(sender.fullName) в соответствии с \(clauses.joined(separator: " и ")) провёл оценку результатов межведомственного взаимодействия за \(report.period.year) год и направляет аналитическую справку участникам взаимодействия.",
            "За период с \(day(report.period.from)) по \(day(report.period.to)) получено документов и информации в рамках межведомственного взаимодействия: \(value(1)); проведено совместных мероприятий: \(value(2)); оказано содействие в получении помощи гражданам (детям и родителям): \(value(3)).",
        ]
        if let rate = report.totals.answersToOurRequests.onTimeRate {
            lines.append(
                "Ответы на межведомственные запросы в установленный срок (10 рабочих дней): \(String(format: "%.1f", rate * 100)) %; просроченных запросов: \(report.overdue.count)."
            )
        }
        lines.append(
            "Показатели по участникам приведены в таблице. Показатели рассчитаны по журналу регистрации и могут быть проверены по указанным ниже данным."
        )
        return lines.joined(separator: "\n")
    }

    /// The draft of the copy for `recipient`.
    public static func draft(
        of report: EvaluationReport, reportJSON: [UInt8], sender: Agency, recipient: String, addressees: [String]
    ) throws -> NoteDraft {
        NoteDraft(
            sender: sender.id, recipient: recipient, addressees: addressees,
            legalBasis: regulations(of: sender).map { LegalBasisDraft(regulation: $0.regulation, clause: $0.clause) },
            subject: "Аналитическая справка о результатах межведомственного взаимодействия за \(report.period.year) год",
            text: text(of: report, sender: sender), figures: try figures(of: report),
            evidence: NoteEvidence(
                reportFormat: report.format, reportSHA256: ArchiveDigest.sha256Hex(reportJSON), journalLastSeq: report.journal.lastSeq,
                journalLastHash: report.journal.lastHash))
    }
}

/// One registered copy of the note, and its message when queued.
public struct NoteCopy: Sendable {
    public let recipient: String
    public let sent: OutgoingDocument
    /// The outbox message, when the copy was queued.
    public let message: MessageStatus?
}

/// What sending the note did.
public struct NoteDispatch: Sendable {
    /// The yearly report the note was made from, and its JSON bytes (whose SHA-256 the note names).
    public let report: EvaluationReport
    public let reportJSON: [UInt8]
    /// Every addressee (all participants of the regulations, less the sender), in directory order.
    public let addressees: [String]
    /// The copies registered (one per addressee that is a configured peer).
    public let copies: [NoteCopy]
    /// The addressees that are not configured peers: no copy was made for them.
    public let withoutPeer: [String]
}

extension Gateway {
    /// Makes the yearly analytic note of `year` from this gateway's journal (judged on `asOf`):
    /// the yearly report first (the journal's head taken then is the note's evidence), then one copy
    /// per addressee that is a configured peer, each composed, numbered, signed by `signatoryID` and
    /// registered by the outgoing workflow (no deadline), and queued in the outbox when `queue`.
    /// - Throws: ``RecordsError`` `.noteNoData` for a year not begun on `asOf` or with nothing in
    ///   it, `.noteNoRecipients` when no addressee is a peer; the workflow's errors otherwise.
    public func sendAnalyticNote(
        year: Int, asOf: CalendarDay, over archive: ArchiveFolder, queue: Bool, signatoryID: String? = nil, at time: Date = Date()
    ) async throws -> NoteDispatch {
        let period = try ReportPeriod.year(year)
        guard year <= asOf.year else {
            throw RecordsError(
                .noteNoData, "the year \(year) has not begun on \(asOf.iso): there is nothing to evaluate",
                hint: "give the year that ended or is ending (--year \(asOf.year)), or a later --as-of")
        }
        let report = try await reportBuilder(over: archive).build(period, asOf: asOf)
        let t = report.totals
        let activity =
            t.requestsSent + t.requestsReceived + t.answersSent + t.answersReceived + t.jointEvents + t.helpRecords + t.refused
        guard activity > 0 else {
            throw RecordsError(
                .noteNoData,
                "the journal of \(agency.id) (up to entry \(report.journal.lastSeq)) holds no document and no record of \(year): there is nothing to evaluate",
                hint: "check --year and --gateway: the note is made at the evaluating body's gateway")
        }
        let reportJSON = try report.json()
        let regulations = AnalyticNotes.regulations(of: agency).map(\.regulation)
        let addressees = NoteAddressees.participants(of: regulations, except: agency.id, in: documents.directory)
        let peers = addressees.filter { configuration.exchange?.peer($0) != nil }
        let withoutPeer = addressees.filter { configuration.exchange?.peer($0) == nil }
        guard !peers.isEmpty else {
            throw RecordsError(
                .noteNoRecipients,
                "none of the note's \(addressees.count) addressees is a peer of this gateway (\(configuration.source) names no exchange.peers for them)",
                hint: "add the participants' gateways to exchange.peers (docs/gateway.md)")
        }
        let workflow = OutgoingWorkflow(gateway: self, registrar: archive.registrar)
        // Every copy is checked before the first is numbered: a draft with a problem numbers nothing.
        let drafts = try peers.map {
            try AnalyticNotes.draft(of: report, reportJSON: reportJSON, sender: agency, recipient: $0, addressees: addressees)
        }
        for draft in drafts { _ = try workflow.check(.note(draft), signatoryID: signatoryID, at: time) }
        let outbox = outbox(registrar: archive.registrar)
        var copies: [NoteCopy] = []
        for draft in drafts {
            let sent = try await workflow.send(.note(draft), signatoryID: signatoryID, at: time)
            let message = queue ? try await outbox.enqueue(number: sent.entry.number, year: sent.entry.year, at: time) : nil
            copies.append(NoteCopy(recipient: draft.recipient, sent: sent, message: message))
        }
        return NoteDispatch(report: report, reportJSON: reportJSON, addressees: addressees, copies: copies, withoutPeer: withoutPeer)
    }
}
