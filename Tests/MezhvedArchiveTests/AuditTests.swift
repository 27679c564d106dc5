import Foundation
import MezhvedXMLDSig
import Testing

@testable import MezhvedArchive

/// Each tamper case of issue 5, each asserting that the audit names the exact broken item.
@Suite("Audit: tamper detection")
struct AuditTests {
    /// An archive with 5 registered documents, one voided number and checkpoints every 3 entries
    /// (entries: created, reserve, void, 5 registrations = 8; checkpoints at 3 and 6), witnessed.
    static func populated(interval: Int = 3) async throws -> (archive: TestArchive, witness: String, entries: [JournalEntry]) {
        let witness = try ArchiveFixtures.temporaryDirectory() + "/witness"
        let archive = try await ArchiveFixtures.makeArchive(interval: interval, witness: witness)
        let spare = try await archive.reserve(direction: .outgoing, note: nil)
        _ = try await archive.void(number: spare.number, reason: "drafting error")
        let entries = try await ArchiveFixtures.register(5, in: archive)
        return (archive, witness, entries)
    }

    static func audit(_ archive: TestArchive, key: Bool = false, witness: String? = nil) async throws -> AuditReport {
        try await ArchiveFixtures.auditor(archive, key: key, witness: witness).audit()
    }

    static func finding(_ report: AuditReport, _ category: AuditFinding.Category) -> AuditFinding? {
        report.findings.first { $0.category == category }
    }

    /// Rewrites the log from `events` with a freshly computed, consistent chain.
    static func rewriteLog(_ archive: TestArchive, _ events: [ArchiveEvent]) throws {
        var prev = EventLine.genesis
        var bytes: [UInt8] = []
        for (index, event) in events.enumerated() {
            let (line, made) = try EventLine.make(
                seq: index + 1, time: Timestamps.date(event.time)!, type: event.type, prev: prev, payload: event.payload)
            bytes += line
            prev = made.hash
        }
        Tamper.write(bytes, archive.path + "/log/events.log")
    }

    static func events(_ archive: TestArchive) throws -> [ArchiveEvent] {
        try ArchiveLogReader.read(archive.path + "/log/events.log").events
    }

    @Test("an untouched archive passes, signed-info-only without the key and full with it")
    func clean() async throws {
        let (archive, witness, entries) = try await Self.populated()
        let report = try await Self.audit(archive, witness: witness)
        #expect(report.passed, "\(report.findings)")
        #expect(report.documents.count == entries.count)
        #expect(report.documents.allSatisfy { $0.signature.level == .signedInfoOnly && $0.signature.status == "valid" })
        #expect(report.checkpoints == 2)
        let full = try await Self.audit(archive, key: true, witness: witness)
        #expect(full.passed, "\(full.findings)")
        #expect(full.documents.allSatisfy { $0.signature.level == .full && $0.signature.status == "valid" })
    }

    @Test("one flipped byte in a stored document is named by its file")
    func objectByteFlipped() async throws {
        let (archive, _, entries) = try await Self.populated()
        let object = try #require(entries[2].object)
        Tamper.flip(archive.path + "/objects/\(object.prefix(2))/\(object)", at: 200)
        let report = try await Self.audit(archive)
        #expect(!report.passed)
        let finding = try #require(Self.finding(report, .objectAltered))
        #expect(finding.item == "objects/\(object.prefix(2))/\(object)")
    }

    @Test("one flipped byte in the event log is named by its line")
    func logByteFlipped() async throws {
        let (archive, _, _) = try await Self.populated()
        let path = archive.path + "/log/events.log"
        let lines = Tamper.lines(path)
        let offset = lines[0].utf8.count + 1 + lines[1].utf8.count + 1 + 30  // inside line 3
        Tamper.flip(path, at: offset)
        let report = try await Self.audit(archive)
        let finding = try #require(Self.finding(report, .logDamaged))
        #expect(finding.item == "log/events.log line 3")
        #expect(finding.message.contains("altered") || finding.message.contains("not a log entry"))
    }

    @Test("one flipped byte in a checkpoint breaks its signature")
    func checkpointByteFlipped() async throws {
        let (archive, _, _) = try await Self.populated()
        let path = archive.path + "/log/checkpoints/" + ArchiveLayout.checkpointName(3)
        let text = String(decoding: Tamper.read(path), as: UTF8.self)
        let at = try #require(text.utf8.firstIndex(of: UInt8(ascii: "h")).map { text.utf8.distance(from: text.utf8.startIndex, to: $0) })
        Tamper.flip(path, at: at + 100)
        let report = try await Self.audit(archive)
        #expect(report.findings.contains { $0.item == "log/checkpoints/000000000003.xml" })
    }

    @Test("one changed byte in archive.json is detected")
    func configurationChanged() async throws {
        let (archive, _, _) = try await Self.populated()
        let path = archive.path + "/archive.json"
        let text = String(decoding: Tamper.read(path), as: UTF8.self).replacingOccurrences(
            of: "social-protection", with: "social-protectiom")
        Tamper.write(Array(text.utf8), path)
        let finding = try #require(Self.finding(try await Self.audit(archive), .configuration))
        #expect(finding.item == "archive.json")
    }

    @Test("a deleted document is named by its number")
    func objectDeleted() async throws {
        let (archive, _, entries) = try await Self.populated()
        let object = try #require(entries[1].object)
        try FileManager.default.removeItem(atPath: archive.path + "/objects/\(object.prefix(2))/\(object)")
        let finding = try #require(Self.finding(try await Self.audit(archive), .objectMissing))
        #expect(finding.item == "\(entries[1].number) (\(entries[1].year))")
    }

    @Test("a document without a registration is named")
    func objectUnreferenced() async throws {
        let (archive, _, _) = try await Self.populated()
        let extra: [UInt8] = Array("<x/>".utf8)
        let digest = ArchiveCrypto.sha256Hex(extra)
        try DurableFiles.makeDirectory(archive.path + "/objects/\(digest.prefix(2))")
        Tamper.write(extra, archive.path + "/objects/\(digest.prefix(2))/\(digest)")
        let finding = try #require(Self.finding(try await Self.audit(archive), .objectUnreferenced))
        #expect(finding.item == "objects/\(digest.prefix(2))/\(digest)")
    }

    @Test("a deleted log entry is named: the gap and the chain")
    func logEntryDeleted() async throws {
        let (archive, _, _) = try await Self.populated()
        let path = archive.path + "/log/events.log"
        var lines = Tamper.lines(path)
        lines.remove(at: 4)  // entry 5
        Tamper.writeLines(lines, path)
        let report = try await Self.audit(archive)
        let finding = try #require(Self.finding(report, .logDamaged))
        #expect(finding.item == "log/events.log line 5")
        #expect(finding.message.contains("entries 5…5 are missing"))
    }

    @Test("reordered log entries are named")
    func logEntriesReordered() async throws {
        let (archive, _, _) = try await Self.populated()
        let path = archive.path + "/log/events.log"
        var lines = Tamper.lines(path)
        lines.swapAt(4, 5)
        Tamper.writeLines(lines, path)
        let report = try await Self.audit(archive)
        let damaged = report.findings.filter { $0.category == .logDamaged }
        #expect(damaged.contains { $0.item == "log/events.log line 5" })
        #expect(damaged.contains { $0.message.contains("out of order") })
    }

    @Test("a log cut back to a consistent shorter one is caught by the signed checkpoints")
    func logTruncatedConsistently() async throws {
        let (archive, _, _) = try await Self.populated()
        let path = archive.path + "/log/events.log"
        Tamper.writeLines(Array(Tamper.lines(path).prefix(4)), path)
        // The shorter log on its own is a perfect chain…
        #expect(try ArchiveLogReader.read(path).damage.isEmpty)
        // …but the checkpoint at entry 6 says there was more.
        let report = try await Self.audit(archive)
        let finding = try #require(Self.finding(report, .logTruncated))
        #expect(finding.message.contains("000000000006.xml covers entry 6"))
        #expect(finding.message.contains("ends at entry 4"))
    }

    @Test("a shorter log with the later checkpoints deleted too is caught by the witness")
    func logAndCheckpointsCut() async throws {
        let (archive, witness, _) = try await Self.populated()
        let path = archive.path + "/log/events.log"
        Tamper.writeLines(Array(Tamper.lines(path).prefix(4)), path)
        try FileManager.default.removeItem(atPath: archive.path + "/log/checkpoints/000000000006.xml")
        // Without a witness the archive looks consistent apart from documents without a number.
        let alone = try await Self.audit(archive)
        #expect(Self.finding(alone, .logTruncated) == nil)
        #expect(Self.finding(alone, .objectUnreferenced) != nil)
        let report = try await Self.audit(archive, witness: witness)
        let finding = try #require(Self.finding(report, .witnessMismatch))
        #expect(finding.item == "log/checkpoints/000000000006.xml")
        #expect(Self.finding(report, .logTruncated) != nil)
    }

    @Test("a consistently rewritten log is caught by the checkpoint heads")
    func logRewritten() async throws {
        let (archive, _, _) = try await Self.populated()
        var events = try Self.events(archive)
        var payload = events[1].payload
        payload.reason = "rewritten"
        events[1] = ArchiveEvent(seq: 2, time: events[1].time, type: events[1].type, prev: "", payload: payload, hash: "")
        try Self.rewriteLog(archive, events)
        let report = try await Self.audit(archive)
        let finding = try #require(Self.finding(report, .logRewritten))
        #expect(finding.item == "log/events.log entry 3")
    }

    @Test("a number hole that was not voided is named")
    func numberHole() async throws {
        let archive = try await ArchiveFixtures.makeArchive(interval: 1000)
        _ = try await archive.reserve(direction: .outgoing, note: nil)
        let second = try await archive.reserve(direction: .outgoing, note: nil)
        _ = try await archive.void(number: second.number, reason: "unused")
        try await ArchiveFixtures.register(1, in: archive)
        // Drop the reservation and voiding of number 2 and re-chain the log, as an insider would.
        let events = try Self.events(archive).filter { $0.payload.number != second.number }
        try Self.rewriteLog(archive, events)
        let report = try await Self.audit(archive)
        let finding = try #require(Self.finding(report, .numberHole))
        #expect(finding.item == "01-12/000002 (\(second.year), outgoing)")
    }

    @Test("a duplicate number is named")
    func duplicateNumber() async throws {
        let archive = try await ArchiveFixtures.makeArchive(interval: 1000)
        let entries = try await ArchiveFixtures.register(2, in: archive)
        var events = try Self.events(archive)
        var payload = events[2].payload
        payload.number = entries[0].number
        payload.sequence = entries[0].sequence
        events[2] = ArchiveEvent(seq: 3, time: events[2].time, type: .registered, prev: "", payload: payload, hash: "")
        try Self.rewriteLog(archive, events)
        let report = try await Self.audit(archive)
        let finding = try #require(Self.finding(report, .duplicateNumber))
        #expect(finding.item == "log entry 3")
        #expect(finding.message.contains(entries[0].number))
    }

    @Test("a checkpoint signed by another key is refused; a removed checkpoint breaks the chain")
    func checkpointForgedOrRemoved() async throws {
        let (archive, _, _) = try await Self.populated()
        let path = archive.path + "/log/checkpoints/000000000003.xml"
        let stranger = try XMLSigner(
            key: SigningKey.load(contentsOf: ArchiveFixtures.path("Certificates/agencies/health/key.pem")),
            certificate: Certificate.load(contentsOf: ArchiveFixtures.path("Certificates/agencies/health/cert.pem"))[0],
            chain: Certificate.load(contentsOf: ArchiveFixtures.chain))
        let checkpoint = try Checkpoint.read(Tamper.read(path), sourceName: "cp")
        Tamper.write(try stranger.sign(checkpoint.unsignedXML(), sourceName: "cp"), path)
        let forged = try #require(Self.finding(try await Self.audit(archive), .checkpointInvalid))
        #expect(forged.item == "log/checkpoints/000000000003.xml")
        #expect(forged.message.contains("not by the gateway's certificate"))
        try FileManager.default.removeItem(atPath: path)
        let chain = try #require(Self.finding(try await Self.audit(archive), .checkpointChain))
        #expect(chain.item == "log/checkpoints/000000000006.xml")
    }

    @Test("a ciphertext altered and re-hashed under a new name is caught by the digest with the key")
    func reconstructedDigest() async throws {
        let (archive, _, entries) = try await Self.populated()
        // An insider swaps the document of entry 0 for another registered one's stored form and fixes the log.
        var events = try Self.events(archive)
        let index = try #require(events.firstIndex { $0.payload.number == entries[0].number })
        var payload = events[index].payload
        payload.object = entries[1].object
        events[index] = ArchiveEvent(seq: index + 1, time: events[index].time, type: .registered, prev: "", payload: payload, hash: "")
        try Self.rewriteLog(archive, events)
        let report = try await Self.audit(archive, key: true)
        #expect(report.findings.contains { $0.category == .documentAltered && $0.item == "\(entries[0].number) (\(entries[0].year))" })
    }

    @Test("a signature that does not hold is a finding, unless it was registered knowingly as such")
    func signatureFindings() async throws {
        let archive = try await ArchiveFixtures.makeArchive(interval: 100)
        let template = String(decoding: Tamper.read(ArchiveFixtures.unsignedRequest), as: UTF8.self)
        let untrusted = try XMLSigner(
            key: SigningKey.load(contentsOf: ArchiveFixtures.path("Certificates/negative/untrusted/key.pem")),
            certificate: Certificate.load(contentsOf: ArchiveFixtures.path("Certificates/negative/untrusted/cert.pem"))[0])
        let first = try untrusted.sign(Array(template.replacingOccurrences(of: "02-11/4817", with: "U-1").utf8), sourceName: "u1")
        let second = try untrusted.sign(Array(template.replacingOccurrences(of: "02-11/4817", with: "U-2").utf8), sourceName: "u2")
        let knowing = try await archive.register(
            Submission(direction: .incoming, document: first, sourceName: "u1", signatureStatus: .indeterminate))
        let wrong = try await archive.register(
            Submission(direction: .incoming, document: second, sourceName: "u2", signatureStatus: .valid))
        let report = try await ArchiveFixtures.auditor(archive).audit()
        let findings = report.findings.filter { $0.category == .signature }
        #expect(findings.count == 1)
        #expect(findings.first?.item == "\(wrong.number) (\(wrong.year))")
        #expect(findings.first?.message.contains("INDETERMINATE") == true)
        #expect(report.notes.contains { $0.hasPrefix(knowing.number) && $0.contains("INDETERMINATE") })
    }
}
