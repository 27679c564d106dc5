import Foundation
import MezhvedCore
import MezhvedDocuments
import MezhvedXMLDSig

/// Whether a document leaves the agency or arrives at it; each has its own number series.
public enum Direction: String, Sendable, Codable, CaseIterable {
    case outgoing, incoming
}

/// The kinds of event in the archive's log.
public enum EventType: String, Sendable, Codable, CaseIterable {
    /// A number was taken for a document still to be written (an outgoing request).
    case reserved
    /// A document was registered under a number and archived (sent or received).
    case registered
    /// The document was sent, delivered, or answered.
    case sent, delivered, answered
    /// A number was voided, with a reason.
    case voided
    /// A received document was refused and kept with its reason (no number is taken).
    case quarantined
    /// `mezhved archive recover` removed a torn write at the log's tail.
    case recovered
    /// The archive was created.
    case created
    /// A provisional response deadline was computed again, from the year's official calendar (payload:
    /// `deadline`, `deadlineProvisional`, `previousDeadline`, `reason`). The signed document keeps its date.
    case deadlineRecomputed
    /// An outgoing message changed state (queued, waiting, receipted, failed, …).
    case message
    /// A joint event was recorded (562 cl. 3.1: a joint visit, an individual programme, a meeting of a
    /// collegial body): `recordKind`, `recordDate`, `agencies`, `people` (keyed hashes), `personKeyID`.
    case jointEvent
    /// Help provided to a person was recorded (562 cl. 6.2, 459-р cl. 4.1): `recordKind` (the kind of
    /// help), `recordDate`, `agencies` (the one that helped), `people` (one keyed hash), `personKeyID`.
    case helpProvided
    /// An organisation was included in (`recordKind` included) or excluded from (excluded) the register of
    /// early-help organisations (459-р cl. 1.4 item 1): `recordDate`, `agencies` (the one organisation), `reference`.
    case earlyHelpOrganisation
    /// A change in the record of target-group children (459-р cl. 1.4): `recordKind` `included` (with the
    /// child's personal data as a sealed `object`, `encryptedWith` its key), `transfer-requested`,
    /// `transferred`, `excluded` or `viewed`; `recordDate`, `agencies` (the organisation), `people` (the child's
    /// keyed hash), `counterpart` (the other organisation of a transfer), `reference` (the transfer document's
    /// number, the reason of an exclusion, the time of a view). Never a name or a SNILS.
    case childRecorded
}

/// What an event says. Fields that do not apply to the event's type are nil.
public struct EventPayload: Sendable, Codable, Equatable {
    /// The registration number, as formatted.
    public var number: String?
    /// The year of the number series.
    public var year: Int?
    /// The number series' direction.
    public var direction: Direction?
    /// The counter within (agency, year, direction).
    public var sequence: Int?
    /// The document's kind: request, answer, receipt.
    public var kind: DocumentKind?
    /// The other agency (directory id): the recipient of an outgoing, the sender of an incoming document.
    public var counterpart: String?
    /// The number and date the document itself carries (its sender's registration).
    public var documentNumber: String?
    public var documentDate: String?
    /// The number of the request this document answers (its "на № … от …").
    public var inReplyTo: String?
    /// The response deadline written in the document (ISO date).
    public var deadline: String?
    /// SHA-256 (hex) of the document as signed: the original, personal data included.
    public var documentDigest: String?
    /// SHA-256 (hex) of the stored object (personal data encrypted).
    public var object: String?
    /// Whether the stored object has its personal data encrypted, and with which key (key id).
    public var encryptedWith: String?
    /// The moment the signature is judged at (the registration time unless the signature says otherwise).
    public var signingTime: String?
    /// Where `signingTime` came from (absent in logs written before it was recorded).
    public var signingTimeSource: SigningTimeSource?
    /// The result of verifying the signature at registration: valid, invalid, indeterminate, unverified.
    public var signatureStatus: SignatureStatus?
    /// For a receipt: the journal number and year of the document it acknowledges.
    public var acknowledges: String?
    public var acknowledgesYear: Int?
    /// For a receipt: whether it accepts or rejects the document it acknowledges.
    public var receiptOutcome: ReceiptOutcome?
    /// Why (voiding, recovery) or a free note.
    public var reason: String?
    /// The archive's agency (created event).
    public var agency: String?
    /// SHA-256 (hex) of `archive.json` as created (created event), so that a changed configuration is detected.
    public var configurationDigest: String?
    /// `true` when `deadline` is provisional: computed for a year the production calendar did not cover
    /// (registered and deadlineRecomputed events; absent: final, and in logs written before it was recorded).
    public var deadlineProvisional: Bool?
    /// The deadline a deadlineRecomputed event replaces.
    public var previousDeadline: String?
    /// The exchange message id: of the message that carries an outgoing document (message event),
    /// that delivered an incoming one (registration, quarantine), or that an outgoing receipt answers.
    public var messageID: String?
    /// A message event's new state.
    public var messageState: MessageState?
    /// The authenticated peer agency of a received message, or the receiving agency of an outgoing one.
    public var peer: String?
    /// A message event's delivery attempt (1 for the first).
    public var attempt: Int?
    /// When a message's next delivery is due (ISO 8601 UTC).
    public var nextAttempt: String?
    /// A message's end of life (ISO 8601 UTC).
    public var expires: String?
    /// For a receipted or rejected message: the journal number of its receipt.
    public var receiptNumber: String?
    /// A recorded fact's kind (jointEvent, helpProvided events): `joint-visit`, `medical`, ….
    public var recordKind: String?
    /// The day the recorded fact happened (ISO date).
    public var recordDate: String?
    /// The agencies (directory ids) that took part in a joint event, or the one that helped.
    public var agencies: [String]?
    /// The people a recorded fact concerns, as keyed hashes of their SNILS (``PersonKey``), never names.
    public var people: [String]?
    /// The id of the key the `people` hashes were made with (``PersonKey/keyID``).
    public var personKeyID: String?
    /// The agency's own reference of a recorded fact (a protocol or act number), if any.
    public var reference: String?

    public init() {}
}

/// What a receipt says of the document it acknowledges.
public enum ReceiptOutcome: String, Sendable, Codable, CaseIterable {
    /// The document arrived and was accepted.
    case accepted
    /// The document arrived and was refused (the receipt's `Rejected` element gives why).
    case rejected
}

/// One line of the event log.
public struct ArchiveEvent: Sendable, Codable, Equatable {
    /// 1, 2, 3, … without gaps.
    public let seq: Int
    /// When the event was written (ISO 8601, UTC, milliseconds).
    public let time: String
    public let type: EventType
    /// The hash of the previous line (64 zeros for the first).
    public let prev: String
    public let payload: EventPayload
    /// SHA-256 (hex) of this line up to (not including) `,"hash":`.
    public let hash: String
}

/// The log's line format: `{"seq":…,"time":…,"type":…,"prev":…,"payload":{…},"hash":"<sha256 of all before ,"hash">"}`.
/// The same bytes in every store (the PostgreSQL store keeps each line in a row).
package enum EventLine {
    /// The `prev` of the first line: 64 zeros.
    package static let genesis = String(repeating: "0", count: 64)
    static let hashMarker = Array(",\"hash\":\"".utf8)

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// The bytes of a new line (ending in a newline) and its hash.
    package static func make(seq: Int, time: Date, type: EventType, prev: String, payload: EventPayload) throws -> (
        line: [UInt8], event: ArchiveEvent
    ) {
        let payloadJSON = try encoder().encode(payload)
        let timeText = ISOTime.string(time, milliseconds: true)
        var body = Array("{\"seq\":\(seq),\"time\":\"\(timeText)\",\"type\":\"\(type.rawValue)\",\"prev\":\"\(prev)\",\"payload\":".utf8)
        body += payloadJSON
        let hash = ArchiveCrypto.sha256Hex(body)
        let line = body + hashMarker + Array(hash.utf8) + Array("\"}\n".utf8)
        return (line, ArchiveEvent(seq: seq, time: timeText, type: type, prev: prev, payload: payload, hash: hash))
    }

    /// Why a line cannot be read.
    package enum Failure: Error, Equatable {
        case notJSON
        case hashMismatch(recorded: String, computed: String)
    }

    /// Parses one line (without its newline) and checks its own hash.
    package static func parse(_ line: ArraySlice<UInt8>) -> Result<ArchiveEvent, Failure> {
        guard line.count > hashMarker.count + 66, line.last == UInt8(ascii: "}") else { return .failure(.notJSON) }
        let hashStart = line.endIndex - 66
        let markerStart = hashStart - hashMarker.count
        guard line[markerStart..<hashStart].elementsEqual(hashMarker), line[line.endIndex - 2] == UInt8(ascii: "\"") else {
            return .failure(.notJSON)
        }
        let recorded = String(decoding: line[hashStart..<(line.endIndex - 2)], as: UTF8.self)
        let computed = line[line.startIndex..<markerStart].withUnsafeBytes { hexString(ArchiveCrypto.sha256($0)) }
        guard let event = try? JSONDecoder().decode(ArchiveEvent.self, from: Data(line)) else { return .failure(.notJSON) }
        guard recorded == computed, event.hash == recorded else { return .failure(.hashMismatch(recorded: recorded, computed: computed)) }
        return .success(event)
    }
}
