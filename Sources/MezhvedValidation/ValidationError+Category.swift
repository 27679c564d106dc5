import MezhvedCore

extension ValidationError: MezhvedError {
    /// How the shells treat the error: one exit code or HTTP status per category.
    public var category: FailureCategory {
        switch code {
        case .badURL: return .unusableInput
        case .configuration: return .unusableKeyMaterial
        case .unreachable, .badResponse, .timestampFailed: return .serviceUnavailable
        case .internalFailure: return .internalFailure
        }
    }
}
