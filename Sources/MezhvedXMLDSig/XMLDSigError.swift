/// The one error type of the XMLDSig module: something that stops the work before there is a
/// signature to judge (unreadable input, hostile XML, an unusable key). A signature that does not
/// hold is not an error: ``SignatureVerifier`` returns it as a ``VerificationReport``.
public struct XMLDSigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem it is; each code tells the user what to do next.
    public enum Code: String, Sendable, Equatable, CaseIterable {
        /// A file could not be read (missing, permissions, a folder).
        case unreadableInput = "unreadable-input"
        /// The input is not well-formed XML.
        case malformedXML = "malformed-xml"
        /// The input uses XML features refused for security (DOCTYPE, entities).
        case hostileXML = "hostile-xml"
        /// The input breaks a size, depth or attribute-count limit.
        case limitExceeded = "limit-exceeded"
        /// The document holds no XML signature.
        case noSignature = "no-signature"
        /// An element named for signing (by Id) is missing or not unique.
        case referenceTarget = "reference-target"
        /// An algorithm is unknown, not allowed, or does not fit the key.
        case unsupportedAlgorithm = "unsupported-algorithm"
        /// A private key could not be loaded or used.
        case keyUnusable = "key-unusable"
        /// A certificate could not be loaded or does not fit its key.
        case certificateUnusable = "certificate-unusable"
        /// A trust store or CRL could not be loaded.
        case trustStoreUnusable = "trust-store-unusable"
        /// An RFC 3161 timestamp token could not be read.
        case malformedTimestamp = "malformed-timestamp"
        /// OpenSSL's GOST engine is not available.
        case gostUnavailable = "gost-unavailable"
        /// OpenSSL or libxml2 failed where it should not have.
        case internalFailure = "internal-failure"
    }

    /// The kind of problem.
    public let code: Code
    /// What went wrong, naming the input.
    public let message: String
    /// What the user can do about it.
    public let hint: String?
    /// OpenSSL's error queue at the moment of failure, oldest first (empty when OpenSSL had none).
    public let openSSLErrors: [String]

    public init(_ code: Code, _ message: String, hint: String? = nil, openSSLErrors: [String] = []) {
        self.code = code
        self.message = message
        self.hint = hint
        self.openSSLErrors = openSSLErrors
    }

    public var description: String {
        var text = message
        if let hint { text += " — \(hint)" }
        if !openSSLErrors.isEmpty { text += " [OpenSSL: \(openSSLErrors.joined(separator: "; "))]" }
        return text
    }
}
