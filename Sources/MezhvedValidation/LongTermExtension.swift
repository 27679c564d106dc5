import Foundation
import MezhvedCore
import MezhvedXMLDSig

/// Extends an XAdES-T signature to XAdES-LT (ETSI EN 319 132-1 B-LT): adds to its unsigned
/// properties `xades:CertificateValues` (every certificate of the signer's path) and
/// `xades:RevocationValues` (the CRLs and OCSP responses that showed each certificate not revoked),
/// so that the signature can be validated after the CA's CRL and OCSP are gone: the validator
/// then judges the embedded CRLs at the signing time its timestamp proves.
///
/// Nothing signed changes: the values are unsigned properties, and the signature value, the
/// references and the timestamp stay as they were.
public enum LongTermExtension {
    /// The extended document. `validator` decides, now, that the signature holds (TOTAL-PASSED,
    /// with a valid signature timestamp) and where revocation comes from; its evidence is what is
    /// embedded. Throws ``ValidationError`` (`longTermFailed`) naming what is missing — a
    /// signature that does not hold, no timestamp, a certificate whose revocation could not be
    /// established — with nothing written.
    public static func extend(_ signed: [UInt8], sourceName: String, validator: QualifiedValidator) async throws -> [UInt8] {
        let core = try SignatureVerifier(
            trustStore: validator.trustStore, policy: validator.policy.verification, intermediates: validator.intermediates
        ).verify(signed, sourceName: sourceName)
        guard let xades = core.xades, xades.timestamps.contains(where: \.isValid) else {
            throw ValidationError(
                .longTermFailed, "\(sourceName) has no valid XAdES signature timestamp: XAdES-LT extends an XAdES-T signature",
                hint: "sign with --xades t --tsa URL first (mezhved sign --xades lt does both)")
        }
        guard xades.longTermValues == nil else {
            throw ValidationError(.longTermFailed, "\(sourceName) already carries validation data (XAdES-LT)")
        }
        let report = try await validator.validate(signed, sourceName: sourceName)
        guard report.indication == .totalPassed else {
            let reasons = report.findings.filter { $0.severity != .warning }.map(\.message).prefix(3).joined(separator: "; ")
            throw ValidationError(
                .longTermFailed,
                "\(sourceName) is \(report.indication.rawValue) now (\(reasons)): the validation data of a signature that does not hold prove nothing",
                hint: "validate it with `mezhved verify --report text` and fix what it says")
        }
        var crls: [[UInt8]] = []
        var responses: [[UInt8]] = []
        for (index, item) in report.revocation.enumerated() {
            let name = item.certificate.commonName ?? item.certificate.subject
            // A CA certificate that names no revocation source has none to embed (the report warns
            // of it); the signer's must have been established.
            if index > 0 && item.status == .notChecked { continue }
            guard item.status == .good, let encoded = item.encoded else {
                throw ValidationError(
                    .longTermFailed,
                    "the revocation status of \(name) was not established (\(item.status.rawValue)\(item.problems.isEmpty ? "" : ": " + item.problems.joined(separator: "; "))): XAdES-LT needs a CRL or an OCSP response for the signer's certificate and every CA certificate that names a source",
                    hint: "make its CRL distribution point or OCSP responder reachable, or give the CA's CRL with --crl")
            }
            if item.source == .ocsp {
                if !responses.contains(encoded) { responses.append(encoded) }
            } else if !crls.contains(encoded) {
                crls.append(encoded)
            }
        }
        guard !report.revocation.isEmpty else {
            throw ValidationError(.longTermFailed, "no revocation data were used for \(sourceName): there is nothing to embed")
        }
        let values = XAdESLongTermValues(certificates: core.signerPath.map(\.der), crls: crls, ocspResponses: responses)
        let extended = try insert(values, into: signed, sourceName: sourceName)
        // The result must read back as XAdES-LT with the same signature intact.
        let check = try SignatureVerifier(
            trustStore: validator.trustStore, policy: validator.policy.verification, intermediates: validator.intermediates
        ).verify(extended, sourceName: sourceName)
        guard check.status == .valid, check.xades?.level == .lt else {
            throw ValidationError(.internalFailure, "\(sourceName) did not read back as a valid XAdES-LT signature after the extension")
        }
        return extended
    }

    /// The values written at the end of the signature's `xades:UnsignedSignatureProperties`, as
    /// mezhved's signer writes them (the `xades` prefix, the signature last in the document).
    static func insert(_ values: XAdESLongTermValues, into signed: [UInt8], sourceName: String) throws -> [UInt8] {
        var xml = "<xades:CertificateValues>"
        for der in values.certificates {
            xml += "<xades:EncapsulatedX509Certificate>\(Base64.encode(der))</xades:EncapsulatedX509Certificate>"
        }
        xml += "</xades:CertificateValues><xades:RevocationValues>"
        if !values.crls.isEmpty {
            xml += "<xades:CRLValues>"
            for der in values.crls { xml += "<xades:EncapsulatedCRLValue>\(Base64.encode(der))</xades:EncapsulatedCRLValue>" }
            xml += "</xades:CRLValues>"
        }
        if !values.ocspResponses.isEmpty {
            xml += "<xades:OCSPValues>"
            for der in values.ocspResponses { xml += "<xades:EncapsulatedOCSPValue>\(Base64.encode(der))</xades:EncapsulatedOCSPValue>" }
            xml += "</xades:OCSPValues>"
        }
        xml += "</xades:RevocationValues>"
        return try insertUnsigned(xml, into: signed, sourceName: sourceName)
    }

    /// `xml` written at the end of the signature's `xades:UnsignedSignatureProperties`, as
    /// mezhved's signer writes them (the `xades` prefix, the signature last in the document).
    static func insertUnsigned(_ xml: String, into signed: [UInt8], sourceName: String) throws -> [UInt8] {
        let closing = Array("</xades:UnsignedSignatureProperties>".utf8)
        guard let at = lastOccurrence(of: closing, in: signed) else {
            throw ValidationError(
                .longTermFailed, "\(sourceName) has no xades:UnsignedSignatureProperties as mezhved writes them",
                hint: "extend signatures made by mezhved (sign --xades t)")
        }
        return Array(signed[..<at]) + Array(xml.utf8) + Array(signed[at...])
    }

    private static func lastOccurrence(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var index = haystack.count - needle.count
        while index >= 0 {
            if haystack[index] == needle[0], Array(haystack[index..<(index + needle.count)]) == needle { return index }
            index -= 1
        }
        return nil
    }
}
