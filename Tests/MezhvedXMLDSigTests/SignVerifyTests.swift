import Foundation
import MezhvedXMLDSig
import Testing

@Suite("Signing and verifying round trips")
struct SignVerifyTests {
    static let signers: [(String, Fixtures.Signer, SignatureAlgorithm)] = [
        ("GOST 2012-256", Fixtures.gostSocial, .gost2012_256),
        ("GOST 2012-512", Fixtures.gostHealth512, .gost2012_512),
        ("RSA-2048", Fixtures.rsa, .rsaSHA256),
        ("ECDSA P-256", Fixtures.ecdsa, .ecdsaSHA256),
        ("ECDSA P-384", Fixtures.ecdsa384, .ecdsaSHA384),
    ]

    @Test("whole-document signature verifies, for every key type", arguments: signers)
    func wholeDocument(name: String, signer: Fixtures.Signer, expected: SignatureAlgorithm) throws {
        let signed = try Fixtures.xmlSigner(signer).sign(Fixtures.requestBytes, sourceName: "request.xml")
        let report = try Fixtures.verifier(signer).verify(signed, sourceName: "signed.xml")
        #expect(report.status == .valid, "\(name): \(report.problems)")
        #expect(report.signatureAlgorithm == expected.uri)
        #expect(report.references.count == 1)
        #expect(report.references[0].uri == "")
        #expect(report.references[0].covers == "whole document")
        #expect(report.chain.count >= 2)
        let content = Fixtures.string(report.references[0].signedContent ?? [])
        #expect(content.contains("Петров Пётр Петрович"))
        #expect(!content.contains("Signature"), "the enveloped signature is not part of what it signs")
        if signer.cert.contains("agencies") {
            // Reports carry no personal identifiers of the signer.
            #expect(report.signer?.subject.contains("SNILS=[redacted]") == true)
            #expect(report.signer?.commonName != nil)
        }
    }

    @Test(
        "RSA with SHA-384 and SHA-512, ECDSA P-256 with SHA-384",
        arguments: [
            (Fixtures.rsa, SignatureAlgorithm.rsaSHA384), (Fixtures.rsa, .rsaSHA512), (Fixtures.ecdsa, .ecdsaSHA384),
        ])
    func explicitAlgorithms(signer: Fixtures.Signer, algorithm: SignatureAlgorithm) throws {
        let signed = try Fixtures.xmlSigner(signer).sign(
            Fixtures.requestBytes, sourceName: "r", options: SigningOptions(signatureAlgorithm: algorithm, digestAlgorithm: .sha512))
        let report = try Fixtures.verifier(signer).verify(signed, sourceName: "s")
        #expect(report.status == .valid, "\(report.problems)")
        #expect(report.signatureAlgorithm == algorithm.uri)
        #expect(report.references[0].digestAlgorithm == DigestAlgorithm.sha512.uri)
    }

    @Test("an element signed by Id: the report names it and hands back only its content")
    func byID() throws {
        let signed = try Fixtures.xmlSigner(Fixtures.gostSocial).sign(
            Fixtures.requestBytes, sourceName: "r", options: SigningOptions(referenceID: "body"))
        let text = Fixtures.string(signed)
        #expect(text.contains("URI=\"#body\""))
        #expect(!text.contains("enveloped-signature"), "the signature lies outside the signed element")
        let report = try Fixtures.verifier(Fixtures.gostSocial).verify(signed, sourceName: "s")
        #expect(report.status == .valid, "\(report.problems)")
        #expect(report.references[0].covers == "/req:Request/req:Body")
        let content = Fixtures.string(report.references[0].signedContent ?? [])
        #expect(content.hasPrefix("<req:Body"))
        #expect(!content.contains("req:Sender"))
        // The unsigned part of the document may change; the signature still holds for what it covers.
        let changed = text.replacingOccurrences(of: "Комитет по социальной", with: "Комитет по иной")
        #expect(try Fixtures.verifier(Fixtures.gostSocial).verify(Fixtures.bytes(changed), sourceName: "c").status == .valid)
        // The signed part may not.
        let tampered = text.replacingOccurrences(of: "Петров Пётр", with: "Петров Пётп")
        let bad = try Fixtures.verifier(Fixtures.gostSocial).verify(Fixtures.bytes(tampered), sourceName: "t")
        #expect(bad.status == .invalid)
        #expect(bad.problems.map(\.check) == [.digest])
    }

    @Test("the root element signed by Id gets the enveloped transform")
    func rootByID() throws {
        let signed = try Fixtures.xmlSigner(Fixtures.ecdsa).sign(
            Fixtures.requestBytes, sourceName: "r", options: SigningOptions(referenceID: "request"))
        #expect(Fixtures.string(signed).contains("enveloped-signature"))
        let report = try Fixtures.verifier(Fixtures.ecdsa).verify(signed, sourceName: "s")
        #expect(report.status == .valid, "\(report.problems)")
        #expect(report.references[0].covers == "/req:Request")
    }

    @Test(
        "every canonicalization method and the SMEV transform",
        arguments: [
            (CanonicalizationAlgorithm.exclusive, false), (.exclusiveWithComments, false), (.c14n10, false), (.c14n11, false),
            (.exclusive, true),
        ])
    func canonicalizations(method: CanonicalizationAlgorithm, smev: Bool) throws {
        let signed = try Fixtures.xmlSigner(Fixtures.gostEmployment).sign(
            Fixtures.requestBytes, sourceName: "r", options: SigningOptions(canonicalization: method, smevTransform: smev))
        let text = Fixtures.string(signed)
        #expect(text.contains(method.uri))
        #expect(text.contains("urn://smev-gov-ru/xmldsig/transform") == smev)
        let report = try Fixtures.verifier(Fixtures.gostEmployment).verify(signed, sourceName: "s")
        #expect(report.status == .valid, "\(report.problems)")
        if smev {
            let content = Fixtures.string(report.references[0].signedContent ?? [])
            #expect(content.hasPrefix("<ns1:Request xmlns:ns1=\"urn:mezhved:test:request\""), "\(content)")
        }
    }

    @Test("a signed document survives re-serialization with CRLF line ends and a windows-1251 declaration")
    func encodings() throws {
        let signer = try Fixtures.xmlSigner(Fixtures.rsa)
        let crlf = Fixtures.request.replacingOccurrences(of: "\n", with: "\r\n")
        let signed = try signer.sign(Fixtures.bytes(crlf), sourceName: "crlf")
        #expect(try Fixtures.verifier(Fixtures.rsa).verify(signed, sourceName: "s").status == .valid)

        let cp1251 = "<?xml version=\"1.0\" encoding=\"windows-1251\"?>\n<a>\u{00CF}\u{00F0}\u{00E8}</a>"  // "При" in cp1251 bytes
        let bytes: [UInt8] = Array(cp1251.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) })
        let signed1251 = try signer.sign(bytes, sourceName: "cp1251")
        // The original bytes and encoding are kept; the signature is added before the end tag.
        #expect(Array(signed1251.prefix(bytes.count - 4)) == Array(bytes.prefix(bytes.count - 4)))
        #expect(Fixtures.string(signed1251).contains("encoding=\"windows-1251\""))
        // With inclusive canonicalization the document is serialized again (as UTF-8).
        let reserialized = try signer.sign(bytes, sourceName: "cp1251", options: SigningOptions(canonicalization: .c14n10))
        #expect(Fixtures.string(reserialized).contains("<a>При"))
        #expect(try Fixtures.verifier(Fixtures.rsa).verify(reserialized, sourceName: "s").status == .valid)
        // A non-ASCII Id cannot be spliced into a windows-1251 document as UTF-8: it is serialized.
        let cyrillicID = "<?xml version=\"1.0\" encoding=\"windows-1251\"?>\n<a><b Id=\"\u{E4}\u{EE}\u{EA}\">\u{CF}</b></a>"
        let idBytes: [UInt8] = Array(cyrillicID.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) })
        let byID = try signer.sign(idBytes, sourceName: "cp1251-id", options: SigningOptions(referenceID: "док"))
        let idReport = try Fixtures.verifier(Fixtures.rsa).verify(byID, sourceName: "s")
        #expect(idReport.status == .valid, "\(idReport.problems)")
        #expect(idReport.references.first?.uri == "#док")
        #expect(try Fixtures.verifier(Fixtures.rsa).verify(signed1251, sourceName: "s").status == .valid)
    }

    @Test(
        "the signature is spliced before the root's end tag; documents that cannot be spliced are serialized",
        arguments: [
            "<r xmlns=\"urn:x\"><v>1</v></r>\n\n", "<p:r xmlns:p=\"urn:p\"><p:v>1</p:v></p:r >", "<r><v>1</v></r><!-- trailing -->",
            "<r/>", "\u{FEFF}<?xml version=\"1.0\"?>\r\n<r>\r\n<v>1</v>\r\n</r>\r\n", "<r><v>a</v><!-- </r> --></r>",
        ])
    func splicing(document: String) throws {
        for signer in [Fixtures.rsa, Fixtures.gostSocial] {
            let signed = try Fixtures.xmlSigner(signer).sign(Fixtures.bytes(document), sourceName: "d")
            let report = try Fixtures.verifier(signer).verify(signed, sourceName: "d")
            #expect(report.status == .valid, "\(document): \(report.problems)")
            #expect(Fixtures.string(signed).components(separatedBy: "<ds:Signature ").count == 2)
        }
    }

    @Test("an encrypted key loads with its passphrase and not without")
    func encryptedKey() throws {
        let path = Fixtures.path("Certificates/agencies/social-protection/key.enc.pem")
        let passphrase = Array(
            try String(contentsOfFile: Fixtures.path("Certificates/agencies/social-protection/passphrase.txt"), encoding: .utf8).utf8)
        let key = try SigningKey.load(contentsOf: path, passphrase: passphrase)
        #expect(key.family == .gost2012_256)
        let error = #expect(throws: XMLDSigError.self) { try SigningKey.load(contentsOf: path, passphrase: Array("wrong".utf8)) }
        #expect(error?.code == .keyUnusable)
        let missing = #expect(throws: XMLDSigError.self) { try SigningKey.load(contentsOf: path) }
        #expect(missing?.message.contains("encrypted") == true)
    }

    @Test("a key and a certificate that do not belong together are refused")
    func mismatch() throws {
        let key = try SigningKey.load(contentsOf: Fixtures.gostSocial.key)
        let other = try Certificate.load(contentsOf: Fixtures.gostEmployment.cert)[0]
        let error = #expect(throws: XMLDSigError.self) { try XMLSigner(key: key, certificate: other) }
        #expect(error?.code == .certificateUnusable)
    }

    @Test("an algorithm that does not fit the key, and MD5/SHA-1, are refused for signing")
    func wrongAlgorithm() throws {
        let signer = try Fixtures.xmlSigner(Fixtures.rsa)
        let error = #expect(throws: XMLDSigError.self) {
            try signer.sign(Fixtures.requestBytes, sourceName: "r", options: SigningOptions(signatureAlgorithm: .gost2012_256))
        }
        #expect(error?.code == .unsupportedAlgorithm)
        #expect(throws: XMLDSigError.self) {
            try signer.sign(Fixtures.requestBytes, sourceName: "r", options: SigningOptions(signatureAlgorithm: .rsaSHA1))
        }
    }

    @Test("signing refuses an already signed document and a missing or duplicated Id")
    func signingRefusals() throws {
        let signer = try Fixtures.xmlSigner(Fixtures.ecdsa)
        let signed = try signer.sign(Fixtures.requestBytes, sourceName: "r")
        #expect(throws: XMLDSigError.self) { try signer.sign(signed, sourceName: "again") }
        let missing = #expect(throws: XMLDSigError.self) {
            try signer.sign(Fixtures.requestBytes, sourceName: "r", options: SigningOptions(referenceID: "nope"))
        }
        #expect(missing?.code == .referenceTarget)
        let duplicated = Fixtures.bytes("<a><b Id=\"x\"/><c Id=\"x\"/></a>")
        let dup = #expect(throws: XMLDSigError.self) {
            try signer.sign(duplicated, sourceName: "d", options: SigningOptions(referenceID: "x"))
        }
        #expect(dup?.message.contains("2 elements") == true)
    }

    @Test("a large document (4 MB) signs and verifies with GOST")
    func largeDocument() throws {
        var xml = "<list xmlns=\"urn:big\">"
        for i in 0..<40_000 { xml += "<item n=\"\(i)\">Запись номер \(i) с текстом</item>\n" }
        xml += "</list>"
        let bytes = Fixtures.bytes(xml)
        #expect(bytes.count > 2_000_000)
        let signed = try Fixtures.xmlSigner(Fixtures.gostSocial).sign(bytes, sourceName: "big")
        let report = try Fixtures.verifier(Fixtures.gostSocial, policy: VerificationPolicy(retainSignedContent: false))
            .verify(signed, sourceName: "big")
        #expect(report.status == .valid)
        #expect(report.references[0].signedContent == nil)
    }
}

@Suite("Bundled samples")
struct SampleTests {
    @Test("the signed sample in Samples/ verifies against the test PKI, and covers the whole request")
    func signedSample() throws {
        let path = Fixtures.path("Samples/request-unemployment-status.signed.xml")
        let report = try Fixtures.verifier(Fixtures.gostSocial, crl: true).verify(contentsOf: path)
        #expect(report.status == .valid, "\(report.problems)")
        #expect(report.references.map(\.covers) == ["whole document"])
        #expect(report.signer?.organization == "Комитет по социальной защите населения Ленинградской области")
        let unsigned = try String(contentsOfFile: Fixtures.path("Samples/request-unemployment-status.xml"), encoding: .utf8)
        #expect(unsigned.contains("<Request xmlns=\"urn:mezhved:interagency:1.0\""))
    }
}
