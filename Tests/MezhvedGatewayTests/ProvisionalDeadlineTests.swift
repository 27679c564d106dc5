import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments
import MezhvedGateway
import MezhvedTestSupport
import MezhvedXMLDSig
import Testing

/// TEST DATA, not the real 2027 calendar: Labour Code art. 112 plus two made-up moved days off (Monday 11
/// January, Friday 31 December), so that importing it moves a deadline counted by the Labour Code.
private let illustrative2027 = GatewayFixtures.path("Tests/Fixtures/calendar/illustrative-2027.csv")

/// Requests composed across New Year 2027 while 2027 has no calendar: provisional in the document and the
/// journal, recomputed when the year is imported, the audit still passing.
@Suite("Provisional deadlines across New Year 2027")
struct ProvisionalDeadlineTests {
    /// Social protection (reading `calendar.json` in its folder, the fallback left to its default) sends;
    /// employment receives. The calendar file starts with 2026 only.
    static func exchange() async throws -> (
        sender: (gateway: Gateway, archive: ArchiveFolder, folder: String),
        receiver: (gateway: Gateway, archive: ArchiveFolder, folder: String),
        calendar: String
    ) {
        let root = try GatewayFixtures.temporaryFolder()
        let calendar = root + "/social-protection/calendar.json"
        try FileManager.default.createDirectory(atPath: root + "/social-protection", withIntermediateDirectories: true)
        try ProductionCalendar.bundled().keeping(years: [2026], source: "bundled").write(to: calendar)
        return (
            try await GatewayFixtures.gateway("social-protection", in: root + "/social-protection", documents: "{calendar: \(calendar)}"),
            try await GatewayFixtures.gateway("employment", in: root + "/employment"), calendar
        )
    }

    static let christmas = ISOTime.date("2026-12-25T09:00:00Z")!
    static let march = ISOTime.date("2026-03-02T09:00:00Z")!

    @Test("the gateway's fallback is labour-code unless the configuration says none")
    func defaultFallback() async throws {
        let (sender, _, _) = try await Self.exchange()
        #expect(sender.gateway.configuration.documents.calendarFallback == "labour-code")
        #expect(sender.gateway.documents.fallback == .labourCode)
        let strict = try GatewayConfiguration.parse(
            Array(
                GatewayFixtures.configurationText(agency: "employment", folder: sender.folder, documents: "{calendarFallback: none}").utf8),
            source: "strict.yaml", baseFolder: sender.folder)
        #expect(strict.documents.calendarFallback == "none")
    }

    @Test("sent on 25 December 2026: provisional in the document, the letter and the journals; importing 2027 recomputes it")
    func provisionalThenRecomputed() async throws {
        let (sender, receiver, calendarFile) = try await Self.exchange()
        let outgoing = OutgoingWorkflow(gateway: sender.gateway, registrar: sender.archive.registrar)
        let late = try await outgoing.send(.request(GatewayFixtures.requestDraft()), at: Self.christmas)
        let early = try await outgoing.send(.request(GatewayFixtures.requestDraft()), at: Self.march)

        // The document: the mark on the deadline, schema-valid, read back, and on the letter.
        let text = String(decoding: late.signed, as: UTF8.self)
        #expect(text.contains(#"<ResponseDeadline provisional="true">2027-01-19</ResponseDeadline>"#), "\(text)")
        #expect(!String(decoding: early.signed, as: UTF8.self).contains("provisional"))
        let report = try DocumentValidator(context: sender.gateway.documents).validate(late.signed, sourceName: "late")
        #expect(report.isValid, "\(report.problems)")
        guard case .request(let request)? = report.parsed else {
            Issue.record("not read back as a request")
            return
        }
        #expect(request.responseDeadlineProvisional == true)
        let html = DocumentRenderer.html(.request(request), signature: nil)
        #expect(html.contains("предварительный срок: производственный календарь на 2027 год не утверждён"))

        // The journals: the sender's, and the receiver's (read from the document's mark).
        #expect(late.entry.deadline == "2027-01-19" && late.entry.deadlineProvisional == true)
        #expect(early.entry.deadline == "2026-03-17" && early.entry.deadlineProvisional == nil)
        let received = try await IncomingWorkflow(gateway: receiver.gateway, registrar: receiver.archive.registrar).receive(
            late.signed, sourceName: "from social-protection", at: Self.christmas)
        guard case .registered(let incoming) = received.disposition else {
            Issue.record("not registered: \(received.disposition) \(received.reasons)")
            return
        }
        #expect(incoming.deadline == "2027-01-19" && incoming.deadlineProvisional == true)

        // The official (here: illustrative) 2027 is imported into the gateway's calendar file.
        let imported = try ProductionCalendarCSV.load(contentsOf: illustrative2027)
        _ = try ProductionCalendar.importing(imported, into: calendarFile)
        let deadlines = ProvisionalDeadlines(gateway: sender.gateway, registrar: sender.archive.registrar)
        #expect(try ProvisionalDeadlines.calendarFile(of: sender.gateway.configuration, into: nil) == calendarFile)
        let changes = try await deadlines.recompute(after: imported, source: "illustrative-2027.csv")
        #expect(changes.map(\.entry.number) == [late.entry.number], "only the open provisional request")
        let change = try #require(changes.first)
        #expect(change.previousDeadline == "2027-01-19" && change.deadline == "2027-01-20" && !change.provisional)
        let entry = try await sender.archive.registrar.entry(number: late.entry.number, year: late.entry.year)
        #expect(entry.deadline == "2027-01-20" && entry.deadlineProvisional == nil)
        let history = try await sender.archive.registrar.history(of: entry)
        let event = try #require(history.last)
        #expect(event.type == .deadlineRecomputed)
        #expect(event.payload.previousDeadline == "2027-01-19" && event.payload.deadline == "2027-01-20")
        #expect(event.payload.reason == "the official production calendar for 2027 was imported from illustrative-2027.csv")
        // The signed document is the one signed, untouched.
        #expect(try await sender.archive.registrar.original(of: entry) == late.signed)
        // A gateway opened on the calendar as imported counts the same: nothing more to do.
        let reopened = try Gateway.open(sender.gateway.configuration)
        #expect(reopened.documents.calendar.coveredYears == [2025, 2026, 2027])
        #expect(
            try await ProvisionalDeadlines(gateway: reopened, registrar: sender.archive.registrar).recompute(after: imported, source: "x")
                .isEmpty)

        // The receiver recomputes its own journal the same way (its gateway reads the bundled calendar only).
        let receiverChanges = try await ProvisionalDeadlines(gateway: receiver.gateway, registrar: receiver.archive.registrar).recompute(
            after: imported, source: "illustrative-2027.csv")
        #expect(receiverChanges.map(\.deadline) == ["2027-01-20"])
    }

    @Test("the journal refuses to move a deadline that is not provisional, not open, or not what it assumed")
    func journalRefusals() async throws {
        let (sender, _, _) = try await Self.exchange()
        let outgoing = OutgoingWorkflow(gateway: sender.gateway, registrar: sender.archive.registrar)
        let late = try await outgoing.send(.request(GatewayFixtures.requestDraft()), at: Self.christmas)
        let early = try await outgoing.send(.request(GatewayFixtures.requestDraft()), at: Self.march)
        let registrar = sender.archive.registrar
        func refusal(_ revision: DeadlineRevision) async -> String? {
            do {
                _ = try await registrar.recomputeDeadline(revision)
                Issue.record("accepted: \(revision)")
                return nil
            } catch let error as ArchiveError {
                #expect(error.code == .numberUnusable)
                return error.message
            } catch {
                Issue.record("\(error)")
                return nil
            }
        }
        let firm = await refusal(
            DeadlineRevision(
                number: early.entry.number, year: 2026, previousDeadline: "2026-03-17", deadline: "2026-03-18", provisional: false,
                reason: "test"))
        #expect(firm?.contains("is not provisional") == true)
        let stale = await refusal(
            DeadlineRevision(
                number: late.entry.number, year: 2026, previousDeadline: "2027-01-18", deadline: "2027-01-20", provisional: false,
                reason: "test"))
        #expect(stale?.contains("not 2027-01-18") == true)
        let noDate = await refusal(
            DeadlineRevision(
                number: late.entry.number, year: 2026, previousDeadline: "2027-01-19", deadline: "20 January", provisional: false,
                reason: "test"))
        #expect(noDate?.contains("is not a date") == true)
        let noReason = await refusal(
            DeadlineRevision(
                number: late.entry.number, year: 2026, previousDeadline: "2027-01-19", deadline: "2027-01-20", provisional: false,
                reason: " "))
        #expect(noReason?.contains("needs a reason") == true)
        let entry = try await registrar.entry(number: late.entry.number, year: 2026)
        #expect(entry.deadline == "2027-01-19" && entry.deadlineProvisional == true, "a refused revision writes nothing")
    }

    /// The whole story with real processes: `calendar import --gateway` recomputes, `archive show` tells it,
    /// `archive audit` passes.
    @Test("mezhved calendar import --gateway, then archive show and archive audit")
    func importCommand() async throws {
        let (sender, _, calendarFile) = try await Self.exchange()
        let late = try await OutgoingWorkflow(gateway: sender.gateway, registrar: sender.archive.registrar).send(
            .request(GatewayFixtures.requestDraft()), at: Self.christmas)
        await sender.archive.registrar.finishBackgroundWork()
        let configuration = sender.folder + "/gateway.yaml"
        try Array(
            GatewayFixtures.configurationText(agency: "social-protection", folder: sender.folder, documents: "{calendar: calendar.json}")
                .utf8
        ).write(to: configuration)
        let archive = sender.folder + "/archive"

        let shown = try await TestProcess.mezhved(["archive", "show", late.entry.number, "--archive", archive])
        #expect(shown.stdout.contains("deadline:     2027-01-19 (provisional: by the Labour Code)"), "\(shown.stdout)")

        let imported = try await TestProcess.mezhved(["calendar", "import", illustrative2027, "--gateway", configuration])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("IMPORTED 2027 into \(calendarFile): 247 working days, 118 non-working"), "\(imported.stdout)")
        #expect(imported.stdout.contains("RECOMPUTED \(late.entry.number) (2026): deadline 2027-01-19 → 2027-01-20"), "\(imported.stdout)")
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: calendarFile)[.posixPermissions] as? Int)
        #expect(mode == 0o644)
        #expect(try ProductionCalendar.load(contentsOf: calendarFile).coveredYears == [2026, 2027])

        let after = try await TestProcess.mezhved(["archive", "show", late.entry.number, "--archive", archive])
        #expect(after.stdout.contains("deadline:     2027-01-20\n"), "\(after.stdout)")
        #expect(after.stdout.contains("deadlineRecomputed\t2027-01-19 → 2027-01-20\tthe official production calendar for 2027"))
        let list = try await TestProcess.mezhved(["archive", "list", "--archive", archive, "--json"])
        #expect(list.status == 0)
        #expect(list.stdout.contains("2027-01-20"))

        let audit = try await TestProcess.mezhved(["archive", "audit", "--gateway", configuration])
        #expect(audit.status == 0, "\(audit.stdout) \(audit.stderr)")
        #expect(audit.stdout.hasPrefix("AUDIT PASSED"), "\(audit.stdout)")

        // Again: nothing left to recompute, the file the same.
        let before = try Data(contentsOf: URL(fileURLWithPath: calendarFile))
        let again = try await TestProcess.mezhved(["calendar", "import", illustrative2027, "--gateway", configuration, "--json"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("\"recomputed\" : [\n\n  ]") || again.stdout.contains("\"recomputed\" : []"), "\(again.stdout)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: calendarFile)) == before)

        // --into another file than documents.calendar, or a configuration without one: exit 11, nothing written.
        let other = sender.folder + "/other.json"
        let mismatch = try await TestProcess.mezhved(["calendar", "import", illustrative2027, "--gateway", configuration, "--into", other])
        #expect(mismatch.status == 11, "\(mismatch.stderr)")
        #expect(mismatch.stderr.contains("is not the calendar file the gateway reads"))
        #expect(!FileManager.default.fileExists(atPath: other))
        let without = sender.folder + "/without.yaml"
        try Array(GatewayFixtures.configurationText(agency: "social-protection", folder: sender.folder).utf8).write(to: without)
        let noCalendar = try await TestProcess.mezhved(["calendar", "import", illustrative2027, "--gateway", without])
        #expect(noCalendar.status == 11)
        #expect(noCalendar.stderr.contains("names no documents.calendar file"), "\(noCalendar.stderr)")

        // A configuration naming a calendar file not yet written: the first import creates it, then the
        // gateway opens on it (nothing left to recompute here).
        let fresh = sender.folder + "/fresh.yaml"
        try Array(
            GatewayFixtures.configurationText(agency: "social-protection", folder: sender.folder, documents: "{calendar: fresh.json}").utf8
        ).write(to: fresh)
        await #expect(try TestProcess.mezhved(["gateway", "check", "--gateway", fresh]).status == 11, "the file is missing")
        let first = try await TestProcess.mezhved(["calendar", "import", illustrative2027, "--gateway", fresh])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("no open request had a provisional deadline to recompute"), "\(first.stdout)")
        #expect(try ProductionCalendar.load(contentsOf: sender.folder + "/fresh.json").coveredYears == [2027])
        await #expect(try TestProcess.mezhved(["gateway", "check", "--gateway", fresh]).status == 0)
    }
}
