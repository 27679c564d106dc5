import MezhvedCore

/// The one error type of the validation module: something that stops validation before there is
/// anything to judge, or a network source that could not be used. A signature that fails is not an
/// error: the validator returns it as a report.
public struct ValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem it is; each code tells the user what to do next.
    /// Codes are constants declared below: adding one breaks no caller.
    public typealias Code = ErrorCode<ValidationError>

    public let code: Code
    /// What went wrong, naming the input or the server.
    public let message: String
    /// What the user can do about it.
    public let hint: String?
    /// OpenSSL's error queue at the moment of failure, oldest first.
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

extension ErrorCode where Domain == ValidationError {
    /// A URL is malformed or uses a scheme mezhved does not fetch over.
    public static let badURL = ErrorCode("bad-url", .unusableInput)
    /// A server (CRL distribution point, OCSP responder, time-stamping authority) did not answer.
    public static let unreachable = ErrorCode("unreachable", .serviceUnavailable)
    /// A server answered with something that is not what its protocol specifies.
    public static let badResponse = ErrorCode("bad-response", .serviceUnavailable)
    /// A timestamp could not be obtained or does not match what was sent.
    public static let timestampFailed = ErrorCode("timestamp-failed", .serviceUnavailable)
    /// A configuration value (cache folder, responder certificate, policy) is unusable.
    public static let configuration = ErrorCode("configuration", .unusableKeyMaterial)
    /// A signature could not be extended to XAdES-LT: it does not hold now, has no timestamp, or
    /// the revocation of a certificate of its path could not be established.
    public static let longTermFailed = ErrorCode("long-term-failed", .serviceUnavailable)
    /// OpenSSL failed where it should not have.
    public static let internalFailure = ErrorCode("internal-failure", .internalFailure)
}
