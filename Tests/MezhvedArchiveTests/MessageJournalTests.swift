import Foundation
import MezhvedCore
import MezhvedTestSupport
import MezhvedXMLDSig
import Testing

@testable import MezhvedArchive

/// Outgoing messages as journal events: the transition rules checked in the append, the replay
/// after reopening, the audit, and one incoming document per (peer, message id).
@Suite("Archive: message states")
struct MessageJournalTests {
    static let idA = "6f1c1d64-1d5a-4f52-9d5e-6b2a9a8d3c11"
    static let idB = "0b9f5d3e-7c1a-4e3b-8a2d-1c4e5f6a7b8c"

    static func queued(_ id: String, _ entry: JournalEntry, expires: Date = Date().addingTimeInterval(86_400)) -> MessageTransition {
        MessageTransition(messageID: id, state: .queued, number: entry.number, year: entry.year, expires: expires)
    }

    /// Expects `append` to be refused with `messageUnusable` and the log to stay as it was.
    static func expectRefused(_ archive: TestArchive, _ transition: MessageTransition, _ words: String) async throws {
        let before = try await archive.store.head()
        do {
            _ = try await archive.registrar.record(transition)
            Issue.record("\(transition.state.rawValue) of \(transition.messageID) was accepted")
        } catch let error as ArchiveError {
            #expect(error.code == .messageUnusable, "\(error)")
            #expect(error.description.contains(words), "\(error)")
        }
        #expect(try await archive.store.head() == before, "a refused append writes nothing")
    }

    @Test(
        "a message is queued once for a registered outgoing document, moves by the rules, and is resent only when failed or expired",
        arguments: StoreKind.allCases)
    func transitions(store: StoreKind) async throws {
        guard try store.available() else { return }
        let archive = try await ArchiveFixtures.makeArchive(store)
        let entries = try await ArchiveFixtures.register(2, in: archive)
        let peer = try #require(entries[0].counterpart)
        let expires = Date().addingTimeInterval(86_400)
        let queued = try await archive.registrar.record(Self.queued(Self.idA, entries[0], expires: expires))
        #expect(queued.state == .queued)
        #expect(queued.peer == peer, "the peer is the document's recipient")
        #expect(queued.attempts == 0)
        #expect(abs((queued.expires ?? .distantPast).timeIntervalSince(expires)) < 0.01)
        #expect(try await archive.registrar.entry(number: entries[0].number).messageID == Self.idA, "the entry carries its message id")

        // The same document in a second message, the same id for another document, a wrong peer.
        try await Self.expectRefused(archive, Self.queued(Self.idB, entries[0]), "already queued as message \(Self.idA)")
        try await Self.expectRefused(archive, Self.queued(Self.idA, entries[1]), "carries")
        var wrongPeer = Self.queued(Self.idB, entries[1])
        wrongPeer.peer = "health-ministry-of-nowhere"
        try await Self.expectRefused(archive, wrongPeer, "is addressed to")
        // Never queued, sending, a receipt that is not there, a bad id, a reserved number.
        try await Self.expectRefused(
            archive, MessageTransition(messageID: Self.idB, state: .failed, number: entries[1].number, year: entries[1].year),
            "never queued")
        try await Self.expectRefused(
            archive, MessageTransition(messageID: Self.idA, state: .sending, number: entries[0].number, year: entries[0].year),
            "not a state the journal records")
        try await Self.expectRefused(
            archive,
            MessageTransition(
                messageID: Self.idA, state: .receipted, number: entries[0].number, year: entries[0].year, receiptNumber: "ВХ-1"),
            "without a registered receipt")
        try await Self.expectRefused(archive, Self.queued("bad id with spaces", entries[1]), "is not 1–128 characters")
        let reserved = try await archive.reserve(direction: .outgoing)
        try await Self.expectRefused(archive, Self.queued(Self.idB, reserved), "is not a registered outgoing request or answer")

        // A failure, another, then failed: resent with the same id, queued again from scratch.
        let next = Date().addingTimeInterval(10)
        let retry = try await archive.registrar.record(
            MessageTransition(
                messageID: Self.idA, state: .waitingForRetry, number: entries[0].number, year: entries[0].year, attempt: 1,
                nextAttempt: next, reason: "connection refused"))
        #expect(retry.state == .waitingForRetry)
        #expect(retry.attempts == 1)
        #expect(retry.lastError == "connection refused")
        #expect(abs((retry.nextAttempt ?? .distantPast).timeIntervalSince(next)) < 0.01)
        try await Self.expectRefused(archive, Self.queued(Self.idA, entries[0]), "only a failed or expired message is resent")
        let long = String(repeating: "x", count: 2_000)
        let failed = try await archive.registrar.record(
            MessageTransition(
                messageID: Self.idA, state: .failed, number: entries[0].number, year: entries[0].year, attempt: 2, reason: long))
        #expect(failed.state == .failed)
        #expect(failed.lastError?.count == MessageTransition.reasonLimit, "the reason is cut to 500 characters")
        try await Self.expectRefused(
            archive,
            MessageTransition(messageID: Self.idA, state: .waitingForRetry, number: entries[0].number, year: entries[0].year),
            "cannot become waiting-for-retry")
        let resent = try await archive.registrar.record(Self.queued(Self.idA, entries[0]))
        #expect(resent.state == .queued)
        #expect(resent.messageID == Self.idA)
        #expect(resent.attempts == 0)
        #expect(resent.lastError == nil)
        #expect(resent.history.count == 4)

        // Expired, then resent.
        _ = try await archive.registrar.record(Self.queued(Self.idB, entries[1]))
        let expired = try await archive.registrar.record(
            MessageTransition(messageID: Self.idB, state: .expired, number: entries[1].number, year: entries[1].year))
        #expect(expired.state == .expired)
        #expect(try await archive.registrar.record(Self.queued(Self.idB, entries[1])).state == .queued)

        // Queries: by state, peer, number, due.
        #expect(try await archive.registrar.messages(MessageQuery(state: .queued)).count == 2)
        #expect(try await archive.registrar.messages(MessageQuery(peer: peer)).count == 2)
        #expect(try await archive.registrar.messages(MessageQuery(peer: "nobody")).isEmpty)
        #expect(try await archive.registrar.messages(MessageQuery(number: entries[1].number)).map(\.messageID) == [Self.idB])
        #expect(try await archive.registrar.messages(MessageQuery(dueAt: Date())).count == 2)
        #expect(try await archive.registrar.messages(MessageQuery(dueAt: Date().addingTimeInterval(10 * 86_400))).isEmpty, "past their end")
        #expect(try await archive.registrar.messages(MessageQuery(limit: 1, offset: 1)).map(\.messageID) == [Self.idB])
        #expect(try await archive.registrar.entries(JournalQuery(messageID: Self.idB)).map(\.number) == [entries[1].number])
    }

    @Test("reopening the archive replays the message events into the same states, and the audit passes with them")
    func replayAndAudit() async throws {
        let archive = try await ArchiveFixtures.makeArchive()
        let entries = try await ArchiveFixtures.register(2, in: archive)
        _ = try await archive.registrar.record(Self.queued(Self.idA, entries[0]))
        _ = try await archive.registrar.record(
            MessageTransition(
                messageID: Self.idA, state: .waitingForRetry, number: entries[0].number, year: entries[0].year, attempt: 1,
                nextAttempt: Date().addingTimeInterval(20), reason: "timeout"))
        _ = try await archive.registrar.record(Self.queued(Self.idB, entries[1]))
        await archive.registrar.finishBackgroundWork()
        let before = try await archive.registrar.messages(MessageQuery())
        let reopened = try await FileSystemStorage.open(at: archive.path)
        #expect(try await reopened.messages(MessageQuery()) == before)
        #expect(before.map(\.state) == [.waitingForRetry, .queued])
        let report = try await ArchiveFixtures.auditor(archive, key: true).audit()
        #expect(report.passed, "\(report.findings)")
    }

    @Test("a changed message event breaks the chain; a rechained log with a forbidden transition is named by the audit")
    func tamperedMessageEvent() async throws {
        let archive = try await ArchiveFixtures.makeArchive(interval: 100)
        let entries = try await ArchiveFixtures.register(1, in: archive)
        _ = try await archive.registrar.record(Self.queued(Self.idA, entries[0]))
        _ = try await archive.registrar.record(
            MessageTransition(messageID: Self.idA, state: .failed, number: entries[0].number, year: entries[0].year, reason: "403"))
        _ = try await archive.registrar.record(
            MessageTransition(messageID: Self.idA, state: .queued, number: entries[0].number, year: entries[0].year, expires: Date()))
        let path = archive.path + "/log/events.log"
        let original = Tamper.read(path)
        // One state rewritten in place: the line's hash no longer matches.
        let text = String(decoding: original, as: UTF8.self)
        Tamper.write(Array(text.replacingOccurrences(of: "\"messageState\":\"failed\"", with: "\"messageState\":\"queued\"").utf8), path)
        let damaged = try await AuditTests.audit(archive)
        #expect(AuditTests.finding(damaged, .logDamaged) != nil, "\(damaged.findings)")
        // The whole log rewritten with a consistent chain, the failure turned into a receipt: an anomaly.
        Tamper.write(original, path)
        var events = try AuditTests.events(archive)
        let position = try #require(events.firstIndex { $0.payload.messageState == .failed })
        var payload = events[position].payload
        payload.messageState = .receipted
        let forged = events[position]
        events[position] = ArchiveEvent(
            seq: forged.seq, time: forged.time, type: forged.type, prev: forged.prev, payload: payload, hash: forged.hash)
        try AuditTests.rewriteLog(archive, events)
        let report = try await AuditTests.audit(archive)
        let finding = try #require(AuditTests.finding(report, .journalInconsistent), "\(report.findings)")
        #expect(finding.message.contains("goes from receipted to queued"))
    }

    @Test(
        "one incoming document per (peer, message id): a second registration or quarantine under it is refused",
        arguments: StoreKind.allCases)
    func incomingMessageIDsUnique(store: StoreKind) async throws {
        guard try store.available() else { return }
        let archive = try await ArchiveFixtures.makeArchive(store)
        let kept = try await archive.registrar.quarantine(
            Rejection(
                document: Array("junk one".utf8), sourceName: "junk", reason: "unusable-document", messageID: Self.idA, peer: "health"))
        #expect(kept.messageID == Self.idA)
        #expect(kept.peer == "health")
        let before = try await archive.store.head()
        await #expect(throws: ArchiveError.self) {
            _ = try await archive.registrar.quarantine(
                Rejection(
                    document: Array("junk two".utf8), sourceName: "junk", reason: "unusable-document", messageID: Self.idA, peer: "health"))
        }
        #expect(try await archive.store.head() == before)
        // The same id from another peer is another message.
        _ = try await archive.registrar.quarantine(
            Rejection(
                document: Array("junk two".utf8), sourceName: "junk", reason: "unusable-document", messageID: Self.idA,
                peer: "culture-tourism"))
        let incoming = try ArchiveFixtures.resigned(
            "request-unemployment-status.signed.xml", agency: "social-protection", replacing: [])
        do {
            _ = try await archive.register(
                Submission(
                    direction: .incoming, document: incoming, sourceName: "in", signatureStatus: .valid, messageID: Self.idA, peer: "health"
                ))
            Issue.record("a second document under (health, \(Self.idA)) was registered")
        } catch let error as ArchiveError {
            #expect(error.code == .messageUnusable)
        }
        let registered = try await archive.register(
            Submission(
                direction: .incoming, document: incoming, sourceName: "in", signatureStatus: .valid, messageID: Self.idB, peer: "health"))
        #expect(registered.messageID == Self.idB)
        #expect(registered.peer == "health")
        let journal = try await archive.journal()
        #expect(journal.incomingMessage(Self.idB, peer: "health") == .registered(registered))
        #expect(try await archive.registrar.quarantined(JournalQuery(messageID: Self.idA, peer: "health")).count == 1)
        let report = try await ArchiveFixtures.auditor(any: archive, key: true).audit()
        #expect(report.findings.isEmpty, "\(report.findings)")
    }
}
