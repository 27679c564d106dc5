import MezhvedCore

extension DocumentError: MezhvedError {
    /// How the shells treat the error: one exit code or HTTP status per category.
    public var category: FailureCategory {
        switch code {
        case .unreadableInput, .malformedData: return .unusableInput
        case .invalidDocument, .calendarNotCovered, .unknownAgency: return .documentInvalid
        case .schemaUnavailable: return .environment
        }
    }

    /// Every problem with its field path.
    public var problemList: [String] { problems.map(\.description) }
}
