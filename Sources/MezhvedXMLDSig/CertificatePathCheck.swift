internal import COpenSSL
import Foundation
import MezhvedCore

/// The signer's certificate path validated against the trust store at one moment, with every
/// failure in the words of a ``VerificationReport`` problem. The verification of a signature runs
/// it at the validation time; ``SignatureVerifier/certificatePath(of:untrusted:at:)`` runs it alone at
/// another moment (the signing time) without verifying the signature again.
public struct CertificatePathCheck: Sendable {
    /// The validated path, signer first, anchor last (what OpenSSL built when it failed; may be empty).
    public let path: [Certificate]
    /// The path's problems (`chain`, `validity`, `revocation`); empty when it validates.
    public let problems: [VerificationReport.Problem]

    /// A path and its problems as a verification found them.
    public init(path: [Certificate], problems: [VerificationReport.Problem]) {
        self.path = path
        self.problems = problems
    }

    static func check(_ signer: Certificate, untrusted intermediates: [Certificate], trustStore: TrustStore, at time: Date)
        -> CertificatePathCheck
    {
        let result = trustStore.validate(signer, untrusted: intermediates, at: time)
        var problems: [VerificationReport.Problem] = []
        func problem(_ severity: VerificationReport.Status, _ check: VerificationReport.Check, _ message: String) {
            problems.append(VerificationReport.Problem(check: check, severity: severity, message: message))
        }
        guard let failure = result.failure else { return CertificatePathCheck(path: result.chain, problems: []) }
        let subject = failure.depth == 0 ? "the signer's certificate" : "the CA certificate at depth \(failure.depth)"
        switch failure.code {
        case X509_V_ERR_CERT_HAS_EXPIRED:
            let until = failure.depth == 0 ? " (valid until \(ISOTime.string(signer.notAfter)))" : ""
            problem(.indeterminate, .validity, "\(subject) had expired at \(ISOTime.string(time))\(until)")
        case X509_V_ERR_CERT_NOT_YET_VALID:
            problem(.indeterminate, .validity, "\(subject) was not yet valid at \(ISOTime.string(time))")
        case X509_V_ERR_CERT_REVOKED:
            problem(.indeterminate, .revocation, "\(subject) is revoked according to the CRL given")
        case X509_V_ERR_UNABLE_TO_GET_CRL:
            problem(.indeterminate, .revocation, "no CRL was given for \(subject)'s issuer, so its revocation status is unknown")
        case X509_V_ERR_CRL_HAS_EXPIRED, X509_V_ERR_CRL_NOT_YET_VALID:
            problem(.indeterminate, .revocation, "the CRL for \(subject) is not current (\(failure.message))")
        case X509_V_ERR_CERT_SIGNATURE_FAILURE, X509_V_ERR_CRL_SIGNATURE_FAILURE:
            problem(.invalid, .chain, "\(subject) carries a signature that does not verify (\(failure.message))")
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT,
            X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
            X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
            problem(
                .indeterminate,
                .chain,
                "the signer's certificate (\(signer.commonName ?? "no name"), issued by \(signer.issuerCommonName ?? signer.issuer)) does not chain to a CA in the trust store (\(failure.message))"
            )
        default:
            problem(.indeterminate, .chain, "\(subject) failed path validation: \(failure.message)")
        }
        return CertificatePathCheck(path: result.chain, problems: problems)
    }
}

extension SignatureVerifier {
    /// The path of `signer` (with `untrusted` certificates and the verifier's intermediates to build
    /// it) validated at `time`, without verifying any signature: for judging a signature already
    /// verified at another moment, such as its signing time.
    public func certificatePath(of signer: Certificate, untrusted: [Certificate], at time: Date) -> CertificatePathCheck {
        CertificatePathCheck.check(signer, untrusted: untrusted + intermediates, trustStore: trustStore, at: time)
    }
}
