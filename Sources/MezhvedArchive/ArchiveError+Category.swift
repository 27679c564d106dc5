import MezhvedCore

extension ArchiveError: MezhvedError {
    /// How the shells treat the error: one exit code or HTTP status per category.
    public var category: FailureCategory {
        switch code {
        case .integrityBroken: return .integrityBroken
        case .archiveUnusable, .configurationInvalid, .recoveryNeeded, .numberUnusable, .formatInvalid: return .refused
        case .documentRefused: return .unusableInput
        case .dataKeyUnusable: return .unusableKeyMaterial
        case .internalFailure: return .internalFailure
        }
    }
}
