/// The one error type of the archive module: something that stops an archive operation. A broken
/// archive found by an audit is not an error: ``ArchiveAuditor`` returns it as an ``AuditReport``.
public struct ArchiveError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem it is; each code tells the user what to do next.
    public enum Code: String, Sendable, Equatable, CaseIterable {
        /// The archive folder does not exist, is not an archive, or cannot be read or written.
        case archiveUnusable = "archive-unusable"
        /// The archive's configuration is missing or invalid.
        case configurationInvalid = "configuration-invalid"
        /// The event log ends in a torn (incomplete) write: run `mezhved archive recover`.
        case recoveryNeeded = "recovery-needed"
        /// The event log is broken (hash chain, sequence): run `mezhved archive audit`.
        case integrityBroken = "integrity-broken"
        /// A number is unknown, already used, or in the wrong state for the operation.
        case numberUnusable = "number-unusable"
        /// The document cannot be archived (not an interagency document, no signature, invalid).
        case documentRefused = "document-refused"
        /// The personal-data key is missing, malformed or not the archive's key.
        case dataKeyUnusable = "data-key-unusable"
        /// A number format template is invalid.
        case formatInvalid = "format-invalid"
        /// OpenSSL or the file system failed where it should not have.
        case internalFailure = "internal-failure"
    }

    /// The kind of problem.
    public let code: Code
    /// What went wrong, naming the input.
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
