import Foundation
import MezhvedCore
import MezhvedTestSupport
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

    @Test("reserve, register under the reserved number, void: statuses and counters per direction", arguments: StoreKind.allCases)
    func lifeCycle(store: StoreKind) async throws {
        guard try store.available() else { return }
        let archive = try await ArchiveFixtures.makeArchive(store, interval: 100)
        let reserved = try await archive.reserve(direction: .outgoing, note: "draft")
        let spare = try await archive.reserve(direction: .outgoing, note: nil)
        #expect(reserved.number == "01-12/000001")
        #expect(spare.number == "01-12/000002")
        let document = try ArchiveFixtures.signedRequest(number: reserved.number)
        let registered = try await archive.register(
            Submission(direction: .outgoing, document: document, sourceName: "r", reservedNumber: reserved.number, signatureStatus: .valid)
        )
        #expect(registered.number == "01-12/000001")
        #expect(registered.recordedStatus == .registered)
        #expect(registered.counterpart == "employment")
        #expect(registered.deadline == "2026-03-17")
        #expect(registered.kind == .request)
        #expect(registered.signingTimeSource == .registration)
        let voided = try await archive.void(number: spare.number, reason: "not needed")
        #expect(voided.recordedStatus == .voided)
        #expect(voided.voidReason == "not needed")
        // Registered numbers cannot be voided, voided ones not reused, the same document not registered twice.
        await #expect(throws: ArchiveError.self) { try await archive.void(number: registered.number, reason: "x") }
        await #expect(throws: ArchiveError.self) {
            try await archive.register(Submission(direction: .outgoing, document: document, sourceName: "r", signatureStatus: .valid))
        }
        let incoming = try await archive.reserve(direction: .incoming, note: nil)
        #expect(incoming.number == "ЗКСЗН-\(ISOTime.agencyYear(Date()))-000001")
        let sent = try await archive.record(.sent, number: registered.number, note: nil)
        #expect(sent.recordedStatus == .sent)
        #expect(sent.status(on: "2026-03-18") == .overdue)
        #expect(sent.status(on: "2026-03-17") == .sent)
        #expect(try await archive.registrar.history(of: sent).map(\.type) == [.reserved, .registered, .sent])
        // A fresh open replays the log into the same journal.
        #expect(try await archive.reopenedJournal().entries == archive.journal().entries)
    }

    @Test("an outgoing document is registered only under the number it is printed with", arguments: StoreKind.allCases)
    func printedNumber(store: StoreKind) async throws {
        guard try store.available() else { return }
        let archive = try await ArchiveFixtures.makeArchive(store, interval: 100)
        // Printed with 01-12/000005 while the next number is 01-12/000001: refused, naming both.
        let wrong = try ArchiveFixtures.signedRequest(number: "01-12/000005")
        await #expect {
            _ = try await archive.register(Submission(direction: .outgoing, document: wrong, sourceName: "w.xml", signatureStatus: .valid))
        } throws: { error in
            let error = error as? ArchiveError
            return error?.code == .numberUnusable && error!.message.contains("w.xml") && error!.message.contains("01-12/000005")
                && error!.message.contains("01-12/000001") && error!.hint?.contains("reserve") == true
        }
        // A reserved number given explicitly must be the printed one.
        let reserved = try await archive.reserve(direction: .outgoing)
        let other = try ArchiveFixtures.signedRequest(number: "01-12/000009")
        await #expect {
            _ = try await archive.register(
                Submission(
                    direction: .outgoing, document: other, sourceName: "o.xml", reservedNumber: reserved.number, signatureStatus: .valid))
        } throws: { error in
            let message = (error as? ArchiveError)?.message ?? ""
            return message.contains("01-12/000009") && message.contains(reserved.number)
        }
        // Printed with a reserved number, it takes that reservation without being told.
        let third = try await archive.reserve(direction: .outgoing)
        let printed = try await archive.register(
            Submission(
                direction: .outgoing, document: try ArchiveFixtures.signedRequest(number: third.number), sourceName: "p.xml",
                signatureStatus: .valid))
        #expect(printed.number == third.number)
        #expect(printed.sequence == 2)
        // Printed with the next number, it takes it.
        let next = try await archive.register(
            Submission(
                direction: .outgoing, document: try ArchiveFixtures.signedRequest(number: "01-12/000003"), sourceName: "n.xml",
                signatureStatus: .valid))
        #expect(next.number == "01-12/000003")
        // Nothing refused left an object behind.
        let report = try await ArchiveFixtures.auditor(any: archive).audit()
        #expect(report.objects == 2)
        #expect(!report.findings.contains { $0.category == .objectUnreferenced }, "\(report.findings)")
    }

    @Test("the same letter sent again as another file is registered once", arguments: StoreKind.allCases)
    func letterRegisteredOnce(store: StoreKind) async throws {
        guard try store.available() else { return }
        let archive = try await ArchiveFixtures.makeArchive(store, interval: 100)
        let replacements = [("02-11/4817", "01-12/000001")]
        let first = try ArchiveFixtures.resigned("answer-unemployment-status.signed.xml", agency: "employment", replacing: replacements)
        // The same letter (number 03-15/2291 of 2026-03-11 from employment), signed again: other bytes.
        let again = try ArchiveFixtures.resigned("answer-unemployment-status.signed.xml", agency: "employment", replacing: replacements)
        #expect(first != again)
        let entry = try await archive.register(
            Submission(direction: .incoming, document: first, sourceName: "a1.xml", signatureStatus: .valid))
        #expect(entry.documentNumber == "03-15/2291")
        await #expect {
            _ = try await archive.register(Submission(direction: .incoming, document: again, sourceName: "a2.xml", signatureStatus: .valid))
        } throws: { error in
            let message = (error as? ArchiveError)?.message ?? ""
            return (error as? ArchiveError)?.code == .documentRefused && message.contains("a2.xml") && message.contains("03-15/2291")
                && message.contains(entry.number)
        }
        #expect(try await archive.journal().entries.count == 1)
    }

    @Test(
        "a receipt names the document it acknowledges and moves it to delivered; a rejecting receipt to rejected",
        arguments: StoreKind.allCases)
    func receipts(store: StoreKind) async throws {
        guard try store.available() else { return }
        let archive = try await ArchiveFixtures.makeArchive(store, interval: 100)
        let requests = try await ArchiveFixtures.register(2, in: archive)
        let accepted = try ArchiveFixtures.resigned(
            "receipt-accepted.signed.xml", agency: "employment", replacing: [("02-11/4817", requests[0].number)])
        let receipt = try await archive.register(
            Submission(direction: .incoming, document: accepted, sourceName: "receipt.xml", signatureStatus: .valid))
        #expect(receipt.kind == .receipt)
        #expect(receipt.acknowledges == requests[0].key)
        let delivered = try await archive.registrar.entry(number: requests[0].number)
        #expect(delivered.recordedStatus == .delivered)
        #expect(delivered.acknowledgedBy == [receipt.number])
        let rejected = try ArchiveFixtures.resigned(
            "receipt-rejected.signed.xml", agency: "employment", replacing: [("02-11/4817", requests[1].number)])
        let refusal = try await archive.register(
            Submission(direction: .incoming, document: rejected, sourceName: "rejected.xml", signatureStatus: .valid))
        let refused = try await archive.registrar.entry(number: requests[1].number)
        #expect(refused.recordedStatus == .rejected)
        #expect(refused.acknowledgedBy == [refusal.number])
        // The same holds after a replay.
        let replayed = try await archive.reopen().entries(JournalQuery(status: .delivered, day: "2026-03-02"))
        #expect(replayed.map(\.number) == [requests[0].number])
        // Our receipt for an answer we received: it carries no number of its own and takes the next
        // outgoing one; it names the answer by its sender's number.
        let answer = try await archive.register(
            Submission(
                direction: .incoming,
                document: try ArchiveFixtures.resigned("answer-unemployment-status.signed.xml", agency: "employment", replacing: []),
                sourceName: "answer.xml", signatureStatus: .valid))
        let ours = try ArchiveFixtures.resigned(
            "receipt-accepted.signed.xml", agency: "social-protection",
            replacing: [
                ("<Sender agency=\"employment\">", "<Sender agency=\"x\">"),
                ("<Recipient agency=\"social-protection\">", "<Recipient agency=\"employment\">"),
                ("<Sender agency=\"x\">", "<Sender agency=\"social-protection\">"), ("02-11/4817", "03-15/2291"),
            ])
        let sent = try await archive.register(
            Submission(direction: .outgoing, document: ours, sourceName: "ours.xml", signatureStatus: .valid))
        #expect(sent.number == "01-12/000003")
        #expect(sent.acknowledges == answer.key)
        #expect(try await archive.registrar.entry(number: answer.number).acknowledgedBy == [sent.number])
    }

    @Test(
        "a refused incoming document is quarantined with its reason, kept encrypted, listed, and given back", arguments: StoreKind.allCases)
    func quarantine(store: StoreKind) async throws {
        guard try store.available() else { return }
        let archive = try await ArchiveFixtures.makeArchive(store, interval: 100)
        let garbage = Array("not xml at all: Васильев 145-236-987 76".utf8)
        let answer = try ArchiveFixtures.resigned("answer-unemployment-status.signed.xml", agency: "employment", replacing: [])
        let first = try await archive.registrar.quarantine(Rejection(document: garbage, sourceName: "g.bin", reason: "not XML"))
        let second = try await archive.registrar.quarantine(
            Rejection(document: answer, sourceName: "a.xml", reason: "signature INDETERMINATE", signatureStatus: .indeterminate))
        #expect(first.kind == nil)
        #expect(second.kind == .answer && second.counterpart == "employment" && second.documentNumber == "03-15/2291")
        let listed = try await archive.registrar.quarantined(JournalQuery(counterpart: "employment"))
        #expect(listed == [second])
        #expect(try await archive.registrar.quarantined(.all).count == 2)
        #expect(try await archive.registrar.original(of: first) == garbage)
        #expect(try await archive.registrar.original(of: second) == answer)
        // No number was taken, nothing is in clear, the log names no file, and the audit is clean.
        #expect(try await archive.journal().entries.isEmpty)
        let stored = try await archive.store.objects.get(first.object)
        #expect(!String(decoding: stored, as: UTF8.self).contains("Васильев"))
        let log = try await archive.logText()
        #expect(log.contains("\"type\":\"quarantined\"") && !log.contains("g.bin") && !log.contains("a.xml"))
        let report = try await ArchiveFixtures.auditor(any: archive).audit()
        #expect(report.passed, "\(report.findings)")
    }

    @Test("journal queries: direction, kind, status, period, deadline, overdue, paging", arguments: StoreKind.allCases)
    func queries(store: StoreKind) async throws {
        guard try store.available() else { return }
        let archive = try await ArchiveFixtures.makeArchive(store, interval: 100)
        let requests = try await ArchiveFixtures.register(3, in: archive)
        let reserved = try await archive.reserve(direction: .incoming)
        let registrar = archive.registrar
        #expect(try await registrar.entries(JournalQuery(direction: .outgoing)).map(\.number) == requests.map(\.number))
        #expect(try await registrar.entries(JournalQuery(direction: .incoming)).map(\.number) == [reserved.number])
        #expect(try await registrar.entries(JournalQuery(kind: .request)).count == 3)
        #expect(try await registrar.entries(JournalQuery(status: .reserved)).map(\.number) == [reserved.number])
        #expect(
            try await registrar.entries(JournalQuery(counterpart: "employment", limit: 2, offset: 1)).map(\.number) == [
                requests[1].number, requests[2].number,
            ])
        #expect(try await registrar.entries(JournalQuery(limit: 1, offset: 3)).map(\.number) == [reserved.number])
        #expect(try await registrar.entries(JournalQuery(deadlineBefore: "2026-03-18")).count == 3)
        #expect(try await registrar.entries(JournalQuery(deadlineBefore: "2026-03-17")).isEmpty)
        #expect(try await registrar.entries(JournalQuery(overdueOn: "2026-03-18")).count == 3)
        #expect(try await registrar.entries(JournalQuery(overdueOn: "2026-03-17")).isEmpty)
        #expect(try await registrar.entries(JournalQuery(to: Date(timeIntervalSince1970: 0))).isEmpty)
        #expect(try await registrar.entries(JournalQuery(from: Date().addingTimeInterval(-3600))).count == 4)
        #expect(try await registrar.entries(JournalQuery(documentDigest: requests[1].documentDigest)).map(\.number) == [requests[1].number])
        #expect(try await registrar.entries(JournalQuery(number: requests[2].number)).first?.sequence == 3)
    }

    @Test("an archive written before typed kinds, statuses and signing-time sources opens, replays and audits")
    func oldLogReplays() async throws {
        let archive = try await ArchiveFixtures.makeArchive(interval: 100)
        let document = try ArchiveFixtures.signedRequest(number: "01-12/000001")
        let object = try await archive.storage.objects.put(document)
        // The registration exactly as the store wrote it before (payload keys sorted, kind and status as strings, no source).
        let digest = ArchiveCrypto.sha256Hex(document)
        let events = archive.path + "/log/events.log"
        let first = Tamper.lines(events)[0]
        let firstHash = String(first.suffix(66).prefix(64))
        let payload =
            "{\"counterpart\":\"employment\",\"deadline\":\"2026-03-17\",\"direction\":\"outgoing\",\"documentDate\":\"2026-03-02\","
            + "\"documentDigest\":\"\(digest)\",\"documentNumber\":\"01-12/000001\",\"kind\":\"request\",\"number\":\"01-12/000001\","
            + "\"object\":\"\(object)\",\"sequence\":1,\"signatureStatus\":\"valid\",\"signingTime\":\"2026-03-02T10:15:00.000Z\",\"year\":2026}"
        let body =
            "{\"seq\":2,\"time\":\"2026-03-02T10:15:00.123Z\",\"type\":\"registered\",\"prev\":\"\(firstHash)\",\"payload\":\(payload)"
        let line = body + ",\"hash\":\"\(ArchiveCrypto.sha256Hex(Array(body.utf8)))\"}"
        Tamper.writeLines([first, line], events)
        let reopened = try await FileSystemStorage.open(at: archive.path)
        let entry = try #require(try await reopened.entries(.all).first)
        #expect(entry.kind == .request && entry.signatureStatus == .valid && entry.signingTimeSource == nil)
        let report = try await ArchiveFixtures.auditor(archive, key: true).audit()
        #expect(report.passed, "\(report.findings)")
    }

    @Test("a torn tail makes normal commands refuse; recover reports, truncates and records it")
    func tornTail() async throws {
        let archive = try await ArchiveFixtures.makeArchive(interval: 100)
        try await ArchiveFixtures.register(2, in: archive)
        let events = archive.path + "/log/events.log"
        let before = Tamper.read(events)
        let torn = Array("{\"seq\":4,\"time\":\"2026-".utf8)
        Tamper.write(before + torn, events)
        await #expect {
            _ = try await FileSystemStorage.open(at: archive.path)
        } throws: { error in
            (error as? ArchiveError)?.code == .recoveryNeeded && "\(error)".contains("archive recover")
        }
        let report = try await FileSystemStorage.recover(at: archive.path)
        #expect(report.tornBytes == torn.count)
        let reopened = try await FileSystemStorage.open(at: archive.path)
        let journal = try await reopened.journal()
        #expect(journal.entries.count == 2)
        let lines = Tamper.lines(events)
        #expect(lines.last?.contains("\"type\":\"recovered\"") == true)
        #expect(lines.last?.contains("torn log tail of \(torn.count) bytes") == true)
    }

    @Test("an object whose registration never reached the log is set aside by recover, not deleted; the audit notes it")
    func orphanQuarantined() async throws {
        let archive = try await ArchiveFixtures.makeArchive(interval: 100)
        try await ArchiveFixtures.register(1, in: archive)
        // A crash between the object's write and the log append leaves this.
        let orphan = Array("<orphan/>".utf8)
        let digest = ArchiveCrypto.sha256Hex(orphan)
        try DurableFiles.makeDirectory(archive.path + "/objects/\(digest.prefix(2))")
        try DurableFiles.writeAtomically(orphan, to: archive.path + "/objects/\(digest.prefix(2))/\(digest)")
        #expect(try await ArchiveFixtures.auditor(archive).audit().findings.contains { $0.category == .objectUnreferenced })
        let report = try await FileSystemStorage.recover(at: archive.path)
        #expect(report.quarantinedObjects == [digest])
        #expect(Tamper.read(archive.path + "/quarantine/\(digest)") == orphan)
        let audit = try await ArchiveFixtures.auditor(archive).audit()
        #expect(audit.passed, "\(audit.findings)")
        #expect(audit.notes.contains { $0.hasPrefix("quarantine/\(digest)") })
        #expect(Tamper.lines(archive.path + "/log/events.log").last?.contains("moved 1 unregistered objects to quarantine/") == true)
    }
}
