import MezhvedCore

/// The one error type of the records and reports module.
public struct RecordsError: MezhvedError, Equatable {
    /// Codes are constants declared below: adding one breaks no caller.
    public typealias Code = ErrorCode<RecordsError>

    public let code: Code
    public let message: String
    public let hint: String?
    /// Every problem of a form, each naming its field.
    public let problems: [String]

    public init(_ code: Code, _ message: String, hint: String? = nil, problems: [String] = []) {
        self.code = code
        self.message = message
        self.hint = hint
        self.problems = problems
    }

    public var category: FailureCategory { code.category }
    public var problemList: [String] { problems }

    public var description: String {
        var text = message
        if let hint { text += " — \(hint)" }
        for problem in problems { text += "\n  - \(problem)" }
        return text
    }
}

extension ErrorCode where Domain == RecordsError {
    /// A record's form cannot be read or breaks a rule (every problem is listed).
    public static let formInvalid = ErrorCode("form-invalid", .documentInvalid)
    /// The person key is not configured.
    public static let personKeyMissing = ErrorCode("person-key-missing", .configurationInvalid)
    /// A report period that is not one (a quarter outside 1–4, a year out of range).
    public static let periodInvalid = ErrorCode("period-invalid", .unusableInput)
    /// The events read do not end at the log's head taken first (the store gave other events).
    public static let journalChanged = ErrorCode("journal-changed", .integrityBroken)
}

extension ErrorCode where Domain == RecordsError {
    /// An analytic note asked for a year with nothing to evaluate (not begun, or no document or record in it).
    public static let noteNoData = ErrorCode("note-no-data", .unusableInput)
    /// No addressee of the analytic note is a configured peer: nobody to send it to.
    public static let noteNoRecipients = ErrorCode("note-no-recipients", .configurationInvalid)
}
