import Foundation
import MezhvedValidation
import MezhvedXMLDSig

extension Gateway {
    /// A signature the gateway just made, extended to the configuration's form: for
    /// `signatureForm: lt` the validation data its validator used; for `lta` also an archive
    /// timestamp from `policy.tsa`; unchanged for the other forms. Throws MezhvedValidation's
    /// `ValidationError` (`longTermFailed`) when the data or the stamp cannot be had.
    public func extendSignature(_ signed: [UInt8], sourceName: String) async throws -> [UInt8] {
        switch configuration.policy.signatureForm {
        case .lt:
            return try await LongTermExtension.extend(signed, sourceName: sourceName, to: .lt, validator: validator, timestamper: nil)
        case .lta:
            return try await LongTermExtension.extend(
                signed, sourceName: sourceName, to: .lta, validator: validator, timestamper: signingOptions.timestamper)
        case .xmldsig, .bes, .t:
            return signed
        }
    }
}
