internal import COpenSSL
import Foundation
import MezhvedCore
import MezhvedDocuments
import MezhvedXMLDSig

/// What a Russian qualified certificate of a legal entity's official must carry (63-FZ art. 17,
/// FSB order No. 795 as amended by No. 31 of 2021, RFC 9215), read from a certificate: every item
/// is reported by name, present or not. Personal identifiers (SNILS) are checked but never copied
/// into the result.
public struct QualifiedCertificateProfile: Sendable, Codable, Equatable {
    /// One required item and whether the certificate has it.
    public struct Item: Sendable, Codable, Equatable {
        /// A stable identifier: `ogrn`, `innle`, `organization`, `signer-name`, `signer-position`,
        /// `snils`, `subject-sign-tool`, `issuer-sign-tool`, `class-policy`, `gost-key`, `key-usage`.
        public let id: String
        /// What the item is, for people.
        public let title: String
        public let present: Bool
        /// The value found (never for personal identifiers) or why the item fails.
        public let detail: String
    }

    /// Every item checked, in a fixed order.
    public let items: [Item]
    /// The organisation's OGRN, when the certificate has a well-formed one.
    public let ogrn: String?
    /// The organisation's INN (INNLE), when the certificate has a well-formed one.
    public let innle: String?
    /// The organisation (O).
    public let organization: String?
    /// The official's name (SN GN, else CN).
    public let signerName: String?
    /// The official's position (title).
    public let signerPosition: String?
    /// The signing-tool classes the certificate's policies name (KC1 … KA1).
    public let classes: [String]

    /// Whether every item is present.
    public var isComplete: Bool { items.allSatisfy(\.present) }
    /// The items that are missing or malformed.
    public var missing: [Item] { items.filter { !$0.present } }

    /// The signing-tool class policies of FSB order 795 (1.2.643.100.113.1 … .6).
    static let classPolicies: [String: String] = [
        "1.2.643.100.113.1": "KC1", "1.2.643.100.113.2": "KC2", "1.2.643.100.113.3": "KC3",
        "1.2.643.100.113.4": "KB1", "1.2.643.100.113.5": "KB2", "1.2.643.100.113.6": "KA1",
    ]

    /// Reads the profile of `certificate`.
    public init(_ certificate: Certificate) {
        let fields = CertificateFields(certificate)
        var items: [Item] = []
        func add(_ id: String, _ title: String, _ present: Bool, _ detail: String) {
            items.append(Item(id: id, title: title, present: present, detail: detail))
        }

        let ogrnText = fields.subjectEntry("1.2.643.100.1")
        let ogrnProblem = ogrnText.map { RussianIdentifiers.ogrnProblem($0) } ?? "absent"
        add("ogrn", "OGRN of the legal entity (1.2.643.100.1)", ogrnProblem == nil, ogrnProblem.map { "OGRN \($0)" } ?? ogrnText!)
        ogrn = ogrnProblem == nil ? ogrnText : nil

        let innText = fields.subjectEntry("1.2.643.100.4")
        var innProblem = innText.map { RussianIdentifiers.innProblem($0) } ?? "absent"
        if innProblem == nil, innText?.count != 10 { innProblem = "is not a legal entity's 10-digit INN" }
        add("innle", "INN of the legal entity, INNLE (1.2.643.100.4)", innProblem == nil, innProblem.map { "INNLE \($0)" } ?? innText!)
        innle = innProblem == nil ? innText : nil

        organization = fields.subjectEntry(nid: NID_organizationName)
        add("organization", "name of the legal entity (O)", organization?.isEmpty == false, organization ?? "absent")

        let surname = fields.subjectEntry(nid: NID_surname)
        let given = fields.subjectEntry(nid: NID_givenName)
        let name = [surname, given].compactMap { $0 }.joined(separator: " ")
        signerName = name.isEmpty ? fields.subjectEntry(nid: NID_commonName) : name
        add(
            "signer-name", "the official's surname and given names (SN, GN)", surname?.isEmpty == false && given?.isEmpty == false,
            surname != nil && given != nil ? name : "SN or GN absent")

        signerPosition = fields.subjectEntry(nid: NID_title)
        add("signer-position", "the official's position (title)", signerPosition?.isEmpty == false, signerPosition ?? "absent")

        let snils = fields.subjectEntry("1.2.643.100.3")
        let snilsProblem = snils.map { RussianIdentifiers.snilsProblem($0) } ?? "absent"
        add(
            "snils", "the official's SNILS (1.2.643.100.3)", snilsProblem == nil,
            snilsProblem.map { "SNILS \($0)" } ?? "present (not shown)")

        let subjectTool = fields.extensionStrings("1.2.643.100.111")
        add(
            "subject-sign-tool", "subjectSignTool: the owner's signing tool (1.2.643.100.111)", subjectTool?.count == 1,
            subjectTool?.first ?? "absent or not one UTF8String")

        let issuerTool = fields.extensionStrings("1.2.643.100.112")
        add(
            "issuer-sign-tool", "issuerSignTool: the CA's tools and their certificates (1.2.643.100.112)", issuerTool?.count == 4,
            issuerTool.map { $0.count == 4 ? $0[0] : "holds \($0.count) strings, not 4" } ?? "absent")

        classes = fields.policies.compactMap { Self.classPolicies[$0] }
        add(
            "class-policy", "signing-tool class policy KC1…KA1 (1.2.643.100.113.x)", !classes.isEmpty,
            classes.isEmpty ? "no class policy among \(fields.policies)" : classes.joined(separator: ", "))

        let keyOID = fields.publicKeyAlgorithm
        let gost = keyOID == "1.2.643.7.1.1.1.1" || keyOID == "1.2.643.7.1.1.1.2"
        add("gost-key", "GOST R 34.10-2012 key (1.2.643.7.1.1.1.1 or .2)", gost, gost ? keyOID : "key algorithm \(keyOID) is not GOST")

        add(
            "key-usage", "key usage allows signing documents (digitalSignature, nonRepudiation)", certificate.allowsDocumentSigning,
            certificate.allowsDocumentSigning ? "allowed" : "key usage forbids signing")
        self.items = items
    }
}

/// Reads subject attributes and extensions of a certificate by OID through OpenSSL.
struct CertificateFields {
    let certificate: Certificate

    init(_ certificate: Certificate) { self.certificate = certificate }

    /// The first subject attribute with `oid`, as UTF-8.
    func subjectEntry(_ oid: String) -> String? {
        withObject(oid) { object in
            let name = X509_get_subject_name(certificate.x509)
            let index = X509_NAME_get_index_by_OBJ(name, object, -1)
            return index < 0 ? nil : Self.text(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index)))
        }
    }

    func subjectEntry(nid: Int32) -> String? {
        let name = X509_get_subject_name(certificate.x509)
        let index = X509_NAME_get_index_by_NID(name, nid, -1)
        return index < 0 ? nil : Self.text(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index)))
    }

    /// The strings of an extension whose value is one UTF8String or a SEQUENCE of them (the form
    /// of subjectSignTool and issuerSignTool); nil when absent or of another form.
    func extensionStrings(_ oid: String) -> [String]? {
        guard let value = extensionValue(oid) else { return nil }
        return value.withUnsafeBufferPointer { buffer -> [String]? in
            guard let start = buffer.baseAddress else { return nil }
            var cursor: UnsafePointer<UInt8>? = start
            let end = start + buffer.count
            var length = 0
            var tag: Int32 = 0
            var tagClass: Int32 = 0
            let first = ASN1_get_object(&cursor, &length, &tag, &tagClass, buffer.count)
            guard first & 0x80 == 0, let content = cursor else { return nil }
            if tag == V_ASN1_UTF8STRING, content + length == end {
                return [String(decoding: UnsafeBufferPointer(start: content, count: length), as: UTF8.self)]
            }
            guard tag == V_ASN1_SEQUENCE, first & V_ASN1_CONSTRUCTED != 0, content + length == end else { return nil }
            var strings: [String] = []
            while let at = cursor, at < end {
                var itemLength = 0
                let header = ASN1_get_object(&cursor, &itemLength, &tag, &tagClass, end - at)
                guard header & 0x80 == 0, tag == V_ASN1_UTF8STRING, let item = cursor, item + itemLength <= end else { return nil }
                strings.append(String(decoding: UnsafeBufferPointer(start: item, count: itemLength), as: UTF8.self))
                cursor = item + itemLength
            }
            return strings
        }
    }

    /// The DER value (the content of extnValue) of the extension with `oid`.
    func extensionValue(_ oid: String) -> [UInt8]? {
        withObject(oid) { object in
            let index = X509_get_ext_by_OBJ(certificate.x509, object, -1)
            guard index >= 0, let ext = X509_get_ext(certificate.x509, index), let data = X509_EXTENSION_get_data(ext),
                let bytes = ASN1_STRING_get0_data(data)
            else { return nil }
            return Array(UnsafeBufferPointer(start: bytes, count: Int(ASN1_STRING_length(data))))
        }
    }

    /// The policy OIDs of the certificatePolicies extension.
    var policies: [String] {
        var critical: Int32 = 0
        guard let raw = X509_get_ext_d2i(certificate.x509, NID_certificate_policies, &critical, nil) else { return [] }
        let stack = OpaquePointer(raw)
        defer { CERTIFICATEPOLICIES_free(stack) }
        var result: [String] = []
        for i in 0..<OPENSSL_sk_num(stack) {
            guard let info = OPENSSL_sk_value(stack, i)?.assumingMemoryBound(to: POLICYINFO.self) else { continue }
            result.append(Self.oid(info.pointee.policyid))
        }
        return result
    }

    /// The public key algorithm's OID.
    var publicKeyAlgorithm: String {
        var algorithm: OpaquePointer?
        guard let key = X509_get_X509_PUBKEY(certificate.x509), X509_PUBKEY_get0_param(&algorithm, nil, nil, nil, key) == 1 else {
            return "unknown"
        }
        return Self.oid(algorithm)
    }

    private func withObject<T>(_ oid: String, _ body: (OpaquePointer) -> T?) -> T? {
        guard let object = OBJ_txt2obj(oid, 1) else { return nil }
        defer { ASN1_OBJECT_free(object) }
        return body(object)
    }

    static func oid(_ object: OpaquePointer?) -> String {
        guard let object else { return "unknown" }
        var buffer = [CChar](repeating: 0, count: 128)
        let length = OBJ_obj2txt(&buffer, Int32(buffer.count), object, 1)
        guard length > 0 else { return "unknown" }
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func text(_ data: UnsafeMutablePointer<ASN1_STRING>?) -> String? {
        guard let data else { return nil }
        var utf8: UnsafeMutablePointer<UInt8>? = nil
        let length = ASN1_STRING_to_UTF8(&utf8, data)
        guard length >= 0, let utf8 else { return nil }
        defer { CRYPTO_free(utf8, #fileID, #line) }
        return String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
    }
}
