import MezhvedCore

/// The one error type of the XMLDSig module: something that stops the work before there is a
/// signature to judge (unreadable input, hostile XML, an unusable key). A signature that does not
/// hold is not an error: ``SignatureVerifier`` returns it as a ``VerificationReport``.
public struct XMLDSigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem it is; each code tells the user what to do next.
    /// Codes are constants of an open struct: adding one breaks no caller. Each says how the
    /// shells treat it (its ``FailureCategory``).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name (JSON, logs).
        public let rawValue: String
        /// How the shells treat it: one exit code or HTTP status per category.
        public let category: FailureCategory

        private init(_ rawValue: String, _ category: FailureCategory) {
            self.rawValue = rawValue
            self.category = category
        }

        public var description: String { rawValue }

        /// A file could not be read (missing, permissions, a folder).
        public static let unreadableInput = Code("unreadable-input", .unusableInput)
        /// The input is not well-formed XML.
        public static let malformedXML = Code("malformed-xml", .unusableInput)
        /// The input uses XML features refused for security (DOCTYPE, entities).
        public static let hostileXML = Code("hostile-xml", .unusableInput)
        /// The input breaks a size, depth or attribute-count limit.
        public static let limitExceeded = Code("limit-exceeded", .unusableInput)
        /// The document holds no XML signature.
        public static let noSignature = Code("no-signature", .unusableInput)
        /// An element named for signing (by Id) is missing or not unique.
        public static let referenceTarget = Code("reference-target", .unusableInput)
        /// An algorithm is unknown, not allowed, or does not fit the key.
        public static let unsupportedAlgorithm = Code("unsupported-algorithm", .unusableKeyMaterial)
        /// A private key could not be loaded or used.
        public static let keyUnusable = Code("key-unusable", .unusableKeyMaterial)
        /// A certificate could not be loaded or does not fit its key.
        public static let certificateUnusable = Code("certificate-unusable", .unusableKeyMaterial)
        /// A trust store or CRL could not be loaded.
        public static let trustStoreUnusable = Code("trust-store-unusable", .unusableKeyMaterial)
        /// An RFC 3161 timestamp token could not be read.
        public static let malformedTimestamp = Code("malformed-timestamp", .unusableInput)
        /// OpenSSL's GOST engine is not available.
        public static let gostUnavailable = Code("gost-unavailable", .environment)
        /// OpenSSL or libxml2 failed where it should not have.
        public static let internalFailure = Code("internal-failure", .internalFailure)
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
