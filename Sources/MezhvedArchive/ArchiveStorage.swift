import Foundation
import MezhvedDocuments

/// The storage behind the journal and the archive: storage only, no domain rules (those are in
/// ``Registrar``). The filesystem store (``FileSystemStorage``) is the embedded default; a store
/// with the log and index in PostgreSQL implements the same contract:
///
/// - ``append(_:)`` is one transaction: it reads the journal's current state (every process's and
///   node's events included), allocates the number the append asks for, checks the append's
///   constraints (``Journal/prepare(_:time:configuration:)`` is the reference), writes the event
///   line (``EventLine``, the same hash chain in every store) and makes it durable before it
///   returns. A refused append writes nothing.
/// - Reads (``entries(_:)``, ``events(_:)``, ``messages(_:)``) see every append acknowledged before they started.
/// - ``messages(_:)`` answers from the `message` events replayed (``Journal/messages(matching:)`` is
///   the reference; a SQL store keeps a row per message) with ``MessageQuery/matches(_:)``'s semantics.
public protocol ArchiveStorage: Sendable {
    /// What the archive is.
    var configuration: ArchiveConfiguration { get }
    /// The content-addressed documents.
    var objects: any ArchiveObjectStore { get }
    /// The signed checkpoints of the log's head.
    var checkpoints: any CheckpointStore { get }
    /// Who is delivering which queued message now (shared by every node of the store).
    var deliveryClaims: any DeliveryClaims { get }
    /// The web workplace's sessions (shared by every node of the store).
    var sessions: any SessionStore { get }
    /// The API's tokens and the web workplace's users, when the store keeps them (shared by every
    /// node); nil for a store whose gateway keeps them in files (the filesystem store).
    var credentials: (any CredentialStore)? { get }
    /// The web workplace's failed sign-ins (shared by every node of the store).
    var signInFailures: any SignInFailureStore { get }

    /// Appends one typed event atomically and durably; returns it with the entry it made or changed.
    func append(_ append: JournalAppend) async throws -> AppendResult
    /// The journal entries a query selects.
    func entries(_ query: JournalQuery) async throws -> [JournalEntry]
    /// The quarantined documents a query selects (period, counterpart, kind, digest; paged).
    func quarantined(_ query: JournalQuery) async throws -> [QuarantinedDocument]
    /// The events with `seq` in `range` (for history and audit replay), oldest first.
    func events(_ range: ClosedRange<Int>) async throws -> [ArchiveEvent]
    /// The last event's seq and hash.
    func head() async throws -> LogHead
    /// The outgoing messages a query selects, each as its `message` events leave it.
    func messages(_ query: MessageQuery) async throws -> [MessageStatus]
    /// The recorded joint events and help a query selects (a default replays the log).
    func facts(_ query: FactQuery) async throws -> [RecordedFact]
}

/// The immutable documents, named by the SHA-256 (hex) of their bytes.
public protocol ArchiveObjectStore: Sendable {
    /// Stores `bytes` (an existing object with the same bytes is kept) and returns its digest. The
    /// object is durable no later than the first log event that names it.
    func put(_ bytes: [UInt8]) async throws -> String
    /// The object's bytes; throws `integrityBroken` when it is missing.
    func get(_ digest: String) async throws -> [UInt8]
    /// The digests of every stored object.
    func list() async throws -> [String]
}

/// The signed checkpoints, oldest first, each naming the one before (``Checkpoint/previous``).
public protocol CheckpointStore: Sendable {
    /// Every checkpoint document as stored, oldest first.
    func all() async throws -> [StoredCheckpoint]
    /// The latest checkpoint, nil when there is none yet.
    func latest() async throws -> StoredCheckpoint?
    /// Atomically: takes the log's head and the latest checkpoint, has `sign` sign the new
    /// checkpoint, and stores it. Returns the latest checkpoint unchanged when it already covers the head.
    func write(sign: @escaping @Sendable (Checkpoint) throws -> [UInt8]) async throws -> StoredCheckpoint
}

extension CheckpointStore {
    public func latest() async throws -> StoredCheckpoint? { try await all().last }
}

/// A checkpoint document as stored.
public struct StoredCheckpoint: Sendable, Equatable {
    /// Its name in the store (`000000000100.xml`).
    public let name: String
    /// The signed document.
    public let bytes: [UInt8]
    /// Its attributes (the signature is checked by the audit).
    public let checkpoint: Checkpoint

    package init(name: String, bytes: [UInt8], checkpoint: Checkpoint) {
        self.name = name
        self.bytes = bytes
        self.checkpoint = checkpoint
    }
}

/// The log's last event.
public struct LogHead: Sendable, Equatable {
    public let seq: Int
    public let hash: String

    package init(seq: Int, hash: String) {
        self.seq = seq
        self.hash = hash
    }
}

/// The number a registration takes.
public enum NumberClaim: Sendable, Equatable {
    /// The next number of the series; when `mustEqual` is given, the number allocated must be it
    /// (an outgoing document printed with its number) or nothing is written.
    case next(Direction, mustEqual: String?)
    /// A number taken earlier with `reserve`, still reserved, of this direction.
    case reserved(String, year: Int?, direction: Direction)
    /// The number an outgoing document is printed with: its reservation when it is reserved,
    /// otherwise the next number, which must be it (or nothing is written).
    case printed(String, direction: Direction)
}

/// What a registration records (no personal data, no file names).
public struct RegistrationRecord: Sendable, Equatable {
    public var kind: DocumentKind
    public var counterpart: String?
    public var documentNumber: String?
    public var documentDate: String?
    public var inReplyTo: String?
    public var deadline: String?
    /// SHA-256 (hex) of the original document, and of the stored object.
    public var documentDigest: String
    public var object: String
    public var encryptedWith: String?
    public var signingTime: Date
    public var signingTimeSource: SigningTimeSource
    public var signatureStatus: SignatureStatus
    /// For a receipt: the entry it acknowledges and whether it accepts it.
    public var acknowledges: JournalKey?
    public var receiptOutcome: ReceiptOutcome?
    /// Whether the document marks `deadline` provisional.
    public var deadlineProvisional: Bool
    /// The exchange message that delivered an incoming document, or that an outgoing receipt answers.
    public var messageID: String?
    /// The authenticated peer agency the message came from (or, for a receipt, goes back to).
    public var peer: String?

    public init(
        kind: DocumentKind, counterpart: String?, documentNumber: String?, documentDate: String?, inReplyTo: String?, deadline: String?,
        documentDigest: String, object: String, encryptedWith: String?, signingTime: Date, signingTimeSource: SigningTimeSource,
        signatureStatus: SignatureStatus, acknowledges: JournalKey? = nil, receiptOutcome: ReceiptOutcome? = nil,
        deadlineProvisional: Bool = false, messageID: String? = nil, peer: String? = nil
    ) {
        self.deadlineProvisional = deadlineProvisional
        self.kind = kind
        self.counterpart = counterpart
        self.documentNumber = documentNumber
        self.documentDate = documentDate
        self.inReplyTo = inReplyTo
        self.deadline = deadline
        self.documentDigest = documentDigest
        self.object = object
        self.encryptedWith = encryptedWith
        self.signingTime = signingTime
        self.signingTimeSource = signingTimeSource
        self.signatureStatus = signatureStatus
        self.acknowledges = acknowledges
        self.receiptOutcome = receiptOutcome
        self.messageID = messageID
        self.peer = peer
    }
}

/// What a quarantine records.
public struct QuarantineRecord: Sendable, Equatable {
    public var reason: String
    public var documentDigest: String
    public var object: String
    public var encryptedWith: String?
    public var kind: DocumentKind?
    public var counterpart: String?
    public var documentNumber: String?
    public var documentDate: String?
    public var signatureStatus: SignatureStatus?
    /// The exchange message that delivered it, and the authenticated peer it came from.
    public var messageID: String?
    public var peer: String?

    public init(
        reason: String, documentDigest: String, object: String, encryptedWith: String?, kind: DocumentKind? = nil,
        counterpart: String? = nil, documentNumber: String? = nil, documentDate: String? = nil, signatureStatus: SignatureStatus? = nil,
        messageID: String? = nil, peer: String? = nil
    ) {
        self.reason = reason
        self.documentDigest = documentDigest
        self.object = object
        self.encryptedWith = encryptedWith
        self.kind = kind
        self.counterpart = counterpart
        self.documentNumber = documentNumber
        self.documentDate = documentDate
        self.signatureStatus = signatureStatus
        self.messageID = messageID
        self.peer = peer
    }
}

/// One typed append to the log.
public enum JournalAppend: Sendable, Equatable {
    /// Takes the next number of a direction for a document still to be written.
    case reserve(Direction, note: String?)
    /// Registers an archived document under a number.
    case register(RegistrationRecord, number: NumberClaim)
    /// Records that a document was sent, delivered or answered.
    case status(EventType, number: String, year: Int?, note: String?)
    /// Voids a reserved, unused number, with a reason.
    case void(number: String, year: Int?, reason: String)
    /// Keeps a refused received document with its reason.
    case quarantine(QuarantineRecord)
    /// Notes what recovery did (filesystem store).
    case recovered(String)
    /// Records a durable state change of an outgoing message.
    case message(MessageTransition)
    /// Replaces the provisional deadline of an open request with one computed again.
    case recomputeDeadline(DeadlineRevision)
    /// Records a fact the evaluation counts that is not a document: a joint event or help provided.
    case fact(FactRecord)
}

/// A provisional response deadline computed again (``JournalAppend/recomputeDeadline(_:)``): for a
/// registered request, not answered, whose journal deadline is provisional.
public struct DeadlineRevision: Sendable, Equatable {
    public var number: String
    public var year: Int
    /// The deadline the journal had, which the revision must find there (so that two imports cannot
    /// both move a deadline from the same old value).
    public var previousDeadline: String
    /// The new deadline (ISO date), and whether it is still provisional (a later year still uncovered).
    public var deadline: String
    public var provisional: Bool
    /// Why: "the official production calendar for 2027 was imported from …".
    public var reason: String

    public init(number: String, year: Int, previousDeadline: String, deadline: String, provisional: Bool, reason: String) {
        self.number = number
        self.year = year
        self.previousDeadline = previousDeadline
        self.deadline = deadline
        self.provisional = provisional
        self.reason = reason
    }
}

/// An appended event and the journal entry it made or changed (nil for quarantine and recovery).
public struct AppendResult: Sendable, Equatable {
    public let event: ArchiveEvent
    public let entry: JournalEntry?
    public let quarantined: QuarantinedDocument?
    /// The message a message event changed, as it now stands.
    public var message: MessageStatus? = nil
    /// The fact a jointEvent or helpProvided event recorded.
    public var fact: RecordedFact? = nil
}
