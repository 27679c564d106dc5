/// XML namespace and algorithm identifiers used by XMLDSig and its GOST profile.
public enum XMLDSigNamespace {
    /// The XMLDSig namespace, `ds:`.
    public static let dsig = "http://www.w3.org/2000/09/xmldsig#"
    /// The exclusive canonicalization namespace (for `InclusiveNamespaces`).
    public static let excC14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
}

/// A message digest allowed in `DigestMethod`.
public enum DigestAlgorithm: String, Sendable, CaseIterable, Codable {
    case streebog256 = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256"
    case streebog512 = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-512"
    case sha256 = "http://www.w3.org/2001/04/xmlenc#sha256"
    case sha384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
    case sha512 = "http://www.w3.org/2001/04/xmlenc#sha512"
    /// Legacy: refused unless the policy allows legacy algorithms.
    case sha1 = "http://www.w3.org/2000/09/xmldsig#sha1"
    /// Legacy: refused unless the policy allows legacy algorithms.
    case md5 = "http://www.w3.org/2001/04/xmldsig-more#md5"

    /// The algorithm's URI as it appears in `Algorithm=`.
    public var uri: String { rawValue }

    /// MD5 and SHA-1 are broken for signatures.
    public var isLegacy: Bool { self == .sha1 || self == .md5 }

    /// A short human name.
    public var displayName: String {
        switch self {
        case .streebog256: return "GOST R 34.11-2012 (Streebog) 256"
        case .streebog512: return "GOST R 34.11-2012 (Streebog) 512"
        case .sha256: return "SHA-256"
        case .sha384: return "SHA-384"
        case .sha512: return "SHA-512"
        case .sha1: return "SHA-1"
        case .md5: return "MD5"
        }
    }

    /// The name OpenSSL knows it by (the GOST ones come from the GOST engine).
    var openSSLName: String {
        switch self {
        case .streebog256: return "md_gost12_256"
        case .streebog512: return "md_gost12_512"
        case .sha256: return "SHA256"
        case .sha384: return "SHA384"
        case .sha512: return "SHA512"
        case .sha1: return "SHA1"
        case .md5: return "MD5"
        }
    }

    var isGOST: Bool { self == .streebog256 || self == .streebog512 }

    /// The algorithm's ASN.1 object identifier (as in an RFC 3161 message imprint or an ESS
    /// certificate identifier).
    public var oid: String {
        switch self {
        case .streebog256: return "1.2.643.7.1.1.2.2"
        case .streebog512: return "1.2.643.7.1.1.2.3"
        case .sha256: return "2.16.840.1.101.3.4.2.1"
        case .sha384: return "2.16.840.1.101.3.4.2.2"
        case .sha512: return "2.16.840.1.101.3.4.2.3"
        case .sha1: return "1.3.14.3.2.26"
        case .md5: return "1.2.840.113549.2.5"
        }
    }

    /// The algorithm with this object identifier, if it is one mezhved knows.
    public init?(oid: String) {
        guard let match = Self.allCases.first(where: { $0.oid == oid }) else { return nil }
        self = match
    }
}

/// The family of a signing key.
public enum KeyFamily: String, Sendable, Codable {
    case gost2012_256 = "GOST R 34.10-2012 256"
    case gost2012_512 = "GOST R 34.10-2012 512"
    case rsa = "RSA"
    case ecdsa = "ECDSA"
}

/// A signature algorithm allowed in `SignatureMethod`.
public enum SignatureAlgorithm: String, Sendable, CaseIterable, Codable {
    case gost2012_256 = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-256"
    case gost2012_512 = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-512"
    case rsaSHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    case rsaSHA384 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
    case rsaSHA512 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
    case ecdsaSHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
    case ecdsaSHA384 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
    case ecdsaSHA512 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"
    /// Legacy: refused unless the policy allows legacy algorithms.
    case rsaSHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
    /// Legacy: refused unless the policy allows legacy algorithms.
    case rsaMD5 = "http://www.w3.org/2001/04/xmldsig-more#rsa-md5"
    /// Legacy: refused unless the policy allows legacy algorithms.
    case ecdsaSHA1 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1"

    /// The algorithm's URI as it appears in `Algorithm=`.
    public var uri: String { rawValue }

    /// The digest the signature is computed with.
    public var digest: DigestAlgorithm {
        switch self {
        case .gost2012_256: return .streebog256
        case .gost2012_512: return .streebog512
        case .rsaSHA256, .ecdsaSHA256: return .sha256
        case .rsaSHA384, .ecdsaSHA384: return .sha384
        case .rsaSHA512, .ecdsaSHA512: return .sha512
        case .rsaSHA1, .ecdsaSHA1: return .sha1
        case .rsaMD5: return .md5
        }
    }

    /// The key family the algorithm needs.
    public var keyFamily: KeyFamily {
        switch self {
        case .gost2012_256: return .gost2012_256
        case .gost2012_512: return .gost2012_512
        case .rsaSHA256, .rsaSHA384, .rsaSHA512, .rsaSHA1, .rsaMD5: return .rsa
        case .ecdsaSHA256, .ecdsaSHA384, .ecdsaSHA512, .ecdsaSHA1: return .ecdsa
        }
    }

    /// MD5 and SHA-1 based signatures are broken.
    public var isLegacy: Bool { digest.isLegacy }

    /// A short human name.
    public var displayName: String {
        switch self {
        case .gost2012_256: return "GOST R 34.10-2012 256 with Streebog-256"
        case .gost2012_512: return "GOST R 34.10-2012 512 with Streebog-512"
        case .rsaSHA256: return "RSA PKCS#1 v1.5 with SHA-256"
        case .rsaSHA384: return "RSA PKCS#1 v1.5 with SHA-384"
        case .rsaSHA512: return "RSA PKCS#1 v1.5 with SHA-512"
        case .ecdsaSHA256: return "ECDSA with SHA-256"
        case .ecdsaSHA384: return "ECDSA with SHA-384"
        case .ecdsaSHA512: return "ECDSA with SHA-512"
        case .rsaSHA1: return "RSA with SHA-1"
        case .rsaMD5: return "RSA with MD5"
        case .ecdsaSHA1: return "ECDSA with SHA-1"
        }
    }

    /// The default algorithm for a key: GOST follows the key size, RSA uses SHA-256, ECDSA the
    /// digest that matches the curve (SHA-256 for P-256, SHA-384 for P-384, SHA-512 for P-521).
    public static func `default`(for family: KeyFamily, bits: Int) -> SignatureAlgorithm {
        switch family {
        case .gost2012_256: return .gost2012_256
        case .gost2012_512: return .gost2012_512
        case .rsa: return .rsaSHA256
        case .ecdsa: return bits > 384 ? .ecdsaSHA512 : (bits > 256 ? .ecdsaSHA384 : .ecdsaSHA256)
        }
    }
}

/// A canonicalization method allowed in `CanonicalizationMethod` and as a transform.
public enum CanonicalizationAlgorithm: String, Sendable, CaseIterable, Codable {
    case c14n10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
    case c14n10WithComments = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
    case c14n11 = "http://www.w3.org/2006/12/xml-c14n11"
    case c14n11WithComments = "http://www.w3.org/2006/12/xml-c14n11#WithComments"
    case exclusive = "http://www.w3.org/2001/10/xml-exc-c14n#"
    case exclusiveWithComments = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"

    /// The algorithm's URI as it appears in `Algorithm=`.
    public var uri: String { rawValue }

    /// Whether comments of the node-set are kept.
    public var withComments: Bool {
        self == .c14n10WithComments || self == .c14n11WithComments || self == .exclusiveWithComments
    }

    /// Whether this is exclusive canonicalization (which takes an `InclusiveNamespaces` list).
    public var isExclusive: Bool { self == .exclusive || self == .exclusiveWithComments }

    /// libxml2's `xmlC14NMode`.
    var libxmlMode: Int32 {
        switch self {
        case .c14n10, .c14n10WithComments: return 0
        case .exclusive, .exclusiveWithComments: return 1
        case .c14n11, .c14n11WithComments: return 2
        }
    }
}

/// A transform allowed inside `Reference/Transforms`. Anything else (XPath, XSLT, base64,
/// XPointer) is refused.
public enum TransformAlgorithm: Sendable, Equatable, Codable {
    /// Removes the `Signature` element that holds the transform.
    case envelopedSignature
    /// Canonicalization, with an optional exclusive-c14n `InclusiveNamespaces PrefixList`.
    case canonicalization(CanonicalizationAlgorithm, inclusivePrefixes: [String])
    /// The SMEV 3 normalisation `urn://smev-gov-ru/xmldsig/transform`.
    case smev

    /// The enveloped-signature transform's URI.
    public static let envelopedURI = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
    /// The SMEV 3 transform's URI.
    public static let smevURI = "urn://smev-gov-ru/xmldsig/transform"

    /// The transform's URI.
    public var uri: String {
        switch self {
        case .envelopedSignature: return Self.envelopedURI
        case .canonicalization(let c, _): return c.uri
        case .smev: return Self.smevURI
        }
    }
}
