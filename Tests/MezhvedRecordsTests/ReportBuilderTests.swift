import Foundation
import MezhvedArchive
import MezhvedDocuments
import MezhvedRecords
import Synchronization
import Testing

/// A journal built append by append on a clock the test sets, so every rule of the report is pinned.
@Suite("ReportBuilder rules")
struct ReportBuilderTests {
    final class TestClock: Sendable {
        let now = Mutex(Date())
        func at(_ iso: String) { now.withLock { $0 = ISOTimeParse.moment(iso) } }
        var archiveClock: ArchiveClock { ArchiveClock(name: "test") { [self] in now.withLock { $0 } } }
    }

    enum ISOTimeParse {
        static func moment(_ iso: String) -> Date {
            let formatter = ISO8601DateFormatter()
            return formatter.date(from: iso)!
        }
    }

    func record(
        _ kind: DocumentKind, _ counterpart: String, number: String?, date: String, inReplyTo: String? = nil, deadline: String? = nil,
        provisional: Bool = false, storage: FileSystemStorage
    ) async throws -> RegistrationRecord {
        let object = try await storage.objects.put(Array("\(kind) \(counterpart) \(number ?? "") \(UUID())".utf8))
        return RegistrationRecord(
            kind: kind, counterpart: counterpart, documentNumber: number, documentDate: date, inReplyTo: inReplyTo, deadline: deadline,
            documentDigest: object, object: object, encryptedWith: nil, signingTime: Date(), signingTimeSource: .registration,
            signatureStatus: .totalPassed, deadlineProvisional: provisional)
    }

    @Test(
        "on the deadline is on time, a day later is late, unanswered is open or pending by the as-of day; recomputed deadlines and refusals count"
    )
    func rules() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mezhved-rb-\(UUID().uuidString)").path
        try await FileSystemStorage.create(
            at: folder,
            configuration: ArchiveConfiguration(
                agency: "social-protection", outgoingFormat: try NumberFormat("01-{seq:04}"),
                incomingFormat: try NumberFormat("ВХ-{seq:04}"),
                dataKeyID: "sha256:0", gatewayCertificate: "", gatewayKeyFile: nil, checkpointInterval: 1000,
                created: ISOTimeParse.moment("2026-01-01T00:00:00Z")))
        let clock = TestClock()
        let storage = try await FileSystemStorage.open(at: folder, options: FileSystemStorage.Options(clock: clock.archiveClock))
        // Q1 2026. A request sent on 12 Jan, due 26 Jan, answered with an answer dated 26 Jan: on time.
        clock.at("2026-01-12T08:00:00Z")
        let first = try await storage.append(
            .register(
                try await record(.request, "health", number: "01-0001", date: "2026-01-12", deadline: "2026-01-26", storage: storage),
                number: .next(.outgoing, mustEqual: "01-0001")))
        #expect(first.entry?.number == "01-0001")
        clock.at("2026-01-27T08:00:00Z")
        _ = try await storage.append(
            .register(
                try await record(.answer, "health", number: "H-7", date: "2026-01-26", inReplyTo: "01-0001", storage: storage),
                number: .next(.incoming, mustEqual: nil)))
        // Sent 2 Feb, due 16 Feb, answered 17 Feb: late by one day, one working day.
        clock.at("2026-02-02T08:00:00Z")
        _ = try await storage.append(
            .register(
                try await record(.request, "health", number: "01-0002", date: "2026-02-02", deadline: "2026-02-16", storage: storage),
                number: .next(.outgoing, mustEqual: "01-0002")))
        clock.at("2026-02-17T08:00:00Z")
        _ = try await storage.append(
            .register(
                try await record(.answer, "health", number: "H-9", date: "2026-02-17", inReplyTo: "01-0002", storage: storage),
                number: .next(.incoming, mustEqual: nil)))
        // An answer from another agency naming the same number does not answer it.
        _ = try await storage.append(
            .register(
                try await record(.answer, "education", number: "E-1", date: "2026-02-10", inReplyTo: "01-0002", storage: storage),
                number: .next(.incoming, mustEqual: nil)))
        // Received from education on 2 Mar, due 16 Mar, never answered: open on 31 Mar.
        clock.at("2026-03-02T08:00:00Z")
        _ = try await storage.append(
            .register(
                try await record(.request, "education", number: "E-40", date: "2026-03-02", deadline: "2026-03-16", storage: storage),
                number: .next(.incoming, mustEqual: nil)))
        // Received 30 Mar, due in April: outside the quarter's deadlines.
        clock.at("2026-03-30T08:00:00Z")
        _ = try await storage.append(
            .register(
                try await record(.request, "education", number: "E-41", date: "2026-03-30", deadline: "2026-04-13", storage: storage),
                number: .next(.incoming, mustEqual: nil)))
        // Received 20 Mar, provisional deadline 1 Apr recomputed to 31 Mar: due in the quarter, pending on 30 Mar.
        clock.at("2026-03-20T08:00:00Z")
        _ = try await storage.append(
            .register(
                try await record(
                    .request, "cszn", number: "C-3", date: "2026-03-20", deadline: "2026-04-01", provisional: true, storage: storage),
                number: .next(.incoming, mustEqual: nil)))
        let entry = try await storage.entries(JournalQuery(documentNumber: "C-3")).first!
        _ = try await storage.append(
            .recomputeDeadline(
                DeadlineRevision(
                    number: entry.number, year: entry.year, previousDeadline: "2026-04-01", deadline: "2026-03-31", provisional: false,
                    reason: "test")))
        // A refused document, and the facts: two people in a joint event, one of them helped again.
        let sealed = try await storage.objects.put(Array("refused \(UUID())".utf8))
        _ = try await storage.append(
            .quarantine(
                QuarantineRecord(
                    reason: "signature-not-valid", documentDigest: sealed, object: sealed, encryptedWith: nil, counterpart: "education")))
        let key = try PersonKey.generate()
        let a = try key.hash(snils: "189-670-541 29")
        let b = try key.hash(snils: "190-781-652 96")
        _ = try await storage.append(
            .fact(
                FactRecord(
                    type: .jointEvent, kind: "joint-visit", date: "2026-03-05", agencies: ["social-protection", "health"], people: [a, b],
                    personKeyID: key.keyID)))
        _ = try await storage.append(
            .fact(
                FactRecord(
                    type: .helpProvided, kind: "medical", date: "2026-03-06", agencies: ["health"], people: [a], personKeyID: key.keyID)))
        _ = try await storage.append(
            .fact(
                FactRecord(type: .helpProvided, kind: "legal", date: "2026-04-02", agencies: ["cszn"], people: [b], personKeyID: key.keyID))
        )
        await #expect(throws: ArchiveError.self) {
            _ = try await storage.append(
                .fact(
                    FactRecord(
                        type: .helpProvided, kind: "medical", date: "2026-03-06", agencies: ["health"], people: [a], personKeyID: key.keyID)
                ))
        }

        let context = try DocumentContext.bundled()
        let builder = ReportBuilder(storage: storage, directory: context.directory, calendar: context.calendar, fallback: .labourCode)
        let report = try await builder.build(try ReportPeriod.quarter(1, of: 2026), asOf: CalendarDay(iso: "2026-03-30")!)
        let head = try await storage.head()
        #expect(report.journal.lastSeq == head.seq && report.journal.lastHash == head.hash)
        let toUs = report.totals.answersToOurRequests
        #expect((toUs.due, toUs.onTime, toUs.late, toUs.open, toUs.pending) == (2, 1, 1, 0, 0))
        #expect(toUs.onTimeRate == 0.5)
        let ours = report.totals.ourAnswers
        #expect((ours.due, ours.onTime, ours.late, ours.open, ours.pending) == (2, 0, 0, 1, 1))
        #expect(report.totals.requestsSent == 2 && report.totals.requestsReceived == 3 && report.totals.answersReceived == 3)
        #expect(report.totals.documentsReceived == 6 && report.totals.refused == 1)
        #expect(report.totals.jointEvents == 1 && report.totals.helpRecords == 1 && report.totals.peopleHelped == 2)
        #expect(report.overdue.map(\.documentNumber) == ["01-0002", "E-40"])
        #expect(
            report.overdue[0].answeredOn == "2026-02-17" && report.overdue[0].daysOverdue == 1 && report.overdue[0].workingDaysOverdue == 1)
        // 16 Mar → 30 Mar: 14 days, 10 working days.
        #expect(report.overdue[1].daysOverdue == 14 && report.overdue[1].workingDaysOverdue == 10)
        #expect(report.counterparts.first { $0.agency == "health" }?.figures.peopleHelped == 2)
        #expect(report.months.map(\.month) == ["2026-01", "2026-02", "2026-03"])
        #expect(report.months.map(\.documentsReceived) == [1, 2, 3])
        // The same journal range gives the same bytes; a later append changes the range, not the old figures.
        let again = try await builder.build(try ReportPeriod.quarter(1, of: 2026), asOf: CalendarDay(iso: "2026-03-30")!)
        #expect(try again.json() == report.json())
        #expect(!String(decoding: try report.json(), as: UTF8.self).contains("189-670-541"))
    }

    @Test("the quarters and the year: their first and last days; a quarter outside 1–4 is refused")
    func periods() throws {
        let days = try (1...4).map { try ReportPeriod.quarter($0, of: 2028) }.map { "\($0.from)…\($0.to)" }
        #expect(days == ["2028-01-01…2028-03-31", "2028-04-01…2028-06-30", "2028-07-01…2028-09-30", "2028-10-01…2028-12-31"])
        let year = try ReportPeriod.year(2026)
        #expect(year.from == "2026-01-01" && year.to == "2026-12-31" && year.quarter == nil)
        #expect(throws: RecordsError.self) { _ = try ReportPeriod.quarter(0, of: 2026) }
        #expect(throws: RecordsError.self) { _ = try ReportPeriod.quarter(5, of: 2026) }
    }
}
