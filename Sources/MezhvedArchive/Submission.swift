import Foundation
import MezhvedDocuments
import MezhvedXMLDSig

/// The result of verifying a document's signature when it was registered. The raw values are the
/// strings the log has always held (`valid`, `invalid`, `indeterminate`, `unverified`), so old logs
/// replay; the qualified indications are written as ETSI EN 319 102-1 names them.
public enum SignatureStatus: String, Sendable, Codable, CaseIterable {
    /// Intact and trusted (XMLDSig).
    case valid
    /// Tampered, forged or built to mislead.
    case invalid
    /// Could not be shown valid: untrusted, expired or revoked signer.
    case indeterminate
    /// Not verified at registration (an outgoing document the gateway signed itself).
    case unverified
    /// The qualified validation passed (TOTAL-PASSED).
    case totalPassed = "total-passed"
    /// The qualified validation failed (TOTAL-FAILED).
    case totalFailed = "total-failed"

    /// The status of an XMLDSig verification.
    public init(_ status: VerificationReport.Status) {
        switch status {
        case .valid: self = .valid
        case .invalid: self = .invalid
        case .indeterminate: self = .indeterminate
        }
    }

    /// Whether the signature held.
    public var holds: Bool { self == .valid || self == .totalPassed }
}

/// Where the moment a signature is judged at came from.
public enum SigningTimeSource: String, Sendable, Codable, CaseIterable {
    /// An RFC 3161 signature timestamp (XAdES-T).
    case timestamp
    /// The signer's claim (XAdES `SigningTime` signed property).
    case signedProperty = "signed-property"
    /// The moment of registration (nothing better was available).
    case registration
}

/// A document to register.
public struct Submission: Sendable {
    public var direction: Direction
    /// The document exactly as signed.
    public var document: [UInt8]
    /// Its name for messages (a path); never written to the log.
    public var sourceName: String
    /// A reserved number to register it under; nil takes the next one (or, for an outgoing
    /// document, the reserved number it carries).
    public var reservedNumber: String?
    /// The moment its signature is judged at: when it was signed or received.
    public var signingTime: Date
    /// Where `signingTime` came from.
    public var signingTimeSource: SigningTimeSource
    /// The result of verifying its signature at registration.
    public var signatureStatus: SignatureStatus
    /// The exchange message that delivered it (incoming) or that it answers (an outgoing receipt).
    public var messageID: String?
    /// The authenticated peer agency of that message.
    public var peer: String?

    public init(
        direction: Direction, document: [UInt8], sourceName: String, reservedNumber: String? = nil, signingTime: Date = Date(),
        signingTimeSource: SigningTimeSource = .registration, signatureStatus: SignatureStatus, messageID: String? = nil,
        peer: String? = nil
    ) {
        self.direction = direction
        self.document = document
        self.sourceName = sourceName
        self.reservedNumber = reservedNumber
        self.signingTime = signingTime
        self.signingTimeSource = signingTimeSource
        self.signatureStatus = signatureStatus
        self.messageID = messageID
        self.peer = peer
    }
}

/// A received document that is refused and kept: stored (encrypted whole), recorded with its
/// reason, never dropped, and listed by ``Registrar/quarantined(_:)``.
public struct Rejection: Sendable {
    /// The document exactly as received (need not be well-formed).
    public var document: [UInt8]
    /// Its name for messages (a path); never written to the log.
    public var sourceName: String
    /// Why it was refused (no personal data).
    public var reason: String
    /// The result of verifying its signature, when it got that far.
    public var signatureStatus: SignatureStatus?
    /// The exchange message that delivered it, and the authenticated peer it came from.
    public var messageID: String?
    public var peer: String?

    public init(
        document: [UInt8], sourceName: String, reason: String, signatureStatus: SignatureStatus? = nil, messageID: String? = nil,
        peer: String? = nil
    ) {
        self.document = document
        self.sourceName = sourceName
        self.reason = reason
        self.signatureStatus = signatureStatus
        self.messageID = messageID
        self.peer = peer
    }
}
