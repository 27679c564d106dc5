internal import COpenSSL
import Foundation
import MezhvedXMLDSig
import Synchronization

/// A certificate revocation list: the one owner of an OpenSSL `X509_CRL`, freed in `deinit`.
/// Immutable once parsed (OpenSSL sorts the entries under its own lock on first lookup).
final class CRL: @unchecked Sendable {
    let crl: OpaquePointer
    /// Where it came from (file path or URL), for messages.
    let origin: String
    /// When it was issued.
    let thisUpdate: Date?
    /// When the CA promises the next one.
    let nextUpdate: Date?
    /// The DER encoding (what an archive or a signature's revocation values keep).
    let der: [UInt8]

    private init(owning crl: OpaquePointer, origin: String) {
        self.crl = crl
        self.origin = origin
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_X509_CRL(crl, &buffer)
        if length > 0, let buffer {
            der = Array(UnsafeBufferPointer(start: buffer, count: Int(length)))
            CRYPTO_free(buffer, #fileID, #line)
        } else {
            der = []
            _ = drainOpenSSLErrors()
        }
        thisUpdate = asn1Date(X509_CRL_get0_lastUpdate(crl))
        nextUpdate = asn1Date(X509_CRL_get0_nextUpdate(crl))
    }

    deinit { X509_CRL_free(crl) }

    /// The SHA-256 fingerprints of the issuer certificates whose key this CRL's signature verified
    /// with: the CRL never changes, so its signature is verified once per issuer, not per check.
    private let verifiedIssuers = Mutex<Set<String>>([])

    /// Whether the CRL's signature verifies with `issuer`'s key (OpenSSL's errors drained on failure).
    func isSigned(by issuer: Certificate) -> (Bool, [String]) {
        if verifiedIssuers.withLock({ $0.contains(issuer.sha256Fingerprint) }) { return (true, []) }
        _ = drainOpenSSLErrors()
        guard let key = X509_get0_pubkey(issuer.x509), X509_CRL_verify(crl, key) == 1 else { return (false, drainOpenSSLErrors()) }
        verifiedIssuers.withLock { _ = $0.insert(issuer.sha256Fingerprint) }
        return (true, [])
    }

    /// Parses every CRL of PEM `bytes`, or the one DER CRL they hold.
    static func parse(_ bytes: [UInt8], origin: String) throws -> [CRL] {
        CryptoRuntime.ready()
        var result: [CRL] = []
        try withMemoryBIO(bytes) { bio in
            while let parsed = PEM_read_bio_X509_CRL(bio, nil, nil, nil) {
                result.append(CRL(owning: parsed, origin: origin))
            }
        }
        _ = drainOpenSSLErrors()  // the end of the PEM stream leaves "no start line" behind
        if !result.isEmpty { return result }
        var pointer: UnsafePointer<UInt8>? = nil
        let parsed: OpaquePointer? = bytes.withUnsafeBufferPointer { buffer in
            pointer = buffer.baseAddress
            return d2i_X509_CRL(nil, &pointer, buffer.count)
        }
        guard let parsed else {
            throw ValidationError(
                .badResponse, "\(origin) is not a CRL (PEM or DER)",
                hint: "give the CA's certificate revocation list, as published", openSSLErrors: drainOpenSSLErrors())
        }
        return [CRL(owning: parsed, origin: origin)]
    }

    /// Whether `certificate` (a CA) is named as this CRL's issuer.
    func isNamed(by certificate: Certificate) -> Bool {
        X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(certificate.x509)) == 0
    }

    /// Whether the CRL counts as fresh at `now`: before its nextUpdate, or, without one, within
    /// `maximumAge` of its thisUpdate.
    func isFresh(at now: Date, maximumAge: TimeInterval) -> Bool {
        if let nextUpdate { return now < nextUpdate }
        guard let thisUpdate else { return false }
        return now < thisUpdate.addingTimeInterval(maximumAge)
    }

    /// Checks the CRL as the revocation source of `certificate`, issued by `issuer`, at `now`,
    /// and looks the certificate up. Throws a ``SourceFailure`` naming each reason it is unusable.
    func answer(
        for certificate: Certificate, issuer: Certificate, now: Date, policy: RevocationPolicy, source: RevocationEvidence.Source,
        location: String, fetchedAt: Date?
    ) throws -> SourceAnswer {
        let what = source == .crlFile ? "the CRL file \(location)" : "the CRL from \(location)"
        guard isNamed(by: issuer) else {
            throw SourceFailure(
                problem: "\(what) was not issued by \(displayName(issuer)) (the certificate's issuer); give that CA's CRL")
        }
        if let unsupported = unsupportedFeature() {
            throw SourceFailure(problem: "\(what) is \(unsupported), which mezhved does not use; give the CA's full CRL")
        }
        let (signed, errors) = isSigned(by: issuer)
        guard signed else {
            throw SourceFailure(
                problem: "\(what) has a bad signature: it does not verify with the key of \(displayName(issuer))"
                    + (errors.isEmpty ? "" : " [OpenSSL: \(errors.joined(separator: "; "))]") + "; the CRL was altered or is not that CA's")
        }
        guard let thisUpdate else { throw SourceFailure(problem: "\(what) has no readable thisUpdate") }
        if thisUpdate > now.addingTimeInterval(policy.clockSkew) {
            throw SourceFailure(
                problem: "\(what) is not yet valid: thisUpdate \(iso(thisUpdate)) is later than now (\(iso(now))); check the clocks")
        }
        guard isFresh(at: now.addingTimeInterval(-policy.clockSkew), maximumAge: policy.maximumCRLAge) else {
            let limit = nextUpdate.map { "nextUpdate \(iso($0))" } ?? "thisUpdate \(iso(thisUpdate)) + \(Int(policy.maximumCRLAge)) s"
            throw SourceFailure(problem: "\(what) is stale: \(limit) has passed (now \(iso(now))); the CA must publish a newer CRL")
        }
        var answer = SourceAnswer(
            status: .good, source: source, location: location, thisUpdate: thisUpdate, nextUpdate: nextUpdate,
            responder: issuer.summary, fetchedAt: fetchedAt, encoded: der)
        var entry: OpaquePointer? = nil
        let found = X509_CRL_get0_by_serial(crl, &entry, X509_get0_serialNumber(certificate.x509))
        if found == 1, let entry {
            answer.status = .revoked
            answer.revocationTime = asn1Date(X509_REVOKED_get0_revocationDate(entry))
            if let raw = X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, nil, nil) {
                let enumerated = raw.assumingMemoryBound(to: ASN1_ENUMERATED.self)
                answer.reason = crlReasonName(Int(ASN1_ENUMERATED_get(enumerated)))
                ASN1_ENUMERATED_free(enumerated)
            }
        }
        // found == 2: listed as removeFromCRL (a delta CRL's un-hold): not revoked.
        _ = drainOpenSSLErrors()
        return answer
    }

    /// Why this CRL is of a kind mezhved does not use: delta CRLs, indirect CRLs, CRLs for some
    /// reasons only, and CRLs with an unknown critical extension.
    private func unsupportedFeature() -> String? {
        for index in 0..<X509_CRL_get_ext_count(crl) {
            guard let extensionValue = X509_CRL_get_ext(crl, index) else { continue }
            let nid = OBJ_obj2nid(X509_EXTENSION_get_object(extensionValue))
            switch nid {
            case NID_delta_crl:
                return "a delta CRL"
            case NID_issuing_distribution_point:
                guard let raw = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, nil, nil) else {
                    return "a CRL with an unreadable issuingDistributionPoint"
                }
                let point = raw.assumingMemoryBound(to: ISSUING_DIST_POINT.self)
                defer { ISSUING_DIST_POINT_free(point) }
                if point.pointee.indirectCRL != 0 { return "an indirect CRL" }
                if point.pointee.onlysomereasons != nil { return "a CRL partitioned by reason (onlySomeReasons)" }
                if point.pointee.onlyattr != 0 { return "an attribute-certificate CRL" }
            case NID_authority_key_identifier, NID_crl_number:
                continue
            default:
                if X509_EXTENSION_get_critical(extensionValue) != 0 {
                    return "a CRL with an unknown critical extension (NID \(nid))"
                }
            }
        }
        return nil
    }
}

/// The http:// URLs of a certificate's crlDistributionPoints (full names only; points with a
/// cRLIssuer — indirect CRLs — are skipped).
func crlDistributionPoints(of certificate: Certificate) -> [String] {
    guard let raw = X509_get_ext_d2i(certificate.x509, NID_crl_distribution_points, nil, nil) else {
        _ = drainOpenSSLErrors()
        return []
    }
    let points = OpaquePointer(raw)
    defer { CRL_DIST_POINTS_free(points) }
    var urls: [String] = []
    for index in 0..<OPENSSL_sk_num(points) {
        guard let value = OPENSSL_sk_value(points, index) else { continue }
        let point = value.assumingMemoryBound(to: DIST_POINT.self).pointee
        guard point.CRLissuer == nil, let name = point.distpoint, name.pointee.type == 0, let names = name.pointee.name.fullname
        else { continue }
        urls += uniformResourceIdentifiers(names)
    }
    return urls.filter { $0.lowercased().hasPrefix("http://") || $0.lowercased().hasPrefix("https://") }
}

/// The OCSP responder URLs of a certificate's authorityInfoAccess.
func ocspResponders(of certificate: Certificate) -> [String] {
    guard let list = X509_get1_ocsp(certificate.x509) else {
        _ = drainOpenSSLErrors()
        return []
    }
    defer { X509_email_free(list) }
    var urls: [String] = []
    for index in 0..<OPENSSL_sk_num(list) {
        if let value = OPENSSL_sk_value(list, index) {
            urls.append(String(cString: value.assumingMemoryBound(to: CChar.self)))
        }
    }
    return urls
}

/// The URIs of a GENERAL_NAMES stack.
private func uniformResourceIdentifiers(_ names: OpaquePointer) -> [String] {
    var urls: [String] = []
    for index in 0..<OPENSSL_sk_num(names) {
        guard let value = OPENSSL_sk_value(names, index) else { continue }
        let name = value.assumingMemoryBound(to: GENERAL_NAME.self).pointee
        guard name.type == GEN_URI, let uri = name.d.uniformResourceIdentifier, let data = ASN1_STRING_get0_data(uri) else { continue }
        urls.append(String(decoding: UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(uri))), as: UTF8.self))
    }
    return urls
}

/// An ASN.1 time as a `Date`.
func asn1Date(_ time: UnsafePointer<ASN1_TIME>?) -> Date? {
    guard let time else { return nil }
    var parts = tm()
    guard ASN1_TIME_to_tm(time, &parts) == 1 else {
        _ = drainOpenSSLErrors()
        return nil
    }
    return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
}

/// A certificate's name for messages: its common name in quotes, else its subject with
/// personal identifiers (SNILS, a person's INN) redacted, as in reports.
func displayName(_ certificate: Certificate) -> String {
    certificate.commonName.map { "\"\($0)\"" } ?? certificate.summary.subject
}

/// A moment in ISO 8601 (UTC), for messages.
func iso(_ date: Date) -> String {
    date.formatted(.iso8601)
}
