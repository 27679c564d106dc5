internal import COpenSSL
import Foundation
import MezhvedXMLDSig

/// Asks one OCSP responder about one certificate (RFC 6960) with OpenSSL's OCSP API, and checks
/// the answer: response status, the responder's signature and authority, the nonce, the CertID
/// and the validity period.
struct OCSPClient {
    let policy: RevocationPolicy
    let trustStore: TrustStore

    /// The answer of `url` about `certificate` (issued by `issuer`, whose own path up to an
    /// anchor is `issuerPath`). Throws a ``SourceFailure`` naming the responder and the problem.
    /// The request is built and the answer judged on the caller's thread; the exchange is awaited
    /// with no OpenSSL error left on that thread (the request is heap state, not thread state).
    func ask(
        _ url: String, about certificate: Certificate, issuer: Certificate, issuerPath: [Certificate], now: @Sendable () -> Date
    ) async throws -> SourceAnswer {
        CryptoRuntime.ready()
        let digest = policy.certIDHash == .sha256 ? EVP_sha256() : EVP_sha1()
        let request = try OCSPRequest()
        guard let id = OCSP_cert_to_id(digest, certificate.x509, issuer.x509) else {
            throw SourceFailure(problem: "no OCSP CertID could be made for \(url): \(drainOpenSSLErrors().joined(separator: "; "))")
        }
        // The request owns `id`; `OCSP_resp_find_status` below needs one of its own.
        guard let wanted = OCSP_CERTID_dup(id) else {
            OCSP_CERTID_free(id)
            throw SourceFailure(problem: "OpenSSL could not copy an OCSP CertID")
        }
        let wantedID = OCSPCertID(wanted)
        guard OCSP_request_add0_id(request.pointer, id) != nil else {
            OCSP_CERTID_free(id)
            throw SourceFailure(problem: "OpenSSL could not build the OCSP request for \(url)")
        }
        if policy.ocspNonce, OCSP_request_add1_nonce(request.pointer, nil, 0) != 1 {
            throw SourceFailure(problem: "OpenSSL could not add a nonce to the OCSP request for \(url)")
        }
        let body = try derEncoded(request.pointer)
        _ = drainOpenSSLErrors()
        let bytes: [UInt8]
        do {
            bytes = try await policy.transport.post(
                url, body: body, contentType: "application/ocsp-request", expecting: "application/ocsp-response")
        } catch let error as ValidationError {
            throw SourceFailure(problem: "the OCSP responder \(url) could not be used: \(error)")
        } catch is CancellationError {
            throw SourceFailure(problem: "the OCSP request to \(url) was cancelled")
        }
        let fetchedAt = now()
        var answer = try withOCSPResponse(bytes, url: url) { basic in
            try judge(
                basic, request: request.pointer, wanted: wantedID.pointer, url: url, issuer: issuer, issuerPath: issuerPath,
                now: fetchedAt)
        }
        answer.encoded = bytes
        return answer
    }

    private func judge(
        _ basic: OpaquePointer, request: OpaquePointer, wanted: OpaquePointer, url: String, issuer: Certificate,
        issuerPath: [Certificate], now: Date
    ) throws -> SourceAnswer {
        let who = "the OCSP response of \(url)"
        // Nonce: 1 echoed and equal, 2 absent from both, -1 not echoed (allowed: many responders
        // pre-produce answers), 3 only in the response; 0 is a mismatch (a replay).
        if policy.ocspNonce, OCSP_check_nonce(request, basic) == 0 {
            throw SourceFailure(problem: "\(who) carries a nonce other than the one sent: a replayed or foreign answer")
        }
        let configured = policy.ocspResponderCertificate.flatMap { url == policy.ocspResponder ? $0 : nil }
        let signer = try responseSigner(basic, candidates: issuerPath + (configured.map { [$0] } ?? []), who: who)
        // Authority, checked here explicitly (OpenSSL checks it too, below): the CA itself, the
        // locally configured responder, or a responder the CA delegated with id-kp-OCSPSigning.
        if signer.der != issuer.der, signer.der != configured?.der {
            guard issuer.issued(signer) else {
                throw SourceFailure(
                    problem:
                        "\(who) is signed by \(displayName(signer)), which \(displayName(issuer)) did not issue: an unauthorised responder")
            }
            let usage = X509_get_extended_key_usage(signer.x509)
            guard usage != UInt32.max, usage & UInt32(XKU_OCSP_SIGN) != 0 else {
                throw SourceFailure(
                    problem:
                        "\(who) is signed by \(displayName(signer)), whose certificate lacks id-kp-OCSPSigning: an unauthorised responder")
            }
        }
        guard signer.notBefore <= now.addingTimeInterval(policy.clockSkew), now.addingTimeInterval(-policy.clockSkew) <= signer.notAfter
        else {
            throw SourceFailure(
                problem: "\(who) is signed by \(displayName(signer)), whose certificate is not valid now "
                    + "(\(iso(signer.notBefore)) .. \(iso(signer.notAfter)))")
        }
        // Signature and the signer's path to a trust anchor (OpenSSL).
        let flags: UInt = signer.der == configured?.der ? UInt(OCSP_TRUSTOTHER | OCSP_NOCHECKS) : 0
        let untrusted = signer.der == configured?.der ? [signer] : issuerPath
        try withCertificateStack(untrusted) { stack in
            _ = drainOpenSSLErrors()
            guard OCSP_basic_verify(basic, stack, trustStore.store, flags) == 1 else {
                let errors = drainOpenSSLErrors()
                throw SourceFailure(
                    problem: "\(who) does not verify (signature or the responder's certificate path)"
                        + (errors.isEmpty ? "" : " [OpenSSL: \(errors.joined(separator: "; "))]"))
            }
        }
        var status: Int32 = -1
        var reason: Int32 = -1
        var revoked: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>? = nil
        var thisUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>? = nil
        var nextUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>? = nil
        guard OCSP_resp_find_status(basic, wanted, &status, &reason, &revoked, &thisUpdate, &nextUpdate) == 1 else {
            _ = drainOpenSSLErrors()
            throw SourceFailure(problem: "\(who) does not answer for the certificate asked about (CertID mismatch)")
        }
        let maximumAge = nextUpdate == nil ? Int(policy.ocspMaximumAge) : -1
        guard OCSP_check_validity(thisUpdate, nextUpdate, Int(policy.clockSkew), maximumAge) == 1 else {
            let errors = drainOpenSSLErrors()
            throw SourceFailure(
                problem: "\(who) is outside its validity period (thisUpdate \(asn1Date(thisUpdate).map(iso) ?? "?"), nextUpdate "
                    + "\(asn1Date(nextUpdate).map(iso) ?? "none"), now \(iso(now))): stale or not yet valid"
                    + (errors.isEmpty ? "" : " [OpenSSL: \(errors.joined(separator: "; "))]"))
        }
        var answer = SourceAnswer(
            status: .unknown, source: .ocsp, location: url, thisUpdate: asn1Date(thisUpdate), nextUpdate: asn1Date(nextUpdate),
            producedAt: asn1Date(OCSP_resp_get0_produced_at(basic)), responder: signer.summary, fetchedAt: now)
        answer.setOCSPStatus(status, reason: reason, revoked: revoked)
        return answer
    }

    /// The certificate that signed `basic`, found among `candidates` and the response's own
    /// certificates.
    fileprivate func responseSigner(_ basic: OpaquePointer, candidates: [Certificate], who: String) throws -> Certificate {
        try withCertificateStack(candidates) { stack in
            var signer: OpaquePointer? = nil
            guard OCSP_resp_get0_signer(basic, &signer, stack) == 1, let signer else {
                _ = drainOpenSSLErrors()
                throw SourceFailure(problem: "\(who) names a signer whose certificate is neither in the response nor known")
            }
            if let known = candidates.first(where: { $0.x509 == signer }) { return known }
            X509_up_ref(signer)
            do {
                return try Certificate(owning: signer)
            } catch {
                throw SourceFailure(problem: "\(who) carries an unreadable signer certificate")
            }
        }
    }

    private func derEncoded(_ request: OpaquePointer) throws -> [UInt8] {
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_OCSP_REQUEST(request, &buffer)
        guard length > 0, let buffer else {
            throw SourceFailure(problem: "OpenSSL could not encode the OCSP request: \(drainOpenSSLErrors().joined(separator: "; "))")
        }
        defer { CRYPTO_free(buffer, #fileID, #line) }
        return Array(UnsafeBufferPointer(start: buffer, count: Int(length)))
    }
}

extension OCSPClient {
    /// Where embedded responses are said to come from.
    static let embeddedLocation = "the signature's RevocationValues"

    /// Judges an OCSP response the signature carries (XAdES-LT) about `certificate`, at a past
    /// moment: the proven signing time, or the response's thisUpdate when that is later (a response
    /// fetched just after signing shows the certificate good then). Its CertID (SHA-1 or SHA-256),
    /// the responder's authority and signature are checked as for a fresh answer; the responder's
    /// path and validity, and the response's validity period, are judged at that moment rather than
    /// now, and no nonce is asked for. Without a proven time it is judged at `now`, like any answer.
    func judgeEmbedded(
        _ bytes: [UInt8], about certificate: Certificate, issuer: Certificate, issuerPath: [Certificate], provenTime: Date?, now: Date
    ) throws -> SourceAnswer {
        CryptoRuntime.ready()
        let who = "the OCSP response in \(Self.embeddedLocation)"
        return try withOCSPResponse(bytes, url: Self.embeddedLocation) { basic in
            var status: Int32 = -1
            var reason: Int32 = -1
            var revoked: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>? = nil
            var thisUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>? = nil
            var nextUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>? = nil
            var found = false
            for digest in [EVP_sha1(), EVP_sha256()] {
                guard let id = OCSP_cert_to_id(digest, certificate.x509, issuer.x509) else { continue }
                defer { OCSP_CERTID_free(id) }
                if OCSP_resp_find_status(basic, id, &status, &reason, &revoked, &thisUpdate, &nextUpdate) == 1 {
                    found = true
                    break
                }
            }
            _ = drainOpenSSLErrors()
            guard found, let issued = asn1Date(thisUpdate) else {
                throw SourceFailure(problem: "\(who) does not answer for \(displayName(certificate)) (CertID mismatch)")
            }
            let at = max(provenTime ?? now, issued)
            let end = asn1Date(nextUpdate) ?? issued.addingTimeInterval(policy.ocspMaximumAge)
            guard issued <= at.addingTimeInterval(policy.clockSkew), at <= end.addingTimeInterval(policy.clockSkew) else {
                throw SourceFailure(
                    problem: "\(who) was not current at \(iso(at)) (thisUpdate \(iso(issued)), valid until \(iso(end)))")
            }
            let signer = try responseSigner(basic, candidates: issuerPath, who: who)
            if signer.der != issuer.der {
                let usage = X509_get_extended_key_usage(signer.x509)
                guard issuer.issued(signer), usage != UInt32.max, usage & UInt32(XKU_OCSP_SIGN) != 0 else {
                    throw SourceFailure(
                        problem: "\(who) is signed by \(displayName(signer)), not by \(displayName(issuer)) or a responder it delegated")
                }
                let path = trustStore.validate(signer, untrusted: issuerPath, at: at)
                if let failure = path.failure {
                    throw SourceFailure(
                        problem: "\(who): the responder \(displayName(signer)) did not chain at \(iso(at)): \(failure.message)")
                }
            }
            // The signature alone (the path was judged above, at the past moment).
            try withCertificateStack(issuerPath) { stack in
                _ = drainOpenSSLErrors()
                guard OCSP_basic_verify(basic, stack, trustStore.store, UInt(OCSP_NOVERIFY)) == 1 else {
                    let errors = drainOpenSSLErrors()
                    throw SourceFailure(
                        problem: "\(who) does not verify (forged or altered)"
                            + (errors.isEmpty ? "" : " [OpenSSL: \(errors.joined(separator: "; "))]"))
                }
            }
            var answer = SourceAnswer(
                status: .unknown, source: .ocspEmbedded, location: Self.embeddedLocation, thisUpdate: issued,
                nextUpdate: asn1Date(nextUpdate),
                producedAt: asn1Date(OCSP_resp_get0_produced_at(basic)), responder: signer.summary, fetchedAt: nil)
            answer.setOCSPStatus(status, reason: reason, revoked: revoked)
            answer.encoded = bytes
            return answer
        }
    }
}

extension SourceAnswer {
    /// The status, and for a revoked certificate its date and reason, of an OCSP SingleResponse.
    fileprivate mutating func setOCSPStatus(_ status: Int32, reason: Int32, revoked: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?) {
        switch status {
        case V_OCSP_CERTSTATUS_GOOD:
            self.status = .good
        case V_OCSP_CERTSTATUS_REVOKED:
            self.status = .revoked
            revocationTime = asn1Date(revoked)
            self.reason = crlReasonName(Int(reason))
        default:
            self.status = .unknown
        }
    }
}

/// A new, empty OCSP request, freed with the value.
private final class OCSPRequest {
    let pointer: OpaquePointer

    init() throws {
        guard let request = OCSP_REQUEST_new() else { throw SourceFailure(problem: "OpenSSL could not create an OCSP request") }
        pointer = request
    }

    deinit { OCSP_REQUEST_free(pointer) }
}

/// An OCSP CertID, freed with the value.
private final class OCSPCertID {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }

    deinit { OCSP_CERTID_free(pointer) }
}

/// Parses a DER OCSP response, requires the status `successful`, and runs `body` with its basic
/// response; both are freed afterwards.
private func withOCSPResponse<T>(_ bytes: [UInt8], url: String, _ body: (OpaquePointer) throws -> T) throws -> T {
    var pointer: UnsafePointer<UInt8>? = nil
    let parsed: OpaquePointer? = bytes.withUnsafeBufferPointer { buffer in
        pointer = buffer.baseAddress
        return d2i_OCSP_RESPONSE(nil, &pointer, buffer.count)
    }
    guard let response = parsed else {
        _ = drainOpenSSLErrors()
        throw SourceFailure(problem: "the OCSP responder \(url) answered with something that is not an OCSP response")
    }
    defer { OCSP_RESPONSE_free(response) }
    let status = OCSP_response_status(response)
    guard status == OCSP_RESPONSE_STATUS_SUCCESSFUL else {
        let name = OCSP_response_status_str(Int(status)).map { String(cString: $0) } ?? "status \(status)"
        throw SourceFailure(problem: "the OCSP responder \(url) refused the request (\(name)); try later or check the responder")
    }
    guard let basic = OCSP_response_get1_basic(response) else {
        _ = drainOpenSSLErrors()
        throw SourceFailure(problem: "the OCSP responder \(url) sent a response that is not a basic OCSP response")
    }
    defer { OCSP_BASICRESP_free(basic) }
    return try body(basic)
}

/// Runs `body` with an OpenSSL stack of the certificates (not owning them), freed afterwards.
private func withCertificateStack<T>(_ certificates: [Certificate], _ body: (OpaquePointer?) throws -> T) throws -> T {
    guard let stack = OPENSSL_sk_new_null() else { throw SourceFailure(problem: "OpenSSL could not allocate a stack") }
    defer { OPENSSL_sk_free(stack) }
    for certificate in certificates { OPENSSL_sk_push(stack, UnsafeRawPointer(certificate.x509)) }
    return try body(stack)
}
