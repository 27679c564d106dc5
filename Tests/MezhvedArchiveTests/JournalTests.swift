import Foundation
import MezhvedXMLDSig
import Testing

@testable import MezhvedArchive

@Suite("Numbering and the event log")
struct JournalTests {
    @Test("number templates: width, year, Cyrillic literals")
    func numberFormats() throws {
        #expect(try NumberFormat("01-12/{seq:06}").format(sequence: 345, year: 2026, agency: "x") == "01-12/000345")
        #expect(try NumberFormat("ЗКСЗН-{year}-{seq:06}").format(sequence: 345, year: 2026, agency: "x") == "ЗКСЗН-2026-000345")
        #expect(try NumberFormat("{agency}/{yy}/{seq}").format(sequence: 7, year: 2009, agency: "health") == "health/09/7")
        #expect(try NumberFormat("{seq:03}").format(sequence: 12_345, year: 2026, agency: "x") == "12345")
    }

    @Test("invalid templates are refused with the reason", arguments: ["01-12/", "{seq:0}", "{seq:06", "{month}-{seq}"])
    func invalidFormats(template: String) {
        #expect(throws: ArchiveError.self) { try NumberFormat(template) }
        do {
            _ = try NumberFormat(template)
        } catch let error as ArchiveError {
            #expect(error.code == .formatInvalid)
            #expect(error.message.contains(template))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("a log line carries the hash of its own bytes and of the line before")
    func lineChain() throws {
        var payload = EventPayload()
        payload.number = "01-12/000001"
        let (first, event1) = try EventLine.make(seq: 1, time: Date(), type: .reserved, prev: EventLine.genesis, payload: payload)
        let (_, event2) = try EventLine.make(seq: 2, time: Date(), type: .voided, prev: event1.hash, payload: payload)
        #expect(event2.prev == event1.hash)
        let parsed = try EventLine.parse(first.dropLast()[...]).get()
        #expect(parsed == event1)
        #expect(event1.hash == ArchiveCrypto.sha256Hex(Array(first.prefix(first.count - 1 - 66 - EventLine.hashMarker.count))))
        // One changed character of the payload breaks the line's own hash.
        var altered = first.dropLast()
        let index = altered.firstIndex(of: UInt8(ascii: "1"))!
        altered[index] = UInt8(ascii: "2")
        guard case .failure(.hashMismatch) = EventLine.parse(altered[...]) else {
            Issue.record("an altered line was accepted")
            return
        }
    }

    @Test("reserve, register under the reserved number, void: statuses and counters per direction")
    func lifeCycle() throws {
        let archive = try ArchiveFixtures.makeArchive(interval: 100)
        let reserved = try archive.reserve(direction: .outgoing, note: "draft")
        let spare = try archive.reserve(direction: .outgoing, note: nil)
        #expect(reserved.number == "01-12/000001")
        #expect(spare.number == "01-12/000002")
        let document = try ArchiveFixtures.signedRequests(1)[0]
        let registered = try archive.register(
            Submission(direction: .outgoing, document: document, sourceName: "r", reservedNumber: reserved.number, signatureStatus: "valid")
        )
        #expect(registered.number == "01-12/000001")
        #expect(registered.recordedStatus == .registered)
        #expect(registered.counterpart == "employment")
        #expect(registered.deadline == "2026-03-17")
        let voided = try archive.void(number: spare.number, reason: "not needed")
        #expect(voided.recordedStatus == .voided)
        #expect(voided.voidReason == "not needed")
        // Registered numbers cannot be voided, voided ones not reused, the same document not registered twice.
        #expect(throws: ArchiveError.self) { try archive.void(number: registered.number, reason: "x") }
        #expect(throws: ArchiveError.self) {
            try archive.register(Submission(direction: .outgoing, document: document, sourceName: "r", signatureStatus: "valid"))
        }
        let incoming = try archive.reserve(direction: .incoming, note: nil)
        #expect(incoming.number == "ЗКСЗН-\(Timestamps.year(Date()))-000001")
        let sent = try archive.record(.sent, number: registered.number, note: nil)
        #expect(sent.recordedStatus == .sent)
        #expect(sent.status(on: "2026-03-18") == .overdue)
        #expect(sent.status(on: "2026-03-17") == .sent)
        #expect(try archive.history(of: sent).map(\.type) == [.reserved, .registered, .sent])
        // A fresh open replays the log into the same journal.
        let reopened = try FileSystemArchive(path: archive.path)
        #expect(try reopened.journal().entries == archive.journal().entries)
    }

    @Test("a torn tail makes normal commands refuse; recover reports, truncates and records it")
    func tornTail() throws {
        let archive = try ArchiveFixtures.makeArchive(interval: 100)
        try ArchiveFixtures.register(2, in: archive)
        let events = archive.path + "/log/events.log"
        let before = Tamper.read(events)
        let torn = Array("{\"seq\":4,\"time\":\"2026-".utf8)
        Tamper.write(before + torn, events)
        #expect {
            _ = try FileSystemArchive(path: archive.path)
        } throws: { error in
            (error as? ArchiveError)?.code == .recoveryNeeded && "\(error)".contains("archive recover")
        }
        let report = try FileSystemArchive.recover(at: archive.path)
        #expect(report.tornBytes == torn.count)
        let reopened = try FileSystemArchive(path: archive.path)
        let journal = try reopened.journal()
        #expect(journal.entries.count == 2)
        let lines = Tamper.lines(events)
        #expect(lines.last?.contains("\"type\":\"recovered\"") == true)
        #expect(lines.last?.contains("torn log tail of \(torn.count) bytes") == true)
    }

    @Test("an object whose registration never reached the log is set aside by recover, not deleted; the audit notes it")
    func orphanQuarantined() throws {
        let archive = try ArchiveFixtures.makeArchive(interval: 100)
        try ArchiveFixtures.register(1, in: archive)
        // A crash between the object's fsync and the log append leaves this.
        let orphan = Array("<orphan/>".utf8)
        let digest = ArchiveCrypto.sha256Hex(orphan)
        try DurableFiles.makeDirectory(archive.path + "/objects/\(digest.prefix(2))")
        try DurableFiles.writeAtomically(orphan, to: archive.path + "/objects/\(digest.prefix(2))/\(digest)")
        #expect(try ArchiveFixtures.auditor(archive).audit().findings.contains { $0.category == .objectUnreferenced })
        let report = try FileSystemArchive.recover(at: archive.path)
        #expect(report.quarantinedObjects == [digest])
        #expect(Tamper.read(archive.path + "/quarantine/\(digest)") == orphan)
        let audit = try ArchiveFixtures.auditor(archive).audit()
        #expect(audit.passed, "\(audit.findings)")
        #expect(audit.notes.contains { $0.hasPrefix("quarantine/\(digest)") })
        #expect(Tamper.lines(archive.path + "/log/events.log").last?.contains("moved 1 unregistered objects to quarantine/") == true)
    }
}
