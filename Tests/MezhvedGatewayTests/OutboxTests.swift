import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments
import MezhvedGateway
import MezhvedPostgres
import MezhvedTestSupport
import MezhvedXMLDSig
import Testing

/// A seeded generator (SplitMix64), so that jittered delays are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The outbox between two real gateways in one process (social protection → employment): queue,
/// payload, the other gateway's incoming workflow with the message, the receipt back.
@Suite("Gateway outbox")
struct OutboxTests {
    typealias Fixture = (gateway: Gateway, archive: ArchiveFolder, folder: String)

    static func sendRequest(_ from: Fixture, recipient: String? = nil) async throws -> OutgoingDocument {
        try await OutgoingWorkflow(gateway: from.gateway, registrar: from.archive.registrar).send(
            .request(GatewayFixtures.requestDraft(recipient: recipient)))
    }

    static func incoming(_ at: Fixture) -> IncomingWorkflow { IncomingWorkflow(gateway: at.gateway, registrar: at.archive.registrar) }

    /// The audit of the fixture's archive (folder or PostgreSQL), as `archive audit --gateway` runs it.
    static func audit(_ fixture: Fixture) async throws -> AuditReport {
        try await fixture.gateway.auditArchive(dataKey: try ArchiveDataKey.load(contentsOf: fixture.folder + "/data.key"))
    }

    /// A fresh handle on the fixture's store: what a restarted node replays.
    static func reopened(_ fixture: Fixture) async throws -> any ArchiveStorage {
        if let settings = try fixture.gateway.postgresSettings() { return try await PostgresStorage.open(settings) }
        return try await FileSystemStorage.open(at: fixture.folder + "/archive")
    }

    /// Expects `body` to throw a GatewayError with `code`, and returns it.
    @discardableResult
    static func expectGatewayError<T>(_ code: GatewayError.Code, _ body: () async throws -> T) async -> GatewayError? {
        do {
            _ = try await body()
            Issue.record("no \(code) error")
        } catch let error as GatewayError {
            #expect(error.code == code, "\(error)")
            return error
        } catch {
            Issue.record("not a gateway error: \(error)")
        }
        return nil
    }

    @Test(
        "push: enqueue, payload, received with its message id, the receipt verified → receipted; duplicates, reuse and expiry",
        arguments: StoreKind.allCases)
    func pushExchange(store: StoreKind) async throws {
        guard try store.available() else { return }
        let (sender, receiver) = try await GatewayWorkflowTests.exchange(store)
        let sent = try await Self.sendRequest(sender)
        let outbox = Outbox(gateway: sender.gateway, registrar: sender.archive.registrar)
        let queued = try await outbox.enqueue(number: sent.entry.number)
        #expect(queued.state == .queued)
        #expect(queued.peer == "employment")
        #expect(IncomingMessage.isValidID(queued.messageID))
        #expect(try await outbox.enqueue(number: sent.entry.number) == queued, "queueing again gives the same message")
        let id = queued.messageID

        // Due now; a worker takes it, a second one cannot.
        #expect(try await outbox.due().map(\.messageID) == [id])
        #expect(try await outbox.claim(id))
        #expect(try await !outbox.claim(id))
        #expect(try await outbox.due().isEmpty, "a message being sent is not due")
        let payload = try await outbox.payload(of: id)
        #expect(payload.document == sent.signed)
        #expect(payload.from == "social-protection")
        #expect(payload.to == "employment")
        #expect(payload.sha256 == (try XMLCanonicalization.digest(sent.signed, algorithm: .sha256)))
        #expect(payload.contentDigest.hasPrefix("sha-256=:") && payload.contentDigest.hasSuffix(":"))

        // The receiver takes it in with the message id and the authenticated peer.
        let message = IncomingMessage(messageID: id, peer: "social-protection", expires: payload.expires)
        let outcome = try await Self.incoming(receiver).receive(payload.document, sourceName: "push", message: message)
        guard case .registered(let registered) = outcome.disposition else {
            Issue.record("not registered: \(outcome.disposition) \(outcome.reasons)")
            return
        }
        #expect(!outcome.isDuplicate)
        #expect(registered.messageID == id)
        #expect(registered.peer == "social-protection")
        let receipt = try #require(outcome.receipt)
        #expect(receipt.entry.messageID == id, "the receipt records the message it answers")

        // The receipt back: receipted, the request delivered, the receipt archived.
        let status = try await outbox.acceptReceipt(receipt.document, for: id)
        try await outbox.release(id)
        #expect(status.state == .receipted)
        let receiptNumber = try #require(status.receiptNumber)
        #expect(try await sender.archive.registrar.entry(number: sent.entry.number).recordedStatus == .delivered)
        let archivedReceipt = try await sender.archive.registrar.entry(number: receiptNumber)
        #expect(archivedReceipt.kind == .receipt)
        #expect(try await sender.archive.registrar.original(of: archivedReceipt) == receipt.document)
        #expect(try await outbox.acceptReceipt(receipt.document, for: id) == status, "the same receipt again changes nothing")
        #expect(try await outbox.due().isEmpty)

        // The same message again: a duplicate, the first receipt byte for byte, nothing appended.
        let head = try await receiver.archive.storage.head()
        let again = try await Self.incoming(receiver).receive(payload.document, sourceName: "push again", message: message)
        #expect(again.isDuplicate)
        guard case .duplicate(let first) = again.disposition else {
            Issue.record("not a duplicate: \(again.disposition)")
            return
        }
        #expect(first.number == registered.number)
        #expect(again.receipt?.document == receipt.document)
        #expect(try await receiver.archive.storage.head() == head, "a duplicate appends nothing")

        // Other bytes under the same id; an expired message: nothing recorded.
        let other = try await Self.sendRequest(sender)
        await Self.expectGatewayError(.messageIDReused) {
            try await Self.incoming(receiver).receive(other.signed, sourceName: "reused", message: message)
        }
        let late = IncomingMessage(messageID: UUID().uuidString, peer: "social-protection", expires: Date().addingTimeInterval(-60))
        await Self.expectGatewayError(.messageExpired) {
            try await Self.incoming(receiver).receive(other.signed, sourceName: "late", message: late)
        }
        await Self.expectGatewayError(.messageInvalid) {
            try await Self.incoming(receiver).receive(
                other.signed, sourceName: "bad id", message: IncomingMessage(messageID: "no spaces allowed", peer: "social-protection"))
        }
        #expect(try await receiver.archive.storage.head() == head, "refused messages record nothing")

        // Reopened, the journal replays the same states; both audits pass with the message events.
        await sender.archive.registrar.finishBackgroundWork()
        let reopened = try await Self.reopened(sender)
        #expect(try await reopened.messages(MessageQuery()) == (try await outbox.list()))
        let senderAudit = try await Self.audit(sender)
        #expect(senderAudit.passed, "\(senderAudit.findings)")
        await receiver.archive.registrar.finishBackgroundWork()
        let receiverAudit = try await Self.audit(receiver)
        #expect(receiverAudit.passed, "\(receiverAudit.findings)")
    }

    @Test("a letterhead other than the authenticated peer is quarantined with a rejection receipt; that receipt makes the message rejected")
    func senderNotPeer() async throws {
        let (sender, receiver) = try await GatewayWorkflowTests.exchange()
        let sent = try await Self.sendRequest(sender)
        let outbox = Outbox(gateway: sender.gateway, registrar: sender.archive.registrar)
        let id = try await outbox.enqueue(number: sent.entry.number).messageID
        // The transport authenticated health, but the letterhead is social protection's.
        let message = IncomingMessage(messageID: id, peer: "health")
        let outcome = try await Self.incoming(receiver).receive(sent.signed, sourceName: "push", message: message)
        guard case .quarantined(let kept, let reason) = outcome.disposition else {
            Issue.record("not quarantined: \(outcome.disposition)")
            return
        }
        #expect(reason == .senderNotPeer)
        #expect(kept.messageID == id)
        #expect(kept.peer == "health")
        let receipt = try #require(outcome.receipt)
        guard case .rejected(let text) = receipt.outcome else {
            Issue.record("not a rejection receipt")
            return
        }
        #expect(text.contains("не является отправителем сообщения"))
        // Again: the same rejection, byte for byte, nothing appended.
        let head = try await receiver.archive.storage.head()
        let again = try await Self.incoming(receiver).receive(sent.signed, sourceName: "push again", message: message)
        #expect(again.isDuplicate)
        if case .quarantined(let same, let sameReason) = again.disposition {
            #expect(same == kept)
            #expect(sameReason == .senderNotPeer)
        } else {
            Issue.record("the resend was not answered with the quarantine: \(again.disposition)")
        }
        #expect(again.receipt?.document == receipt.document)
        #expect(try await receiver.archive.storage.head() == head)
        // The rejection receipt is a valid acknowledgement from employment: the message is rejected.
        let status = try await outbox.acceptReceipt(receipt.document, for: id)
        #expect(status.state == .rejected)
        #expect(try await sender.archive.registrar.entry(number: sent.entry.number).recordedStatus == .rejected)
        await Self.expectGatewayError(.messageStateConflict) { try await outbox.resend(id) }
    }

    /// A receipt made by `signer`'s gateway for `document` as received in `received`, changed by `change`.
    static func forgedReceipt(
        at signer: Fixture, for sent: OutgoingDocument, received: [UInt8], change: (inout DeliveryReceipt) -> Void = { _ in }
    ) async throws -> [UInt8] {
        let composer = DocumentComposer(context: signer.gateway.documents)
        let digest = try XMLCanonicalization.digest(received, algorithm: .streebog256)
        let today = ISOTime.agencyDay(Date())
        let day = try #require(CalendarDay(year: today.year, month: today.month, day: today.day))
        var receipt = try composer.receipt(
            for: sent.document, receivedAt: Date(), outcome: .accepted(incomingNumber: "ВХ-2026-000099", incomingDate: day),
            digest: (DigestAlgorithm.streebog256.uri, Data(digest).base64EncodedString()))
        change(&receipt)
        let xml = try composer.xml(.receipt(receipt))
        return try await signer.gateway.receiptSignatory.signer().signAwaitingTimestamp(
            xml, sourceName: "forged receipt", options: signer.gateway.signingOptions)
    }

    @Test(
        "a receipt with a wrong digest, of another agency, for another document or tampered is refused, the state unchanged, kept in quarantine"
    )
    func badReceipts() async throws {
        let (sender, receiver) = try await GatewayWorkflowTests.exchange()
        let health = try await GatewayFixtures.gateway("health", in: sender.folder + "/../health")
        let sent = try await Self.sendRequest(sender)
        let otherDocument = try await Self.sendRequest(sender)
        let outbox = Outbox(gateway: sender.gateway, registrar: sender.archive.registrar)
        let queued = try await outbox.enqueue(number: sent.entry.number)
        let id = queued.messageID

        let wrongDigest = try await Self.forgedReceipt(at: receiver, for: sent, received: sent.signed + Array("\n".utf8))
        let ofHealth = try await Self.forgedReceipt(at: health, for: sent, received: sent.signed) { receipt in
            receipt.sender = AgencyReference(agency: "health", name: "Комитет по здравоохранению Ленинградской области")
        }
        let forOther = try await Self.forgedReceipt(at: receiver, for: otherDocument, received: otherDocument.signed)
        let good = try await Self.forgedReceipt(at: receiver, for: sent, received: sent.signed)
        let tampered = Array(String(decoding: good, as: UTF8.self).replacingOccurrences(of: "ВХ-2026-000099", with: "ВХ-2026-000098").utf8)
        #expect(tampered != good)

        let cases: [(String, [UInt8], String)] = [
            ("wrong digest", wrongDigest, "not that of the bytes sent"),
            ("another agency", ofHealth, "letterhead of health"),
            ("another document", forOther, "not the document sent"),
            ("tampered", tampered, "signature"),
            ("not XML", Array("not a receipt".utf8), "not a signed document"),
        ]
        for (what, bytes, words) in cases {
            let error = await Self.expectGatewayError(.receiptNotValid) { try await outbox.acceptReceipt(bytes, for: id) }
            #expect(error?.problems.contains { $0.contains(words) } ?? false, "\(what): \(error?.problems ?? [])")
            #expect(try await outbox.message(id) == queued, "\(what): the state is unchanged")
        }
        let evidence = try await sender.archive.registrar.quarantined(JournalQuery())
        #expect(evidence.count == cases.count, "each bad receipt is kept once")
        #expect(evidence.allSatisfy { $0.reason.hasPrefix("receipt-not-valid: for message \(id)") })
        _ = try? await outbox.acceptReceipt(wrongDigest, for: id)
        #expect(try await sender.archive.registrar.quarantined(JournalQuery()).count == cases.count, "kept once, not per attempt")
        #expect(try await sender.archive.registrar.entry(number: sent.entry.number).recordedStatus == .registered)

        // The right receipt still acknowledges it; another one afterwards is refused.
        #expect(try await outbox.acceptReceipt(good, for: id).state == .receipted)
        let second = try await Self.forgedReceipt(at: receiver, for: sent, received: sent.signed) { $0.id = "receipt-second" }
        await Self.expectGatewayError(.messageAcknowledged) { try await outbox.acceptReceipt(second, for: id) }
        await Self.expectGatewayError(.messageUnknown) { try await outbox.acceptReceipt(good, for: "no-such-message") }
    }

    @Test("backoff: exponential from the first retry, capped, with equal jitter from a seeded generator")
    func backoff() {
        let policy = OutboxPolicy(firstRetry: .seconds(10), maximumRetry: .seconds(60))
        #expect((1...6).map { policy.exponentialStep(attempt: $0) } == [10, 20, 40, 60, 60, 60].map { Duration.seconds($0) })
        #expect(policy.exponentialStep(attempt: 500) == .seconds(60), "no overflow")
        var first = SeededGenerator(state: 42)
        var second = SeededGenerator(state: 42)
        let a = (1...8).map { policy.backoffDelay(attempt: $0, using: &first) }
        let b = (1...8).map { policy.backoffDelay(attempt: $0, using: &second) }
        #expect(a == b, "the same seed gives the same delays")
        for (index, delay) in a.enumerated() {
            let step = policy.exponentialStep(attempt: index + 1)
            #expect(delay >= step / 2 && delay <= step, "attempt \(index + 1): \(delay) within [\(step / 2), \(step)]")
        }
        var other = SeededGenerator(state: 7)
        let c = (1...8).map { policy.backoffDelay(attempt: $0, using: &other) }
        #expect(a != c, "jitter depends on the generator")
        #expect(OutboxPolicy() == OutboxPolicy(firstRetry: .seconds(10), maximumRetry: .seconds(3600)))
    }

    @Test(
        "failures: waiting-for-retry with growing delays, the horizon or a permanent refusal → failed, resend → queued under the same id",
        arguments: StoreKind.allCases)
    func failuresAndResend(store: StoreKind) async throws {
        guard try store.available() else { return }
        let (sender, _) = try await GatewayWorkflowTests.exchange(store)
        let policy = OutboxPolicy(
            firstRetry: .seconds(10), maximumRetry: .seconds(60), retryHorizon: .seconds(3600), messageLifetime: .seconds(7200))
        let outbox = Outbox(gateway: sender.gateway, registrar: sender.archive.registrar, policy: policy)
        let sent = try await Self.sendRequest(sender)
        let start = Date()
        let queued = try await outbox.enqueue(number: sent.entry.number, at: start)
        let id = queued.messageID
        // The default end of life counts from the moment of queueing (not from the commit, which a
        // busy disk may delay by seconds).
        #expect(
            abs((queued.expires ?? .distantPast).timeIntervalSince(start) - 7200) < 0.002,
            "the default end of life (kept to the millisecond)")
        var generator = SeededGenerator(state: 1)
        var time = Date()
        var delays: [TimeInterval] = []
        for attempt in 1...5 {
            let status = try await outbox.recordFailure(
                id, error: "connection refused (attempt \(attempt))", permanent: false, at: time, using: &generator)
            #expect(status.state == .waitingForRetry)
            #expect(status.attempts == attempt)
            #expect(status.lastError == "connection refused (attempt \(attempt))")
            let next = try #require(status.nextAttempt)
            delays.append(next.timeIntervalSince(time))
            #expect(try await outbox.due(at: time).isEmpty, "not due before its next attempt")
            #expect(try await outbox.due(at: next).map(\.messageID) == [id])
            #expect(try await outbox.nextForPull(peer: "employment", at: time)?.messageID == id, "a puller ignores the next attempt")
            time = next
        }
        let bounds: [(Double, Double)] = [(5, 10), (10, 20), (20, 40), (30, 60), (30, 60)]
        for (delay, (low, high)) in zip(delays, bounds) { #expect(delay >= low - 0.01 && delay <= high + 0.01, "\(delays)") }
        #expect(delays[2] > delays[0], "delays grow: \(delays)")
        // A 202: waiting for the receipt, due again after Retry-After.
        let waiting = try await outbox.recordNoReceiptYet(id, retryAfter: .seconds(30), at: time)
        #expect(waiting.state == .waitingForReceipt)
        #expect(try await outbox.due(at: time.addingTimeInterval(29)).isEmpty)
        #expect(try await outbox.due(at: time.addingTimeInterval(31)).count == 1)
        // Past the horizon: failed, with the reason.
        let failed = try await outbox.recordFailure(id, error: "timeout", permanent: false, at: queued.queuedAt.addingTimeInterval(3601))
        #expect(failed.state == .failed)
        #expect(failed.lastError?.contains("retry horizon") == true)
        #expect(try await outbox.due(at: time.addingTimeInterval(100)).isEmpty)
        #expect(try await outbox.nextForPull(peer: "employment") == nil)
        await Self.expectGatewayError(.messageStateConflict) {
            try await outbox.recordFailure(id, error: "again", permanent: false)
        }
        // Resent: the same id, queued from scratch.
        let resent = try await outbox.resend(id)
        #expect(resent.messageID == id)
        #expect(resent.state == .queued)
        #expect(resent.attempts == 0)
        await Self.expectGatewayError(.messageStateConflict) { try await outbox.resend(id) }
        // A permanent refusal fails at once; expiry; resend from expired.
        #expect(try await outbox.recordFailure(id, error: "403 forbidden", permanent: true).state == .failed)
        _ = try await outbox.resend(id, expires: Date().addingTimeInterval(60))
        #expect(try await outbox.expireDue(at: Date()).isEmpty)
        let expired = try await outbox.expireDue(at: Date().addingTimeInterval(61))
        #expect(expired.map(\.state) == [.expired])
        #expect(try await outbox.resend(id).state == .queued)
        #expect(try await outbox.list(MessageQuery(peer: "employment")).count == 1)
        #expect(try await outbox.list(MessageQuery(state: .failed)).isEmpty)
        // Replayed from the log after reopening: the same state and history.
        await sender.archive.registrar.finishBackgroundWork()
        let reopened = try await Self.reopened(sender)
        #expect(try await reopened.messages(MessageQuery()) == (try await outbox.list()))
        let audit = try await Self.audit(sender)
        #expect(audit.passed, "\(audit.findings)")
    }

    @Test("enqueue refuses what cannot travel: an incoming document, a receipt, an unknown or reserved number, a past end of life")
    func enqueueRefusals() async throws {
        let (sender, receiver) = try await GatewayWorkflowTests.exchange()
        let sent = try await Self.sendRequest(sender)
        let outcome = try await Self.incoming(receiver).receive(sent.signed, sourceName: "in")
        guard case .registered(let incoming) = outcome.disposition, let receipt = outcome.receipt else {
            Issue.record("not registered")
            return
        }
        let outbox = Outbox(gateway: receiver.gateway, registrar: receiver.archive.registrar)
        await Self.expectGatewayError(.notSendable) { try await outbox.enqueue(number: incoming.number) }
        await Self.expectGatewayError(.notSendable) { try await outbox.enqueue(number: receipt.entry.number) }
        await Self.expectGatewayError(.notSendable) { try await outbox.enqueue(number: "ИСХ-999999") }
        let reserved = try await receiver.archive.registrar.reserve(direction: .outgoing)
        await Self.expectGatewayError(.notSendable) { try await outbox.enqueue(number: reserved.number) }
        let senderOutbox = Outbox(gateway: sender.gateway, registrar: sender.archive.registrar)
        await Self.expectGatewayError(.messageInvalid) {
            try await senderOutbox.enqueue(number: sent.entry.number, expires: Date().addingTimeInterval(-1))
        }
        #expect(try await receiver.archive.registrar.messages(MessageQuery()).isEmpty)
        #expect(try await senderOutbox.list().isEmpty)
    }

    @Test(
        "pull: the oldest pending message for the peer, fetched once into waiting-for-receipt, returned until its receipt is taken",
        arguments: StoreKind.allCases)
    func pullExchange(store: StoreKind) async throws {
        guard try store.available() else { return }
        let (sender, receiver) = try await GatewayWorkflowTests.exchange(store)
        let outbox = Outbox(gateway: sender.gateway, registrar: sender.archive.registrar)
        let first = try await Self.sendRequest(sender)
        let second = try await Self.sendRequest(sender)
        let toHealth = try await Self.sendRequest(sender, recipient: "health")
        let a = try await outbox.enqueue(number: first.entry.number)
        let b = try await outbox.enqueue(number: second.entry.number)
        _ = try await outbox.enqueue(number: toHealth.entry.number)
        #expect(try await outbox.nextForPull(peer: "employment")?.messageID == a.messageID, "the oldest first")
        #expect(try await outbox.nextForPull(peer: "culture-tourism") == nil)
        let fetched = try await outbox.recordFetched(a.messageID)
        #expect(fetched.state == .waitingForReceipt)
        #expect(fetched.attempts == 1)
        #expect(try await outbox.recordFetched(a.messageID) == fetched, "fetching again records nothing")
        #expect(try await outbox.nextForPull(peer: "employment")?.messageID == a.messageID, "returned again until acknowledged")
        #expect(try await outbox.claim(a.messageID))
        #expect(try await outbox.nextForPull(peer: "employment")?.messageID == b.messageID, "not the one being handed out")
        try await outbox.release(a.messageID)
        // The puller handles it as a pushed message and posts its receipt.
        let payload = try await outbox.payload(of: a.messageID)
        let outcome = try await Self.incoming(receiver).receive(
            payload.document, sourceName: "pulled", message: IncomingMessage(messageID: a.messageID, peer: "social-protection"))
        let receipt = try #require(outcome.receipt)
        #expect(try await outbox.acceptReceipt(receipt.document, for: a.messageID).state == .receipted)
        #expect(try await outbox.nextForPull(peer: "employment")?.messageID == b.messageID)
        // An expired message is not handed out.
        #expect(try await outbox.nextForPull(peer: "employment", at: Date().addingTimeInterval(15 * 86_400)) == nil)
        await Self.expectGatewayError(.messageAcknowledged) { try await outbox.recordFetched(a.messageID) }
    }

    @Test("202: registered while the TSA is down, no receipt; the same message again after it is back gets the receipt, made once")
    func receiptAfterTimestampAuthorityReturns() async throws {
        let port = try LocalService.freePort()
        let policy = ", signatureForm: t, tsa: \"http://127.0.0.1:\(port)/tsa\", networkTimeout: 3"
        let root = try GatewayFixtures.temporaryFolder()
        let sender = try await GatewayFixtures.gateway("social-protection", in: root + "/sp")
        let receiver = try await GatewayFixtures.gateway("employment", in: root + "/emp", extraPolicy: policy)
        let sent = try await Self.sendRequest(sender)
        let outbox = Outbox(gateway: sender.gateway, registrar: sender.archive.registrar)
        let id = try await outbox.enqueue(number: sent.entry.number).messageID
        let message = IncomingMessage(messageID: id, peer: "social-protection")
        let first = try await Self.incoming(receiver).receive(sent.signed, sourceName: "push", message: message)
        guard case .registered(let registered) = first.disposition else {
            Issue.record("not registered: \(first.disposition) \(first.reasons)")
            return
        }
        #expect(first.receipt == nil)
        #expect(first.receiptProblem != nil, "the receipt could not be timestamped")
        #expect(try await outbox.recordNoReceiptYet(id, retryAfter: .seconds(30)).state == .waitingForReceipt)
        let tsa = try LocalService(
            "TSA", executable: "/usr/bin/env", arguments: ["python3", GatewayFixtures.path("Tests/Interop/tsa_server.py"), String(port)],
            port: port)
        defer { tsa.stop() }
        let second = try await Self.incoming(receiver).receive(sent.signed, sourceName: "push again", message: message)
        #expect(second.isDuplicate)
        guard case .duplicate(let same) = second.disposition else {
            Issue.record("not a duplicate: \(second.disposition)")
            return
        }
        #expect(same.number == registered.number)
        let receipt = try #require(second.receipt, "\(second.receiptProblem ?? "")")
        #expect(receipt.entry.messageID == id)
        #expect(String(decoding: receipt.document, as: UTF8.self).contains("SignatureTimeStamp"))
        let head = try await receiver.archive.storage.head()
        let third = try await Self.incoming(receiver).receive(sent.signed, sourceName: "push a third time", message: message)
        #expect(third.receipt?.document == receipt.document, "the receipt made late is the one given from then on")
        #expect(try await receiver.archive.storage.head() == head)
        #expect(try await outbox.acceptReceipt(receipt.document, for: id).state == .receipted)
    }
}
