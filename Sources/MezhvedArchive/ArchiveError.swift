import MezhvedCore

/// The one error type of the archive module: something that stops an archive operation. A broken
/// archive found by an audit is not an error: ``ArchiveAuditor`` returns it as an ``AuditReport``.
public struct ArchiveError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem it is; each code tells the user what to do next.
    /// Codes are constants declared below: adding one breaks no caller.
    public typealias Code = ErrorCode<ArchiveError>

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

extension ErrorCode where Domain == ArchiveError {
    /// The archive folder does not exist, is not an archive, or cannot be read or written.
    public static let archiveUnusable = ErrorCode("archive-unusable", .refused)
    /// The archive's configuration is missing or invalid.
    public static let configurationInvalid = ErrorCode("configuration-invalid", .refused)
    /// The event log ends in a torn (incomplete) write: run `mezhved archive recover`.
    public static let recoveryNeeded = ErrorCode("recovery-needed", .refused)
    /// The event log is broken (hash chain, sequence): run `mezhved archive audit`.
    public static let integrityBroken = ErrorCode("integrity-broken", .integrityBroken)
    /// A number is unknown, already used, or in the wrong state for the operation.
    public static let numberUnusable = ErrorCode("number-unusable", .refused)
    /// The document cannot be archived (not an interagency document, no signature, invalid).
    public static let documentRefused = ErrorCode("document-refused", .unusableInput)
    /// The personal-data key is missing, malformed or not the archive's key.
    public static let dataKeyUnusable = ErrorCode("data-key-unusable", .unusableKeyMaterial)
    /// A number format template is invalid.
    public static let formatInvalid = ErrorCode("format-invalid", .refused)
    /// OpenSSL or the file system failed where it should not have.
    public static let internalFailure = ErrorCode("internal-failure", .internalFailure)
    /// An exchange message change the journal refuses: an unknown or reused message id, a
    /// transition its state does not allow, a document that cannot travel in a message.
    public static let messageUnusable = ErrorCode("message-unusable", .refused)
}
