import MezhvedCore

extension ArchiveError: MezhvedError {
    /// How the shells treat the error: its code's category.
    public var category: FailureCategory { code.category }
}
