internal import CLibXML2
import Foundation
import MezhvedCore

// The XAdES checks of a verification: the SignedProperties reference, the signing time, the
// signing-certificate binding and the signature timestamps.

extension VerificationRun {
    func isXAdES(_ node: XMLNodePointer, _ name: String) -> Bool { node.isElement(name, namespace: XAdESNamespace.v132) }

    func firstChild(_ node: XMLNodePointer?, _ name: String, dsig: Bool = false) -> XMLNodePointer? {
        node?.elementChildren.first { dsig ? isDS($0, name) : isXAdES($0, name) }
    }

    /// Checks the one reference of Type SignedProperties: it must point at the `xades:SignedProperties`
    /// of this signature's own `QualifyingProperties` (whose Target names this signature), with
    /// canonicalization as its only transform. Returns whether its digest matches, or nil when the
    /// reference is refused (the verification then stops, as for any refused reference).
    mutating func checkSignedPropertiesReference(_ reference: ParsedReference, qualifying: XMLNodePointer, signature: XMLNodePointer)
        -> Bool?
    {
        let uri = reference.uri
        let id = String(uri.dropFirst())
        guard uri.hasPrefix("#"), !uri.hasPrefix("#xpointer"), !id.isEmpty,
            !id.contains(where: { $0 == "'" || $0 == "\"" || $0 == "(" || $0 == " " })
        else {
            fail(
                .reference,
                "the reference of Type SignedProperties has URI \"\(DocumentText.cut(uri))\"; it must be \"#Id\" of the SignedProperties")
            return nil
        }
        guard
            let element = uniqueElement(
                withID: id, missing: "the reference of Type SignedProperties \"\(DocumentText.cut(uri))\" points at no element")
        else { return nil }
        guard isXAdES(element, "SignedProperties"), element.pointee.parent == qualifying, let object = qualifying.pointee.parent,
            object.pointee.parent == signature
        else {
            fail(
                .wrapping,
                "the reference of Type SignedProperties \"\(DocumentText.cut(uri))\" points at \(element.path) (line \(element.line)), not at the xades:SignedProperties of this signature's QualifyingProperties (signature wrapping)"
            )
            return nil
        }
        guard let signatureID = signature.attribute("Id"), qualifying.attribute("Target") == "#" + signatureID else {
            fail(
                .signedProperties,
                "xades:QualifyingProperties (line \(qualifying.line)) has Target \"\(DocumentText.cut(qualifying.attribute("Target") ?? ""))\", which does not name this signature (Id \"\(DocumentText.cut(signature.attribute("Id") ?? "none"))\")"
            )
            return nil
        }
        let onlyCanonicalization = reference.transforms.allSatisfy {
            if case .canonicalization = $0 { return true }
            return false
        }
        guard onlyCanonicalization, reference.transforms.count <= 1 else {
            fail(.algorithm, "the reference of Type SignedProperties may have one canonicalization transform and nothing else")
            return nil
        }
        do {
            let output = try ReferenceProcessor.digest(
                tree: tree, target: ReferenceTarget(element: element, keepsComments: false), signature: nil,
                transforms: reference.transforms, digest: reference.digest, limits: policy.limits, keepOctets: false)
            if !constantTimeEqual(output.digest, reference.digestValue) {
                // A reference whose digest differs, like any other (EN 319 102-1: HASH_FAILURE).
                fail(
                    .digest,
                    "the XAdES SignedProperties \"\(DocumentText.cut(id))\" (signing time, signing certificate) were changed after signing (digest mismatch)"
                )
                return false
            }
            return true
        } catch {
            fail(.reference, "the SignedProperties reference \"\(DocumentText.cut(uri))\" could not be processed: \(error)")
            return nil
        }
    }

    /// Reads the signing time, checks the signing-certificate binding against `signer` and every
    /// signature timestamp, and records the result in `xades`.
    mutating func checkQualifyingProperties(
        _ qualifying: XMLNodePointer, signedPropertiesIntact: Bool, signer: Certificate, signatureValue: XMLNodePointer,
        intermediates: [Certificate], documentReferenceIDs: Set<String>
    ) {
        let signedProperties = firstChild(qualifying, "SignedProperties")
        let signatureProperties = firstChild(signedProperties, "SignedSignatureProperties")
        var signingTime: Date? = nil
        if let node = firstChild(signatureProperties, "SigningTime") {
            signingTime = XAdES.parseDateTime(node.textContent)
            if signingTime == nil {
                undetermined(
                    .signedProperties,
                    "xades:SigningTime \"\(DocumentText.cut(node.textContent))\" at line \(node.line) is not an xsd:dateTime")
            }
        }
        var bound = false
        if let property = firstChild(signatureProperties, "SigningCertificateV2") {
            bound = certificateBound(property, signer: signer, version2: true)
        } else if let property = firstChild(signatureProperties, "SigningCertificate") {
            bound = certificateBound(property, signer: signer, version2: false)
        } else {
            undetermined(
                .signingCertificate,
                "the XAdES properties hold no SigningCertificateV2: the signer's certificate is not bound to the signature")
        }
        var timestamps: [TimestampInfo] = []
        let unsigned = firstChild(firstChild(qualifying, "UnsignedProperties"), "UnsignedSignatureProperties")
        // Archive timestamps first: a valid one is the proof of existence the signature timestamps
        // are judged at when their TSAs' certificates have expired since.
        let archive = checkArchiveTimestamps(
            unsigned, signature: qualifying.pointee.parent?.pointee.parent, intermediates: intermediates)
        let stamps = (unsigned?.elementChildren ?? []).filter { isXAdES($0, "SignatureTimeStamp") }
        for stamp in stamps {
            if let info = checkSignatureTimestamp(
                stamp, signatureValue: signatureValue, intermediates: intermediates, at: archive.proofTime ?? time)
            {
                timestamps.append(info)
            }
        }
        // The claimed signing time must not come after the time a TSA saw the signature (with five
        // minutes for clocks): such a signing time is not credible. The qualified validator decides.
        if let signingTime {
            for stamp in timestamps {
                if signingTime > stamp.genTime.addingTimeInterval(300) {
                    warnings.append(
                        "the claimed signing time \(ISOTime.string(signingTime)) is later than the signature timestamp's \(ISOTime.string(stamp.genTime))"
                    )
                }
            }
        }
        let declared = declaredProperties(signedProperties, documentReferenceIDs: documentReferenceIDs)
        let longTerm = longTermValues(unsigned)
        let level: XAdESLevel =
            stamps.isEmpty ? .bes : (longTerm == nil ? .t : (archive.stamps.isEmpty && !hasArchiveTimestamp(unsigned) ? .lt : .lta))
        xades = XAdESInfo(
            level: level, signingTime: signingTime, signingCertificateBound: bound && signedPropertiesIntact,
            signedPropertiesID: signedProperties?.attribute("Id").map(DocumentText.cut), timestamps: timestamps, declared: declared,
            longTermValues: longTerm, archiveTimestamps: archive.stamps,
            proofOfExistence: archive.proofTime.flatMap { proof in proof < time ? proof : nil })
    }

    /// Whether a `SigningCertificateV2` (or v1 `SigningCertificate`) names `signer`: one `Cert` whose
    /// `CertDigest` is the digest of the signer's certificate and, for V2, whose `IssuerSerialV2`
    /// (when present) is the signer's issuer and serial. A mismatch is INVALID.
    mutating func certificateBound(_ property: XMLNodePointer, signer: Certificate, version2: Bool) -> Bool {
        let name = version2 ? "xades:SigningCertificateV2" : "xades:SigningCertificate"
        let certs = property.elementChildren.filter { isXAdES($0, "Cert") }
        guard !certs.isEmpty else {
            fail(.signingCertificate, "\(name) at line \(property.line) lists no certificate")
            return false
        }
        for cert in certs {
            let certDigest = firstChild(cert, "CertDigest")
            guard let method = firstChild(certDigest, "DigestMethod", dsig: true),
                let value = firstChild(certDigest, "DigestValue", dsig: true),
                let algorithm = DigestAlgorithm(rawValue: method.attribute("Algorithm") ?? ""),
                let expected = Base64.decode(value.textContent)
            else {
                fail(.signingCertificate, "\(name)/Cert at line \(cert.line) has no readable CertDigest with a supported digest method")
                return false
            }
            if algorithm.isLegacy && !policy.allowLegacyAlgorithms {
                fail(
                    .signingCertificate,
                    "\(name) identifies the certificate with the weak digest \(algorithm.displayName), which is refused")
                return false
            }
            guard let actual = try? DigestContext.digest(signer.der, algorithm), constantTimeEqual(actual, expected) else { continue }
            if !version2 {
                warnings.append(
                    "the signing certificate is bound by xades:SigningCertificate (v1\(algorithm.isLegacy ? ", with the weak digest \(algorithm.displayName)" : "")), which EN 319 132-1 replaces by SigningCertificateV2; accepted for the binding"
                )
            }
            if version2, let issuerSerial = firstChild(cert, "IssuerSerialV2") {
                guard let der = Base64.decode(issuerSerial.textContent), signer.matchesIssuerSerial(der) else {
                    fail(
                        .signingCertificate,
                        "xades:IssuerSerialV2 at line \(issuerSerial.line) does not name the issuer and serial number of the signer's certificate (\(signer.serialNumber))"
                    )
                    return false
                }
            }
            return true
        }
        fail(
            .signingCertificate,
            "\(name) names a certificate other than the one the signature verifies with (\(signer.commonName ?? signer.subject), serial \(signer.serialNumber)): the signed properties belong to another signer"
        )
        return false
    }

    /// Checks one `xades:SignatureTimeStamp`: an RFC 3161 token over the canonical `ds:SignatureValue`,
    /// its TSA judged at `time` (the validation time, or the proof of existence an archive timestamp
    /// gives). Its problems are INDETERMINATE: a bad timestamp does not make a valid signature
    /// invalid. Returns nil for a timestamp that cannot even be read.
    mutating func checkSignatureTimestamp(
        _ stamp: XMLNodePointer, signatureValue: XMLNodePointer, intermediates: [Certificate], at time: Date
    ) -> TimestampInfo? {
        let tree = self.tree
        let covered = Result<[UInt8], any Error> {
            do {
                return try Canonicalizer.canonicalBytes(
                    tree, selection: NodeSetSelection(subtree: signatureValue, excluded: nil), algorithm: timestampMethod(stamp))
            } catch {
                throw XMLDSigError(.referenceTarget, "ds:SignatureValue could not be canonicalized")
            }
        }
        return checkTimestamp(stamp, kind: "signature timestamp", intermediates: intermediates, at: time, covered: covered)
    }

    /// Whether the unsigned signature properties hold an archive timestamp (read or not).
    func hasArchiveTimestamp(_ unsigned: XMLNodePointer?) -> Bool {
        (unsigned?.elementChildren ?? []).contains { isXAdES141($0, "ArchiveTimeStamp") }
    }

    /// The `CertificateValues` and `RevocationValues` of the unsigned signature properties (XAdES
    /// 1.3.2), as DER; nil when there are none. An entry that is not base64 is a `timestamp`-like
    /// INDETERMINATE problem: the values are evidence, not part of what was signed.
    mutating func longTermValues(_ unsigned: XMLNodePointer?) -> XAdESLongTermValues? {
        guard let unsigned else { return nil }
        var certificates: [[UInt8]] = []
        var crls: [[UInt8]] = []
        var responses: [[UInt8]] = []
        var found = false
        func decoded(_ node: XMLNodePointer, _ what: String) -> [UInt8]? {
            guard let der = Base64.decode(node.textContent), !der.isEmpty else {
                undetermined(.timestamp, "\(what) at line \(node.line) is not base64: the validation data it should carry is unusable")
                return nil
            }
            return der
        }
        for property in unsigned.elementChildren {
            if isXAdES(property, "CertificateValues") {
                found = true
                for value in property.elementChildren where isXAdES(value, "EncapsulatedX509Certificate") {
                    if let der = decoded(value, "xades:EncapsulatedX509Certificate") { certificates.append(der) }
                }
            } else if isXAdES(property, "RevocationValues") {
                found = true
                for group in property.elementChildren {
                    if isXAdES(group, "CRLValues") {
                        for value in group.elementChildren where isXAdES(value, "EncapsulatedCRLValue") {
                            if let der = decoded(value, "xades:EncapsulatedCRLValue") { crls.append(der) }
                        }
                    } else if isXAdES(group, "OCSPValues") {
                        for value in group.elementChildren where isXAdES(value, "EncapsulatedOCSPValue") {
                            if let der = decoded(value, "xades:EncapsulatedOCSPValue") { responses.append(der) }
                        }
                    }
                }
            }
        }
        return found ? XAdESLongTermValues(certificates: certificates, crls: crls, ocspResponses: responses) : nil
    }

    /// The readable certificates of `QualifyingProperties/…/CertificateValues`.
    func certificateValues(_ qualifying: XMLNodePointer) -> [Certificate] {
        let unsigned = firstChild(firstChild(qualifying, "UnsignedProperties"), "UnsignedSignatureProperties")
        let values = firstChild(unsigned, "CertificateValues")?.elementChildren ?? []
        return values.filter { isXAdES($0, "EncapsulatedX509Certificate") }.compactMap {
            try? Certificate.cached(base64: $0.textContent, source: "xades:EncapsulatedX509Certificate at line \($0.line)")
        }
    }
}
