import Foundation

/// What a verifier expects of a signature beyond its cryptography.
public struct VerificationPolicy: Sendable {
    /// How many `Reference`s the signature must have (pinned; 1 by default).
    public var expectedReferenceCount: Int
    /// When set, the references' URIs must be exactly these, in order (for example `[""]`).
    public var expectedReferenceURIs: [String]?
    /// Accept MD5 and SHA-1 (reported as weak) instead of refusing them.
    public var allowLegacyAlgorithms: Bool
    /// The moment certificates must be valid at; `nil` means now.
    public var validationTime: Date?
    /// Parsing limits for the input.
    public var limits: XMLParsingLimits
    /// Keep the signed octets of each reference in the report (``SignedReference/signedContent``).
    public var retainSignedContent: Bool

    public init(
        expectedReferenceCount: Int = 1, expectedReferenceURIs: [String]? = nil, allowLegacyAlgorithms: Bool = false,
        validationTime: Date? = nil, limits: XMLParsingLimits = XMLParsingLimits(), retainSignedContent: Bool = true
    ) {
        self.expectedReferenceCount = expectedReferenceCount
        self.expectedReferenceURIs = expectedReferenceURIs
        self.allowLegacyAlgorithms = allowLegacyAlgorithms
        self.validationTime = validationTime
        self.limits = limits
        self.retainSignedContent = retainSignedContent
    }
}

/// What a signature's reference is for.
public enum ReferenceRole: String, Sendable, Codable, Equatable {
    /// The signed data: the whole document or an element of it outside the signature.
    case document
    /// The signature's own `ds:KeyInfo` (or an element inside it): signs the certificate the
    /// signature names, as signxml, the EU DSS and many CryptoPro-based producers do.
    case keyInfo = "key-info"
    /// The XAdES `SignedProperties` of this signature (signing time, signing certificate).
    case signedProperties = "signed-properties"
}

/// One reference of a signature and exactly what it covers.
public struct SignedReference: Sendable, Codable, Equatable {
    /// The `URI` attribute as written.
    public let uri: String
    /// What the reference is for: the signed data, the signature's KeyInfo or its SignedProperties.
    public let role: ReferenceRole
    /// `"whole document"` or the covered element's path, such as `/Request/Body`.
    public let covers: String
    /// The line of the covered element (0 for the whole document).
    public let line: Int
    /// The transforms applied, by URI.
    public let transforms: [String]
    /// The digest algorithm's URI.
    public let digestAlgorithm: String
    /// Whether the recomputed digest equals `DigestValue`.
    public let digestMatches: Bool
    /// Whether comments were part of what was signed.
    public let includesComments: Bool
    /// The exact octets that were digested: the only content a caller should trust. Not part of the
    /// JSON form.
    public let signedContent: [UInt8]?

    enum CodingKeys: String, CodingKey {
        case uri, role, covers, line, transforms, digestAlgorithm, digestMatches, includesComments
    }

    public init(
        uri: String, role: ReferenceRole = .document, covers: String, line: Int, transforms: [String], digestAlgorithm: String,
        digestMatches: Bool, includesComments: Bool, signedContent: [UInt8]?
    ) {
        self.uri = uri
        self.role = role
        self.covers = covers
        self.line = line
        self.transforms = transforms
        self.digestAlgorithm = digestAlgorithm
        self.digestMatches = digestMatches
        self.includesComments = includesComments
        self.signedContent = signedContent
    }

    /// What the reference covers, in words: "the whole document", "element /a/b (line 3)", or the
    /// signature's own KeyInfo.
    public var coverage: String {
        switch role {
        case .keyInfo: return "the signature's KeyInfo (the certificate it names), \(covers) (line \(line))"
        case .signedProperties: return "the XAdES SignedProperties, \(covers) (line \(line))"
        case .document: return covers == "whole document" ? "the whole document" : "element \(covers) (line \(line))"
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        uri = try c.decode(String.self, forKey: .uri)
        // Reports written before the role was recorded held document references only.
        role = try c.decodeIfPresent(ReferenceRole.self, forKey: .role) ?? .document
        covers = try c.decode(String.self, forKey: .covers)
        line = try c.decode(Int.self, forKey: .line)
        transforms = try c.decode([String].self, forKey: .transforms)
        digestAlgorithm = try c.decode(String.self, forKey: .digestAlgorithm)
        digestMatches = try c.decode(Bool.self, forKey: .digestMatches)
        includesComments = try c.decode(Bool.self, forKey: .includesComments)
        signedContent = nil
    }
}

/// The outcome of verifying one signed document: every check that failed, with its reason.
/// A signature that does not hold is a report with status `.invalid` or `.indeterminate`, never
/// a thrown error.
public struct VerificationReport: Sendable, Codable {
    /// The overall result.
    public enum Status: String, Sendable, Codable {
        /// Signature intact and the signer's certificate chains to a trusted CA.
        case valid
        /// The signature or the document is wrong: tampered, forged or built to mislead.
        case invalid
        /// The signature could not be shown valid: untrusted, expired or revoked signer, or
        /// revocation not established.
        case indeterminate
    }

    /// Which check a problem comes from.
    public enum Check: String, Sendable, Codable {
        case structure, algorithm, reference
        case duplicateID = "duplicate-id"
        case wrapping
        case commentInjection = "comment-injection"
        case digest
        case signatureValue = "signature-value"
        case keyInfo = "key-info"
        case chain, validity, revocation
        /// Kept for reports written before ``signerCertificate``; the verifier reports key usage
        /// under `signer-certificate` now.
        case keyUsage = "key-usage"
        /// The signer's certificate is not fit to sign documents (``SignerCertificateFitness``): a CA
        /// certificate, a key usage or extended key usage that does not allow it, or a weak key.
        /// Invalid: nothing learnt later can make such a certificate fit.
        case signerCertificate = "signer-certificate"
        /// XAdES: the SignedProperties reference, its digest, or a signed property.
        case signedProperties = "signed-properties"
        /// XAdES: SigningCertificateV2 does not bind the certificate the signature verifies with.
        case signingCertificate = "signing-certificate"
        /// XAdES-T: a signature timestamp that is unreadable, does not verify, does not cover the
        /// signature value, or comes from an untrusted TSA (indeterminate, never invalid by itself).
        case timestamp
    }

    /// One failed check.
    public struct Problem: Sendable, Codable, Equatable {
        public let check: Check
        /// `invalid` or `indeterminate`.
        public let severity: Status
        public let message: String
    }

    /// The document's name (its path).
    public let document: String
    public let status: Status
    public let problems: [Problem]
    /// Things that did not fail but deserve a look (weak algorithms accepted by policy, ignored
    /// key material).
    public let warnings: [String]
    public let signatureAlgorithm: String?
    public let canonicalizationMethod: String?
    public let signer: CertificateSummary?
    /// The validated path, signer first, anchor last (empty when none was built).
    public let chain: [CertificateSummary]
    public let references: [SignedReference]
    /// The moment certificates were checked at.
    public let validationTime: Date
    /// The XAdES qualifying properties (signing time, signing-certificate binding, signature
    /// timestamps), when the signature carries them.
    public let xades: XAdESInfo?
    /// The validated path as certificates, signer first, anchor last (empty when none was built).
    /// Not part of the JSON form.
    public let signerPath: [Certificate]

    /// True when the status is `.valid`.
    public var isValid: Bool { status == .valid }

    enum CodingKeys: String, CodingKey {
        case document, status, problems, warnings, signatureAlgorithm, canonicalizationMethod, signer, chain, references
        case validationTime, xades
    }
}

extension VerificationReport {
    /// Reads the JSON form; `signerPath` and the signed content are not part of it and come back empty.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            document: try c.decode(String.self, forKey: .document), status: try c.decode(Status.self, forKey: .status),
            problems: try c.decode([Problem].self, forKey: .problems), warnings: try c.decode([String].self, forKey: .warnings),
            signatureAlgorithm: try c.decodeIfPresent(String.self, forKey: .signatureAlgorithm),
            canonicalizationMethod: try c.decodeIfPresent(String.self, forKey: .canonicalizationMethod),
            signer: try c.decodeIfPresent(CertificateSummary.self, forKey: .signer),
            chain: try c.decode([CertificateSummary].self, forKey: .chain),
            references: try c.decode([SignedReference].self, forKey: .references),
            validationTime: try c.decode(Date.self, forKey: .validationTime),
            xades: try c.decodeIfPresent(XAdESInfo.self, forKey: .xades), signerPath: [])
    }
}
