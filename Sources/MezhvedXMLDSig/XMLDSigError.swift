import MezhvedCore

/// The one error type of the XMLDSig module: something that stops the work before there is a
/// signature to judge (unreadable input, hostile XML, an unusable key). A signature that does not
/// hold is not an error: ``SignatureVerifier`` returns it as a ``VerificationReport``.
public struct XMLDSigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem it is; each code tells the user what to do next.
    /// Codes are constants declared below: adding one breaks no caller.
    public typealias Code = ErrorCode<XMLDSigError>

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

extension ErrorCode where Domain == XMLDSigError {
    /// A file could not be read (missing, permissions, a folder).
    public static let unreadableInput = ErrorCode("unreadable-input", .unusableInput)
    /// The input is not well-formed XML.
    public static let malformedXML = ErrorCode("malformed-xml", .unusableInput)
    /// The input uses XML features refused for security (DOCTYPE, entities).
    public static let hostileXML = ErrorCode("hostile-xml", .unusableInput)
    /// The input breaks a size, depth or attribute-count limit.
    public static let limitExceeded = ErrorCode("limit-exceeded", .unusableInput)
    /// The document holds no XML signature.
    public static let noSignature = ErrorCode("no-signature", .unusableInput)
    /// An element named for signing (by Id) is missing or not unique.
    public static let referenceTarget = ErrorCode("reference-target", .unusableInput)
    /// An algorithm is unknown, not allowed, or does not fit the key.
    public static let unsupportedAlgorithm = ErrorCode("unsupported-algorithm", .unusableKeyMaterial)
    /// A private key could not be loaded or used.
    public static let keyUnusable = ErrorCode("key-unusable", .unusableKeyMaterial)
    /// A certificate could not be loaded or does not fit its key.
    public static let certificateUnusable = ErrorCode("certificate-unusable", .unusableKeyMaterial)
    /// A trust store or CRL could not be loaded.
    public static let trustStoreUnusable = ErrorCode("trust-store-unusable", .unusableKeyMaterial)
    /// An RFC 3161 timestamp token could not be read.
    public static let malformedTimestamp = ErrorCode("malformed-timestamp", .unusableInput)
    /// OpenSSL's GOST engine is not available.
    public static let gostUnavailable = ErrorCode("gost-unavailable", .environment)
    /// OpenSSL or libxml2 failed where it should not have.
    public static let internalFailure = ErrorCode("internal-failure", .internalFailure)
}
