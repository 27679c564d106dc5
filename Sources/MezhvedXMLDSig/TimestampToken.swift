internal import CMezhvedShims
internal import COpenSSL
import Foundation
import MezhvedCore

/// Obtains RFC 3161 timestamps: given the digest of some data, returns a DER `TimeStampToken`
/// (CMS SignedData over a TSTInfo) whose message imprint is that digest. XAdES-T signing calls
/// it with the digest of the canonical `ds:SignatureValue` element
/// (``XMLSigner/signAwaitingTimestamp(_:sourceName:options:)``).
public protocol SignatureTimestamper: Sendable {
    /// Returns the DER TimeStampToken over `digest`, computed with `algorithm`. It usually waits
    /// on the network: an implementation must not block the calling thread meanwhile.
    func timestamp(messageImprint digest: [UInt8], algorithm: DigestAlgorithm) async throws -> [UInt8]
}

/// A parsed RFC 3161 TimeStampToken: what its TSTInfo says and which certificates it carries.
/// Parsing says nothing about validity: ``verify(covering:trustStore:intermediates:at:id:)`` checks it.
public struct TimestampToken: Sendable {
    /// The token, DER (a CMS ContentInfo with SignedData).
    public let der: [UInt8]
    /// When the TSA stamped (TSTInfo genTime, UTC, whole seconds).
    public let genTime: Date
    /// The TSTInfo serial number, uppercase hex.
    public let serialNumber: String
    /// The TSA policy under which the token was issued (dotted OID).
    public let policy: String
    /// The message imprint's hash algorithm (dotted OID).
    public let hashAlgorithmOID: String
    /// The message imprint's hash algorithm, when it is one mezhved knows.
    public let digestAlgorithm: DigestAlgorithm?
    /// The hashed message: the digest the token vouches for.
    public let messageImprint: [UInt8]
    /// The nonce of the request, big-endian, if the TSA echoed one.
    public let nonce: [UInt8]?
    /// The TSA's name from TSTInfo (a directory name, RFC 2253 style), if given.
    public let tsaName: String?
    /// Every certificate in the token (the TSA's and any chain it added).
    public let certificates: [Certificate]
    /// The certificate of the TSA that signed the token (found in the token by issuer and serial),
    /// or nil when the token does not carry it.
    public let signerCertificate: Certificate?

    /// Parses a DER TimeStampToken.
    /// - Parameter source: how to name the token in messages.
    public init(der: [UInt8], source: String) throws {
        CryptoRuntime.ready()
        self.der = der
        typealias Fields = (Date, String, String, String, [UInt8], [UInt8]?, String?, [Certificate], Certificate?)
        let fields: Fields = try withPKCS7(der, source: source) { p7 in
            guard let info = PKCS7_to_TS_TST_INFO(p7) else {
                throw XMLDSigError(
                    .malformedTimestamp, "\(source) is not a timestamp token: its signed content is not a TSTInfo",
                    openSSLErrors: drainOpenSSLErrors())
            }
            defer { TS_TST_INFO_free(info) }
            let genTime = asn1Date(TS_TST_INFO_get_time(info))
            guard let genTime else {
                throw XMLDSigError(.malformedTimestamp, "\(source) has an unreadable genTime", openSSLErrors: drainOpenSSLErrors())
            }
            let serial = integerHex(TS_TST_INFO_get_serial(info))
            let policy = objectText(TS_TST_INFO_get_policy_id(info))
            guard let imprint = TS_TST_INFO_get_msg_imprint(info), let algorithm = TS_MSG_IMPRINT_get_algo(imprint),
                let message = TS_MSG_IMPRINT_get_msg(imprint)
            else {
                throw XMLDSigError(.malformedTimestamp, "\(source) has no message imprint")
            }
            var object: OpaquePointer? = nil
            X509_ALGOR_get0(&object, nil, nil, algorithm)
            let hashOID = objectText(object)
            let nonce = TS_TST_INFO_get_nonce(info).map { integerBytes($0) }
            var tsaName: String? = nil
            if let name = TS_TST_INFO_get_tsa(info) {
                var type: Int32 = 0
                if let value = GENERAL_NAME_get0_value(name, &type), type == GEN_DIRNAME {
                    tsaName = CertificateSummary.redacted(renderName(OpaquePointer(value)))
                }
            }
            var certificates: [Certificate] = []
            if let signed = p7.pointee.d.sign, let stack = signed.pointee.cert {
                for index in 0..<OPENSSL_sk_num(stack) {
                    guard let raw = OPENSSL_sk_value(stack, index) else { continue }
                    let x509 = OpaquePointer(raw)
                    X509_up_ref(x509)
                    certificates.append(try Certificate(owning: x509))
                }
            }
            var signer: Certificate? = nil
            if let signers = PKCS7_get0_signers(p7, nil, 0) {
                if OPENSSL_sk_num(signers) >= 1, let raw = OPENSSL_sk_value(signers, 0) {
                    signer = certificates.first { $0.x509 == OpaquePointer(raw) }
                }
                OPENSSL_sk_free(signers)
            }
            _ = drainOpenSSLErrors()
            return (genTime, serial, policy, hashOID, bytes(of: message), nonce, tsaName, certificates, signer)
        }
        (genTime, serialNumber, policy, hashAlgorithmOID, messageImprint, nonce, tsaName, certificates, signerCertificate) = fields
        digestAlgorithm = DigestAlgorithm(oid: hashAlgorithmOID)
    }

    /// Checks the token as a timestamp over `data`: the CMS signature and the ESS signing-certificate
    /// binding, the TSA certificate's critical extended key usage id-kp-timeStamping, its path to
    /// `trustStore` at `time`, and that the message imprint is the digest of `data`. Never throws:
    /// every failure is in the returned value's `problems`.
    /// - Parameter id: the Id of the XML element that carried the token, for the report.
    public func verify(covering data: [UInt8], trustStore: TrustStore, intermediates: [Certificate] = [], at time: Date, id: String? = nil)
        -> TimestampInfo
    {
        var problems: [String] = []
        // Message imprint.
        var imprintMatches = false
        if let algorithm = digestAlgorithm, !algorithm.isLegacy {
            do {
                let digest = try DigestContext.digest(data, algorithm)
                imprintMatches = constantTimeEqual(digest, messageImprint)
                if !imprintMatches {
                    problems.append("the timestamp's message imprint is not the \(algorithm.displayName) digest of what it should cover")
                }
            } catch {
                problems.append("the imprint could not be recomputed: \(error)")
            }
        } else {
            problems.append("the timestamp's imprint algorithm \(hashAlgorithmOID) is not accepted (Streebog or SHA-2 expected)")
        }
        // CMS signature and ESS binding.
        var signatureValid = false
        if let signer = signerCertificate {
            do {
                signatureValid = try checkSignature(signer: signer, problems: &problems)
            } catch {
                problems.append("the timestamp's signature could not be checked: \(error)")
            }
        } else {
            problems.append("the timestamp does not carry the TSA's certificate, so its signature cannot be checked")
        }
        // The TSA certificate: purpose and path.
        var tsaTrusted = false
        var path: [Certificate] = []
        if let signer = signerCertificate {
            let purpose = timestampingPurposeProblem(signer)
            if let purpose { problems.append(purpose) }
            let result = trustStore.validate(signer, untrusted: certificates.filter { $0 !== signer } + intermediates, at: time)
            path = result.chain
            if let failure = result.failure {
                problems.append(
                    "the TSA certificate (\(signer.commonName ?? signer.subject)) does not chain to a trusted CA at \(ISOTime.string(time)): \(failure.message)"
                )
            } else if purpose == nil {
                tsaTrusted = true
            }
            if genTime < signer.notBefore || genTime > signer.notAfter {
                problems.append("the TSA certificate was not valid at the stamped time")
            }
        }
        return TimestampInfo(
            id: id, genTime: genTime, serialNumber: serialNumber, policy: policy,
            digestAlgorithm: digestAlgorithm?.uri ?? hashAlgorithmOID, tsa: signerCertificate?.summary, tsaChain: path.map(\.summary),
            imprintMatches: imprintMatches, signatureValid: signatureValid, tsaTrusted: tsaTrusted, problems: problems, tsaPath: path,
            token: der)
    }

    /// Verifies the SignedData signature (with the signer's key, without chain building) and that the
    /// signed ESS signing-certificate attribute names the signer's certificate.
    private func checkSignature(signer: Certificate, problems: inout [String]) throws -> Bool {
        try withPKCS7(der, source: "the timestamp") { p7 in
            guard let signers = OPENSSL_sk_new_null() else { return false }
            defer { OPENSSL_sk_free(signers) }
            OPENSSL_sk_push(signers, UnsafeRawPointer(signer.x509))
            let verified = PKCS7_verify(p7, signers, nil, nil, nil, Int32(PKCS7_NOVERIFY) | Int32(PKCS7_NOINTERN)) == 1
            let errors = drainOpenSSLErrors()
            if !verified {
                problems.append(
                    "the timestamp's signature does not verify with the TSA certificate (forged or altered)"
                        + (errors.isEmpty ? "" : " [OpenSSL: \(errors.joined(separator: "; "))]"))
                return false
            }
            guard let infos = PKCS7_get_signer_info(p7), OPENSSL_sk_num(infos) == 1, let si = OPENSSL_sk_value(infos, 0) else {
                problems.append("the timestamp must have exactly one signer")
                return false
            }
            let signerInfo = si.assumingMemoryBound(to: PKCS7_SIGNER_INFO.self)
            var v1: OpaquePointer? = nil
            var v2: OpaquePointer? = nil
            if let attribute = PKCS7_get_signed_attribute(signerInfo, NID_id_smime_aa_signingCertificateV2),
                attribute.pointee.type == V_ASN1_SEQUENCE, let sequence = attribute.pointee.value.sequence
            {
                var pointer = ASN1_STRING_get0_data(sequence)
                v2 = d2i_ESS_SIGNING_CERT_V2(nil, &pointer, Int(ASN1_STRING_length(sequence)))
            }
            if let attribute = PKCS7_get_signed_attribute(signerInfo, NID_id_smime_aa_signingCertificate),
                attribute.pointee.type == V_ASN1_SEQUENCE, let sequence = attribute.pointee.value.sequence
            {
                var pointer = ASN1_STRING_get0_data(sequence)
                v1 = d2i_ESS_SIGNING_CERT(nil, &pointer, Int(ASN1_STRING_length(sequence)))
            }
            defer {
                if let v1 { ESS_SIGNING_CERT_free(v1) }
                if let v2 { ESS_SIGNING_CERT_V2_free(v2) }
            }
            guard v1 != nil || v2 != nil else {
                _ = drainOpenSSLErrors()
                problems.append("the timestamp lacks the signed ESS signing-certificate attribute that binds the TSA certificate")
                return false
            }
            guard let chain = OPENSSL_sk_new_null() else { return false }
            defer { OPENSSL_sk_free(chain) }
            OPENSSL_sk_push(chain, UnsafeRawPointer(signer.x509))
            let bound = OSSL_ESS_check_signing_certs(v1, v2, chain, 1) > 0
            let essErrors = drainOpenSSLErrors()
            if !bound {
                problems.append(
                    "the timestamp's ESS signing-certificate attribute does not name the certificate it was verified with"
                        + (essErrors.isEmpty ? "" : " [OpenSSL: \(essErrors.joined(separator: "; "))]"))
            }
            return bound
        }
    }
}

/// Why `certificate` may not sign timestamps (RFC 3161 §2.3: the extended key usage must be
/// present, critical, and hold id-kp-timeStamping only), or nil when it may.
func timestampingPurposeProblem(_ certificate: Certificate) -> String? {
    let x509 = certificate.x509
    let flags = X509_get_extension_flags(x509)
    guard flags & UInt32(EXFLAG_XKUSAGE) != 0, X509_get_extended_key_usage(x509) == UInt32(XKU_TIMESTAMP) else {
        return "the TSA certificate's extended key usage is not id-kp-timeStamping alone (RFC 3161 §2.3)"
    }
    let index = X509_get_ext_by_NID(x509, NID_ext_key_usage, -1)
    guard index >= 0, let extensionEntry = X509_get_ext(x509, index), X509_EXTENSION_get_critical(extensionEntry) == 1 else {
        return "the TSA certificate's extended key usage id-kp-timeStamping is not critical (RFC 3161 §2.3)"
    }
    return nil
}

/// What a report says of one RFC 3161 timestamp.
public struct TimestampInfo: Sendable, Codable {
    /// The Id of the element that carried it (`xades:SignatureTimeStamp/@Id`), if any.
    public let id: String?
    /// When the TSA stamped (TSTInfo genTime).
    public let genTime: Date
    /// The token's serial number (hex).
    public let serialNumber: String
    /// The TSA policy OID.
    public let policy: String
    /// The imprint's digest algorithm: an XMLDSig digest URI, or the OID when mezhved does not know it.
    public let digestAlgorithm: String
    /// The TSA's certificate.
    public let tsa: CertificateSummary?
    /// The validated path of the TSA's certificate, TSA first (empty when none was built).
    public let tsaChain: [CertificateSummary]
    /// Whether the token's message imprint is the digest of what it must cover.
    public let imprintMatches: Bool
    /// Whether the token's CMS signature verifies with the TSA certificate and the certificate is
    /// the one its ESS signing-certificate attribute names.
    public let signatureValid: Bool
    /// Whether the TSA certificate may stamp (critical id-kp-timeStamping) and chains to the trust store.
    public let tsaTrusted: Bool
    /// Every problem found, empty for a good timestamp.
    public let problems: [String]
    /// The validated path as certificates (TSA first). Not part of the JSON form.
    public let tsaPath: [Certificate]
    /// The DER TimeStampToken. Not part of the JSON form.
    public let token: [UInt8]

    /// True when the imprint matches, the signature holds and the TSA is trusted.
    public var isValid: Bool { imprintMatches && signatureValid && tsaTrusted && problems.isEmpty }

    enum CodingKeys: String, CodingKey {
        case id, genTime, serialNumber, policy, digestAlgorithm, tsa, tsaChain, imprintMatches, signatureValid, tsaTrusted, problems
    }

    /// Makes the report part (``TimestampToken/verify(covering:trustStore:intermediates:at:id:)`` fills it).
    public init(
        id: String?, genTime: Date, serialNumber: String, policy: String, digestAlgorithm: String, tsa: CertificateSummary?,
        tsaChain: [CertificateSummary], imprintMatches: Bool, signatureValid: Bool, tsaTrusted: Bool, problems: [String],
        tsaPath: [Certificate], token: [UInt8]
    ) {
        self.id = id
        self.genTime = genTime
        self.serialNumber = serialNumber
        self.policy = policy
        self.digestAlgorithm = digestAlgorithm
        self.tsa = tsa
        self.tsaChain = tsaChain
        self.imprintMatches = imprintMatches
        self.signatureValid = signatureValid
        self.tsaTrusted = tsaTrusted
        self.problems = problems
        self.tsaPath = tsaPath
        self.token = token
    }

    /// Reads the JSON form; the certificates and the token are not part of it and come back empty.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(String.self, forKey: .id)
        genTime = try c.decode(Date.self, forKey: .genTime)
        serialNumber = try c.decode(String.self, forKey: .serialNumber)
        policy = try c.decode(String.self, forKey: .policy)
        digestAlgorithm = try c.decode(String.self, forKey: .digestAlgorithm)
        tsa = try c.decodeIfPresent(CertificateSummary.self, forKey: .tsa)
        tsaChain = try c.decode([CertificateSummary].self, forKey: .tsaChain)
        imprintMatches = try c.decode(Bool.self, forKey: .imprintMatches)
        signatureValid = try c.decode(Bool.self, forKey: .signatureValid)
        tsaTrusted = try c.decode(Bool.self, forKey: .tsaTrusted)
        problems = try c.decode([String].self, forKey: .problems)
        tsaPath = []
        token = []
    }
}

// MARK: - OpenSSL helpers

/// Runs `body` with the PKCS7 (CMS SignedData) parsed from `der`, freed afterwards.
private func withPKCS7<T>(_ der: [UInt8], source: String, _ body: (UnsafeMutablePointer<PKCS7>) throws -> T) throws -> T {
    var pointer: UnsafePointer<UInt8>? = nil
    let parsed: UnsafeMutablePointer<PKCS7>? = der.withUnsafeBufferPointer { buffer in
        pointer = buffer.baseAddress
        return d2i_PKCS7(nil, &pointer, buffer.count)
    }
    guard let parsed else {
        throw XMLDSigError(
            .malformedTimestamp, "\(source) is not a DER timestamp token (CMS SignedData)",
            hint: "the token may be truncated or not base64 of DER", openSSLErrors: drainOpenSSLErrors())
    }
    defer { PKCS7_free(parsed) }
    guard OBJ_obj2nid(parsed.pointee.type) == NID_pkcs7_signed else {
        throw XMLDSigError(.malformedTimestamp, "\(source) is a CMS object but not SignedData")
    }
    return try body(parsed)
}

/// The dotted form of an ASN.1 object identifier.
func objectText(_ object: OpaquePointer?) -> String {
    guard let object else { return "" }
    var buffer = [CChar](repeating: 0, count: 128)
    let length = OBJ_obj2txt(&buffer, Int32(buffer.count), object, 1)
    guard length > 0 else { return "" }
    return String(decoding: buffer.prefix(Int(min(length, 127))).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// An ASN.1 INTEGER's magnitude, big-endian.
func integerBytes(_ integer: UnsafePointer<ASN1_INTEGER>?) -> [UInt8] {
    guard let integer, let number = ASN1_INTEGER_to_BN(integer, nil) else { return [] }
    defer { BN_free(number) }
    var out = [UInt8](repeating: 0, count: Int((BN_num_bits(number) + 7) / 8))
    _ = BN_bn2bin(number, &out)
    return out
}

/// An ASN.1 INTEGER as uppercase hex.
func integerHex(_ integer: UnsafePointer<ASN1_INTEGER>?) -> String {
    let bytes = integerBytes(integer)
    return bytes.isEmpty ? "00" : hexString(bytes).uppercased()
}

/// The bytes of an ASN.1 string.
func bytes(of string: UnsafePointer<ASN1_STRING>?) -> [UInt8] {
    guard let string, let data = ASN1_STRING_get0_data(string) else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(string))))
}

/// An ASN.1 time as a date.
func asn1Date(_ time: UnsafePointer<ASN1_TIME>?) -> Date? {
    guard let time else { return nil }
    var parts = tm()
    guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
    return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
}

/// An X.509 name, RFC 2253 style, UTF-8.
func renderName(_ name: OpaquePointer) -> String {
    let bytes = (try? collectingMemoryBIO { bio in _ = X509_NAME_print_ex(bio, name, 0, mz_name_print_flags()) }) ?? []
    return String(decoding: bytes, as: UTF8.self)
}
