internal import CLibXML2
internal import COpenSSL
import Foundation
import MezhvedCore

/// XAdES (ETSI EN 319 132-1) names used by mezhved.
public enum XAdESNamespace {
    /// The XAdES 1.3.2 namespace, `xades:`. EN 319 132-1 keeps `QualifyingProperties`,
    /// `SigningTime`, `SigningCertificateV2` (with `IssuerSerialV2`) and `SignatureTimeStamp` in it.
    public static let v132 = "http://uri.etsi.org/01903/v1.3.2#"
    /// The XAdES 1.4.1 namespace (`xades141:`): only for properties mezhved does not produce
    /// (`TimeStampValidationData`, `ArchiveTimeStamp`).
    public static let v141 = "http://uri.etsi.org/01903/v1.4.1#"
    /// The `Type` of the reference to `SignedProperties`.
    public static let signedPropertiesType = "http://uri.etsi.org/01903#SignedProperties"
}

/// The XAdES level of a signature mezhved makes or reports.
public enum XAdESLevel: String, Sendable, Codable, CaseIterable {
    /// XAdES-BES (EN 319 132-1 B-B): signing time and the signing certificate, signed.
    case bes = "XAdES-BES"
    /// XAdES-T (B-T): BES plus an RFC 3161 signature timestamp.
    case t = "XAdES-T"
    /// XAdES-LT (B-LT): T plus the validation data — `CertificateValues` and `RevocationValues` —
    /// so that the signature can be validated when the CA's CRL and OCSP are gone. Reported by the
    /// verifier; made by extending an XAdES-T signature (MezhvedValidation's `LongTermExtension`),
    /// never by ``XMLSigner`` directly.
    case lt = "XAdES-LT"
    /// XAdES-LTA (B-LTA): LT plus one or more `xades141:ArchiveTimeStamp` over the signature and its
    /// validation data, renewed before the last stamp's TSA certificate or algorithm expires.
    case lta = "XAdES-LTA"
}

/// The validation data an XAdES-LT signature carries in its unsigned properties, as DER.
public struct XAdESLongTermValues: Sendable, Codable, Equatable {
    /// `CertificateValues/EncapsulatedX509Certificate`: the path's certificates.
    public let certificates: [[UInt8]]
    /// `RevocationValues/CRLValues/EncapsulatedCRLValue`.
    public let crls: [[UInt8]]
    /// `RevocationValues/OCSPValues/EncapsulatedOCSPValue`: whole OCSPResponse structures.
    public let ocspResponses: [[UInt8]]

    public init(certificates: [[UInt8]], crls: [[UInt8]], ocspResponses: [[UInt8]]) {
        self.certificates = certificates
        self.crls = crls
        self.ocspResponses = ocspResponses
    }

    /// Whether anything is there.
    public var isEmpty: Bool { certificates.isEmpty && crls.isEmpty && ocspResponses.isEmpty }

    enum CodingKeys: String, CodingKey { case certificates, crls, ocspResponses }

    /// Counts only in JSON: the values themselves are in the document.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(certificates.count, forKey: .certificates)
        try c.encode(crls.count, forKey: .crls)
        try c.encode(ocspResponses.count, forKey: .ocspResponses)
    }

    public init(from decoder: Decoder) throws {
        certificates = []
        crls = []
        ocspResponses = []
    }
}

/// What a report says of a signature's XAdES qualifying properties.
public struct XAdESInfo: Sendable, Codable {
    /// BES, or T when the signature carries at least one `SignatureTimeStamp` (readable or not).
    public let level: XAdESLevel
    /// The signed `SigningTime`; nil when absent or unreadable.
    public let signingTime: Date?
    /// Whether `SigningCertificateV2` (and `IssuerSerialV2` when present) names the certificate
    /// the signature was verified with, under a `SignedProperties` whose digest matches.
    public let signingCertificateBound: Bool
    /// The `Id` of `SignedProperties`.
    public let signedPropertiesID: String?
    /// Every readable `SignatureTimeStamp`, in document order (an unreadable one is only a
    /// `timestamp` problem of the report).
    public let timestamps: [TimestampInfo]
    /// The signed properties that say what the signature means, as the signer declared them.
    public let declared: XAdESDeclaredProperties
    /// The validation data of an XAdES-LT signature; nil when it carries none.
    public let longTermValues: XAdESLongTermValues?
    /// Every readable `xades141:ArchiveTimeStamp`, in document order (XAdES-LTA).
    public let archiveTimestamps: [TimestampInfo]
    /// The time the oldest valid archive timestamp proves the signature and its validation data
    /// existed at (before the validation time): the signature timestamps were judged then (past
    /// validation), so a signature TSA certificate that expired since does not undo them. Nil
    /// without a valid archive timestamp.
    public let proofOfExistence: Date?

    /// Makes the report part (the verifier fills it).
    public init(
        level: XAdESLevel, signingTime: Date?, signingCertificateBound: Bool, signedPropertiesID: String?,
        timestamps: [TimestampInfo], declared: XAdESDeclaredProperties = XAdESDeclaredProperties(),
        longTermValues: XAdESLongTermValues? = nil, archiveTimestamps: [TimestampInfo] = [], proofOfExistence: Date? = nil
    ) {
        self.archiveTimestamps = archiveTimestamps
        self.proofOfExistence = proofOfExistence
        self.longTermValues = longTermValues
        self.level = level
        self.signingTime = signingTime
        self.signingCertificateBound = signingCertificateBound
        self.signedPropertiesID = signedPropertiesID
        self.timestamps = timestamps
        self.declared = declared
    }

    enum CodingKeys: String, CodingKey {
        case level, signingTime, signingCertificateBound, signedPropertiesID, timestamps, declared, longTermValues, archiveTimestamps,
            proofOfExistence
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        level = try c.decode(XAdESLevel.self, forKey: .level)
        signingTime = try c.decodeIfPresent(Date.self, forKey: .signingTime)
        signingCertificateBound = try c.decode(Bool.self, forKey: .signingCertificateBound)
        signedPropertiesID = try c.decodeIfPresent(String.self, forKey: .signedPropertiesID)
        timestamps = try c.decode([TimestampInfo].self, forKey: .timestamps)
        // Reports written before these properties were read carry none.
        declared = try c.decodeIfPresent(XAdESDeclaredProperties.self, forKey: .declared) ?? XAdESDeclaredProperties()
        longTermValues = nil
        archiveTimestamps = try c.decodeIfPresent([TimestampInfo].self, forKey: .archiveTimestamps) ?? []
        proofOfExistence = try c.decodeIfPresent(Date.self, forKey: .proofOfExistence)
    }
}

/// The XAdES signed properties a signer declares about the signature's meaning, reported as
/// written (cut to a readable length); mezhved judges none of them beyond their structure.
public struct XAdESDeclaredProperties: Sendable, Codable, Equatable {
    /// `SignaturePolicyIdentifier`: `"implied"` for `SignaturePolicyImplied`, else the policy's
    /// `Identifier`; nil when the property is absent (an implied policy too).
    public let signaturePolicy: String?
    /// The `CommitmentTypeId/Identifier` of each `CommitmentTypeIndication`.
    public let commitmentTypes: [String]
    /// The `ClaimedRole` texts of `SignerRoleV2` (or `SignerRole`).
    public let claimedRoles: [String]
    /// Each `DataObjectFormat`: the reference it describes and the declared format.
    public let dataObjectFormats: [DataObjectFormat]

    /// One `xades:DataObjectFormat`.
    public struct DataObjectFormat: Sendable, Codable, Equatable {
        /// `ObjectReference`: `#` and the `Id` of the `ds:Reference` described.
        public let objectReference: String
        public let mimeType: String?
        public let description: String?
        public let encoding: String?

        public init(objectReference: String, mimeType: String?, description: String?, encoding: String?) {
            self.objectReference = objectReference
            self.mimeType = mimeType
            self.description = description
            self.encoding = encoding
        }
    }

    /// The declared properties in words, one line each (none when nothing was declared).
    public var lines: [String] {
        var lines: [String] = []
        if let signaturePolicy {
            lines.append(signaturePolicy == "implied" ? "signature policy implied" : "signature policy \(signaturePolicy) (not applied)")
        }
        if !claimedRoles.isEmpty { lines.append("claimed role " + claimedRoles.joined(separator: ", ")) }
        if !commitmentTypes.isEmpty { lines.append("commitment " + commitmentTypes.joined(separator: ", ")) }
        for format in dataObjectFormats {
            let what = [format.mimeType, format.encoding, format.description.map { "\"\($0)\"" }].compactMap { $0 }
            lines.append("data object \(format.objectReference): " + (what.isEmpty ? "no format given" : what.joined(separator: ", ")))
        }
        return lines
    }

    public init(
        signaturePolicy: String? = nil, commitmentTypes: [String] = [], claimedRoles: [String] = [],
        dataObjectFormats: [DataObjectFormat] = []
    ) {
        self.signaturePolicy = signaturePolicy
        self.commitmentTypes = commitmentTypes
        self.claimedRoles = claimedRoles
        self.dataObjectFormats = dataObjectFormats
    }
}

enum XAdES {
    /// The digest of certificates (`CertDigest`) and of the timestamped `SignatureValue`: Streebog
    /// of the key's size for GOST, SHA-256 otherwise.
    static func propertyDigest(for algorithm: SignatureAlgorithm) -> DigestAlgorithm {
        algorithm.digest.isGOST ? algorithm.digest : .sha256
    }

    /// `xsd:dateTime` in UTC with `Z`, whole seconds.
    static func dateTimeString(_ date: Date) -> String { ISOTime.string(date) }

    /// Reads an `xsd:dateTime` (with or without fractional seconds; a zone is required).
    static func parseDateTime(_ text: String) -> Date? {
        ISOTime.date(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// A fresh Id for signature parts: `prefix-` and a random UUID (an NCName).
    static func newID(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.lowercased())" }
}

extension Certificate {
    /// The DER `IssuerSerial` of RFC 5035 (`SEQUENCE { issuer GeneralNames, serialNumber }`, the
    /// issuer as one directoryName): the value of XAdES `IssuerSerialV2`, base64-encoded there.
    package var issuerSerialDER: [UInt8] {
        var name: UnsafeMutablePointer<UInt8>? = nil
        let nameLength = i2d_X509_NAME(X509_get_issuer_name(x509), &name)
        var serial: UnsafeMutablePointer<UInt8>? = nil
        let serialLength = i2d_ASN1_INTEGER(X509_get0_serialNumber(x509), &serial)
        defer {
            if let name { CRYPTO_free(name, #fileID, #line) }
            if let serial { CRYPTO_free(serial, #fileID, #line) }
        }
        guard nameLength > 0, serialLength > 0, let name, let serial else { return [] }
        let nameDER = Array(UnsafeBufferPointer(start: name, count: Int(nameLength)))
        let serialDER = Array(UnsafeBufferPointer(start: serial, count: Int(serialLength)))
        let directoryName = derElement(0xA4, nameDER)  // [4] EXPLICIT Name
        let generalNames = derElement(0x30, directoryName)
        return derElement(0x30, generalNames + serialDER)
    }
}

extension Certificate {
    /// Whether a DER `IssuerSerial` (the value of `IssuerSerialV2`) names this certificate: the
    /// same bytes as ``issuerSerialDER``, or, encoded by another hand, a directoryName equal to the
    /// issuer (`X509_NAME_cmp`) and the same serial number.
    package func matchesIssuerSerial(_ der: [UInt8]) -> Bool {
        if der == issuerSerialDER { return true }
        guard let outer = derElement(der, at: 0), outer.tag == 0x30, outer.end == der.count,
            let names = derElement(der, at: outer.content.lowerBound), names.tag == 0x30,
            let serial = derElement(der, at: names.end), serial.tag == 0x02, serial.end == outer.end
        else { return false }
        let namesDER = Array(der[names.start..<names.end])
        let serialDER = Array(der[serial.start..<serial.end])
        var pointer: UnsafePointer<UInt8>? = nil
        let generalNames: OpaquePointer? = namesDER.withUnsafeBufferPointer { buffer in
            pointer = buffer.baseAddress
            return d2i_GENERAL_NAMES(nil, &pointer, buffer.count)
        }
        let integer: UnsafeMutablePointer<ASN1_INTEGER>? = serialDER.withUnsafeBufferPointer { buffer in
            pointer = buffer.baseAddress
            return d2i_ASN1_INTEGER(nil, &pointer, buffer.count)
        }
        defer {
            if let generalNames { GENERAL_NAMES_free(generalNames) }
            if let integer { ASN1_INTEGER_free(integer) }
            _ = drainOpenSSLErrors()
        }
        guard let generalNames, let integer, ASN1_INTEGER_cmp(integer, X509_get0_serialNumber(x509)) == 0 else { return false }
        for index in 0..<OPENSSL_sk_num(generalNames) {
            guard let raw = OPENSSL_sk_value(generalNames, index) else { continue }
            var type: Int32 = 0
            if let value = GENERAL_NAME_get0_value(raw.assumingMemoryBound(to: GENERAL_NAME.self), &type), type == GEN_DIRNAME,
                X509_NAME_cmp(OpaquePointer(value), X509_get_issuer_name(x509)) == 0
            {
                return true
            }
        }
        return false
    }
}

/// The DER element starting at `offset`: where it starts and ends, its tag and its content
/// (definite lengths only); nil when `bytes` do not hold one there.
func derElement(_ bytes: [UInt8], at offset: Int) -> (start: Int, end: Int, tag: UInt8, content: Range<Int>)? {
    guard offset + 2 <= bytes.count else { return nil }
    let tag = bytes[offset]
    var index = offset + 1
    var length = Int(bytes[index])
    index += 1
    if length & 0x80 != 0 {
        let count = length & 0x7F
        guard count > 0, count <= 4, index + count <= bytes.count else { return nil }
        length = 0
        for _ in 0..<count {
            length = length << 8 | Int(bytes[index])
            index += 1
        }
    }
    guard index + length <= bytes.count else { return nil }
    return (offset, index + length, tag, index..<(index + length))
}

/// One DER element: tag, definite length, content.
func derElement(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
    var length: [UInt8]
    if content.count < 0x80 {
        length = [UInt8(content.count)]
    } else {
        var bytes: [UInt8] = []
        var n = content.count
        while n > 0 {
            bytes.insert(UInt8(n & 0xFF), at: 0)
            n >>= 8
        }
        length = [0x80 | UInt8(bytes.count)] + bytes
    }
    return [tag] + length + content
}
