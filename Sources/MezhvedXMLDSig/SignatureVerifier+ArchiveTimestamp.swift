internal import CLibXML2
import Foundation
import MezhvedCore

// XAdES-LTA: `xades141:ArchiveTimeStamp` (ETSI EN 319 132-1 §5.5.2, the non-distributed case): an
// RFC 3161 token over the signature with everything it needs to be validated later, so that it
// proves the signature and its validation data existed at the stamp's time. The octets covered,
// in this order: what each ds:Reference of SignedInfo covers after its transforms (a node-set left
// at the end canonicalized with the stamp's method); SignedInfo, SignatureValue and KeyInfo,
// canonicalized; every unsigned signature property before this stamp, canonicalized, in document
// order (the signature timestamps, CertificateValues, RevocationValues, earlier archive
// timestamps and their TimeStampValidationData); every ds:Object of the signature other than the
// one holding QualifyingProperties, canonicalized. The stamp's ds:CanonicalizationMethod names the
// method; without one it is inclusive C14N 1.0.

extension VerificationRun {
    func isXAdES141(_ node: XMLNodePointer, _ name: String) -> Bool { node.isElement(name, namespace: XAdESNamespace.v141) }

    /// The octets the archive timestamp `stamp` covers (nil: one to be added at the end of the
    /// unsigned signature properties). Throws ``XMLDSigError`` naming what cannot be processed.
    mutating func archiveTimestampInput(signature: XMLNodePointer, before stamp: XMLNodePointer?, method: CanonicalizationAlgorithm)
        throws -> [UInt8]
    {
        let parts = signature.elementChildren
        guard parts.count >= 2, isDS(parts[0], "SignedInfo"), isDS(parts[1], "SignatureValue") else {
            throw XMLDSigError(.referenceTarget, "ds:Signature must start with ds:SignedInfo and ds:SignatureValue")
        }
        func canonical(_ node: XMLNodePointer) throws -> [UInt8] {
            try Canonicalizer.canonicalBytes(tree, selection: NodeSetSelection(subtree: node, excluded: nil), algorithm: method)
        }
        var octets: [UInt8] = []
        for node in parts[0].elementChildren where isDS(node, "Reference") {
            let before = problems.count
            guard let reference = parseReference(node) else {
                let reason = problems.count > before ? problems[before].message : "it cannot be read"
                problems.removeSubrange(before...)
                throw XMLDSigError(.referenceTarget, "the reference at line \(node.line): \(reason)")
            }
            var target = ReferenceTarget(element: nil, keepsComments: reference.uri == "#xpointer(/)")
            if !reference.uri.isEmpty && reference.uri != "#xpointer(/)" {
                guard let id = Self.plainID(reference.uri) else {
                    throw XMLDSigError(.referenceTarget, "reference \"\(DocumentText.cut(reference.uri))\" is not a plain Id")
                }
                let matches = elementsWithID(id, in: tree)
                guard matches.count == 1 else {
                    throw XMLDSigError(
                        .referenceTarget, "reference \"\(DocumentText.cut(reference.uri))\" names \(matches.count) elements, not one")
                }
                target = ReferenceTarget(element: matches[0], keepsComments: reference.uri.hasPrefix("#xpointer"))
            }
            let output = try ReferenceProcessor.digest(
                tree: tree, target: target, signature: signature, transforms: reference.transforms, digest: reference.digest,
                limits: policy.limits, keepOctets: true, nodeSetCanonicalization: method)
            octets += output.octets ?? []
        }
        octets += try canonical(parts[0])
        octets += try canonical(parts[1])
        if parts.count > 2, isDS(parts[2], "KeyInfo") { octets += try canonical(parts[2]) }
        var qualifyingObject: XMLNodePointer?
        var unsigned: XMLNodePointer?
        for object in parts.dropFirst(2) where isDS(object, "Object") {
            if let qualifying = object.elementChildren.first(where: { isXAdES($0, "QualifyingProperties") }) {
                qualifyingObject = object
                unsigned = firstChild(firstChild(qualifying, "UnsignedProperties"), "UnsignedSignatureProperties")
            }
        }
        for property in unsigned?.elementChildren ?? [] {
            if property == stamp { break }
            octets += try canonical(property)
        }
        for object in parts.dropFirst(2) where isDS(object, "Object") && object != qualifyingObject {
            octets += try canonical(object)
        }
        return octets
    }

    /// Checks every `xades141:ArchiveTimeStamp`, the latest first: the latest is judged at the
    /// validation time; each earlier one, and then the signature timestamps, at the time of the
    /// oldest valid stamp after it — the archive timestamp is their proof of existence then
    /// (EN 319 102-1 §5.6.2.4, past validation). Returns the stamps in document order and the
    /// time the signature timestamps are to be judged at.
    mutating func checkArchiveTimestamps(
        _ unsigned: XMLNodePointer?, signature: XMLNodePointer?, intermediates: [Certificate]
    ) -> (stamps: [TimestampInfo], proofTime: Date?) {
        guard let unsigned, let signature else { return ([], nil) }
        let stamps = unsigned.elementChildren.filter { isXAdES141($0, "ArchiveTimeStamp") }
        var carried = intermediates
        for data in unsigned.elementChildren where isXAdES141(data, "TimeStampValidationData") {
            for values in data.elementChildren where isXAdES(values, "CertificateValues") {
                for value in values.elementChildren where isXAdES(value, "EncapsulatedX509Certificate") {
                    if let der = Base64.decode(value.textContent),
                        let certificate = try? Certificate(der: der, source: "TimeStampValidationData")
                    {
                        carried.append(certificate)
                    }
                }
            }
        }
        var results: [TimestampInfo?] = Array(repeating: nil, count: stamps.count)
        var judgedAt = time
        var proof: Date?
        for index in stamps.indices.reversed() {
            let stamp = stamps[index]
            let covered = Result { try archiveTimestampInput(signature: signature, before: stamp, method: timestampMethod(stamp)) }
            let info = checkTimestamp(stamp, kind: "archive timestamp", intermediates: carried, at: judgedAt, covered: covered)
            results[index] = info
            if let info, info.isValid, info.genTime < judgedAt {
                proof = info.genTime
                judgedAt = info.genTime
            }
        }
        return (results.compactMap { $0 }, proof)
    }

    /// The canonicalization a timestamp element names (inclusive C14N 1.0 when it names none or
    /// one that is not allowed: ``checkTimestamp(_:kind:intermediates:at:covered:)`` refuses that).
    func timestampMethod(_ stamp: XMLNodePointer) -> CanonicalizationAlgorithm {
        stamp.elementChildren.first { isDS($0, "CanonicalizationMethod") }
            .flatMap { CanonicalizationAlgorithm(rawValue: $0.attribute("Algorithm") ?? "") } ?? .c14n10
    }

    /// Reads and verifies one XAdES timestamp element (`SignatureTimeStamp`, `ArchiveTimeStamp`):
    /// an optional `ds:CanonicalizationMethod` and one `xades:EncapsulatedTimeStamp`, over
    /// `covered` (the octets for ``timestampMethod(_:)``), its TSA judged at `time`. Problems are
    /// INDETERMINATE; nil for a timestamp that cannot even be read.
    mutating func checkTimestamp(
        _ stamp: XMLNodePointer, kind: String, intermediates: [Certificate], at time: Date, covered: Result<[UInt8], any Error>
    ) -> TimestampInfo? {
        let id = stamp.attribute("Id")
        let name = id.map { "\(kind) \"\(DocumentText.cut($0))\"" } ?? "the \(kind) at line \(stamp.line)"
        func refuse(_ problem: String) -> TimestampInfo? {
            undetermined(.timestamp, "\(name): \(problem)")
            return nil
        }
        var encapsulated: XMLNodePointer? = nil
        for part in stamp.elementChildren {
            if isDS(part, "CanonicalizationMethod") {
                guard CanonicalizationAlgorithm(rawValue: part.attribute("Algorithm") ?? "") != nil else {
                    return refuse("canonicalization method \"\(DocumentText.cut(part.attribute("Algorithm") ?? ""))\" is not allowed")
                }
            } else if isXAdES(part, "EncapsulatedTimeStamp"), encapsulated == nil {
                encapsulated = part
            } else {
                return refuse(
                    "holds <\(DocumentText.cut(part.localName))> at line \(part.line), which mezhved does not support (one EncapsulatedTimeStamp expected)"
                )
            }
        }
        guard let encapsulated, let der = Base64.decode(encapsulated.textContent), !der.isEmpty else {
            return refuse("holds no base64 EncapsulatedTimeStamp")
        }
        let token: TimestampToken
        do {
            token = try TimestampToken(der: der, source: name)
        } catch let error as XMLDSigError {
            return refuse(error.message)
        } catch {
            return refuse("\(error)")
        }
        let octets: [UInt8]
        do {
            octets = try covered.get()
        } catch let error as XMLDSigError {
            return refuse("what it covers could not be computed: \(error.message)")
        } catch {
            return refuse("what it covers could not be computed: \(error)")
        }
        let info = token.verify(
            covering: octets, trustStore: trustStore, intermediates: intermediates, at: time, id: id.map(DocumentText.cut))
        if !info.isValid {
            undetermined(.timestamp, "\(name): " + info.problems.joined(separator: "; "))
        }
        return info
    }
}

extension SignatureVerifier {
    /// The octets a new `xades141:ArchiveTimeStamp`, added at the end of the signature's unsigned
    /// signature properties, covers with `method` (EN 319 132-1 §5.5.2.2): what the extension
    /// that adds it (MezhvedValidation's `LongTermExtension`) asks the TSA to stamp. Throws
    /// ``XMLDSigError`` when the document holds no one XAdES signature or a reference cannot be processed.
    public func archiveTimestampInput(_ document: [UInt8], sourceName: String, method: CanonicalizationAlgorithm = .c14n10) throws
        -> [UInt8]
    {
        let tree = try XMLTree.parse(document, sourceName: sourceName, limits: policy.limits)
        let signatures = findSignatures(in: tree)
        guard signatures.count == 1, let signature = signatures.first else {
            throw XMLDSigError(
                .noSignature, "\(sourceName) holds \(signatures.count) XML signatures; an archive timestamp covers exactly one")
        }
        var run = VerificationRun(tree: tree, policy: policy, trustStore: trustStore, intermediates: intermediates)
        return try run.archiveTimestampInput(signature: signature, before: nil, method: method)
    }
}

extension SignatureVerifier {
    /// The message imprint to ask a TSA for a new archive timestamp (inclusive C14N 1.0): the
    /// digest of ``archiveTimestampInput(_:sourceName:method:)`` with the property digest of
    /// `signatureAlgorithm` (the signature's own: Streebog for GOST, SHA-256 otherwise), and that algorithm.
    public func archiveTimestampImprint(_ document: [UInt8], sourceName: String, signatureAlgorithm: SignatureAlgorithm) throws -> (
        imprint: [UInt8], algorithm: DigestAlgorithm
    ) {
        let digest = XAdES.propertyDigest(for: signatureAlgorithm)
        let input = try archiveTimestampInput(document, sourceName: sourceName)
        return (try DigestContext.digest(input, digest), digest)
    }
}
