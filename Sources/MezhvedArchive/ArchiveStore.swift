import Foundation
import MezhvedXMLDSig

/// A document to register.
public struct Submission: Sendable {
    public var direction: Direction
    /// The document exactly as signed.
    public var document: [UInt8]
    /// Its name for messages (a path).
    public var sourceName: String
    /// A reserved number to register it under; nil takes the next one.
    public var reservedNumber: String?
    /// The moment its signature is judged at: when it was signed or received.
    public var signingTime: Date
    /// The result of verifying its signature at registration.
    public var signatureStatus: String

    public init(
        direction: Direction, document: [UInt8], sourceName: String, reservedNumber: String? = nil, signingTime: Date = Date(),
        signatureStatus: String
    ) {
        self.direction = direction
        self.document = document
        self.sourceName = sourceName
        self.reservedNumber = reservedNumber
        self.signingTime = signingTime
        self.signatureStatus = signatureStatus
    }
}

/// The storage behind the journal and the archive. The filesystem store (``FileSystemArchive``) is
/// the embedded default; a store with the journal and index in PostgreSQL (several gateway nodes)
/// implements the same operations: every one is atomic, durable before it returns, and recorded as
/// an event in a hash-chained log.
public protocol ArchiveStore: Sendable {
    /// What the archive is.
    var configuration: ArchiveConfiguration { get }
    /// Takes the next number of a direction for a document still to be written.
    func reserve(direction: Direction, note: String?) throws -> JournalEntry
    /// Archives a document and registers it (under a reserved number or the next one).
    func register(_ submission: Submission) throws -> JournalEntry
    /// Voids a number that was taken and not used, with a reason.
    func void(number: String, year: Int?, reason: String) throws -> JournalEntry
    /// Records that a document was sent, delivered or answered.
    func record(_ status: EventType, number: String, year: Int?, note: String?) throws -> JournalEntry
    /// The journal as of now (every process's events included).
    func journal() throws -> Journal
    /// The events about a number, oldest first.
    func history(of entry: JournalEntry) throws -> [ArchiveEvent]
    /// A stored object (personal data encrypted) by its SHA-256.
    func storedObject(_ digest: String) throws -> [UInt8]
    /// Signs a checkpoint of the log's head now.
    func checkpoint() throws -> Checkpoint
}
