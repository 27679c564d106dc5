import Foundation
import MezhvedXMLDSig
import Testing

/// XAdES-BES signing and verification without a network: the qualifying properties, the binding of
/// the signing certificate, and the defences around the one reference allowed into the signature.
@Suite("XAdES-BES: signing, verification, certificate binding, wrapping defences")
struct XAdESTests {
    static let signers: [(String, Fixtures.Signer)] = [
        ("GOST 256", Fixtures.gostSocial), ("GOST 512", Fixtures.gostHealth512), ("RSA", Fixtures.rsa), ("ECDSA", Fixtures.ecdsa),
    ]
    static let signingTime = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18T…Z, whole seconds

    static func signBES(_ signer: Fixtures.Signer, options: SigningOptions? = nil) throws -> [UInt8] {
        let options = options ?? SigningOptions(xades: .bes, signingTime: signingTime)
        return try Fixtures.xmlSigner(signer).sign(Fixtures.requestBytes, sourceName: "request.xml", options: options)
    }

    @Test("XAdES-BES signs and verifies, with the signing time and the certificate bound", arguments: signers)
    func roundTrip(name: String, signer: Fixtures.Signer) throws {
        let signed = try Self.signBES(signer)
        let text = Fixtures.string(signed)
        #expect(text.contains("Type=\"http://uri.etsi.org/01903#SignedProperties\""), "\(name): no SignedProperties reference")
        #expect(text.contains("xmlns:xades=\"http://uri.etsi.org/01903/v1.3.2#\""))
        // The fast path: the original bytes are kept and the signature spliced before the end tag.
        let original = Fixtures.request
        let endTag = original.range(of: "</req:Request>")!.lowerBound
        #expect(text.hasPrefix(String(original[..<endTag])), "\(name): the document bytes before the signature changed")
        let report = try Fixtures.verifier(signer).verify(signed, sourceName: "signed.xml")
        #expect(report.status == .valid, "\(name): \(report.problems)")
        #expect(report.references.count == 1, "the SignedProperties reference is not a document reference")
        #expect(report.references.first?.uri == "")
        let xades = try #require(report.xades)
        #expect(xades.level == .bes)
        #expect(xades.signingTime == Self.signingTime)
        #expect(xades.signingCertificateBound)
        #expect(xades.timestamps.isEmpty)
        #expect(report.signerPath.first?.sha256Fingerprint == report.signer?.sha256Fingerprint)
        #expect(report.signerPath.count == report.chain.count && report.chain.count >= 2)
        // The JSON form carries the XAdES part but not the certificates themselves.
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(report)
        let json = Fixtures.string(Array(data))
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let decoded = try decoder.decode(VerificationReport.self, from: data)
        #expect(decoded.xades?.signingTime == Self.signingTime && decoded.xades?.level == .bes)
        #expect(decoded.signerPath.isEmpty, "certificates are not part of the JSON form")
        #expect(json.contains("\"signingCertificateBound\":true"))
        #expect(json.contains("\"level\":\"XAdES-BES\""))
        #expect(!json.contains("signerPath"))
    }

    @Test("the certificate digest follows the key: Streebog for GOST, SHA-256 otherwise")
    func certificateDigest() throws {
        let gost512 = Fixtures.string(try Self.signBES(Fixtures.gostHealth512))
        #expect(
            gost512.contains(
                "<xades:CertDigest><ds:DigestMethod Algorithm=\"urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-512\""))
        let rsa = Fixtures.string(try Self.signBES(Fixtures.rsa))
        #expect(rsa.contains("<xades:CertDigest><ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\""))
        #expect(rsa.contains("<xades:SigningTime>2026-11-18T"))
    }

    @Test("XAdES with inclusive C14N (built in place, no splice) verifies too")
    func inPlace() throws {
        let options = SigningOptions(canonicalization: .c14n10, xades: .bes, signingTime: Self.signingTime)
        let signed = try Self.signBES(Fixtures.gostSocial, options: options)
        let report = try Fixtures.verifier(Fixtures.gostSocial).verify(signed, sourceName: "signed.xml")
        #expect(report.status == .valid, "\(report.problems)")
        #expect(report.xades?.signingCertificateBound == true)
    }

    @Test("XAdES-T without a timestamper is refused before anything is signed")
    func tWithoutTimestamper() throws {
        let error = #expect(throws: XMLDSigError.self) {
            try Self.signBES(Fixtures.rsa, options: SigningOptions(xades: .t))
        }
        #expect(error?.message.contains("time-stamping authority") == true)
    }

    /// The attack the binding exists for: another trusted signer re-signs the same SignedInfo (so
    /// every digest still matches) with their own key and certificate, keeping the victim's signed
    /// properties. Everything verifies except the binding, which must make it INVALID.
    @Test("a signature re-signed by another trusted signer keeping the signed properties is INVALID")
    func certificateSubstitution() throws {
        let attacker = Fixtures.gostEmployment
        let certificate = try Certificate.load(contentsOf: attacker.cert)[0]
        let forged = try Self.substituteSigner(Fixtures.string(try Self.signBES(Fixtures.gostSocial)), attacker: attacker)
        let report = try Fixtures.verifier(attacker).verify(Fixtures.bytes(forged), sourceName: "forged.xml")
        #expect(report.status == .invalid)
        #expect(report.problems.map(\.check) == [.signingCertificate], "only the binding may catch it: \(report.problems)")
        #expect(report.signer?.commonName == certificate.commonName, "the forged signature value itself verifies")
        #expect(report.xades?.signingCertificateBound == false)
    }

    /// `signed` with its SignedInfo re-signed by `attacker`, whose certificate replaces KeyInfo's.
    static func substituteSigner(_ signed: String, attacker: Fixtures.Signer) throws -> String {
        let key = try SigningKey.load(contentsOf: attacker.key)
        let certificate = try Certificate.load(contentsOf: attacker.cert)[0]
        // The exclusive canonical SignedInfo: only the ds prefix is used in it.
        let start = signed.range(of: "<ds:SignedInfo>")!.lowerBound
        let end = signed.range(of: "</ds:SignedInfo>")!.upperBound
        let signedInfo = String(signed[start..<end]).replacingOccurrences(
            of: "<ds:SignedInfo>", with: "<ds:SignedInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">")
        let canonical = try XMLCanonicalization.canonicalize(Fixtures.bytes(signedInfo), sourceName: "SignedInfo")
        let value = try key.sign(canonical)
        var forged = signed.replacingOccurrences(
            of: #"<ds:SignatureValue>[^<]*</ds:SignatureValue>"#,
            with: "<ds:SignatureValue>\(Data(value).base64EncodedString())</ds:SignatureValue>", options: .regularExpression)
        let caBase64 = try Certificate.load(contentsOf: attacker.chain!)[0].der
        forged = forged.replacingOccurrences(
            of: #"<ds:X509Data>.*</ds:X509Data>"#,
            with:
                "<ds:X509Data><ds:X509Certificate>\(Data(certificate.der).base64EncodedString())</ds:X509Certificate><ds:X509Certificate>\(Data(caBase64).base64EncodedString())</ds:X509Certificate></ds:X509Data>",
            options: .regularExpression)
        return forged
    }

    @Test("a changed IssuerSerialV2 breaks the SignedProperties digest")
    func tamperedIssuerSerial() throws {
        let signed = Fixtures.string(try Self.signBES(Fixtures.rsa))
        let tampered = signed.replacingOccurrences(
            of: #"<xades:IssuerSerialV2>MI"#, with: "<xades:IssuerSerialV2>MJ", options: .regularExpression)
        #expect(tampered != signed)
        let report = try Fixtures.verifier(Fixtures.rsa).verify(Fixtures.bytes(tampered), sourceName: "t.xml")
        #expect(report.status == .invalid)
        #expect(report.problems.contains { $0.check == .digest && $0.message.contains("SignedProperties") })
    }

    @Test("a changed SigningTime is a SignedProperties digest failure: INVALID")
    func tamperedSigningTime() throws {
        let signed = Fixtures.string(try Self.signBES(Fixtures.gostSocial))
        let tampered = signed.replacingOccurrences(of: "<xades:SigningTime>2026-11-18T", with: "<xades:SigningTime>2025-11-18T")
        #expect(tampered != signed)
        let report = try Fixtures.verifier(Fixtures.gostSocial).verify(Fixtures.bytes(tampered), sourceName: "t.xml")
        #expect(report.status == .invalid)
        #expect(report.problems.map(\.check) == [.digest], "\(report.problems)")
        #expect(report.problems.first?.message.contains("SignedProperties") == true)
        #expect(report.xades?.signingCertificateBound == false)
    }

    /// The SignedProperties reference of a signed document, as text.
    static func propertiesReference(_ signed: String) -> String {
        let start = signed.range(of: "<ds:Reference Type=")!.lowerBound
        let end = signed.range(of: "</ds:Reference>", range: start..<signed.endIndex)!.upperBound
        return String(signed[start..<end])
    }

    @Test("a second reference of Type SignedProperties is refused")
    func secondPropertiesReference() throws {
        let signed = Fixtures.string(try Self.signBES(Fixtures.rsa))
        let reference = Self.propertiesReference(signed)
        let doubled = signed.replacingOccurrences(of: reference, with: reference + reference)
        let report = try Fixtures.verifier(Fixtures.rsa).verify(Fixtures.bytes(doubled), sourceName: "d.xml")
        #expect(report.status == .invalid)
        #expect(report.problems.contains { $0.check == .reference && $0.message.contains("exactly one") }, "\(report.problems)")
    }

    @Test("a SignedProperties reference pointing at the document, or a document reference into the properties, is refused")
    func propertiesReferenceElsewhere() throws {
        let signed = Fixtures.string(try Self.signBES(Fixtures.rsa))
        let reference = Self.propertiesReference(signed)
        let uri = try #require(reference.firstMatch(of: #/URI="(#[^"]+)"/#)?.1)
        // The typed reference aimed at a document element.
        let elsewhere = signed.replacingOccurrences(of: "URI=\"\(uri)\"", with: "URI=\"#body\"")
        let first = try Fixtures.verifier(Fixtures.rsa).verify(Fixtures.bytes(elsewhere), sourceName: "e.xml")
        #expect(first.status == .invalid)
        #expect(first.problems.contains { $0.check == .wrapping }, "\(first.problems)")
        // An untyped reference to the SignedProperties: a reference into the signature.
        let untyped = signed.replacingOccurrences(of: "Type=\"http://uri.etsi.org/01903#SignedProperties\" ", with: "")
        let second = try Fixtures.verifier(Fixtures.rsa, policy: VerificationPolicy(expectedReferenceCount: 2)).verify(
            Fixtures.bytes(untyped), sourceName: "u.xml")
        #expect(second.status == .invalid)
        #expect(second.problems.contains { $0.check == .wrapping || $0.check == .signedProperties }, "\(second.problems)")
        // SignedProperties copied outside the signature, the reference pointing at the copy: duplicate Id.
        let properties = try #require(signed.firstMatch(of: #/<xades:SignedProperties .*</xades:SignedProperties>/#)?.0)
        let copied = signed.replacingOccurrences(
            of: "</req:Body>",
            with:
                "<req:X xmlns:xades=\"http://uri.etsi.org/01903/v1.3.2#\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">\(properties)</req:X></req:Body>"
        )
        let third = try Fixtures.verifier(Fixtures.rsa).verify(Fixtures.bytes(copied), sourceName: "c.xml")
        #expect(third.status == .invalid)
        #expect(third.problems.contains { $0.check == .duplicateID }, "\(third.problems)")
    }

    @Test("QualifyingProperties whose Target names another signature are refused")
    func wrongTarget() throws {
        let signed = Fixtures.string(try Self.signBES(Fixtures.ecdsa))
        let retargeted = signed.replacingOccurrences(of: ##"Target="#[^"]+""##, with: "Target=\"#other\"", options: .regularExpression)
        let report = try Fixtures.verifier(Fixtures.ecdsa).verify(Fixtures.bytes(retargeted), sourceName: "r.xml")
        #expect(report.status == .invalid)
        #expect(report.problems.contains { $0.check == .signedProperties && $0.message.contains("Target") }, "\(report.problems)")
    }

    @Test("an unreadable signature timestamp makes the signature indeterminate, not invalid, and is reported")
    func unreadableTimestamp() throws {
        let signed = Fixtures.string(try Self.signBES(Fixtures.gostSocial))
        let garbage = Data("not a timestamp token".utf8).base64EncodedString()
        let withStamp = signed.replacingOccurrences(
            of: "</xades:SignedProperties>",
            with:
                "</xades:SignedProperties><xades:UnsignedProperties><xades:UnsignedSignatureProperties><xades:SignatureTimeStamp Id=\"ts1\"><xades:EncapsulatedTimeStamp>\(garbage)</xades:EncapsulatedTimeStamp></xades:SignatureTimeStamp></xades:UnsignedSignatureProperties></xades:UnsignedProperties>"
        )
        let report = try Fixtures.verifier(Fixtures.gostSocial).verify(Fixtures.bytes(withStamp), sourceName: "ts.xml")
        #expect(report.status == .indeterminate)
        #expect(report.problems.map(\.check) == [.timestamp], "\(report.problems)")
        #expect(report.xades?.level == .t)
        #expect(report.xades?.timestamps.isEmpty == true, "an unreadable timestamp has no genTime to report")
        #expect(report.problems.first?.message.contains("signature timestamp \"ts1\"") == true, "\(report.problems)")
        #expect(throws: XMLDSigError.self) { try TimestampToken(der: [0x30, 0x03, 0x02, 0x01, 0x01], source: "a number") }
    }

    @Test("IssuerSerialV2 is compared by meaning: another encoding of the same issuer and serial matches, another serial does not")
    func issuerSerialComparison() throws {
        let social = try Certificate.load(contentsOf: Fixtures.gostSocial.cert)[0]
        let employment = try Certificate.load(contentsOf: Fixtures.gostEmployment.cert)[0]
        #expect(social.matchesIssuerSerial(social.issuerSerialDER))
        #expect(!social.matchesIssuerSerial(employment.issuerSerialDER), "same issuer, another serial number")
        // The same issuer after an rfc822Name in GeneralNames, with a long-form length: other bytes, same meaning.
        let der = social.issuerSerialDER
        let generalNamesLength = Int(der[6]) << 8 | Int(der[7])  // 30 82 xx xx 30 82 LL LL
        #expect(der[0] == 0x30 && der[4] == 0x30 && der[5] == 0x82)
        let directoryName = Array(der[8..<(8 + generalNamesLength)])
        let serial = Array(der[(8 + generalNamesLength)...])
        let email: [UInt8] = [0x81, 0x03] + Array("a@b".utf8)
        let names = email + directoryName
        let namesTLV: [UInt8] = [0x30, 0x83, 0x00, UInt8(names.count >> 8), UInt8(names.count & 0xFF)] + names
        let body = namesTLV + serial
        let reencoded: [UInt8] = [0x30, 0x82, UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
        #expect(reencoded != der)
        #expect(social.matchesIssuerSerial(reencoded))
        #expect(!social.matchesIssuerSerial(Array(reencoded.dropLast())))
        #expect(!social.matchesIssuerSerial([0x30, 0x00]))
    }

    // MARK: - Interop

    static let idAttribute = "http://uri.etsi.org/01903/v1.3.2#:SignedProperties"

    @Test(
        "xmlsec1 verifies mezhved's RSA and ECDSA XAdES-BES signatures (both references) and refuses a changed SigningTime",
        arguments: [(Fixtures.rsa, "Certificates/rsa/root-ca.pem"), (Fixtures.ecdsa, "Certificates/ecdsa/root-ca.pem")])
    func xmlsecVerifies(signer: Fixtures.Signer, root: String) async throws {
        let signed = try Self.signBES(signer)
        let result = try await Interop.xmlsecVerify(signed, root: Fixtures.path(root), idAttribute: Self.idAttribute)
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        #expect(result.stderr.contains("SignedInfo References (ok/all): 2/2"), "\(result.stderr)")
        let tampered = Fixtures.string(signed).replacingOccurrences(of: "<xades:SigningTime>2026", with: "<xades:SigningTime>2025")
        let bad = try await Interop.xmlsecVerify(Fixtures.bytes(tampered), root: Fixtures.path(root), idAttribute: Self.idAttribute)
        #expect(bad.status != 0, "xmlsec1 accepted a changed SigningTime")
    }

    @Test(
        "the independent Python implementation verifies mezhved's GOST XAdES-BES, and refuses a substituted signer",
        arguments: [
            Fixtures.gostSocial, Fixtures.gostHealth512,
        ])
    func pythonVerifies(signer: Fixtures.Signer) async throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let short = Array(#"<?xml version="1.0" encoding="UTF-8"?><z:Q xmlns:z="urn:q">Сведения</z:Q>"#.utf8)
        let signed = try Fixtures.xmlSigner(signer).sign(short, sourceName: "q", options: SigningOptions(xades: .bes))
        let path = dir.appendingPathComponent("signed.xml")
        try Data(signed).write(to: path)
        let script = Fixtures.path("Tests/Interop/gost_xmldsig.py")
        let result = try await Tool.run(Tool.python, [script, "verify", path.path])
        #expect(result.status == 0 && result.stdout.contains("OK"), "\(result.stdout) \(result.stderr)")
        #expect(result.stderr.contains("SigningCertificateV2 names the KeyInfo certificate"), "\(result.stderr)")
        // The substitution needs an attacker key of the same size: the 256-bit case.
        guard signer.key == Fixtures.gostSocial.key else { return }
        let forged = try Self.substituteSigner(Fixtures.string(signed), attacker: Fixtures.gostEmployment)
        try Data(forged.utf8).write(to: path)
        let refused = try await Tool.run(Tool.python, [script, "verify", path.path])
        #expect(refused.status != 0 && refused.stdout.contains("SigningCertificateV2"), "\(refused.stdout)")
    }
}
