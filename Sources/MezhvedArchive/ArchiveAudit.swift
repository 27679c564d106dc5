import Foundation
import MezhvedXMLDSig

/// How deeply a document's signature could be re-verified.
public enum SignatureAuditLevel: String, Sendable, Codable {
    /// The original was reconstructed (personal-data key given), its digest matched the journal,
    /// and the full verification ran: references, signature value, certificate path.
    case full
    /// Without the key: the signature value over `SignedInfo` and the certificate path; the
    /// references' digests need the encrypted personal data.
    case signedInfoOnly = "signed-info-only"
    /// Not checked (outside --from/--to, or the object is missing or altered).
    case notChecked = "not-checked"
}

/// The re-verification of one archived document's signature.
public struct SignatureAudit: Sendable, Codable, Equatable {
    public var level: SignatureAuditLevel
    /// valid, invalid, indeterminate.
    public var status: String
    /// Every failed check.
    public var problems: [String]

    public init(level: SignatureAuditLevel, status: String, problems: [String]) {
        self.level = level
        self.status = status
        self.problems = problems
    }
}

/// Re-verifies archived signatures as of their signing time. The default checks XMLDSig with the
/// trust store; the qualified-signature validation (signing time from XAdES, timestamps,
/// revocation at that time) plugs in here.
public protocol ArchiveSignatureAuditor: Sendable {
    /// The full check on the original document.
    func auditOriginal(_ original: [UInt8], entry: JournalEntry, at signingTime: Date) async -> SignatureAudit
    /// The check that needs no personal-data key, on the stored form.
    func auditStored(_ stored: [UInt8], entry: JournalEntry, at signingTime: Date) async -> SignatureAudit
}

/// The default auditor: ``SignatureVerifier`` on the original, ``SignedInfoChecker`` on the stored form.
public struct XMLDSigArchiveAuditor: ArchiveSignatureAuditor {
    public let trustStore: TrustStore
    public let intermediates: [Certificate]

    public init(trustStore: TrustStore, intermediates: [Certificate] = []) {
        self.trustStore = trustStore
        self.intermediates = intermediates
    }

    public func auditOriginal(_ original: [UInt8], entry: JournalEntry, at signingTime: Date) async -> SignatureAudit {
        var policy = VerificationPolicy()
        policy.validationTime = signingTime
        policy.retainSignedContent = false
        let verifier = SignatureVerifier(trustStore: trustStore, policy: policy, intermediates: intermediates)
        do {
            let report = try verifier.verify(original, sourceName: entry.number)
            return SignatureAudit(
                level: .full, status: report.status.rawValue, problems: report.problems.map { "\($0.check.rawValue): \($0.message)" })
        } catch {
            return SignatureAudit(level: .full, status: "invalid", problems: ["\(error)"])
        }
    }

    public func auditStored(_ stored: [UInt8], entry: JournalEntry, at signingTime: Date) async -> SignatureAudit {
        let checker = SignedInfoChecker(trustStore: trustStore, intermediates: intermediates)
        do {
            let result = try checker.check(stored, sourceName: entry.number, at: signingTime)
            return SignatureAudit(
                level: .signedInfoOnly, status: result.status.rawValue,
                problems: result.problems.map { "\($0.check.rawValue): \($0.message)" })
        } catch {
            return SignatureAudit(level: .signedInfoOnly, status: "invalid", problems: ["\(error)"])
        }
    }
}

/// One thing the audit found broken, named.
public struct AuditFinding: Sendable, Codable, Equatable, CustomStringConvertible {
    /// What kind of breakage.
    public enum Category: String, Sendable, Codable, CaseIterable {
        case objectAltered = "object-altered"
        case objectMissing = "object-missing"
        case objectUnreferenced = "object-unreferenced"
        case temporaryFile = "temporary-file"
        case logDamaged = "log-damaged"
        case logTruncated = "log-truncated"
        case logRewritten = "log-rewritten"
        case checkpointInvalid = "checkpoint-invalid"
        case checkpointChain = "checkpoint-chain"
        case checkpointMissing = "checkpoint-missing"
        case witnessMismatch = "witness-mismatch"
        case duplicateNumber = "duplicate-number"
        case numberHole = "number-hole"
        case journalInconsistent = "journal-inconsistent"
        case documentAltered = "document-altered"
        case signature = "signature"
        case configuration = "configuration"
        /// A file or folder in the archive that is not part of it.
        case strayFile = "stray-file"
        /// Policy: a file or folder others may read (wider than 0600/0700).
        case permissions = "permissions"
        /// Policy: a document registered knowingly with a signature that did not hold.
        case signatureAccepted = "signature-accepted"
        /// Policy: an incoming document "from" the archive's own agency.
        case ownAgency = "own-agency"
        /// Policy: an outgoing document registered under another number than the one it is printed with.
        case printedNumber = "printed-number"
    }

    public let category: Category
    /// The broken item: a file, a log entry, a number.
    public let item: String
    public let message: String

    public init(_ category: Category, item: String, _ message: String) {
        self.category = category
        self.item = item
        self.message = message
    }

    public var description: String { "\(category.rawValue): \(item): \(message)" }
}

/// The audit of one registered document.
public struct DocumentAuditResult: Sendable, Codable, Equatable {
    public let number: String
    public let year: Int
    public let registeredAt: String?
    public let signature: SignatureAudit
}

/// The result of an audit: every broken item, every policy finding, every document's level, and counts.
public struct AuditReport: Sendable, Codable {
    public let archive: String
    public let time: String
    /// Whether the archive's integrity holds: no integrity finding (policy findings aside).
    public var passed: Bool { findings.isEmpty }
    /// Whether nothing at all was found, integrity or policy.
    public var clean: Bool { findings.isEmpty && policyFindings.isEmpty }
    /// Integrity breaks: altered, missing, extra or rewritten items.
    public let findings: [AuditFinding]
    /// Things that hold but break the rules: signatures accepted though not valid, an incoming
    /// document from the archive's own agency, permissions others may read.
    public let policyFindings: [AuditFinding]
    /// Whether a signed checkpoint by the pinned gateway certificate exists: without one, a log cut
    /// back or replaced consistently cannot be told from the original.
    public let truncationProvable: Bool
    /// Things that are not broken but worth knowing (numbers still reserved, entries after the last checkpoint).
    public let notes: [String]
    public let events: Int
    public let objects: Int
    public let checkpoints: Int
    public let documents: [DocumentAuditResult]
}
