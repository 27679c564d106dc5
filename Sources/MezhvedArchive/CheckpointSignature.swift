import Foundation
import MezhvedCore
import MezhvedXMLDSig

/// A checkpoint's signature, checked against the one gateway certificate pinned for its archive:
/// by the archive's audit, and by a peer gateway keeping another's checkpoints as its witness.
public enum CheckpointSignature {
    /// Why the signature of the checkpoint document `bytes` does not hold as of `time` (now when
    /// nil), or is not by the certificate with SHA-256 fingerprint `pinned`; nil when it holds.
    public static func problem(
        _ bytes: [UInt8], item: String, at time: Date?, pinned: String, trust: TrustStore, intermediates: [Certificate]
    ) -> String? {
        var policy = VerificationPolicy()
        policy.validationTime = time
        policy.retainSignedContent = false
        policy.expectedReferenceURIs = [""]
        do {
            let report = try SignatureVerifier(trustStore: trust, policy: policy, intermediates: intermediates).verify(
                bytes, sourceName: item)
            guard report.status == .valid else {
                return "its signature is \(report.status.rawValue): " + report.problems.map(\.message).joined(separator: "; ")
            }
            if report.signer?.sha256Fingerprint != pinned {
                return
                    "it is signed by \(report.signer?.commonName ?? "someone") (\(report.signer?.sha256Fingerprint ?? "?")), not by the gateway's certificate \(pinned)"
            }
            return nil
        } catch {
            return "its signature cannot be checked: \(error)"
        }
    }

    /// Reads a signed checkpoint document after checking its signature (see ``problem(_:item:at:pinned:trust:intermediates:)``).
    public static func verified(_ bytes: [UInt8], item: String, pinned: String, trust: TrustStore, intermediates: [Certificate]) throws
        -> Checkpoint
    {
        if let problem = problem(bytes, item: item, at: nil, pinned: pinned, trust: trust, intermediates: intermediates) {
            throw ArchiveError(.documentRefused, "the checkpoint \(item) does not verify: \(problem)")
        }
        return try Checkpoint.read(bytes, sourceName: item)
    }

    /// The file name a checkpoint of entry `seq` is kept under (`000000000100.xml`), in the archive and in a witness folder.
    public static func fileName(seq: Int) -> String {
        let digits = String(seq)
        return String(repeating: "0", count: max(0, 12 - digits.count)) + digits + ".xml"
    }
}
