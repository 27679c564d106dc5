/// The one error type of the validation module: something that stops validation before there is
/// anything to judge, or a network source that could not be used. A signature that fails is not an
/// error: the validator returns it as a report.
public struct ValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem it is; each code tells the user what to do next.
    public enum Code: String, Sendable, Equatable, CaseIterable {
        /// A URL is malformed or uses a scheme mezhved does not fetch over.
        case badURL = "bad-url"
        /// A server (CRL distribution point, OCSP responder, time-stamping authority) did not answer.
        case unreachable
        /// A server answered with something that is not what its protocol specifies.
        case badResponse = "bad-response"
        /// A timestamp could not be obtained or does not match what was sent.
        case timestampFailed = "timestamp-failed"
        /// A configuration value (cache folder, responder certificate, policy) is unusable.
        case configuration
        /// OpenSSL failed where it should not have.
        case internalFailure = "internal-failure"
    }

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
