internal import CMezhvedShims
internal import COpenSSL
import Foundation

/// An X.509 certificate: the one owner of an OpenSSL `X509`, freed in `deinit`. Immutable.
public final class Certificate: @unchecked Sendable, CustomStringConvertible {
    package let x509: OpaquePointer
    /// The DER encoding.
    public let der: [UInt8]

    package init(owning x509: OpaquePointer) throws {
        self.x509 = x509
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_X509(x509, &buffer)
        guard length > 0, let buffer else {
            X509_free(x509)  // deinit does not run for a half-initialised object
            throw XMLDSigError(.certificateUnusable, "a certificate could not be encoded", openSSLErrors: drainOpenSSLErrors())
        }
        self.der = Array(UnsafeBufferPointer(start: buffer, count: Int(length)))
        CRYPTO_free(buffer, #fileID, #line)
        var digest = [UInt8](repeating: 0, count: 32)
        var digestLength: UInt32 = 0
        EVP_Digest(der, der.count, &digest, &digestLength, EVP_sha256(), nil)
        self.sha256Fingerprint = hexString(digest)
        self.notBefore = Self.date(X509_get0_notBefore(x509))
        self.notAfter = Self.date(X509_get0_notAfter(x509))
    }

    deinit { X509_free(x509) }

    /// Parses one DER certificate, or returns the one already parsed from the same bytes: parsing
    /// (public-key decoding above all) is costly in OpenSSL 3.0, and a gateway sees the same few
    /// signers and CAs in every document.
    static func cached(base64 text: String, source: String) throws -> Certificate {
        if let hit = CertificateCache.shared.lookup(text) { return hit }
        guard let der = Base64.decode(text) else {
            throw XMLDSigError(.certificateUnusable, "\(source) is not base64")
        }
        let certificate = try Certificate(der: der, source: source)
        CertificateCache.shared.store(text, certificate)
        return certificate
    }

    private let summaryLock = NSLock()
    nonisolated(unsafe) private var cachedSummary: CertificateSummary?

    /// The report form of this certificate, computed once.
    package var summary: CertificateSummary {
        summaryLock.lock()
        defer { summaryLock.unlock() }
        if let cachedSummary { return cachedSummary }
        let made = CertificateSummary(self)
        cachedSummary = made
        return made
    }

    /// Parses one DER certificate.
    public convenience init(der: [UInt8], source: String) throws {
        CryptoRuntime.ready()
        var pointer: UnsafePointer<UInt8>? = nil
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            pointer = buffer.baseAddress
            return d2i_X509(nil, &pointer, buffer.count)
        }
        guard let parsed else {
            throw XMLDSigError(
                .certificateUnusable, "\(source) is not a DER X.509 certificate", openSSLErrors: drainOpenSSLErrors())
        }
        try self.init(owning: parsed)
    }

    /// Parses every certificate of a PEM file (a chain may hold several).
    public static func loadPEM(_ pem: [UInt8], source: String) throws -> [Certificate] {
        CryptoRuntime.ready()
        var result: [Certificate] = []
        try withMemoryBIO(pem) { bio in
            while let x = PEM_read_bio_X509(bio, nil, nil, nil) {
                result.append(try Certificate(owning: x))
            }
        }
        _ = drainOpenSSLErrors()  // the end of the PEM stream leaves "no start line" behind
        if result.isEmpty {
            // Maybe DER.
            if let single = try? Certificate(der: pem, source: source) { return [single] }
            throw XMLDSigError(
                .certificateUnusable, "\(source) holds no certificate", hint: "give a PEM or DER X.509 certificate file")
        }
        return result
    }

    /// Loads the certificate(s) of a PEM or DER file.
    public static func load(contentsOf path: String) throws -> [Certificate] {
        try loadPEM(readFile(path, what: "certificate file", limit: InputLimits.keyMaterial), source: path)
    }

    /// The subject, RFC 2253 style (`CN=…,O=…`), UTF-8.
    public var subject: String { Self.render(X509_get_subject_name(x509)) }
    /// The issuer, RFC 2253 style.
    public var issuer: String { Self.render(X509_get_issuer_name(x509)) }

    /// The subject's common name, if any.
    public var commonName: String? { Self.entry(X509_get_subject_name(x509), nid: NID_commonName) }
    /// The issuer's common name, if any.
    public var issuerCommonName: String? { Self.entry(X509_get_issuer_name(x509), nid: NID_commonName) }
    /// The subject's organisation, if any.
    public var organization: String? { Self.entry(X509_get_subject_name(x509), nid: NID_organizationName) }

    /// The serial number in hexadecimal.
    public var serialNumber: String {
        guard let bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x509), nil) else { return "" }
        defer { BN_free(bn) }
        guard let hex = BN_bn2hex(bn) else { return "" }
        defer { CRYPTO_free(hex, #fileID, #line) }
        return String(cString: hex)
    }

    /// Start of validity.
    public let notBefore: Date
    /// End of validity.
    public let notAfter: Date

    /// The public key's family, or nil for one mezhved does not sign with.
    public var keyFamily: KeyFamily? {
        guard let key = X509_get0_pubkey(x509) else { _ = drainOpenSSLErrors(); return nil }
        return MezhvedXMLDSig.keyFamily(of: key)
    }

    /// The public key size in bits.
    public var keyBits: Int {
        guard let key = X509_get0_pubkey(x509) else { return 0 }
        return Int(EVP_PKEY_get_bits(key))
    }

    /// SHA-256 of the DER encoding, lowercase hex.
    public let sha256Fingerprint: String

    /// Whether the key usage extension allows signing documents (digitalSignature or
    /// nonRepudiation); a certificate without the extension allows every use.
    public var allowsDocumentSigning: Bool {
        let usage = X509_get_key_usage(x509)
        if usage == UInt32.max { return true }  // no extension
        return usage & UInt32(KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION) != 0
    }

    /// Whether this certificate issued `other` (names and signature checked).
    package func issued(_ other: Certificate) -> Bool {
        let result = X509_check_issued(x509, other.x509) == X509_V_OK
        _ = drainOpenSSLErrors()
        return result
    }

    public var description: String { subject }

    private static func render(_ name: OpaquePointer?) -> String {
        guard let name else { return "" }
        let bytes =
            (try? collectingMemoryBIO { bio in
                _ = X509_NAME_print_ex(bio, name, 0, mz_name_print_flags())
            }) ?? []
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func entry(_ name: OpaquePointer?, nid: Int32) -> String? {
        guard let name else { return nil }
        let index = X509_NAME_get_index_by_NID(name, nid, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(name, index), let data = X509_NAME_ENTRY_get_data(entry) else {
            return nil
        }
        var utf8: UnsafeMutablePointer<UInt8>? = nil
        let length = ASN1_STRING_to_UTF8(&utf8, data)
        guard length >= 0, let utf8 else { return nil }
        defer { CRYPTO_free(utf8, #fileID, #line) }
        return String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
    }

    private static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date {
        guard let time else { return .distantPast }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return .distantPast }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }
}

/// What a report says of a certificate. Personal identifiers of individuals (SNILS, a person's
/// INN) are redacted from the names: reports are printed and archived, and must not spread
/// personal data; the full certificate stays in the signed document.
public struct CertificateSummary: Sendable, Codable, Equatable {
    /// The subject (RFC 2253 order), personal identifiers redacted.
    public let subject: String
    /// The issuer (RFC 2253 order), personal identifiers redacted.
    public let issuer: String
    /// The subject's common name (for a qualified certificate: the official's name or the CA's name).
    public let commonName: String?
    /// The subject's organisation.
    public let organization: String?
    public let serialNumber: String
    public let notBefore: Date
    public let notAfter: Date
    public let keyAlgorithm: String
    public let sha256Fingerprint: String

    public init(_ certificate: Certificate) {
        subject = Self.redacted(certificate.subject)
        issuer = Self.redacted(certificate.issuer)
        commonName = certificate.commonName
        organization = certificate.organization
        serialNumber = certificate.serialNumber
        notBefore = certificate.notBefore
        notAfter = certificate.notAfter
        keyAlgorithm = certificate.keyFamily?.rawValue ?? "unsupported"
        sha256Fingerprint = certificate.sha256Fingerprint
    }

    /// Replaces the value of SNILS and of a person's 12-digit INN with `[redacted]`.
    ///
    /// A plain scan rather than regular expressions: on Linux every `NSRegularExpression` compiles
    /// an ICU pattern, which cost a one-document `mezhved verify` about 3 ms.
    static func redacted(_ name: String) -> String {
        guard name.contains("SNILS") || name.contains("INN=") || name.contains("1.2.643.100.3=") else { return name }
        let isHex: (UInt8) -> Bool = { (0x30...0x39).contains($0) || (0x41...0x46).contains($0) || (0x61...0x66).contains($0) }
        let isDigit: (UInt8) -> Bool = { (0x30...0x39).contains($0) }
        let isWordCharacter: (UInt8) -> Bool = {
            isDigit($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x5F || $0 >= 0x80
        }
        // Each label with the length of the value it hides at a given position (0: nothing to hide).
        let rules: [(label: [UInt8], valueLength: ([UInt8], Int) -> Int)] = [
            (
                Array("SNILS=".utf8),
                { bytes, start in
                    var end = start
                    while end < bytes.count, isHex(bytes[end]) || bytes[end] == 0x23 || bytes[end] == 0x2D { end += 1 }
                    return end - start
                }
            ),
            (
                Array("INN=".utf8),
                { bytes, start in
                    guard start + 12 <= bytes.count, bytes[start..<start + 12].allSatisfy(isDigit) else { return 0 }
                    return start + 12 == bytes.count || !isWordCharacter(bytes[start + 12]) ? 12 : 0
                }
            ),
            (
                Array("1.2.643.100.3=".utf8),
                { bytes, start in
                    var end = start
                    while end < bytes.count, isHex(bytes[end]) || bytes[end] == 0x23 { end += 1 }
                    return end - start
                }
            ),
        ]
        var bytes = Array(name.utf8)
        for rule in rules {
            var output: [UInt8] = []
            output.reserveCapacity(bytes.count)
            var index = 0
            while index < bytes.count {
                if bytes.count - index >= rule.label.count, bytes[index..<index + rule.label.count].elementsEqual(rule.label) {
                    let valueStart = index + rule.label.count
                    let length = rule.valueLength(bytes, valueStart)
                    if length > 0 {
                        output += rule.label
                        output += Array("[redacted]".utf8)
                        index = valueStart + length
                        continue
                    }
                }
                output.append(bytes[index])
                index += 1
            }
            bytes = output
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A bounded, thread-safe cache of parsed certificates keyed by their base64 text as it stands in
/// `KeyInfo` (so that a hit costs neither decoding nor parsing).
final class CertificateCache: @unchecked Sendable {
    static let shared = CertificateCache(capacity: 512)

    private let lock = NSLock()
    private var entries: [String: Certificate] = [:]
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func lookup(_ text: String) -> Certificate? {
        lock.lock()
        defer { lock.unlock() }
        return entries[text]
    }

    func store(_ text: String, _ certificate: Certificate) {
        lock.lock()
        defer { lock.unlock() }
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[text] = certificate
    }
}
