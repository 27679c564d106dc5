import Foundation
import MezhvedXMLDSig

/// The overall result of validating a signature, after ETSI EN 319 102-1 §5.1.3.
public enum Indication: String, Sendable, Codable {
    /// Every check passed: the signature is a valid advanced electronic signature.
    case totalPassed = "TOTAL-PASSED"
    /// A check failed definitively: a changed document, a broken signature, a signer revoked or
    /// expired before the proven signing time.
    case totalFailed = "TOTAL-FAILED"
    /// The available data do not allow a decision (no path to a trusted CA, revocation source
    /// unreachable, certificate expired and no proof of when the signature existed).
    case indeterminate = "INDETERMINATE"
}

/// Why the result is not TOTAL-PASSED, by the names of ETSI EN 319 102-1 §5.1.3, table 5.
public enum SubIndication: String, Sendable, Codable {
    // TOTAL-FAILED
    case formatFailure = "FORMAT_FAILURE"
    case hashFailure = "HASH_FAILURE"
    case sigCryptoFailure = "SIG_CRYPTO_FAILURE"
    case revoked = "REVOKED"
    case expired = "EXPIRED"
    case notYetValid = "NOT_YET_VALID"
    // INDETERMINATE
    case sigConstraintsFailure = "SIG_CONSTRAINTS_FAILURE"
    case chainConstraintsFailure = "CHAIN_CONSTRAINTS_FAILURE"
    case cryptoConstraintsFailure = "CRYPTO_CONSTRAINTS_FAILURE"
    case noSigningCertificateFound = "NO_SIGNING_CERTIFICATE_FOUND"
    case noCertificateChainFound = "NO_CERTIFICATE_CHAIN_FOUND"
    case revokedNoPOE = "REVOKED_NO_POE"
    case revokedCANoPOE = "REVOKED_CA_NO_POE"
    case outOfBoundsNoPOE = "OUT_OF_BOUNDS_NO_POE"
    case tryLater = "TRY_LATER"
    case genericFailure = "GENERIC"

    /// How severe the sub-indication is on its own: the most severe finding decides a report.
    var rank: Int {
        switch self {
        case .formatFailure, .hashFailure, .sigCryptoFailure: return 100
        case .revoked, .expired, .notYetValid: return 90
        case .sigConstraintsFailure: return 80
        case .noSigningCertificateFound, .noCertificateChainFound: return 70
        case .chainConstraintsFailure, .cryptoConstraintsFailure: return 60
        case .revokedNoPOE, .revokedCANoPOE, .outOfBoundsNoPOE: return 50
        case .tryLater: return 40
        case .genericFailure: return 30
        }
    }
}

/// Where the signing time used for certificate and revocation checks came from.
public enum SigningTimeSource: String, Sendable, Codable {
    /// An RFC 3161 signature timestamp that validated: proof that the signature existed then.
    case timestamp
    /// A proof of existence given by the caller: the moment a tamper-evident archive recorded the
    /// document (its signed event log), which proves the signature existed then.
    case proofOfExistence = "proof-of-existence"
    /// The signer's own XAdES SigningTime: a claim, not proof.
    case claimedSigningTime = "claimed-signing-time"
    /// Neither was available: the moment of validation.
    case validationTime = "validation-time"
}

/// One of the four conditions of 63-FZ art. 11 for a valid qualified signature.
public struct ArticleElevenCondition: Sendable, Codable, Equatable {
    public enum Result: String, Sendable, Codable {
        case passed, failed, indeterminate
    }

    /// `accredited-ca`, `valid-at-signing`, `signature-verified`, `within-limitations`.
    public let id: String
    /// The article's clause, for example `63-FZ art. 11 (1)`.
    public let clause: String
    /// The condition in the law's words (English).
    public let title: String
    public let result: Result
    /// What the result rests on, one line each.
    public let evidence: [String]
}

/// One finding of a validation: a failure, an indeterminate point or a warning.
public struct ValidationFinding: Sendable, Codable, Equatable {
    public enum Severity: String, Sendable, Codable {
        case failed, indeterminate, warning
    }

    /// What part of the validation it comes from (`signature`, `chain`, `validity`, `revocation`,
    /// `timestamp`, `qualified-certificate`, `letterhead`, …).
    public let area: String
    public let severity: Severity
    public let message: String
    /// The sub-indication this finding leads to, if any.
    public let subIndication: SubIndication?
}

/// The signing time that certificates and revocation were judged at, and its evidence.
public struct SigningTimeEvidence: Sendable, Codable, Equatable {
    /// The moment used.
    public let time: Date
    public let source: SigningTimeSource
    /// Whether the moment is proven (a valid timestamp or a given proof of existence), not claimed.
    public var isProven: Bool { source == .timestamp || source == .proofOfExistence }
    /// The signer's claimed XAdES SigningTime, when present.
    public let claimedSigningTime: Date?
}

/// Whether the signing certificate's organisation is the agency whose letterhead the document is on.
public struct LetterheadMatch: Sendable, Codable, Equatable {
    public enum Result: String, Sendable, Codable {
        case matches
        case differs
        /// The document is an agency document, but the agency or the signer's identifiers are unknown.
        case undetermined
    }

    public let result: Result
    /// The agency on the letterhead (its directory id), as the document names it.
    public let agency: String?
    public let agencyName: String?
    /// The agency's OGRN and INN (from the directory, else the document).
    public let expectedOGRN: String?
    public let expectedINN: String?
    /// What the signer's certificate says.
    public let signerOGRN: String?
    public let signerINN: String?
    public let detail: String
}

/// Whether the signature is a qualified electronic signature (63-FZ art. 5 part 4 and art. 11).
public struct QualificationConclusion: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable {
        /// TOTAL-PASSED, accredited CA, qualified certificate, all four art. 11 conditions hold.
        case qualified
        /// The signature may be valid, but it is not a qualified signature (reasons say why).
        case notQualified = "not-qualified"
        /// Not decided: the validation itself was INDETERMINATE.
        case undetermined
    }

    public let status: Status
    public let reasons: [String]
}

/// A certificate of the path with its validity judged at the signing time and at validation.
public struct ChainCertificate: Sendable, Codable, Equatable {
    public let certificate: CertificateSummary
    /// `signer`, `ca` or `trust-anchor`.
    public let role: String
    public let validAtSigningTime: Bool
    public let validAtValidationTime: Bool
}

/// The complete, archivable result of validating one signed document as a qualified signature:
/// an ETSI EN 319 102-1 style indication with its sub-indication, the four conditions of 63-FZ
/// art. 11 with their evidence, the certificate path, the revocation data used, the signing time
/// and its source, the Russian qualified-certificate items, the letterhead match, and exactly
/// what was signed. Its JSON form is documented in `docs/validation-report.md`.
public struct QualifiedValidationReport: Sendable, Codable {
    /// The report format's name and version.
    public static let formatName = "mezhved-validation-report/1"

    public let format: String
    /// The document's name (its path) and the SHA-256 of its bytes, to bind the report to it.
    public let document: String
    public let documentSHA256: String
    /// The moment the validation was made for (now, or `--at`).
    public let validationTime: Date
    public let indication: Indication
    public let subIndication: SubIndication?
    public let qualification: QualificationConclusion
    public let conditions: [ArticleElevenCondition]
    /// `XAdES-LTA`, `XAdES-LT`, `XAdES-T`, `XAdES-BES` or `XMLDSig`.
    public let signatureForm: String
    public let signatureAlgorithm: String?
    public let canonicalizationMethod: String?
    public let signingTime: SigningTimeEvidence
    public let timestamps: [TimestampInfo]
    /// The archive timestamps of an XAdES-LTA signature, in document order; nil without any.
    public let archiveTimestamps: [TimestampInfo]?
    /// The time the oldest valid archive timestamp proves the signature and its validation data
    /// existed at; the signature timestamps were judged then rather than at the validation time
    /// (past validation, EN 319 102-1 §5.6.2.4). Nil without a valid archive timestamp.
    public let archiveProofOfExistence: Date?
    /// What the signer declared in the XAdES signed properties (policy, claimed roles,
    /// commitment, data object formats); nil for a signature without XAdES.
    public let declaredProperties: XAdESDeclaredProperties?
    public let signer: CertificateSummary?
    public let qualifiedCertificate: QualifiedCertificateProfile?
    public let chain: [ChainCertificate]
    public let revocation: [RevocationEvidence]
    public let letterhead: LetterheadMatch?
    /// What was signed: each reference with the element it covers.
    public let signedReferences: [SignedReference]
    /// Every failure, indeterminate point and warning, in the order found.
    public let findings: [ValidationFinding]
    /// The policy the validation ran under.
    public let policy: [String: String]
    public let validator: String

    /// True for TOTAL-PASSED.
    public var passed: Bool { indication == .totalPassed }
}
