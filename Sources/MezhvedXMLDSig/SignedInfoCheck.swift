internal import COpenSSL
import Foundation
import MezhvedCore

/// The result of checking only a signature's `SignedInfo`: the signature value over the canonical
/// `SignedInfo` and the signer's certificate path, without the signed content.
///
/// This is what an auditor can establish about an archived document whose signed content is partly
/// encrypted: the signer signed exactly these references (URIs, transforms, digest values), and the
/// signer's certificate chained to a trust anchor at the given time. Whether the content still has
/// those digests needs the content.
public struct SignedInfoCheckResult: Sendable, Codable {
    /// `valid` when the signature value matches and the signer's path is valid at `validationTime`.
    public let status: VerificationReport.Status
    /// Every failed check; empty when `status` is `valid`.
    public let problems: [VerificationReport.Problem]
    /// The signature method URI.
    public let signatureAlgorithm: String?
    /// The signer's certificate, when one matched the signature value.
    public let signer: CertificateSummary?
    /// The validated path, signer first.
    public let chain: [CertificateSummary]
    /// The reference URIs and their digest values (base64) as signed.
    public let references: [SignedDigest]
    /// When certificates were checked.
    public let validationTime: Date

    /// One reference of `SignedInfo`: what the signer committed to.
    public struct SignedDigest: Sendable, Codable, Equatable {
        /// The reference URI.
        public let uri: String
        /// The digest method URI.
        public let digestAlgorithm: String
        /// The digest value, base64.
        public let digestValue: String
    }
}

/// Checks the `SignedInfo` of a document's one XML signature without looking at the signed
/// content: the signature value over the canonical `SignedInfo`, with the key of a `KeyInfo`
/// certificate that chains to the trust store at `validationTime`.
public struct SignedInfoChecker: Sendable {
    public let trustStore: TrustStore
    public let intermediates: [Certificate]
    public let limits: XMLParsingLimits

    public init(trustStore: TrustStore, intermediates: [Certificate] = [], limits: XMLParsingLimits = XMLParsingLimits()) {
        self.trustStore = trustStore
        self.intermediates = intermediates
        self.limits = limits
    }

    /// Checks `document`'s signature. Throws only when there is nothing to judge (not XML, no
    /// signature); a signature that does not hold is a returned result listing every reason.
    public func check(_ document: [UInt8], sourceName: String, at validationTime: Date) throws -> SignedInfoCheckResult {
        let tree = try XMLTree.parse(document, sourceName: sourceName, limits: limits)
        let signatures = findSignatures(in: tree)
        guard let signature = signatures.first else {
            throw XMLDSigError(.noSignature, "\(sourceName) holds no XML signature (ds:Signature)", hint: "was the document signed?")
        }
        var problems: [VerificationReport.Problem] = []
        func fail(_ check: VerificationReport.Check, _ message: String) {
            problems.append(.init(check: check, severity: .invalid, message: message))
        }
        func undetermined(_ check: VerificationReport.Check, _ message: String) {
            problems.append(.init(check: check, severity: .indeterminate, message: message))
        }
        var algorithmURI: String?
        var signer: Certificate?
        var chain: [Certificate] = []
        var digests: [SignedInfoCheckResult.SignedDigest] = []
        func result() -> SignedInfoCheckResult {
            let status: VerificationReport.Status =
                problems.contains { $0.severity == .invalid } ? .invalid : (problems.isEmpty ? .valid : .indeterminate)
            return SignedInfoCheckResult(
                status: status, problems: problems, signatureAlgorithm: algorithmURI, signer: signer?.summary,
                chain: chain.map(\.summary), references: digests, validationTime: validationTime)
        }
        if signatures.count > 1 {
            fail(.structure, "the document holds \(signatures.count) signatures; exactly one is expected")
            return result()
        }
        let parts = signature.elementChildren
        func isDS(_ node: XMLNodePointer, _ name: String) -> Bool { node.isElement(name, namespace: XMLDSigNamespace.dsig) }
        guard parts.count >= 2, isDS(parts[0], "SignedInfo"), isDS(parts[1], "SignatureValue") else {
            fail(.structure, "ds:Signature at line \(signature.line) must start with ds:SignedInfo and ds:SignatureValue")
            return result()
        }
        let info = parts[0].elementChildren
        guard info.count >= 3, isDS(info[0], "CanonicalizationMethod"), isDS(info[1], "SignatureMethod") else {
            fail(.structure, "ds:SignedInfo must hold CanonicalizationMethod, SignatureMethod and at least one Reference")
            return result()
        }
        let c14nURI = info[0].attribute("Algorithm") ?? ""
        guard let c14n = CanonicalizationAlgorithm(rawValue: c14nURI) else {
            fail(.algorithm, "canonicalization method \"\(DocumentText.cut(c14nURI))\" is not allowed")
            return result()
        }
        var prefixes: [String] = []
        if let inclusive = info[0].elementChildren.first, c14n.isExclusive,
            inclusive.isElement("InclusiveNamespaces", namespace: XMLDSigNamespace.excC14N)
        {
            prefixes = (inclusive.attribute("PrefixList") ?? "").split(whereSeparator: { $0.isWhitespace }).map(String.init)
        }
        let methodURI = info[1].attribute("Algorithm") ?? ""
        algorithmURI = methodURI
        guard let algorithm = SignatureAlgorithm(rawValue: methodURI) else {  // none of them is an HMAC
            fail(.algorithm, "signature method \"\(DocumentText.cut(methodURI))\" is not supported")
            return result()
        }
        if algorithm.isLegacy {
            fail(.algorithm, "weak signature algorithm \(algorithm.displayName) is refused")
            return result()
        }
        for reference in info.dropFirst(2) where isDS(reference, "Reference") {
            let children = reference.elementChildren
            let method = children.first { isDS($0, "DigestMethod") }?.attribute("Algorithm") ?? ""
            let value = children.first { isDS($0, "DigestValue") }?.textContent ?? ""
            digests.append(.init(uri: reference.attribute("URI") ?? "", digestAlgorithm: method, digestValue: value))
        }
        guard let signatureValue = Base64.decode(parts[1].textContent), !signatureValue.isEmpty else {
            fail(.structure, "ds:SignatureValue at line \(parts[1].line) is not base64")
            return result()
        }
        var certificates: [Certificate] = []
        if parts.count > 2, isDS(parts[2], "KeyInfo") {
            for data in parts[2].elementChildren where isDS(data, "X509Data") {
                for entry in data.elementChildren where isDS(entry, "X509Certificate") {
                    guard
                        let certificate = try? Certificate.cached(
                            base64: entry.textContent, source: "X509Certificate at line \(entry.line)")
                    else {
                        fail(.keyInfo, "ds:X509Certificate at line \(entry.line) is not a readable certificate")
                        return result()
                    }
                    certificates.append(certificate)
                }
            }
        }
        guard !certificates.isEmpty else {
            undetermined(.keyInfo, "KeyInfo carries no X.509 certificate; a bare key is never trusted")
            return result()
        }
        let octets: [UInt8]
        do {
            octets = try Canonicalizer.canonicalBytes(
                tree, selection: NodeSetSelection(subtree: parts[0], excluded: nil), algorithm: c14n, inclusivePrefixes: prefixes)
        } catch {
            fail(.structure, "ds:SignedInfo could not be canonicalized")
            return result()
        }
        signer = certificates.first { certificate in
            guard certificate.keyFamily == algorithm.keyFamily, let key = X509_get0_pubkey(certificate.x509) else { return false }
            return SignatureCrypto.verify(octets, signature: signatureValue, publicKey: key, algorithm: algorithm)
        }
        guard let signer else {
            fail(.signatureValue, "the signature value does not match the signed information and the certificate in KeyInfo")
            return result()
        }
        for finding in signer.documentSigningFitness.findings { fail(.signerCertificate, finding.message) }
        let path = trustStore.validate(signer, untrusted: certificates.filter { $0 !== signer } + intermediates, at: validationTime)
        chain = path.chain
        if let failure = path.failure {
            let subject = failure.depth == 0 ? "the signer's certificate" : "the CA certificate at depth \(failure.depth)"
            if failure.code == X509_V_ERR_CERT_SIGNATURE_FAILURE {
                fail(.chain, "\(subject) carries a signature that does not verify (\(failure.message))")
            } else {
                undetermined(
                    .chain,
                    "\(subject) failed path validation at \(ISOTime.string(validationTime)): \(failure.message)")
            }
        }
        return result()
    }
}
