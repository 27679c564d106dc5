/// What kind of failure an error is, as the shells see it: the command line maps each category to
/// one exit code, the server to one HTTP status, each in one place. A module's error type gives
/// every one of its codes a category; a new category is a new static constant and breaks no
/// caller that has a default case.
public struct FailureCategory: Hashable, Sendable, CustomStringConvertible {
    /// The category's stable name (for JSON and logs).
    public let name: String

    private init(_ name: String) { self.name = name }

    public var description: String { name }

    /// The input could not be used: unreadable, not well-formed, hostile, over a limit, unsigned.
    public static let unusableInput = FailureCategory("unusable-input")
    /// A key, certificate, trust store or CRL could not be used, or an algorithm does not fit.
    public static let unusableKeyMaterial = FailureCategory("unusable-key-material")
    /// The machine lacks something mezhved needs (OpenSSL's GOST engine, the schemas).
    public static let environment = FailureCategory("environment")
    /// A document or form breaks its schema or the regulations.
    public static let documentInvalid = FailureCategory("document-invalid")
    /// An archive's integrity is broken.
    public static let integrityBroken = FailureCategory("integrity-broken")
    /// An operation was refused by a rule (a number in the wrong state, a duplicate, a signer who
    /// may not sign the document, a torn write to recover first).
    public static let refused = FailureCategory("refused")
    /// A configuration (the gateway's, the archive's) is invalid; every problem is listed.
    public static let configurationInvalid = FailureCategory("configuration-invalid")
    /// A network service did not answer or answered wrongly.
    public static let serviceUnavailable = FailureCategory("service-unavailable")
    /// A bug or an unexpected library failure.
    public static let internalFailure = FailureCategory("internal-failure")
}

/// The protocol every mezhved error type conforms to, so that one place in each shell turns any
/// of them into an exit code or an HTTP status, and prints the message, the hint and every problem.
public protocol MezhvedError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    var category: FailureCategory { get }
    /// What went wrong, naming the input.
    var message: String { get }
    /// What the user can do about it.
    var hint: String? { get }
    /// Every individual problem found, when there are several (a form's fields, a configuration).
    var problemList: [String] { get }
}

extension MezhvedError {
    public var problemList: [String] { [] }
}
