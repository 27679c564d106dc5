/// An error code of one module's error type (`Domain`): a stable name and the failure category the
/// shells map to an exit code or HTTP status. Codes are static constants declared in an extension
/// of `ErrorCode where Domain == …` beside their error type, so adding one breaks no caller.
public struct ErrorCode<Domain>: Hashable, Sendable, CustomStringConvertible {
    /// The code's stable name (JSON, logs).
    public let rawValue: String
    /// How the shells treat it.
    public let category: FailureCategory

    /// A new code; only mezhved's own modules declare codes.
    package init(_ rawValue: String, _ category: FailureCategory) {
        self.rawValue = rawValue
        self.category = category
    }

    public var description: String { rawValue }
}
