import MezhvedCore

extension XMLDSigError: MezhvedError {
    /// How the shells treat the error: one exit code or HTTP status per category.
    public var category: FailureCategory {
        switch code {
        case .unreadableInput, .malformedXML, .hostileXML, .limitExceeded, .noSignature, .referenceTarget, .malformedTimestamp:
            return .unusableInput
        case .keyUnusable, .certificateUnusable, .trustStoreUnusable, .unsupportedAlgorithm: return .unusableKeyMaterial
        case .gostUnavailable: return .environment
        case .internalFailure: return .internalFailure
        }
    }
}
