import Foundation
import MezhvedValidation
import MezhvedXMLDSig

extension Gateway {
    /// A signature the gateway just made, extended to the configuration's form: for
    /// `signatureForm: lt` the validation data its validator used; for `lta` also an archive
    /// timestamp from `policy.tsa`; unchanged for the other forms. Throws MezhvedValidation's
    /// `ValidationError` (`longTermFailed`) when the data or the stamp cannot be had.
    public func extendSignature(_ signed: [UInt8], sourceName: String) async throws -> [UInt8] {
        let policy = configuration.policy
        guard policy.signatureForm == .lt || policy.signatureForm == .lta else { return signed }
        let longTerm = try await LongTermExtension.extend(signed, sourceName: sourceName, validator: validator)
        guard policy.signatureForm == .lta, let timestamper = signingOptions.timestamper else { return longTerm }
        return try await ArchiveTimestampExtension.extend(longTerm, sourceName: sourceName, validator: validator, timestamper: timestamper)
    }
}
