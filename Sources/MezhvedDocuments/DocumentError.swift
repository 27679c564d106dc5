import MezhvedCore

/// The one error type of the documents module: a problem that stops composing, validating or
/// rendering an interagency document. A document that breaks the schema or the regulations is
/// reported with every problem at once (``DocumentProblem``), not one at a time.
public struct DocumentError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem it is.
    /// Codes are constants declared below: adding one breaks no caller.
    public typealias Code = ErrorCode<DocumentError>

    public let code: Code
    /// What went wrong, naming the input.
    public let message: String
    /// What the user can do about it.
    public let hint: String?
    /// Every problem found, for `invalidDocument`.
    public let problems: [DocumentProblem]

    public init(_ code: Code, _ message: String, hint: String? = nil, problems: [DocumentProblem] = []) {
        self.code = code
        self.message = message
        self.hint = hint
        self.problems = problems
    }

    public var description: String {
        var text = message
        if let hint { text += " — \(hint)" }
        for problem in problems { text += "\n  \(problem)" }
        return text
    }
}

/// One problem of a document or form: where (a field path such as `request.compiler.phone` or an
/// XML path with its line) and what is wrong.
public struct DocumentProblem: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The field's path in the form, or the element's path in the XML document.
    public let path: String
    /// What is wrong, in English (the command line, the API, the reports).
    public let message: String
    /// The same in Russian, for the clerk's page; `nil` for problems only an administrator or a
    /// developer meets (the directory's consistency, libxml2's schema messages).
    public let russian: String?
    /// The line in the XML document, when known.
    public let line: Int?

    public init(path: String, message: String, russian: String? = nil, line: Int? = nil) {
        self.path = path
        self.message = message
        self.russian = russian
        self.line = line
    }

    /// The Russian message, or the English one where there is none.
    public var messageForClerk: String { russian ?? message }

    public var description: String {
        if let line { return "\(path) (line \(line)): \(message)" }
        return "\(path): \(message)"
    }
}

extension ErrorCode where Domain == DocumentError {
    /// A data file (form, directory, calendar) could not be read.
    public static let unreadableInput = ErrorCode("unreadable-input", .unusableInput)
    /// A form, directory or calendar file is not valid JSON/YAML of the expected shape.
    public static let malformedData = ErrorCode("malformed-data", .unusableInput)
    /// The document or form breaks the schema or the regulations; `problems` lists them all.
    public static let invalidDocument = ErrorCode("invalid-document", .documentInvalid)
    /// The production calendar does not cover a year that is needed.
    public static let calendarNotCovered = ErrorCode("calendar-not-covered", .documentInvalid)
    /// An agency is not in the directory, or does not take part in the named regulation.
    public static let unknownAgency = ErrorCode("unknown-agency", .documentInvalid)
    /// A schema shipped with mezhved could not be loaded (an installation problem).
    public static let schemaUnavailable = ErrorCode("schema-unavailable", .environment)
    /// A data file (a production calendar being imported) could not be written.
    public static let unwritableOutput = ErrorCode("unwritable-output", .unusableInput)
}
