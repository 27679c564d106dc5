import MezhvedCore

extension DocumentError: MezhvedError {
    /// How the shells treat the error: its code's category.
    public var category: FailureCategory { code.category }

    /// Every problem with its field path.
    public var problemList: [String] { problems.map(\.description) }
}
