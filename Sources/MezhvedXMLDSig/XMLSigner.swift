internal import CLibXML2
import Foundation

/// How a document is signed.
public struct SigningOptions: Sendable {
    /// Sign the element with this Id (`URI="#Id"`) instead of the whole document (`URI=""`).
    public var referenceID: String?
    /// The signature algorithm; by default it follows the key.
    public var signatureAlgorithm: SignatureAlgorithm?
    /// The reference digest; by default the signature algorithm's digest.
    public var digestAlgorithm: DigestAlgorithm?
    /// Canonicalization of `SignedInfo` and of the reference (exclusive C14N by default, as SMEV 3).
    public var canonicalization: CanonicalizationAlgorithm
    /// Add the SMEV 3 transform after canonicalization of the reference.
    public var smevTransform: Bool
    /// Parsing limits for the input.
    public var limits: XMLParsingLimits
    /// Add XAdES qualifying properties: `.bes` (signing time and signing certificate, signed) or
    /// `.t` (BES plus an RFC 3161 signature timestamp from ``timestamper``). See docs/xades.md.
    public var xades: XAdESLevel?
    /// The XAdES `SigningTime` (UTC, whole seconds); nil means now.
    public var signingTime: Date?
    /// Where XAdES-T gets its signature timestamp (for example an RFC 3161 TSA client).
    public var timestamper: (any SignatureTimestamper)?

    public init(
        referenceID: String? = nil, signatureAlgorithm: SignatureAlgorithm? = nil, digestAlgorithm: DigestAlgorithm? = nil,
        canonicalization: CanonicalizationAlgorithm = .exclusive, smevTransform: Bool = false,
        limits: XMLParsingLimits = XMLParsingLimits(), xades: XAdESLevel? = nil, signingTime: Date? = nil,
        timestamper: (any SignatureTimestamper)? = nil
    ) {
        self.referenceID = referenceID
        self.signatureAlgorithm = signatureAlgorithm
        self.digestAlgorithm = digestAlgorithm
        self.canonicalization = canonicalization
        self.smevTransform = smevTransform
        self.limits = limits
        self.xades = xades
        self.signingTime = signingTime
        self.timestamper = timestamper
    }
}

/// Signs XML documents with an enveloped XMLDSig signature.
///
/// The `ds:Signature` is appended as the last child of the document element. It has one
/// `Reference`: `URI=""` (the whole document, with the enveloped-signature transform) or
/// `URI="#Id"` (one element; the enveloped transform is added when the signature lands inside it).
/// `KeyInfo` carries the signer's certificate followed by the chain given.
public struct XMLSigner: Sendable {
    public let key: SigningKey
    public let certificate: Certificate
    public let chain: [Certificate]

    /// Checks that `key` and `certificate` belong together and that the certificate may sign.
    public init(key: SigningKey, certificate: Certificate, chain: [Certificate] = [], certificateSource: String = "the certificate") throws
    {
        guard key.matches(certificate) else {
            throw XMLDSigError(
                .certificateUnusable, "\(certificateSource) (\(certificate.subject)) does not belong to the private key given",
                hint: "give the certificate issued for this key")
        }
        let fitness = certificate.documentSigningFitness
        guard fitness.isFit else {
            let reasons = fitness.findings.map { "\($0.rule.code): \($0.rule.subject) is \($0.found); required: \($0.required)" }
            throw XMLDSigError(
                .certificateUnusable,
                "\(certificateSource) is not fit to sign documents (\(reasons.joined(separator: "; ")))",
                hint:
                    "sign with a document-signing certificate: CA:FALSE, digitalSignature or nonRepudiation, a key of at least the minimum strength"
            )
        }
        self.key = key
        self.certificate = certificate
        self.chain = chain.filter { $0.sha256Fingerprint != certificate.sha256Fingerprint }
        self.encodedCertificates = ([certificate] + self.chain).map { Base64.encode($0.der) }
    }

    /// The certificates for KeyInfo, base64-encoded once.
    private let encodedCertificates: [String]

    /// Signs `document` and returns the signed document as UTF-8 XML.
    ///
    /// The original bytes are kept: the `Signature` is built in a document of its own and spliced
    /// in before the root element's end tag whenever the canonicalization allows (exclusive C14N).
    /// A UTF-8 document is then canonicalized while it is parsed, without building its tree, so
    /// that large registers sign in about the memory of their bytes; anything unusual (another
    /// encoding, the SMEV transform, inclusive C14N, a document the tree path would refuse) goes
    /// through the parsed tree, which signs or says what is wrong.
    ///
    /// XAdES-T waits for a time-stamping authority: sign it from async code with
    /// ``signAwaitingTimestamp(_:sourceName:options:)``; this method refuses it.
    /// - Parameter sourceName: how to name the input in messages.
    public func sign(_ document: [UInt8], sourceName: String, options: SigningOptions = SigningOptions()) throws -> [UInt8] {
        if options.xades == .t && options.timestamper != nil {
            throw XMLDSigError(
                .internalFailure,
                "XAdES-T waits for the time-stamping authority over the network, which sign(_:sourceName:options:) does not do; "
                    + "nothing was signed", hint: "sign XAdES-T with signAwaitingTimestamp(_:sourceName:options:) from async code")
        }
        return try prepare(document, sourceName: sourceName, options: options).finish(token: nil)
    }

    /// Signs `document` as ``sign(_:sourceName:options:)`` does, and for XAdES-T obtains the
    /// signature timestamp from ``SigningOptions/timestamper`` without blocking a thread: the
    /// signature is built, the digest of its `SignatureValue` is sent, and the token is added as
    /// `UnsignedProperties/…/SignatureTimeStamp` when it arrives. Other levels sign exactly as the
    /// synchronous method. Building and hashing run on the calling task; no OpenSSL error state is
    /// carried across the wait.
    /// - Parameter sourceName: how to name the input in messages.
    public func signAwaitingTimestamp(_ document: [UInt8], sourceName: String, options: SigningOptions = SigningOptions()) async throws
        -> [UInt8]
    {
        let prepared = try prepare(document, sourceName: sourceName, options: options)
        guard let pending = prepared.pendingTimestamp, let timestamper = options.timestamper else {
            return try prepared.finish(token: nil)
        }
        _ = drainOpenSSLErrors()
        let token = try await timestamper.timestamp(messageImprint: pending.imprint, algorithm: pending.digestAlgorithm)
        return try prepared.finish(token: token)
    }

    /// Checks the options and builds the signature, all but an XAdES-T timestamp.
    func prepare(_ document: [UInt8], sourceName: String, options: SigningOptions) throws -> PreparedSignature {
        let algorithm = options.signatureAlgorithm ?? SignatureAlgorithm.default(for: key.family, bits: key.bits)
        guard algorithm.keyFamily == key.family else {
            throw XMLDSigError(
                .unsupportedAlgorithm, "\(algorithm.displayName) cannot be used with a \(key.family.rawValue) key",
                hint: "leave the algorithm out to have it follow the key")
        }
        if algorithm.isLegacy || (options.digestAlgorithm?.isLegacy ?? false) {
            throw XMLDSigError(.unsupportedAlgorithm, "mezhved does not make new signatures with MD5 or SHA-1")
        }
        let digestAlgorithm = options.digestAlgorithm ?? algorithm.digest
        if options.xades == .lt {
            throw XMLDSigError(
                .unsupportedAlgorithm, "XAdES-LT is made by extending an XAdES-T signature with its validation data, not by signing",
                hint: "sign XAdES-T, then extend it (mezhved sign --xades lt does both)")
        }
        if options.xades == .t && options.timestamper == nil {
            throw XMLDSigError(
                .unsupportedAlgorithm, "XAdES-T needs a time-stamping authority, and none was configured",
                hint: "give the TSA URL (mezhved sign --tsa URL), or sign XAdES-BES")
        }
        if let prepared = try prepareStreaming(
            document, sourceName: sourceName, options: options, algorithm: algorithm, digestAlgorithm: digestAlgorithm)
        {
            return prepared
        }
        return try prepareTree(document, sourceName: sourceName, options: options, algorithm: algorithm, digestAlgorithm: digestAlgorithm)
    }

    /// The streaming path, signed (no XAdES-T): see ``prepareStreaming``.
    func signStreaming(
        _ document: [UInt8], sourceName: String, options: SigningOptions, algorithm: SignatureAlgorithm,
        digestAlgorithm: DigestAlgorithm
    ) throws -> [UInt8]? {
        try prepareStreaming(document, sourceName: sourceName, options: options, algorithm: algorithm, digestAlgorithm: digestAlgorithm)?
            .finish(token: nil)
    }

    /// The tree path, signed (no XAdES-T): see ``prepareTree``.
    func signTree(
        _ document: [UInt8], sourceName: String, options: SigningOptions, algorithm: SignatureAlgorithm,
        digestAlgorithm: DigestAlgorithm
    ) throws -> [UInt8] {
        try prepareTree(document, sourceName: sourceName, options: options, algorithm: algorithm, digestAlgorithm: digestAlgorithm)
            .finish(token: nil)
    }

    /// The streaming path: exclusive canonicalization during the parse, the signature spliced in.
    /// Returns nil when the document must go through the tree path instead.
    func prepareStreaming(
        _ document: [UInt8], sourceName: String, options: SigningOptions, algorithm: SignatureAlgorithm,
        digestAlgorithm: DigestAlgorithm
    ) throws -> PreparedSignature? {
        guard options.canonicalization.isExclusive, !options.smevTransform, let end = rootEndTag(document) else { return nil }
        let signatureID = options.xades == nil ? nil : XAdES.newID("xmldsig")
        let digest = DocumentDigest(feeding: try DigestContext(digestAlgorithm), inputSize: document.count)
        let streamed = Canonicalizer.canonicalizeStreaming(
            document, targetID: options.referenceID, reservedID: signatureID, withComments: false, limits: options.limits
        ) { digest.update($0) }
        let referenceDigest = digest.finish()
        guard case .success(let found) = streamed, Array(found.rootQualifiedName.utf8) == end.name, !found.reservedIDSeen else {
            return nil
        }
        let enveloped = options.referenceID == nil || found.targetIsRoot
        let holder = XMLTree(adopting: xmlNewDoc("1.0"), sourceName: "signature of \(sourceName)")
        let (signature, pending) = try buildSignature(
            in: holder, under: nil, uri: options.referenceID.map { "#" + $0 } ?? "",
            transforms: referenceTransforms(enveloped: enveloped, options: options), referenceDigest: referenceDigest,
            algorithm: algorithm, digestAlgorithm: digestAlgorithm, signatureID: signatureID, options: options,
            sourceName: sourceName)
        return PreparedSignature(pendingTimestamp: pending) {
            Self.spliced(document, at: end.offset, holder.serialized(node: signature))
        }
    }

    /// The tree path: parse, find the target, digest it, and build the signature apart (spliced
    /// in) or, when the canonicalization or the encoding does not allow that, in place.
    func prepareTree(
        _ document: [UInt8], sourceName: String, options: SigningOptions, algorithm: SignatureAlgorithm,
        digestAlgorithm: DigestAlgorithm
    ) throws -> PreparedSignature {
        let tree = try XMLTree.parse(document, sourceName: sourceName, limits: options.limits)
        let root = tree.root
        if let existing = findSignatures(in: tree).first {
            throw XMLDSigError(
                .malformedXML, "\(sourceName) already holds an XML signature at \(existing.path) (line \(existing.line))",
                hint: "sign the unsigned original; a second signature is not added on top of the first")
        }
        var target = ReferenceTarget(element: nil, keepsComments: false)
        var uri = ""
        if let id = options.referenceID {
            let matches = elementsWithID(id, in: tree)
            guard !matches.isEmpty else {
                throw XMLDSigError(.referenceTarget, "\(sourceName) has no element with Id \"\(id)\"", hint: "check the Id to sign")
            }
            guard matches.count == 1 else {
                let places = matches.map { "\($0.path) (line \($0.line))" }.joined(separator: ", ")
                throw XMLDSigError(
                    .referenceTarget, "\(sourceName) has \(matches.count) elements with Id \"\(id)\": \(places)",
                    hint: "Ids must be unique for a signature to say what it covers")
            }
            target.element = matches[0]
            uri = "#" + id
        }
        // The signature goes last in the root element: it is enveloped when the target holds the root.
        let enveloped = target.element.map { root.isInside($0) } ?? true
        let transforms = referenceTransforms(enveloped: enveloped, options: options)
        // The signature is not in the tree yet, so the enveloped transform has nothing to take out:
        // the digest is the one of the document with the signature in place and removed again.
        let digest = try ReferenceProcessor.digest(
            tree: tree, target: target, signature: nil, transforms: transforms, digest: digestAlgorithm, limits: options.limits,
            keepOctets: false)
        var signatureID: String? = nil
        if options.xades != nil {
            var id = XAdES.newID("xmldsig")
            while !elementsWithID(id, in: tree).isEmpty { id = XAdES.newID("xmldsig") }
            signatureID = id
        }

        // With exclusive canonicalization the canonical SignedInfo does not depend on the document
        // around the signature (only the ds namespace is used in it), and no reference covers the
        // signature itself. The Signature is then built in a small document of its own and its
        // serialization spliced into the original bytes before the root's end tag: the document is
        // not serialized again, and keeps its bytes and encoding. Otherwise it is built in place.
        let splice = options.canonicalization.isExclusive ? rootEndTagOffset(document, root: root) : nil
        let holder =
            splice == nil ? tree : XMLTree(adopting: xmlNewDoc("1.0"), sourceName: "signature of \(sourceName)")
        let (signature, pending) = try buildSignature(
            in: holder, under: splice == nil ? root : nil, uri: uri, transforms: transforms, referenceDigest: digest.digest,
            algorithm: algorithm, digestAlgorithm: digestAlgorithm, signatureID: signatureID, options: options,
            sourceName: sourceName)
        return PreparedSignature(pendingTimestamp: pending) {
            let signatureBytes = splice == nil ? [] : holder.serialized(node: signature)
            // Spliced bytes are UTF-8: fine in a UTF-8 document, and in any ASCII-compatible one as long
            // as the signature is ASCII (a non-ASCII Id in a windows-1251 document is not).
            let encoding = tree.doc.pointee.encoding.map { String(cString: $0).uppercased() } ?? "UTF-8"
            guard let splice, encoding == "UTF-8" || signatureBytes.allSatisfy({ $0 < 0x80 }) else {
                if splice != nil {
                    // Built apart: put it in place and serialize the document after all.
                    xmlAddChild(root, xmlDocCopyNode(signature, tree.doc, 1))
                }
                return tree.serialized()
            }
            return Self.spliced(document, at: splice, signatureBytes)
        }
    }

    /// The reference's transforms: enveloped-signature when the signature lands inside what it
    /// signs, the canonicalization, and the SMEV transform when asked for.
    private func referenceTransforms(enveloped: Bool, options: SigningOptions) -> [TransformAlgorithm] {
        var transforms: [TransformAlgorithm] = []
        if enveloped { transforms.append(.envelopedSignature) }
        transforms.append(.canonicalization(options.canonicalization, inclusivePrefixes: []))
        if options.smevTransform { transforms.append(.smev) }
        return transforms
    }

    private static func spliced(_ document: [UInt8], at offset: Int, _ signature: [UInt8]) -> [UInt8] {
        var output = [UInt8]()
        output.reserveCapacity(document.count + signature.count)
        output.append(contentsOf: document[..<offset])
        output.append(contentsOf: signature)
        output.append(contentsOf: document[offset...])
        return output
    }

    /// Builds the `ds:Signature` in `holder`: as its root element (`parent` nil, to be spliced into
    /// the original bytes) or as the last child of `parent`. The reference's digest is given. For
    /// XAdES-T it also returns what the signature timestamp must cover.
    private func buildSignature(
        in holder: XMLTree, under parent: XMLNodePointer?, uri: String, transforms: [TransformAlgorithm], referenceDigest: [UInt8],
        algorithm: SignatureAlgorithm, digestAlgorithm: DigestAlgorithm, signatureID: String?, options: SigningOptions,
        sourceName: String
    ) throws -> (XMLNodePointer, PendingTimestamp?) {
        let signature = xmlNewDocNode(holder.doc, nil, "Signature", nil)!
        if let parent {
            xmlAddChild(parent, signature)
        } else {
            xmlDocSetRootElement(holder.doc, signature)
        }
        let ns = xmlNewNs(signature, XMLDSigNamespace.dsig, "ds")
        xmlSetNs(signature, ns)
        func child(_ parent: XMLNodePointer, _ name: String, algorithm: String? = nil, text: String? = nil) -> XMLNodePointer {
            let node = text.map { xmlNewTextChild(parent, ns, name, $0)! } ?? xmlNewChild(parent, ns, name, nil)!
            if let algorithm { xmlNewProp(node, "Algorithm", algorithm) }
            return node
        }
        let signedInfo = child(signature, "SignedInfo")
        _ = child(signedInfo, "CanonicalizationMethod", algorithm: options.canonicalization.uri)
        _ = child(signedInfo, "SignatureMethod", algorithm: algorithm.uri)
        let reference = child(signedInfo, "Reference")
        xmlNewProp(reference, "URI", uri)
        let transformsNode = child(reference, "Transforms")
        for transform in transforms { _ = child(transformsNode, "Transform", algorithm: transform.uri) }
        _ = child(reference, "DigestMethod", algorithm: digestAlgorithm.uri)
        _ = child(reference, "DigestValue", text: Base64.encode(referenceDigest))

        // XAdES: ds:Object/xades:QualifyingProperties after KeyInfo, and a second reference, to
        // SignedProperties, so that the signing time and the signing certificate are signed too.
        var qualifying: XAdESParts? = nil
        if options.xades != nil, let signatureID {
            let parts = try addQualifyingProperties(
                to: signature, signatureID: signatureID, ns: ns, algorithm: algorithm, time: options.signingTime ?? Date())
            let propertiesReference = child(signedInfo, "Reference")
            xmlNewProp(propertiesReference, "Type", XAdESNamespace.signedPropertiesType)
            xmlNewProp(propertiesReference, "URI", "#" + parts.signedPropertiesID)
            let propertiesTransforms = child(propertiesReference, "Transforms")
            _ = child(propertiesTransforms, "Transform", algorithm: CanonicalizationAlgorithm.exclusive.uri)
            _ = child(propertiesReference, "DigestMethod", algorithm: digestAlgorithm.uri)
            let propertiesDigest = try ReferenceProcessor.digest(
                tree: holder, target: ReferenceTarget(element: parts.signedProperties, keepsComments: false), signature: nil,
                transforms: [.canonicalization(.exclusive, inclusivePrefixes: [])], digest: digestAlgorithm, limits: options.limits,
                keepOctets: false)
            _ = child(propertiesReference, "DigestValue", text: Base64.encode(propertiesDigest.digest))
            qualifying = parts
        }

        let signedInfoOctets = try Canonicalizer.canonicalBytes(
            holder, selection: NodeSetSelection(subtree: signedInfo, excluded: nil), algorithm: options.canonicalization)
        let value = try SignatureCrypto.sign(signedInfoOctets, key: key, algorithm: algorithm)
        let signatureValue = child(signature, "SignatureValue", text: Base64.encode(value))
        let keyInfo = child(signature, "KeyInfo")
        let x509Data = child(keyInfo, "X509Data")
        for encoded in encodedCertificates {
            _ = child(x509Data, "X509Certificate", text: encoded)
        }
        var pending: PendingTimestamp?
        if let qualifying {
            // SignatureValue and KeyInfo go before the Object built earlier.
            xmlAddPrevSibling(qualifying.object, signatureValue)
            xmlAddPrevSibling(qualifying.object, keyInfo)
            if options.xades == .t {
                pending = try signatureTimestampImprint(
                    qualifying, signatureValue: signatureValue, holder: holder, ns: ns, algorithm: algorithm, sourceName: sourceName)
            }
        }
        return (signature, pending)
    }
}

/// The XAdES nodes of a signature being built.
struct XAdESParts {
    var object: XMLNodePointer
    var qualifyingProperties: XMLNodePointer
    var signedProperties: XMLNodePointer
    var signedPropertiesID: String
    var signatureID: String
    var xadesNamespace: xmlNsPtr
}

extension XMLSigner {
    /// Gives `signature` the Id `signatureID` (unused in the document) and appends `ds:Object/xades:QualifyingProperties` with the signed
    /// signing time and SigningCertificateV2 (CertDigest and IssuerSerialV2 of the signer's certificate).
    func addQualifyingProperties(
        to signature: XMLNodePointer, signatureID: String, ns: xmlNsPtr?, algorithm: SignatureAlgorithm, time: Date
    ) throws -> XAdESParts {
        let signedPropertiesID = signatureID + "-signedprops"
        xmlNewProp(signature, "Id", signatureID)
        let object = xmlNewChild(signature, ns, "Object", nil)!
        let qualifying = xmlNewChild(object, nil, "QualifyingProperties", nil)!
        let xades = xmlNewNs(qualifying, XAdESNamespace.v132, "xades")!
        xmlSetNs(qualifying, xades)
        xmlNewProp(qualifying, "Target", "#" + signatureID)
        func element(_ parent: XMLNodePointer, _ name: String, _ namespace: xmlNsPtr?, text: String? = nil) -> XMLNodePointer {
            text.map { xmlNewTextChild(parent, namespace, name, $0)! } ?? xmlNewChild(parent, namespace, name, nil)!
        }
        let signedProperties = element(qualifying, "SignedProperties", xades)
        xmlNewProp(signedProperties, "Id", signedPropertiesID)
        let signatureProperties = element(signedProperties, "SignedSignatureProperties", xades)
        _ = element(signatureProperties, "SigningTime", xades, text: XAdES.dateTimeString(time))
        let signingCertificate = element(signatureProperties, "SigningCertificateV2", xades)
        let cert = element(signingCertificate, "Cert", xades)
        let certDigest = element(cert, "CertDigest", xades)
        let digest = XAdES.propertyDigest(for: algorithm)
        let method = element(certDigest, "DigestMethod", ns)
        xmlNewProp(method, "Algorithm", digest.uri)
        _ = element(certDigest, "DigestValue", ns, text: Base64.encode(try DigestContext.digest(certificate.der, digest)))
        _ = element(cert, "IssuerSerialV2", xades, text: Base64.encode(certificate.issuerSerialDER))
        return XAdESParts(
            object: object, qualifyingProperties: qualifying, signedProperties: signedProperties, signedPropertiesID: signedPropertiesID,
            signatureID: signatureID, xadesNamespace: xades)
    }

    /// XAdES-T: the digest of the exclusive-canonical `ds:SignatureValue` element, which the
    /// signature timestamp must cover.
    func signatureTimestampImprint(
        _ parts: XAdESParts, signatureValue: XMLNodePointer, holder: XMLTree, ns: xmlNsPtr?, algorithm: SignatureAlgorithm,
        sourceName: String
    ) throws -> PendingTimestamp {
        let octets = try Canonicalizer.canonicalBytes(
            holder, selection: NodeSetSelection(subtree: signatureValue, excluded: nil), algorithm: .exclusive)
        let digestAlgorithm = XAdES.propertyDigest(for: algorithm)
        let imprint = try DigestContext.digest(octets, digestAlgorithm)
        return PendingTimestamp(parts: parts, ns: ns, imprint: imprint, digestAlgorithm: digestAlgorithm, sourceName: sourceName)
    }
}

/// A signature built but for its XAdES-T timestamp (in the document's tree or apart from it):
/// ``finish(token:)`` adds the token when one is pending and returns the signed document.
struct PreparedSignature {
    /// What the XAdES-T signature timestamp must cover; nil for other levels.
    let pendingTimestamp: PendingTimestamp?
    /// Serializes (or splices) the signed document, once the timestamp is in place.
    let assemble: () throws -> [UInt8]

    init(pendingTimestamp: PendingTimestamp?, assemble: @escaping () throws -> [UInt8]) {
        self.pendingTimestamp = pendingTimestamp
        self.assemble = assemble
    }

    /// The signed document, with `token` as its signature timestamp when one is pending.
    func finish(token: [UInt8]?) throws -> [UInt8] {
        if let pendingTimestamp {
            guard let token else {
                throw XMLDSigError(
                    .internalFailure, "the XAdES-T signature of \(pendingTimestamp.sourceName) was finished without its timestamp")
            }
            try pendingTimestamp.insert(token)
        }
        return try assemble()
    }
}

/// The XAdES-T timestamp a signature being built waits for.
struct PendingTimestamp {
    let parts: XAdESParts
    let ns: xmlNsPtr?
    /// The digest of the canonical `ds:SignatureValue`.
    let imprint: [UInt8]
    let digestAlgorithm: DigestAlgorithm
    let sourceName: String

    /// Checks that `token` covers ``imprint`` and adds
    /// `UnsignedProperties/UnsignedSignatureProperties/SignatureTimeStamp` with it.
    func insert(_ token: [UInt8]) throws {
        let parsed = try TimestampToken(der: token, source: "the timestamp for \(sourceName)")
        guard parsed.digestAlgorithm == digestAlgorithm, constantTimeEqual(parsed.messageImprint, imprint) else {
            throw XMLDSigError(
                .malformedTimestamp, "the time-stamping authority returned a timestamp over something else than \(sourceName)'s signature",
                hint: "check the TSA: its token's message imprint must be the digest that was sent")
        }
        let unsigned = xmlNewChild(parts.qualifyingProperties, parts.xadesNamespace, "UnsignedProperties", nil)!
        let signatureProperties = xmlNewChild(unsigned, parts.xadesNamespace, "UnsignedSignatureProperties", nil)!
        let stamp = xmlNewChild(signatureProperties, parts.xadesNamespace, "SignatureTimeStamp", nil)!
        xmlNewProp(stamp, "Id", parts.signatureID + "-sigts")
        let method = xmlNewChild(stamp, ns, "CanonicalizationMethod", nil)!
        xmlNewProp(method, "Algorithm", CanonicalizationAlgorithm.exclusive.uri)
        _ = xmlNewTextChild(stamp, parts.xadesNamespace, "EncapsulatedTimeStamp", Base64.encode(token))
    }
}

/// Where the root element's end tag starts in `document`, and the name written in it, when the
/// document is in an ASCII-compatible encoding and ends with that tag (trailing white space
/// allowed); nil otherwise (an empty root `<a/>`, trailing comments or processing instructions,
/// UTF-16): the signer then serializes the document instead.
func rootEndTag(_ document: [UInt8]) -> (offset: Int, name: [UInt8])? {
    var start = 0
    if document.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
    while start < document.count, [0x20, 0x09, 0x0A, 0x0D].contains(document[start]) { start += 1 }
    guard start < document.count, document[start] == UInt8(ascii: "<") else { return nil }
    var end = document.count - 1
    while end > start, [0x20, 0x09, 0x0A, 0x0D].contains(document[end]) { end -= 1 }
    guard end > start, document[end] == UInt8(ascii: ">") else { return nil }
    var open = end - 1
    while open > start, !(document[open] == UInt8(ascii: "<") && document[open + 1] == UInt8(ascii: "/")) {
        if document[open] == UInt8(ascii: ">") { return nil }
        open -= 1
    }
    guard open > start else { return nil }
    var nameEnd = end
    while nameEnd > open + 2, [0x20, 0x09, 0x0A, 0x0D].contains(document[nameEnd - 1]) { nameEnd -= 1 }
    return (open, Array(document[(open + 2)..<nameEnd]))
}

/// `rootEndTag`'s offset when the tag closes `root`.
func rootEndTagOffset(_ document: [UInt8], root: XMLNodePointer) -> Int? {
    guard let end = rootEndTag(document) else { return nil }
    let prefix = root.pointee.ns?.pointee.prefix.map { String(cString: $0) + ":" } ?? ""
    return end.name == Array((prefix + root.localName).utf8) ? end.offset : nil
}

/// Every `ds:Signature` element of the document, in document order.
func findSignatures(in tree: XMLTree) -> [XMLNodePointer] {
    var found: [XMLNodePointer] = []
    tree.forEachElement { if $0.isElement("Signature", namespace: XMLDSigNamespace.dsig) { found.append($0) } }
    return found
}
