import Foundation
import MezhvedDocuments
import MezhvedXMLDSig

/// The registration rules above an ``ArchiveStorage``: what is read from a document, how its
/// personal data is protected, which number it takes, what is refused. The store only stores.
///
/// - A registered document is signed and an interagency document; its facts (kind, counterpart,
///   printed number and date, the request it answers, its deadline) go to the journal, its
///   personal data is encrypted and the encryption checked to give back the original byte for byte.
/// - An outgoing document is registered under the number it is printed with: the reservation of
///   that number, or the next number when that is it; a reserved number given explicitly must be
///   the printed one. An incoming document takes the next incoming number (or a reserved one).
/// - A document (by its digest) is registered once; so is a letter (direction, counterpart,
///   printed number and date) sent again as a new file.
/// - A receipt names the document it acknowledges and moves it to delivered (or rejected).
/// - Checkpoints are written in the background (``CheckpointWriter``): once an append is durable
///   nothing can fail the registration.
public final class Registrar: Sendable {
    public let storage: any ArchiveStorage
    /// The personal-data key (needed to register, quarantine and read originals).
    public let dataKey: ArchiveDataKey?
    /// Writes checkpoints in the background; nil when the gateway's key is not available.
    public let checkpointWriter: CheckpointWriter?

    /// A registrar over `storage`. Throws when `dataKey` is not the archive's key.
    public init(storage: any ArchiveStorage, dataKey: ArchiveDataKey? = nil, checkpointWriter: CheckpointWriter? = nil) throws {
        if let dataKey, dataKey.keyID != storage.configuration.dataKeyID {
            throw ArchiveError(
                .dataKeyUnusable,
                "the personal-data key given (\(dataKey.keyID)) is not this archive's key (\(storage.configuration.dataKeyID))",
                hint: "give the key file the archive was created with")
        }
        self.storage = storage
        self.dataKey = dataKey
        self.checkpointWriter = checkpointWriter
    }

    /// What the archive is.
    public var configuration: ArchiveConfiguration { storage.configuration }

    // MARK: - Changes

    /// Takes the next number of a direction for a document still to be written.
    public func reserve(direction: Direction, note: String? = nil) async throws -> JournalEntry {
        try await appendEntry(.reserve(direction, note: note))
    }

    /// Archives a signed document and registers it. Returns once the document and its log entry are durable.
    public func register(_ submission: Submission) async throws -> JournalEntry {
        let name = submission.sourceName
        let dataKey = try requireKey("registering \(name)")
        let facts = try DocumentFacts.read(submission.document, sourceName: name)
        guard facts.isSigned else {
            throw ArchiveError(.documentRefused, "\(name) is not signed", hint: "the archive keeps signed documents: sign it first")
        }
        let (stored, encrypted) = try protect(submission.document, facts: facts, key: dataKey, sourceName: name)
        let claim = try numberClaim(submission, facts: facts)
        let counterpart = submission.direction == .outgoing ? facts.recipient : facts.sender
        var acknowledges: JournalKey?
        if facts.kind == .receipt, let target = facts.inReplyTo {
            acknowledges = try await acknowledged(target, by: submission.direction, counterpart: counterpart)
        }
        let object = try await storage.objects.put(stored)
        let record = RegistrationRecord(
            kind: facts.kind, counterpart: counterpart, documentNumber: facts.number, documentDate: facts.date,
            inReplyTo: facts.inReplyTo, deadline: facts.deadline, documentDigest: ArchiveCrypto.sha256Hex(submission.document),
            object: object, encryptedWith: encrypted ? dataKey.keyID : nil, signingTime: submission.signingTime,
            signingTimeSource: submission.signingTimeSource, signatureStatus: submission.signatureStatus, acknowledges: acknowledges,
            receiptOutcome: facts.kind == .receipt ? (facts.receiptRejects ? .rejected : .accepted) : nil,
            deadlineProvisional: facts.deadlineProvisional && facts.deadline != nil, messageID: submission.messageID, peer: submission.peer)
        do {
            return try await appendEntry(.register(record, number: claim))
        } catch let error as ArchiveError {
            throw ArchiveError(error.code, "\(name): \(error.message)", hint: error.hint, openSSLErrors: error.openSSLErrors)
        }
    }

    /// Keeps a refused received document: stored encrypted whole (it may not even be XML), recorded
    /// with its reason and what could be read from it, never dropped.
    public func quarantine(_ rejection: Rejection) async throws -> QuarantinedDocument {
        let dataKey = try requireKey("quarantining \(rejection.sourceName)")
        guard !rejection.reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ArchiveError(.documentRefused, "quarantining \(rejection.sourceName) needs a reason", hint: "say why it is refused")
        }
        let facts = try? DocumentFacts.read(rejection.document, sourceName: rejection.sourceName)
        let sealed = try QuarantineSeal.seal(rejection.document, key: dataKey)
        let object = try await storage.objects.put(sealed)
        let record = QuarantineRecord(
            reason: rejection.reason, documentDigest: ArchiveCrypto.sha256Hex(rejection.document), object: object,
            encryptedWith: dataKey.keyID, kind: facts?.kind, counterpart: facts?.sender, documentNumber: facts?.number,
            documentDate: facts?.date, signatureStatus: rejection.signatureStatus, messageID: rejection.messageID, peer: rejection.peer)
        let result = try await storage.append(.quarantine(record))
        checkpointWriter?.appended(seq: result.event.seq)
        // Durable from here on: nothing below may fail the operation.
        return result.quarantined
            ?? QuarantinedDocument(
                seq: result.event.seq, time: result.event.time, reason: record.reason, documentDigest: record.documentDigest,
                object: record.object, encryptedWith: record.encryptedWith, kind: record.kind, counterpart: record.counterpart,
                documentNumber: record.documentNumber, documentDate: record.documentDate, signatureStatus: record.signatureStatus,
                messageID: record.messageID, peer: record.peer)
    }

    /// Voids a reserved, unused number, with a reason.
    public func void(number: String, year: Int? = nil, reason: String) async throws -> JournalEntry {
        try await appendEntry(.void(number: number, year: year, reason: reason))
    }

    /// Records that a document was sent, delivered or answered.
    public func record(_ status: EventType, number: String, year: Int? = nil, note: String? = nil) async throws -> JournalEntry {
        try await appendEntry(.status(status, number: number, year: year, note: note))
    }

    /// Records a provisional deadline computed again (the official calendar of its year imported). The
    /// document keeps the date it was signed with; the journal's deadline is what the registers show.
    /// Refused (`numberUnusable`) unless the entry is a registered, unanswered request whose deadline is
    /// provisional and still `revision.previousDeadline`.
    public func recomputeDeadline(_ revision: DeadlineRevision) async throws -> JournalEntry {
        try await appendEntry(.recomputeDeadline(revision))
    }

    /// Records a durable state change of an outgoing message (the journal checks the transition);
    /// returns the message as it now stands.
    public func record(_ transition: MessageTransition) async throws -> MessageStatus {
        let result = try await storage.append(.message(transition))
        // Durable from here on: nothing below may fail the operation.
        checkpointWriter?.appended(seq: result.event.seq)
        if let message = result.message { return message }
        return try await storage.messages(MessageQuery(messageID: transition.messageID)).first
            ?? MessageStatus(
                messageID: transition.messageID, number: transition.number, year: transition.year, peer: transition.peer ?? "",
                state: transition.state, attempts: transition.attempt ?? 0, nextAttempt: transition.nextAttempt,
                expires: transition.expires, lastError: transition.reason, queuedAt: Date(), updatedAt: Date(),
                receiptNumber: transition.receiptNumber, history: [result.event.seq])
    }

    /// Records a joint event or help provided (people as keyed hashes only). Refused
    /// (`duplicateFact`) when the same fact was recorded before; returns it once durable.
    public func record(_ fact: FactRecord) async throws -> RecordedFact {
        let result = try await storage.append(.fact(fact))
        // Durable from here on: nothing below may fail the operation.
        checkpointWriter?.appended(seq: result.event.seq)
        return result.fact ?? RecordedFact(seq: result.event.seq, time: result.event.time, record: fact)
    }

    /// The recorded facts a query selects.
    public func facts(_ query: FactQuery) async throws -> [RecordedFact] { try await storage.facts(query) }

    /// Signs a checkpoint of the log's head now.
    public func checkpoint() async throws -> Checkpoint {
        guard let checkpointWriter else {
            throw ArchiveError(
                .configurationInvalid, "writing a checkpoint needs the gateway's signing key",
                hint: "give the gateway's signing key, or set gatewayKeyFile in archive.json")
        }
        return try await checkpointWriter.writeNow()
    }

    /// Waits for a background checkpoint to finish (call before the process exits).
    public func finishBackgroundWork() async { await checkpointWriter?.drain() }

    // MARK: - Reading

    /// The entries a query selects.
    public func entries(_ query: JournalQuery) async throws -> [JournalEntry] { try await storage.entries(query) }

    /// The one entry with this number (and year); throws `numberUnusable` when there is none or several.
    public func entry(number: String, year: Int? = nil) async throws -> JournalEntry {
        try Journal.only(try await storage.entries(JournalQuery(number: number, year: year)), number: number)
    }

    /// The quarantined documents a query selects.
    public func quarantined(_ query: JournalQuery) async throws -> [QuarantinedDocument] { try await storage.quarantined(query) }

    /// The outgoing messages a query selects.
    public func messages(_ query: MessageQuery) async throws -> [MessageStatus] { try await storage.messages(query) }

    /// The outgoing message with this id, if any.
    public func message(id: String) async throws -> MessageStatus? { try await storage.messages(MessageQuery(messageID: id)).first }

    /// The events about an entry, oldest first.
    public func history(of entry: JournalEntry) async throws -> [ArchiveEvent] {
        var events: [ArchiveEvent] = []
        for seq in entry.history { events += try await storage.events(seq...seq) }
        return events
    }

    /// The stored form of a registered document (personal data encrypted).
    public func stored(of entry: JournalEntry) async throws -> [UInt8] {
        guard let object = entry.object else {
            throw ArchiveError(
                .numberUnusable, "no document is registered under \(entry.number)", hint: "it is \(entry.recordedStatus.rawValue)")
        }
        return try await storage.objects.get(object)
    }

    /// The original of a registered document, byte for byte as signed (checked against its digest).
    public func original(of entry: JournalEntry) async throws -> [UInt8] {
        let dataKey = try requireKey("reading the original of \(entry.number)")
        let original = try PersonalDataProtection.reveal(try await stored(of: entry), key: dataKey, sourceName: entry.number)
        guard ArchiveCrypto.sha256Hex(original) == entry.documentDigest else {
            throw ArchiveError(
                .integrityBroken, "the archived document \(entry.number) does not have the digest recorded at registration",
                hint: "run `mezhved archive audit`")
        }
        return original
    }

    /// The document a quarantine kept, byte for byte as received.
    public func original(of quarantined: QuarantinedDocument) async throws -> [UInt8] {
        let dataKey = try requireKey("reading a quarantined document")
        let original = try QuarantineSeal.open(try await storage.objects.get(quarantined.object), key: dataKey)
        guard ArchiveCrypto.sha256Hex(original) == quarantined.documentDigest else {
            throw ArchiveError(
                .integrityBroken, "the quarantined document of log entry \(quarantined.seq) does not have its recorded digest",
                hint: "run `mezhved archive audit`")
        }
        return original
    }

    // MARK: - Rules

    private func requireKey(_ what: String) throws -> ArchiveDataKey {
        guard let dataKey else {
            throw ArchiveError(
                .dataKeyUnusable, "\(what) needs the personal-data key", hint: "give the archive's personal-data key file")
        }
        return dataKey
    }

    private func appendEntry(_ append: JournalAppend) async throws -> JournalEntry {
        let result = try await storage.append(append)
        // Durable from here on: nothing below may fail the operation.
        checkpointWriter?.appended(seq: result.event.seq)
        return result.entry ?? JournalEntry(recordedBy: result.event)
    }

    /// The stored form, checked to give back the original; refuses personal data it cannot delimit.
    private func protect(_ document: [UInt8], facts: DocumentFacts, key: ArchiveDataKey, sourceName: String) throws -> ([UInt8], Bool) {
        let (stored, encrypted) = try PersonalDataProtection.protect(document, key: key, sourceName: sourceName)
        // Personal data written in a way the byte-exact encryption does not see (a prefix, a second
        // element) is refused rather than stored in clear.
        guard facts.personalDataElements == (encrypted ? 1 : 0) else {
            throw ArchiveError(
                .documentRefused,
                "\(sourceName) holds \(facts.personalDataElements) PersonalData element(s) that cannot be delimited exactly for encryption",
                hint: "archive documents whose personal data is one unprefixed PersonalData element, as mezhved writes them")
        }
        if encrypted {
            // Never store what cannot be put back byte for byte.
            guard try PersonalDataProtection.reveal(stored, key: key, sourceName: sourceName) == document else {
                throw ArchiveError(.internalFailure, "\(sourceName): the encrypted form does not give back the original")
            }
        }
        return (stored, encrypted)
    }

    /// The number a submission claims.
    private func numberClaim(_ submission: Submission, facts: DocumentFacts) throws -> NumberClaim {
        let name = submission.sourceName
        guard submission.direction == .outgoing else {
            return submission.reservedNumber.map { .reserved($0, year: nil, direction: .incoming) } ?? .next(.incoming, mustEqual: nil)
        }
        if facts.kind == .receipt && facts.number == nil {
            // A receipt carries no registration number of its own (only the one it acknowledges).
            return submission.reservedNumber.map { .reserved($0, year: nil, direction: .outgoing) } ?? .next(.outgoing, mustEqual: nil)
        }
        guard let printed = facts.number, !printed.isEmpty else {
            throw ArchiveError(
                .documentRefused, "\(name) carries no registration number (Registration/@number)",
                hint: "an outgoing document is composed with the number it is registered under: reserve one first")
        }
        if let reserved = submission.reservedNumber {
            guard reserved == printed else {
                throw ArchiveError(
                    .numberUnusable,
                    "\(name) is printed with the number \(printed), not the reserved number \(reserved) it is registered under",
                    hint: "compose and sign the document with the reserved number, or register it without a reserved number")
            }
            return .reserved(reserved, year: nil, direction: .outgoing)
        }
        return .printed(printed, direction: .outgoing)
    }

    /// The entry a receipt acknowledges: one of ours it was sent for (by our number, printed on
    /// it), or one we received (by its sender's number), of the same counterpart.
    private func acknowledged(_ number: String, by direction: Direction, counterpart: String?) async throws -> JournalKey? {
        let query =
            direction == .incoming
            ? JournalQuery(number: number, direction: .outgoing) : JournalQuery(direction: .incoming, documentNumber: number)
        let found = try await storage.entries(query).filter { entry in
            entry.registeredAt != nil && entry.kind != .receipt
                && (counterpart == nil || entry.counterpart == nil || entry.counterpart == counterpart)
        }
        return found.last?.key
    }
}

/// A whole document sealed with the personal-data key (quarantined documents need not be XML, so
/// their personal data cannot be found to encrypt it alone): `mezhved-sealed/1 <key id>\n` and
/// AES-256-GCM's IV ‖ ciphertext ‖ tag.
enum QuarantineSeal {
    static let magic = "mezhved-sealed/1 "

    static func seal(_ document: [UInt8], key: ArchiveDataKey) throws -> [UInt8] {
        Array("\(magic)\(key.keyID)\n".utf8) + (try ArchiveCrypto.sealAES256GCM(document, key: key.bytes))
    }

    static func open(_ sealed: [UInt8], key: ArchiveDataKey) throws -> [UInt8] {
        guard let newline = sealed.firstIndex(of: 10), sealed.starts(with: Array(magic.utf8)) else {
            throw ArchiveError(.integrityBroken, "a quarantined object is not a sealed document", hint: "run `mezhved archive audit`")
        }
        let named = String(decoding: sealed[magic.utf8.count..<newline], as: UTF8.self)
        guard named == key.keyID else {
            throw ArchiveError(.dataKeyUnusable, "the quarantined document was sealed with the key \(named), not with \(key.keyID)")
        }
        guard let plain = try ArchiveCrypto.openAES256GCM(Array(sealed[(newline + 1)...]), key: key.bytes) else {
            throw ArchiveError(.integrityBroken, "a quarantined document does not decrypt (altered)", hint: "run `mezhved archive audit`")
        }
        return plain
    }
}
