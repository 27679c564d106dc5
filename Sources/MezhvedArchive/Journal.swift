import Foundation
import MezhvedDocuments

/// Where a registration number stands.
public enum EntryStatus: String, Sendable, Codable, CaseIterable {
    /// Taken for a document still to be written.
    case reserved
    case registered, sent, delivered, answered
    /// The recipient's receipt refused the document.
    case rejected
    /// Past its deadline and not answered (computed against today).
    case overdue
    case voided
}

/// One registration number of the journal with everything recorded about it.
public struct JournalEntry: Sendable, Codable, Equatable {
    public var number: String
    public var year: Int
    public var direction: Direction
    public var sequence: Int
    /// When the number was taken.
    public var allocatedAt: String
    /// When the document was registered under it (nil while reserved or when voided unused).
    public var registeredAt: String?
    public var kind: DocumentKind?
    public var counterpart: String?
    public var documentNumber: String?
    public var documentDate: String?
    public var inReplyTo: String?
    public var deadline: String?
    public var documentDigest: String?
    public var object: String?
    public var encryptedWith: String?
    public var signingTime: String?
    public var signingTimeSource: SigningTimeSource?
    public var signatureStatus: SignatureStatus?
    /// The recorded status (never `overdue`: see ``status(on:)``).
    public var recordedStatus: EntryStatus
    public var voidReason: String?
    /// The numbers of the answers registered to this request.
    public var answeredBy: [String]
    /// The journal numbers of the receipts registered for this document.
    public var acknowledgedBy: [String] = []
    /// For a receipt: the document it acknowledges.
    public var acknowledges: JournalKey?
    /// The log sequence numbers of every event about this number, oldest first.
    public var history: [Int]
    /// `true` when `deadline` is provisional (computed for a year without an official production
    /// calendar); nil when it is final.
    public var deadlineProvisional: Bool? = nil
    /// The exchange message: that carries this outgoing document, that delivered this incoming
    /// one, or (an outgoing receipt) that the receipt answers.
    public var messageID: String? = nil
    /// The authenticated peer agency of the message that delivered an incoming document (or that
    /// an outgoing receipt answers).
    public var peer: String? = nil

    /// The status on `day` (ISO date): `overdue` when a deadline has passed and no answer came.
    public func status(on day: String) -> EntryStatus {
        if let deadline, deadline < day, recordedStatus == .registered || recordedStatus == .sent || recordedStatus == .delivered {
            return .overdue
        }
        return recordedStatus
    }

    /// The key of the entry: numbers repeat across years when the template has no year.
    public var key: JournalKey { JournalKey(year: year, number: number) }
}

extension JournalEntry {
    /// What one event says of its number on its own: the entry a registrar reports when a store
    /// acknowledged an append without returning the entry (nothing may fail once it is durable).
    init(recordedBy event: ArchiveEvent) {
        let p = event.payload
        self.init(
            number: p.number ?? "", year: p.year ?? 0, direction: p.direction ?? .outgoing, sequence: p.sequence ?? 0,
            allocatedAt: event.time, registeredAt: event.type == .registered ? event.time : nil,
            recordedStatus: EntryStatus(rawValue: event.type.rawValue) ?? .reserved, answeredBy: [], history: [event.seq])
        kind = p.kind
        counterpart = p.counterpart
        documentNumber = p.documentNumber
        documentDate = p.documentDate
        inReplyTo = p.inReplyTo
        deadline = p.deadline
        documentDigest = p.documentDigest
        object = p.object
        encryptedWith = p.encryptedWith
        signingTime = p.signingTime
        signingTimeSource = p.signingTimeSource
        signatureStatus = p.signatureStatus
        voidReason = event.type == .voided ? p.reason : nil
        deadlineProvisional = p.deadlineProvisional
        messageID = p.messageID
        peer = p.peer
    }
}

/// A number within its year.
public struct JournalKey: Sendable, Hashable, Codable, CustomStringConvertible {
    public let year: Int
    public let number: String
    public init(year: Int, number: String) {
        self.year = year
        self.number = number
    }
    public var description: String { "\(number) (\(year))" }
}

/// A received document refused and kept (a `quarantined` event): no number, never dropped.
public struct QuarantinedDocument: Sendable, Codable, Equatable {
    /// The log entry that records it.
    public let seq: Int
    public let time: String
    /// Why it was refused.
    public let reason: String
    /// SHA-256 (hex) of the document as received.
    public let documentDigest: String
    /// SHA-256 (hex) of the stored (encrypted) object.
    public let object: String
    public let encryptedWith: String?
    /// What could be read from it (nil when it is not an interagency document).
    public let kind: DocumentKind?
    public let counterpart: String?
    public let documentNumber: String?
    public let documentDate: String?
    public let signatureStatus: SignatureStatus?
    /// The exchange message that delivered it, and the authenticated peer it came from.
    public var messageID: String? = nil
    public var peer: String? = nil
}

/// What replaying the log found that should not be there (the audit names each).
public struct JournalAnomaly: Sendable, Codable, Equatable, CustomStringConvertible {
    public let seq: Int
    public let message: String
    public var description: String { "log entry \(seq): \(message)" }
}

/// The journal: the state of every number, derived by replaying the event log. Every store
/// replays with ``apply(_:)`` and checks appends with ``prepare(_:time:configuration:)``.
public struct Journal: Sendable {
    public internal(set) var entries: [JournalEntry] = []
    public private(set) var quarantined: [QuarantinedDocument] = []
    var index: [JournalKey: Int] = [:]
    private var byDigest: [String: Int] = [:]
    private var byDocumentNumber: [String: [Int]] = [:]
    private var byLetter: [String: Int] = [:]
    private var byNumber: [String: [Int]] = [:]
    /// The stored objects some registration or quarantine refers to.
    public internal(set) var referencedObjects: Set<String> = []
    /// The highest counter per (year, direction).
    public private(set) var counters: [String: Int] = [:]
    public internal(set) var anomalies: [JournalAnomaly] = []
    public private(set) var lastSeq = 0
    public private(set) var lastHash = EventLine.genesis
    public private(set) var agency: String?
    /// The SHA-256 of archive.json recorded when the archive was created.
    public private(set) var configurationDigest: String?
    /// Every outgoing message, in the order first queued, as its events leave it.
    public internal(set) var messages: [MessageStatus] = []
    /// Positions in `messages` by message id, and by the outgoing entry a message carries.
    var messageIndex: [String: Int] = [:]
    var messageByEntry: [JournalKey: Int] = [:]
    /// Positions of the entries and quarantined documents that name a message id.
    var entriesByMessage: [String: [Int]] = [:]
    var quarantinedByMessage: [String: [Int]] = [:]
    /// Every recorded joint event and help provided, in log order.
    public internal(set) var facts: [RecordedFact] = []
    /// Positions in `facts` by the digest of what each records (a fact is recorded once).
    var factsByDigest: [String: Int] = [:]

    public init() {}

    static func counterKey(_ year: Int, _ direction: Direction) -> String { "\(year)/\(direction.rawValue)" }

    /// The identity of a letter: the same direction, counterpart, printed number and date.
    static func letterKey(_ direction: Direction, _ counterpart: String?, _ number: String?, _ date: String?) -> String? {
        guard let number else { return nil }
        return "\(direction.rawValue)\u{1}\(counterpart ?? "")\u{1}\(number)\u{1}\(date ?? "")"
    }

    /// The next counter for (year, direction).
    public func nextSequence(year: Int, direction: Direction) -> Int { (counters[Self.counterKey(year, direction)] ?? 0) + 1 }

    /// The entries with this number (several only when the template has no year and `year` is nil).
    public func entries(number: String, year: Int? = nil) -> [JournalEntry] {
        if let year { return index[JournalKey(year: year, number: number)].map { [entries[$0]] } ?? [] }
        return (byNumber[number] ?? []).map { entries[$0] }
    }

    /// The entry whose original document has this SHA-256 digest.
    public func entry(documentDigest: String) -> JournalEntry? { byDigest[documentDigest].map { entries[$0] } }

    /// The entry registered for the same letter (direction, counterpart, printed number, date).
    public func entry(letter direction: Direction, counterpart: String?, documentNumber: String?, documentDate: String?) -> JournalEntry? {
        Self.letterKey(direction, counterpart, documentNumber, documentDate).flatMap { byLetter[$0] }.map { entries[$0] }
    }

    /// The entries a query selects, in the order their numbers were taken, paged.
    public func entries(matching query: JournalQuery) -> [JournalEntry] {
        let candidates: [JournalEntry]
        if let number = query.number {
            candidates = entries(number: number, year: query.year)
        } else if let messageID = query.messageID {
            candidates = (entriesByMessage[messageID] ?? []).map { entries[$0] }
        } else if let digest = query.documentDigest {
            candidates = entry(documentDigest: digest).map { [$0] } ?? []
        } else if let documentNumber = query.documentNumber {
            // Every receipt registered looks up the document it acknowledges by its printed number:
            // through the index, not a scan of the whole journal (which grew with every document).
            candidates = (byDocumentNumber[documentNumber] ?? []).sorted().map { entries[$0] }
        } else {
            candidates = entries
        }
        return query.page(candidates.lazy.filter { query.matches($0) })
    }

    /// The quarantined documents a query selects (period, counterpart, kind; paged).
    public func quarantined(matching query: JournalQuery) -> [QuarantinedDocument] {
        if let messageID = query.messageID {
            return query.page((quarantinedByMessage[messageID] ?? []).lazy.map { quarantined[$0] }.filter { query.matches($0) })
        }
        return query.page(quarantined.lazy.filter { query.matches($0) })
    }

    /// Applies one event (already checked for chain and hash).
    package mutating func apply(_ event: ArchiveEvent) {
        lastSeq = event.seq
        lastHash = event.hash
        let p = event.payload
        func anomaly(_ message: String) { anomalies.append(JournalAnomaly(seq: event.seq, message: message)) }
        switch event.type {
        case .created:
            agency = p.agency
            configurationDigest = p.configurationDigest
            return
        case .recovered:
            return
        case .message:
            applyMessage(event)
            return
        case .jointEvent, .helpProvided, .earlyHelpOrganisation, .childRecorded:
            applyFact(event)
            return
        case .quarantined:
            guard let digest = p.documentDigest, let object = p.object else {
                anomaly("a quarantined event without its document")
                return
            }
            referencedObjects.insert(object)
            quarantined.append(
                QuarantinedDocument(
                    seq: event.seq, time: event.time, reason: p.reason ?? "", documentDigest: digest, object: object,
                    encryptedWith: p.encryptedWith, kind: p.kind, counterpart: p.counterpart, documentNumber: p.documentNumber,
                    documentDate: p.documentDate, signatureStatus: p.signatureStatus, messageID: p.messageID, peer: p.peer))
            if let messageID = p.messageID {
                if incomingMessage(messageID, peer: p.peer) != nil {
                    anomaly("a second document received in message \(messageID) from \(p.peer ?? "?")")
                }
                quarantinedByMessage[messageID, default: []].append(quarantined.count - 1)
            }
            return
        default:
            break
        }
        guard let number = p.number, let year = p.year else {
            anomaly("a \(event.type.rawValue) event without a number")
            return
        }
        let key = JournalKey(year: year, number: number)
        switch event.type {
        case .reserved, .registered:
            guard let direction = p.direction, let sequence = p.sequence else {
                anomaly("\(event.type.rawValue) \(key) lacks its direction or counter")
                return
            }
            if let existing = index[key] {
                if event.type == .registered && entries[existing].recordedStatus == .reserved {
                    fill(existing, from: p, time: event.time)
                    entries[existing].history.append(event.seq)
                } else {
                    anomaly(
                        "duplicate number \(key): already \(entries[existing].recordedStatus.rawValue) at log entry \(entries[existing].history.first ?? 0)"
                    )
                }
                return
            }
            let counterKey = Self.counterKey(year, direction)
            counters[counterKey] = max(counters[counterKey] ?? 0, sequence)
            let entry = JournalEntry(
                number: number, year: year, direction: direction, sequence: sequence, allocatedAt: event.time, registeredAt: nil,
                recordedStatus: .reserved, answeredBy: [], history: [event.seq])
            entries.append(entry)
            index[key] = entries.count - 1
            byNumber[number, default: []].append(entries.count - 1)
            if event.type == .registered { fill(entries.count - 1, from: p, time: event.time) }
        case .sent, .delivered, .answered:
            guard let position = index[key] else {
                anomaly("\(event.type.rawValue) for \(key), which was never registered")
                return
            }
            entries[position].recordedStatus = EntryStatus(rawValue: event.type.rawValue) ?? .registered
            entries[position].history.append(event.seq)
        case .voided:
            guard let position = index[key] else {
                anomaly("voided \(key), which was never allocated")
                return
            }
            entries[position].recordedStatus = .voided
            entries[position].voidReason = p.reason
            entries[position].history.append(event.seq)
        case .deadlineRecomputed:
            guard let position = index[key], entries[position].registeredAt != nil else {
                anomaly("deadlineRecomputed for \(key), which was never registered")
                return
            }
            guard let deadline = p.deadline else {
                anomaly("deadlineRecomputed for \(key) without the new deadline")
                return
            }
            entries[position].deadline = deadline
            entries[position].deadlineProvisional = p.deadlineProvisional
            entries[position].history.append(event.seq)
        case .recovered, .created, .quarantined, .message, .jointEvent, .helpProvided, .earlyHelpOrganisation, .childRecorded:
            return
        }
    }

    private mutating func fill(_ position: Int, from p: EventPayload, time: String) {
        if let messageID = p.messageID {
            if entries[position].direction == .incoming, incomingMessage(messageID, peer: p.peer) != nil {
                anomalies.append(
                    JournalAnomaly(
                        seq: entries[position].history.last ?? 0,
                        message: "a second document received in message \(messageID) from \(p.peer ?? "?")"))
            }
            entriesByMessage[messageID, default: []].append(position)
        }
        var entry = entries[position]
        entry.messageID = p.messageID
        entry.peer = p.peer
        entry.registeredAt = time
        entry.recordedStatus = .registered
        entry.kind = p.kind
        entry.counterpart = p.counterpart
        entry.documentNumber = p.documentNumber
        entry.documentDate = p.documentDate
        entry.inReplyTo = p.inReplyTo
        entry.deadline = p.deadline
        entry.documentDigest = p.documentDigest
        entry.object = p.object
        entry.encryptedWith = p.encryptedWith
        entry.signingTime = p.signingTime
        entry.signingTimeSource = p.signingTimeSource
        entry.signatureStatus = p.signatureStatus
        entry.deadlineProvisional = p.deadlineProvisional
        if let acknowledged = p.acknowledges, let year = p.acknowledgesYear {
            entry.acknowledges = JournalKey(year: year, number: acknowledged)
        }
        entries[position] = entry
        if let digest = p.documentDigest { byDigest[digest] = position }
        if let object = p.object { referencedObjects.insert(object) }
        if let own = p.documentNumber { byDocumentNumber[own, default: []].append(position) }
        if let letter = Self.letterKey(entry.direction, p.counterpart, p.documentNumber, p.documentDate) { byLetter[letter] = position }
        // An answer marks the request it answers (by the request's own number) as answered.
        if let inReplyTo = p.inReplyTo, entry.kind == .answer {
            let requests = (byDocumentNumber[inReplyTo] ?? []) + (byNumber[inReplyTo] ?? [])
            for request in Set(requests) where entries[request].kind == .request && request != position {
                entries[request].answeredBy.append(entry.number)
                if entries[request].recordedStatus != .voided { entries[request].recordedStatus = .answered }
            }
        }
        // A receipt names itself on the document it acknowledges; a receipt from the recipient moves one
        // of ours to delivered (or rejected). Our own receipt for a received document changes its status not.
        if let acknowledged = entry.acknowledges, let target = index[acknowledged], target != position {
            entries[target].acknowledgedBy.append(entry.number)
            guard entries[target].direction == .outgoing else { return }
            switch (p.receiptOutcome ?? .accepted, entries[target].recordedStatus) {
            case (.accepted, .registered), (.accepted, .sent): entries[target].recordedStatus = .delivered
            case (.rejected, .registered), (.rejected, .sent), (.rejected, .delivered): entries[target].recordedStatus = .rejected
            default: break
            }
        }
    }
}

extension Journal {
    /// The journal as `events` leave it, replayed in order (events a store has read and checked): a
    /// report computed from it is reproducible from the log's head it stops at.
    public init(replaying events: some Sequence<ArchiveEvent>) {
        self.init()
        replay(events)
    }

    /// Applies `events`, the next ones of the log in order (so a long log is replayed a chunk at a time).
    public mutating func replay(_ events: some Sequence<ArchiveEvent>) {
        for event in events { apply(event) }
    }
}
