internal import COpenSSL

/// Whether a certificate is fit to sign documents, judged from the certificate alone: what it
/// says it may be used for and how strong its key is. Trust, validity and revocation are the trust
/// store's concern, not this one's.
///
/// A certificate is unfit when
/// - its basicConstraints say `CA:TRUE`: a CA key signs certificates and CRLs, never documents;
/// - it has a keyUsage extension without `digitalSignature` and without `nonRepudiation`
///   (`contentCommitment`);
/// - it has an extendedKeyUsage extension that names neither `anyExtendedKeyUsage` nor a purpose
///   fit for signing documents (``documentSigningPurposes``, or an OID under the Russian national
///   arc 1.2.643, where Russian CAs name the information systems a signing certificate is issued
///   for) — for example a TLS server certificate (`serverAuth` only), a TSA's (`timeStamping`) or an
///   OCSP responder's (`OCSPSigning`);
/// - its key is weaker than ``minimumKeyBits``: RSA under 2048 bits, EC under 256, GOST R 34.10-2012
///   under 256.
///
/// Absent extensions restrict nothing (RFC 5280 4.2.1.3, 4.2.1.12).
public struct SignerCertificateFitness: Sendable, Equatable {
    /// One rule a certificate breaks, with what it holds and what signing documents requires.
    public struct Finding: Sendable, Equatable {
        /// The rule broken.
        public let rule: Rule
        /// What the certificate holds, such as `CA:TRUE` or `RSA 512 bits`.
        public let found: String
        /// What signing documents requires.
        public let required: String

        /// One sentence for reports and error messages.
        public var message: String {
            "the signer's certificate is not fit to sign documents (\(rule.code)): \(rule.subject) is \(found); required: \(required)"
        }
    }

    /// A rule of fitness. Static members name them; more may come without breaking a caller.
    public struct Rule: Hashable, Sendable, CustomStringConvertible {
        /// The rule's code, as reports print it (`basic-constraints`, `key-usage`, …).
        public let code: String
        /// What the rule looks at, for messages.
        let subject: String

        /// basicConstraints must not say CA:TRUE.
        public static let basicConstraints = Rule(code: "basic-constraints", subject: "its basicConstraints")
        /// keyUsage, when present, must allow digitalSignature or nonRepudiation.
        public static let keyUsage = Rule(code: "key-usage", subject: "its keyUsage")
        /// extendedKeyUsage, when present, must allow a document-signing purpose.
        public static let extendedKeyUsage = Rule(code: "extended-key-usage", subject: "its extendedKeyUsage")
        /// The key must be at least ``SignerCertificateFitness/minimumKeyBits`` strong.
        public static let keyStrength = Rule(code: "key-strength", subject: "its public key")

        public var description: String { code }
    }

    /// The smallest key accepted for each family, in bits (the curve size for EC and GOST).
    public static let minimumKeyBits: [KeyFamily: Int] = [.rsa: 2048, .ecdsa: 256, .gost2012_256: 256, .gost2012_512: 256]

    /// The extended key usages that allow signing documents, by dotted OID, with their names:
    /// `anyExtendedKeyUsage`; `documentSigning` (RFC 9336); `emailProtection` (S/MIME, that is
    /// signed content; the purpose Russian qualified certificates carry for signing);
    /// `clientAuth` (Russian qualified and agency certificates commonly carry only clientAuth and
    /// emailProtection and sign documents with it; refusing it would refuse real senders).
    /// `serverAuth`, `codeSigning`, `timeStamping`, `OCSPSigning` and the IPsec purposes do not.
    public static let documentSigningPurposes: [String: String] = [
        "2.5.29.37.0": "anyExtendedKeyUsage",
        "1.3.6.1.5.5.7.3.36": "documentSigning",
        "1.3.6.1.5.5.7.3.4": "emailProtection",
        "1.3.6.1.5.5.7.3.2": "clientAuth",
    ]

    /// Names of the usual purposes that do not allow signing documents, for messages.
    static let otherPurposeNames: [String: String] = [
        "1.3.6.1.5.5.7.3.1": "serverAuth",
        "1.3.6.1.5.5.7.3.3": "codeSigning",
        "1.3.6.1.5.5.7.3.5": "ipsecEndSystem",
        "1.3.6.1.5.5.7.3.6": "ipsecTunnel",
        "1.3.6.1.5.5.7.3.7": "ipsecUser",
        "1.3.6.1.5.5.7.3.8": "timeStamping",
        "1.3.6.1.5.5.7.3.9": "OCSPSigning",
        "1.3.6.1.5.5.7.3.17": "ipsecIKE",
    ]

    /// The Russian national OID arc: extended key usages under it name Russian information systems.
    static let russianArc = "1.2.643."

    /// Every rule the certificate breaks, in the order above; empty when it is fit.
    public let findings: [Finding]

    /// True when the certificate may sign documents.
    public var isFit: Bool { findings.isEmpty }

    /// Judges `certificate`.
    public init(_ certificate: Certificate) {
        var findings: [Finding] = []
        let x509 = certificate.x509
        let flags = X509_get_extension_flags(x509)  // also caches the extensions OpenSSL reads below
        if flags & UInt32(EXFLAG_BCONS) != 0, flags & UInt32(EXFLAG_CA) != 0 {
            findings.append(
                Finding(
                    rule: .basicConstraints, found: "CA:TRUE (a certification authority's certificate)",
                    required: "CA:FALSE or no basicConstraints: a CA key signs certificates, not documents"))
        }
        if !certificate.allowsDocumentSigning {
            findings.append(
                Finding(
                    rule: .keyUsage, found: Self.keyUsageText(X509_get_key_usage(x509)),
                    required: "digitalSignature or nonRepudiation (contentCommitment)"))
        }
        if let purposes = Self.extendedKeyUsages(x509), !purposes.contains(where: Self.allowsDocumentSigning) {
            let names = purposes.map(Self.purposeText).joined(separator: ", ")
            findings.append(
                Finding(
                    rule: .extendedKeyUsage, found: purposes.isEmpty ? "empty" : names,
                    required:
                        "one of anyExtendedKeyUsage, documentSigning (1.3.6.1.5.5.7.3.36), emailProtection, clientAuth, or a purpose under 1.2.643"
                ))
        }
        let bits = certificate.keyBits
        if let family = certificate.keyFamily, let minimum = Self.minimumKeyBits[family], bits < minimum {
            findings.append(
                Finding(
                    rule: .keyStrength, found: "\(family.rawValue) \(bits) bits",
                    required: "at least \(minimum) bits for \(family.rawValue)"))
        }
        self.findings = findings
    }

    static func allowsDocumentSigning(_ oid: String) -> Bool {
        documentSigningPurposes[oid] != nil || oid.hasPrefix(russianArc)
    }

    static func purposeText(_ oid: String) -> String {
        let name = documentSigningPurposes[oid] ?? otherPurposeNames[oid]
        return name.map { "\($0) (\(oid))" } ?? oid
    }

    /// The dotted OIDs of the extendedKeyUsage extension; nil when the certificate has none. An
    /// extension OpenSSL cannot decode counts as one allowing nothing.
    static func extendedKeyUsages(_ x509: OpaquePointer) -> [String]? {
        var critical: Int32 = 0
        guard let raw = X509_get_ext_d2i(x509, NID_ext_key_usage, &critical, nil) else {
            _ = drainOpenSSLErrors()
            // -1: absent; -2: present more than once; otherwise present but undecodable.
            return critical == -1 ? nil : []
        }
        let stack = OpaquePointer(raw)
        defer { EXTENDED_KEY_USAGE_free(stack) }
        var oids: [String] = []
        for index in 0..<OPENSSL_sk_num(stack) {
            guard let object = OPENSSL_sk_value(stack, index) else { continue }
            oids.append(objectText(OpaquePointer(object)))
        }
        return oids
    }

    static func keyUsageText(_ usage: UInt32) -> String {
        let names: [(Int32, String)] = [
            (KU_DIGITAL_SIGNATURE, "digitalSignature"), (KU_NON_REPUDIATION, "nonRepudiation"),
            (KU_KEY_ENCIPHERMENT, "keyEncipherment"), (KU_DATA_ENCIPHERMENT, "dataEncipherment"),
            (KU_KEY_AGREEMENT, "keyAgreement"), (KU_KEY_CERT_SIGN, "keyCertSign"), (KU_CRL_SIGN, "cRLSign"),
            (KU_ENCIPHER_ONLY, "encipherOnly"), (KU_DECIPHER_ONLY, "decipherOnly"),
        ]
        let present = names.filter { usage & UInt32($0.0) != 0 }.map(\.1)
        return present.isEmpty ? "empty" : present.joined(separator: ", ")
    }
}

extension Certificate {
    /// Whether this certificate is fit to sign documents, with every reason it is not.
    public var documentSigningFitness: SignerCertificateFitness { SignerCertificateFitness(self) }
}
