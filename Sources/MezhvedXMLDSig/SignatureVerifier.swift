internal import CLibXML2
internal import CMezhvedShims
internal import COpenSSL
import Foundation
import MezhvedCore

/// Verifies enveloped XMLDSig signatures against a trust store.
///
/// It refuses what secure verifiers refuse: DTDs and entities, more than one signature, more or
/// fewer references than the policy pins, external, file and XPath references, transforms outside
/// the allow-list (enveloped-signature, C14N 1.0/1.1, exclusive C14N, SMEV), duplicate Ids,
/// references into the signature itself, comments spliced into signed text, HMAC, and MD5/SHA-1
/// unless the policy allows them. The key is taken only from a certificate in `KeyInfo`, and that
/// certificate must chain to the trust store.
public struct SignatureVerifier: Sendable {
    public let trustStore: TrustStore
    public let policy: VerificationPolicy
    /// Intermediate CA certificates to build paths with, beside those in `KeyInfo` (untrusted:
    /// they help find a path, they are not anchors).
    public let intermediates: [Certificate]

    /// The most transforms one `ds:Reference` may list: Apache Santuario's secure validation allows
    /// 5, and a reference mezhved accepts needs at most 3 (enveloped-signature, SMEV, C14N).
    public static let maxTransformsPerReference = 5
    /// The most `ds:Reference` elements one `ds:SignedInfo` may hold, the SignedProperties reference
    /// of XAdES included: Apache Santuario's secure validation default (`maxReferences`, 30).
    public static let maxReferencesPerSignature = 30

    public init(trustStore: TrustStore, policy: VerificationPolicy = VerificationPolicy(), intermediates: [Certificate] = []) {
        self.trustStore = trustStore
        self.policy = policy
        self.intermediates = intermediates
    }

    /// Verifies `document`. Throws only when there is nothing to judge (unreadable, hostile or
    /// malformed XML, no signature); every failed check is reported in the returned value.
    public func verify(_ document: [UInt8], sourceName: String) throws -> VerificationReport {
        if let report = verifyStreaming(document, sourceName: sourceName) { return report }
        return try verifyTree(document, sourceName: sourceName)
    }

    /// Verification without a tree of the document, for the common shape: one enveloped signature
    /// whose document reference is the whole document (`URI=""`, enveloped-signature and exclusive
    /// C14N). The document is canonicalized while it is parsed, less its one `ds:Signature`, whose
    /// bytes alone are parsed into a tree (inside an element declaring the namespaces in scope) and
    /// checked by the same `VerificationRun` as the tree path, with the streamed octets as the reference's
    /// content. Returns a report only when the signature is valid; anything else (another shape, a
    /// failed check, a document the stream leaves to the tree: several signatures, a repeated Id,
    /// a comment in the content) returns nil, and the tree path then judges and explains.
    func verifyStreaming(_ document: [UInt8], sourceName: String) -> VerificationReport? {
        // The reference's digest method is written after the content it covers: the one the
        // signature's bytes name is hashed while the content is canonicalized (on a second thread
        // for a large document), and checked against the reference afterwards.
        let scan = scanForWholeDocumentReference(document)
        // No `URI=""` in the signature's bytes: another shape, for the tree path from the start.
        guard scan.found else { return nil }
        let hinted = scan.digest
        let digest = hinted.flatMap { try? DigestContext($0) }.map { DocumentDigest(feeding: $0, inputSize: document.count) }
        let keepOctets = digest == nil || policy.retainSignedContent
        var octets: [UInt8] = []
        if keepOctets { octets.reserveCapacity(document.count) }
        let streamed = Canonicalizer.canonicalizeStreaming(
            document, targetID: nil, reservedID: nil, withComments: false, refuseSigned: false, envelopedSignature: true,
            limits: policy.limits
        ) { chunk in
            digest?.update(chunk)
            if keepOctets { octets.append(contentsOf: chunk) }
        }
        let content = StreamedContent(
            octets: keepOctets ? octets : nil, digestAlgorithm: digest == nil ? nil : hinted, digest: digest?.finish())
        guard case .success(let facts) = streamed, let signatureDocument = facts.signatureDocument,
            let tree = try? XMLTree.parse(signatureDocument, sourceName: sourceName, limits: policy.limits)
        else { return nil }
        let wrapped = tree.root.elementChildren
        guard wrapped.count == 1, wrapped[0].isElement("Signature", namespace: XMLDSigNamespace.dsig) else { return nil }
        var run = VerificationRun(
            tree: tree, policy: policy, trustStore: trustStore, intermediates: intermediates, streamedContent: content)
        run.check(wrapped[0])
        guard !run.needsDocumentTree else { return nil }
        let report = run.report()
        return report.status == .valid ? report : nil
    }

    /// Verification over the document's tree: every shape the policy allows, and the full account
    /// of whatever fails.
    func verifyTree(_ document: [UInt8], sourceName: String) throws -> VerificationReport {
        let tree = try XMLTree.parse(document, sourceName: sourceName, limits: policy.limits)
        let signatures = findSignatures(in: tree)
        guard let signature = signatures.first else {
            throw XMLDSigError(.noSignature, "\(sourceName) holds no XML signature (ds:Signature)", hint: "was the document signed?")
        }
        var run = VerificationRun(tree: tree, policy: policy, trustStore: trustStore, intermediates: intermediates)
        if let error = tree.namespaceError {
            let place = error.line > 0 ? " at line \(error.line)" : ""
            run.fail(
                .structure,
                "\(sourceName) uses a namespace prefix without declaring it\(place) (\(error.message)); such a name belongs to no namespace, so readers may take it for another element or attribute than the one signed"
            )
            return run.report()
        }
        if signatures.count > 1 {
            let places = signatures.map { "\($0.path) (line \($0.line))" }.joined(separator: ", ")
            run.fail(.structure, "the document holds \(signatures.count) signatures (\(places)); exactly one is expected")
            return run.report()
        }
        run.check(signature)
        return run.report()
    }

    /// Verifies the file at `path`.
    public func verify(contentsOf path: String) throws -> VerificationReport {
        try verify(readFile(path, what: "document"), sourceName: path)
    }
}

/// The canonical octets of a document less its signature, from the streaming path: hashed on the
/// way with the digest method named in the signature's bytes, and kept when asked for or when no
/// method was found there.
struct StreamedContent {
    var octets: [UInt8]?
    var digestAlgorithm: DigestAlgorithm?
    var digest: [UInt8]?

    /// The digest with `algorithm`; nil when it was neither taken on the way nor can be taken now.
    func digest(_ algorithm: DigestAlgorithm) -> [UInt8]? {
        if algorithm == digestAlgorithm, let digest { return digest }
        return octets.flatMap { try? DigestContext.digest($0, algorithm) }
    }
}

/// Whether the final MiB of `document` holds a `URI=""` (the signature follows the content it
/// covers), and the digest method named after the last one, read from the bytes before any parse.
/// Only a guess at the shape and at what to hash while streaming: the signature as parsed decides,
/// and a wrong guess costs a pass through the tree path, never a wrong answer.
private func scanForWholeDocumentReference(_ document: [UInt8]) -> (found: Bool, digest: DigestAlgorithm?) {
    document.withUnsafeBufferPointer { bytes -> (found: Bool, digest: DigestAlgorithm?) in
        /// Whether `needle` is at `index`.
        func matches(_ needle: StaticString, at index: Int) -> Bool {
            let count = needle.utf8CodeUnitCount
            guard index >= 0, index + count <= bytes.count else { return false }
            return memcmp(bytes.baseAddress! + index, needle.utf8Start, count) == 0
        }
        // Backwards from the end: the signature, and so its last `URI=""`, follows the content.
        let reference: StaticString = "URI=\"\""
        let floor = max(0, bytes.count - (1 << 20))
        let found = reference.withUTF8Buffer { needle in
            needle.withMemoryRebound(to: CChar.self) {
                mz_last_occurrence(bytes.baseAddress, bytes.count, floor, $0.baseAddress, $0.count)
            }
        }
        guard found >= 0 else { return (false, nil) }
        let at = Int(found)
        let method: StaticString = "DigestMethod Algorithm=\""
        var cursor = at + reference.utf8CodeUnitCount
        while cursor < bytes.count, !(bytes[cursor] == UInt8(ascii: "D") && matches(method, at: cursor)) { cursor += 1 }
        guard cursor < bytes.count else { return (true, nil) }
        let start = cursor + method.utf8CodeUnitCount
        guard let close = bytes[start...].firstIndex(of: UInt8(ascii: "\"")) else { return (true, nil) }
        return (true, DigestAlgorithm(rawValue: String(decoding: bytes[start..<close], as: UTF8.self)))
    }
}

struct ParsedReference {
    var node: XMLNodePointer
    var uri: String
    var transforms: [TransformAlgorithm]
    var digest: DigestAlgorithm
    var digestValue: [UInt8]
    /// The `Type` attribute, if any.
    var type: String?

    /// `URI=""` with the enveloped-signature transform and exclusive C14N (no prefix list): the
    /// whole document less the signature, without comments, as the streaming path canonicalizes it.
    var coversWholeDocumentLessSignature: Bool {
        guard uri.isEmpty, transforms.count == 2, transforms[0] == .envelopedSignature,
            case .canonicalization(let method, let prefixes) = transforms[1]
        else { return false }
        return (method == .exclusive || method == .exclusiveWithComments) && prefixes.isEmpty
    }
}

/// The state of one verification: what the checks found so far, for the report. The XAdES checks
/// are in SignatureVerifier+XAdES.swift.
struct VerificationRun {
    let tree: XMLTree
    let policy: VerificationPolicy
    let trustStore: TrustStore
    let intermediates: [Certificate]
    var problems: [VerificationReport.Problem] = []
    var warnings: [String] = []
    var signatureAlgorithm: String?
    var canonicalization: String?
    var signer: Certificate?
    var chain: [Certificate] = []
    var references: [SignedReference] = []
    var xades: XAdESInfo?
    let time: Date
    /// The streaming path: `tree` holds only the signature, and this is what `URI=""` with
    /// enveloped-signature and exclusive C14N covers (the whole document less the signature).
    let streamedContent: StreamedContent?
    /// The streaming path met a reference it cannot judge without the document's tree.
    var needsDocumentTree = false

    init(
        tree: XMLTree, policy: VerificationPolicy, trustStore: TrustStore, intermediates: [Certificate],
        streamedContent: StreamedContent? = nil
    ) {
        self.streamedContent = streamedContent
        self.intermediates = intermediates
        self.tree = tree
        self.policy = policy
        self.trustStore = trustStore
        self.time = policy.validationTime ?? Date()
    }

    mutating func fail(_ check: VerificationReport.Check, _ message: String) {
        problems.append(.init(check: check, severity: .invalid, message: message))
    }

    mutating func undetermined(_ check: VerificationReport.Check, _ message: String) {
        problems.append(.init(check: check, severity: .indeterminate, message: message))
    }

    func report() -> VerificationReport {
        let status: VerificationReport.Status =
            problems.contains { $0.severity == .invalid } ? .invalid : (problems.isEmpty ? .valid : .indeterminate)
        return VerificationReport(
            document: tree.sourceName, status: status, problems: problems, warnings: warnings,
            signatureAlgorithm: signatureAlgorithm, canonicalizationMethod: canonicalization,
            signer: signer?.summary, chain: chain.map(\.summary),
            references: references, validationTime: time, xades: xades, signerPath: chain)
    }

    // MARK: - Structure

    /// The element children of `node`, refusing non-whitespace text between them.
    mutating func children(of node: XMLNodePointer, _ what: String) -> [XMLNodePointer]? {
        var child = node.pointee.children
        while let c = child {
            if c.pointee.type == XML_TEXT_NODE || c.pointee.type == XML_CDATA_SECTION_NODE {
                let text = c.pointee.content.map { String(cString: $0) } ?? ""
                if text.unicodeScalars.contains(where: { !($0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t") }) {
                    fail(.structure, "\(what) at line \(node.line) holds stray text")
                    return nil
                }
            }
            child = c.pointee.next
        }
        return node.elementChildren
    }

    func isDS(_ node: XMLNodePointer, _ name: String) -> Bool { node.isElement(name, namespace: XMLDSigNamespace.dsig) }

    mutating func check(_ signature: XMLNodePointer) {
        guard let parts = children(of: signature, "ds:Signature") else { return }
        guard parts.count >= 2, isDS(parts[0], "SignedInfo"), isDS(parts[1], "SignatureValue") else {
            fail(.structure, "ds:Signature at line \(signature.line) must start with ds:SignedInfo and ds:SignatureValue")
            return
        }
        let signedInfo = parts[0]
        let signatureValueNode = parts[1]
        var keyInfo: XMLNodePointer?
        var qualifyingProperties: [XMLNodePointer] = []
        for extra in parts.dropFirst(2) {
            if isDS(extra, "KeyInfo") && keyInfo == nil && extra == parts[2] {
                keyInfo = extra
            } else if isDS(extra, "Object") {
                qualifyingProperties += extra.elementChildren.filter {
                    $0.isElement("QualifyingProperties", namespace: XAdESNamespace.v132)
                }
                continue
            } else {
                fail(
                    .structure,
                    "ds:Signature at line \(signature.line) holds an unexpected <\(DocumentText.cut(extra.localName))> at line \(extra.line)"
                )
                return
            }
        }
        // An archive timestamp covers what every reference covers: the tree path has it.
        if streamedContent != nil,
            qualifyingProperties.contains(where: { qualifying in
                hasArchiveTimestamp(firstChild(firstChild(qualifying, "UnsignedProperties"), "UnsignedSignatureProperties"))
            })
        {
            needsDocumentTree = true
            return
        }
        guard let info = children(of: signedInfo, "ds:SignedInfo"), info.count >= 3,
            isDS(info[0], "CanonicalizationMethod"), isDS(info[1], "SignatureMethod")
        else {
            fail(
                .structure,
                "ds:SignedInfo at line \(signedInfo.line) must hold CanonicalizationMethod, SignatureMethod and at least one Reference")
            return
        }
        // Canonicalization of SignedInfo.
        guard let c14n = canonicalizationMethod(info[0]) else { return }
        canonicalization = c14n.method.uri
        // Signature algorithm.
        guard let algorithm = signatureMethod(info[1]) else { return }
        signatureAlgorithm = algorithm.uri
        // References, counted before any is read.
        let referenceCount = info.count - 2
        guard referenceCount <= SignatureVerifier.maxReferencesPerSignature else {
            fail(
                .reference,
                "ds:SignedInfo at line \(signedInfo.line) holds \(referenceCount) references; at most \(SignatureVerifier.maxReferencesPerSignature) are allowed (a denial-of-service guard)"
            )
            return
        }
        var parsed: [ParsedReference] = []
        for node in info.dropFirst(2) {
            guard isDS(node, "Reference") else {
                fail(.structure, "ds:SignedInfo holds an unexpected <\(DocumentText.cut(node.localName))> at line \(node.line)")
                return
            }
            guard let reference = parseReference(node) else { return }
            parsed.append(reference)
        }
        if qualifyingProperties.count > 1 {
            fail(.structure, "the signature holds \(qualifyingProperties.count) xades:QualifyingProperties; at most one is allowed")
            return
        }
        // XAdES: exactly one reference of Type SignedProperties, the only reference allowed into the
        // signature; the policy's count and URIs are about the document references.
        let propertiesReferences = parsed.filter { $0.type == XAdESNamespace.signedPropertiesType }
        if let qualifying = qualifyingProperties.first {
            guard propertiesReferences.count == 1 else {
                fail(
                    propertiesReferences.isEmpty ? .signedProperties : .reference,
                    propertiesReferences.isEmpty
                        ? "the signature carries XAdES QualifyingProperties (line \(qualifying.line)) but no reference of Type SignedProperties: its signing time and certificate are not signed"
                        : "the signature has \(propertiesReferences.count) references of Type SignedProperties; exactly one is allowed")
                return
            }
        } else if !propertiesReferences.isEmpty {
            fail(
                .reference,
                "a reference of Type SignedProperties (\"\(DocumentText.cut(propertiesReferences[0].uri))\") but no XAdES QualifyingProperties in the signature"
            )
            return
        }
        parsed.removeAll { $0.type == XAdESNamespace.signedPropertiesType }
        // References to this signature's own KeyInfo (or an element inside it) sign the certificate
        // the signature names; beside SignedProperties they are the only references into the
        // signature allowed (docs/security.md), and the policy's count is not about them.
        let keyInfoReferences = parsed.filter { coversOwnKeyInfo($0, keyInfo: keyInfo) }
        parsed.removeAll { coversOwnKeyInfo($0, keyInfo: keyInfo) }
        if streamedContent != nil, !keyInfoReferences.isEmpty {
            // Whether an Id is unique is a question about the whole document: the tree path answers.
            needsDocumentTree = true
            return
        }
        // Any other reference into the signature is wrapping, and a repeated Id is refused as such,
        // before the count: each is a clearer reason than a count the policy does not expect.
        for reference in parsed {
            guard let id = Self.plainID(reference.uri) else { continue }
            let matches = elementsWithID(id, in: tree)
            if matches.count > 1 {
                _ = uniqueElement(withID: id, missing: "")
                return
            }
            if let element = matches.first, element.isInside(signature) {
                fail(
                    .wrapping,
                    "reference \"\(DocumentText.cut(reference.uri))\" points inside the signature itself (\(element.path)); only the signature's own KeyInfo may be signed there (signature wrapping)"
                )
                return
            }
        }
        guard parsed.count == policy.expectedReferenceCount else {
            fail(.reference, "the signature has \(parsed.count) references; the policy expects exactly \(policy.expectedReferenceCount)")
            return
        }
        if let expected = policy.expectedReferenceURIs, expected != parsed.map(\.uri) {
            let got = parsed.map { "\"\(DocumentText.cut($0.uri))\"" }.joined(separator: ", ")
            let want = expected.map { "\"\(DocumentText.cut($0))\"" }.joined(separator: ", ")
            fail(.reference, "the signature references \(got); the policy expects \(want)")
            return
        }
        var unresolved = false
        for reference in parsed {
            if let content = streamedContent {
                guard reference.coversWholeDocumentLessSignature, let digest = content.digest(reference.digest) else {
                    needsDocumentTree = true
                    return
                }
                recordDigest(
                    of: reference, target: ReferenceTarget(element: nil, keepsComments: false),
                    output: ReferenceProcessor.Output(digest: digest, octets: policy.retainSignedContent ? content.octets : nil))
                continue
            }
            guard let target = resolve(reference, signature: signature) else {
                unresolved = true
                continue
            }
            checkSplicedText(in: target, signature: signature)
            do {
                let output = try ReferenceProcessor.digest(
                    tree: tree, target: target, signature: signature, transforms: reference.transforms,
                    digest: reference.digest, limits: policy.limits, keepOctets: policy.retainSignedContent)
                recordDigest(of: reference, target: target, output: output)
            } catch let error as XMLDSigError {
                fail(.reference, "reference \"\(DocumentText.cut(reference.uri))\" could not be processed: \(error.message)")
            } catch {
                fail(.reference, "reference \"\(DocumentText.cut(reference.uri))\" could not be processed: \(error)")
            }
        }
        for reference in keyInfoReferences {
            guard checkKeyInfoReference(reference, keyInfo: keyInfo) else {
                unresolved = true
                continue
            }
        }
        var signedPropertiesIntact = false
        if let qualifying = qualifyingProperties.first, let reference = propertiesReferences.first {
            guard let intact = checkSignedPropertiesReference(reference, qualifying: qualifying, signature: signature) else { return }
            signedPropertiesIntact = intact
        }
        // A refused reference makes the signature worthless whatever its value: stop here.
        if unresolved { return }
        // Signature value.
        guard let signatureValue = Base64.decode(signatureValueNode.textContent), !signatureValue.isEmpty else {
            fail(.structure, "ds:SignatureValue at line \(signatureValueNode.line) is not base64")
            return
        }
        guard let certificates = keyInfoCertificates(keyInfo) else { return }
        let signedInfoOctets: [UInt8]
        do {
            signedInfoOctets = try Canonicalizer.canonicalBytes(
                tree, selection: NodeSetSelection(subtree: signedInfo, excluded: nil), algorithm: c14n.method,
                inclusivePrefixes: c14n.prefixes)
        } catch {
            fail(.structure, "ds:SignedInfo could not be canonicalized")
            return
        }
        let fitting = certificates.filter { $0.keyFamily == algorithm.keyFamily }
        guard !fitting.isEmpty else {
            fail(.keyInfo, "no certificate in KeyInfo holds a \(algorithm.keyFamily.rawValue) key for \(algorithm.displayName)")
            signer = leaf(of: certificates)
            return
        }
        signer = fitting.first { certificate in
            guard let key = X509_get0_pubkey(certificate.x509) else { return false }
            return SignatureCrypto.verify(signedInfoOctets, signature: signatureValue, publicKey: key, algorithm: algorithm)
        }
        guard let signer else {
            fail(
                .signatureValue,
                "the signature value does not match the signed information and the certificate in KeyInfo (forged or altered)")
            self.signer = leaf(of: fitting)
            return
        }
        // An XAdES-LT signature's CertificateValues help build the path (untrusted, like KeyInfo's).
        let carried = qualifyingProperties.first.map(certificateValues) ?? []
        checkCertificate(signer, intermediates: certificates.filter { $0 !== signer } + carried + intermediates)
        if let qualifying = qualifyingProperties.first {
            checkQualifyingProperties(
                qualifying, signedPropertiesIntact: signedPropertiesIntact, signer: signer, signatureValue: signatureValueNode,
                intermediates: certificates + carried + intermediates,
                documentReferenceIDs: Set(parsed.compactMap { $0.node.attribute("Id") }))
        }
    }

    /// Compares a reference's digest with what it covers and records it in the report.
    mutating func recordDigest(
        of reference: ParsedReference, role: ReferenceRole = .document, target: ReferenceTarget, output: ReferenceProcessor.Output
    ) {
        let matches = constantTimeEqual(output.digest, reference.digestValue)
        if !matches {
            let what = role == .keyInfo ? "the signature's KeyInfo (the certificate it names)" : "the content"
            fail(
                .digest,
                "\(what) covered by reference \"\(DocumentText.cut(reference.uri))\" was changed after signing (digest mismatch)")
        }
        references.append(
            SignedReference(
                uri: DocumentText.cut(reference.uri), role: role, covers: target.element.map { $0.path } ?? "whole document",
                line: target.element?.line ?? 0, transforms: reference.transforms.map(\.uri),
                digestAlgorithm: reference.digest.uri, digestMatches: matches, includesComments: target.keepsComments,
                signedContent: matches ? output.octets : nil))
    }

    func leaf(of certificates: [Certificate]) -> Certificate? {
        certificates.first { candidate in !certificates.contains { $0 !== candidate && candidate.issued($0) } } ?? certificates.first
    }

    // MARK: - Algorithms

    mutating func canonicalizationMethod(_ node: XMLNodePointer) -> (method: CanonicalizationAlgorithm, prefixes: [String])? {
        let uri = node.attribute("Algorithm") ?? ""
        guard let method = CanonicalizationAlgorithm(rawValue: uri) else {
            fail(.algorithm, "canonicalization method \"\(DocumentText.cut(uri))\" is not allowed")
            return nil
        }
        guard let prefixes = inclusivePrefixes(node, exclusive: method.isExclusive) else { return nil }
        return (method, prefixes)
    }

    mutating func inclusivePrefixes(_ node: XMLNodePointer, exclusive: Bool) -> [String]? {
        let inner = node.elementChildren
        if inner.isEmpty { return [] }
        guard exclusive, inner.count == 1, inner[0].isElement("InclusiveNamespaces", namespace: XMLDSigNamespace.excC14N) else {
            fail(.algorithm, "<\(DocumentText.cut(node.localName))> at line \(node.line) has parameters that are not allowed")
            return nil
        }
        let list = inner[0].attribute("PrefixList") ?? ""
        return list.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).map(String.init)
    }

    mutating func signatureMethod(_ node: XMLNodePointer) -> SignatureAlgorithm? {
        let uri = node.attribute("Algorithm") ?? ""
        // No supported method names HMAC, so the substring test is only for the message.
        guard let algorithm = SignatureAlgorithm(rawValue: uri) else {
            if uri.utf8.firstRange(of: "hmac".utf8) != nil {
                fail(.algorithm, "HMAC signatures (\(DocumentText.cut(uri))) are refused: they prove nothing about the signer")
            } else {
                fail(.algorithm, "signature method \"\(DocumentText.cut(uri))\" is not supported")
            }
            return nil
        }
        if !node.elementChildren.isEmpty {
            fail(.algorithm, "ds:SignatureMethod at line \(node.line) has parameters that are not allowed")
            return nil
        }
        if algorithm.isLegacy {
            if policy.allowLegacyAlgorithms {
                warnings.append("weak signature algorithm \(algorithm.displayName) accepted because legacy algorithms are allowed")
            } else {
                fail(.algorithm, "weak signature algorithm \(algorithm.displayName) is refused")
                return nil
            }
        }
        return algorithm
    }

    mutating func parseReference(_ node: XMLNodePointer) -> ParsedReference? {
        guard let uri = node.attribute("URI") else {
            fail(.reference, "ds:Reference at line \(node.line) has no URI: what it covers would be up to the application")
            return nil
        }
        guard let parts = children(of: node, "ds:Reference") else { return nil }
        var index = 0
        var transforms: [TransformAlgorithm] = []
        if index < parts.count, isDS(parts[index], "Transforms") {
            guard let list = children(of: parts[index], "ds:Transforms"), !list.isEmpty else {
                fail(.structure, "ds:Transforms at line \(parts[index].line) is empty")
                return nil
            }
            guard list.count <= SignatureVerifier.maxTransformsPerReference else {
                fail(
                    .algorithm,
                    "ds:Reference at line \(node.line) lists \(list.count) transforms; at most \(SignatureVerifier.maxTransformsPerReference) are allowed (a denial-of-service guard)"
                )
                return nil
            }
            for transformNode in list {
                guard isDS(transformNode, "Transform") else {
                    fail(
                        .structure,
                        "ds:Transforms holds an unexpected <\(DocumentText.cut(transformNode.localName))> at line \(transformNode.line)")
                    return nil
                }
                let algorithm = transformNode.attribute("Algorithm") ?? ""
                if algorithm == TransformAlgorithm.envelopedURI || algorithm == TransformAlgorithm.smevURI {
                    guard transformNode.elementChildren.isEmpty else {
                        fail(
                            .algorithm,
                            "transform \(DocumentText.cut(algorithm)) at line \(transformNode.line) has parameters that are not allowed")
                        return nil
                    }
                    transforms.append(algorithm == TransformAlgorithm.envelopedURI ? .envelopedSignature : .smev)
                } else if let method = CanonicalizationAlgorithm(rawValue: algorithm) {
                    guard let prefixes = inclusivePrefixes(transformNode, exclusive: method.isExclusive) else { return nil }
                    transforms.append(.canonicalization(method, inclusivePrefixes: prefixes))
                } else {
                    fail(
                        .algorithm,
                        "transform \"\(DocumentText.cut(algorithm))\" at line \(transformNode.line) is not allowed (allowed: enveloped-signature, C14N, exclusive C14N, SMEV)"
                    )
                    return nil
                }
            }
            index += 1
        }
        guard index + 2 == parts.count,
            isDS(parts[index], "DigestMethod"), isDS(parts[index + 1], "DigestValue")
        else {
            fail(.structure, "ds:Reference at line \(node.line) must hold Transforms (optional), DigestMethod and DigestValue")
            return nil
        }
        let digestURI = parts[index].attribute("Algorithm") ?? ""
        guard let digest = DigestAlgorithm(rawValue: digestURI) else {
            fail(.algorithm, "digest method \"\(DocumentText.cut(digestURI))\" is not supported")
            return nil
        }
        if digest.isLegacy {
            if policy.allowLegacyAlgorithms {
                warnings.append("weak digest \(digest.displayName) accepted because legacy algorithms are allowed")
            } else {
                fail(.algorithm, "weak digest \(digest.displayName) is refused")
                return nil
            }
        }
        guard let value = Base64.decode(parts[index + 1].textContent), !value.isEmpty else {
            fail(.structure, "ds:DigestValue at line \(parts[index + 1].line) is not base64")
            return nil
        }
        return ParsedReference(
            node: node, uri: uri, transforms: transforms, digest: digest, digestValue: value, type: node.attribute("Type"))
    }

    // MARK: - Key and certificate

    mutating func keyInfoCertificates(_ keyInfo: XMLNodePointer?) -> [Certificate]? {
        guard let keyInfo else {
            undetermined(.keyInfo, "the signature carries no KeyInfo, so its signer is unknown")
            return nil
        }
        var certificates: [Certificate] = []
        for item in keyInfo.elementChildren {
            if isDS(item, "X509Data") {
                for entry in item.elementChildren where isDS(entry, "X509Certificate") {
                    guard
                        let certificate = try? Certificate.cached(
                            base64: entry.textContent, source: "X509Certificate at line \(entry.line)")
                    else {
                        fail(.keyInfo, "ds:X509Certificate at line \(entry.line) is not a readable certificate")
                        return nil
                    }
                    certificates.append(certificate)
                }
            } else if isDS(item, "KeyValue") {
                warnings.append("KeyInfo/KeyValue ignored: a bare key is never trusted; the key is taken from the certificate")
            }
        }
        if certificates.isEmpty {
            undetermined(.keyInfo, "KeyInfo carries no X.509 certificate; a bare key is never trusted")
            return nil
        }
        return certificates
    }

    /// The one element with Id `id`. None is a `reference` failure with `missing`; several is a
    /// `duplicate-id` failure (signature wrapping). Either way nil.
    mutating func uniqueElement(withID id: String, missing: String) -> XMLNodePointer? {
        let matches = elementsWithID(id, in: tree)
        guard matches.count == 1 else {
            if matches.isEmpty {
                fail(.reference, missing)
            } else {
                let places = matches.map { "\($0.path) (line \($0.line))" }.joined(separator: ", ")
                fail(
                    .duplicateID,
                    "Id \"\(DocumentText.cut(id))\" is carried by \(matches.count) elements (\(places)); a signed Id must be unique (signature wrapping)"
                )
            }
            return nil
        }
        return matches[0]
    }

    mutating func checkCertificate(_ signer: Certificate, intermediates: [Certificate]) {
        for finding in signer.documentSigningFitness.findings { fail(.signerCertificate, finding.message) }
        let path = CertificatePathCheck.check(signer, untrusted: intermediates, trustStore: trustStore, at: time)
        chain = path.path
        problems += path.problems
    }
}
