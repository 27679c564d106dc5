import Foundation
import MezhvedXMLDSig
import Testing

/// Each attack of FACTS.md and each everyday failure is refused with the right reason.
@Suite("Refusals: attacks, tampering, untrusted signers")
struct NegativeTests {
    static func signed(_ signer: Fixtures.Signer = Fixtures.gostSocial, options: SigningOptions = SigningOptions()) throws -> String {
        Fixtures.string(try Fixtures.xmlSigner(signer).sign(Fixtures.requestBytes, sourceName: "request.xml", options: options))
    }

    static func verify(
        _ text: String, _ signer: Fixtures.Signer = Fixtures.gostSocial, crl: Bool = false,
        policy: VerificationPolicy = VerificationPolicy()
    ) throws -> VerificationReport {
        try Fixtures.verifier(signer, crl: crl, policy: policy).verify(Fixtures.bytes(text), sourceName: "suspect.xml")
    }

    /// Replaces the first match of a regular expression.
    static func replacing(_ pattern: String, in text: String, with template: String) -> String {
        let regex = try! NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators])
        let range = NSRange(text.startIndex..., in: text)
        guard let match = regex.firstMatch(in: text, range: range) else {
            Issue.record("pattern \(pattern) not found")
            return text
        }
        let replacement = regex.replacementString(for: match, in: text, offset: 0, template: template)
        return (text as NSString).replacingCharacters(in: match.range, with: replacement)
    }

    @Test("tampered content: one changed letter")
    func tamperedContent() throws {
        let report = try Self.verify(try Self.signed().replacingOccurrences(of: "Петров Пётр", with: "Петрова Пётр"))
        #expect(report.status == .invalid)
        #expect(report.problems.map(\.check) == [.digest])
        #expect(report.problems[0].message.contains("changed after signing"))
    }

    @Test("tampered content: an added attribute and an added element")
    func tamperedStructure() throws {
        let base = try Self.signed()
        let attr = base.replacingOccurrences(of: "<req:Need>", with: "<req:Need urgent=\"yes\">")
        #expect(try Self.verify(attr).status == .invalid)
        let element = base.replacingOccurrences(of: "</req:Body>", with: "<req:Extra>1</req:Extra></req:Body>")
        #expect(try Self.verify(element).status == .invalid)
    }

    @Test("altered SignatureValue", arguments: [Fixtures.gostSocial, Fixtures.rsa, Fixtures.ecdsa])
    func alteredSignatureValue(signer: Fixtures.Signer) throws {
        let text = try Self.signed(signer)
        let value = Self.replacing("<ds:SignatureValue>([A-Za-z0-9+/=]+)</ds:SignatureValue>", in: text, with: "$1")
        let start = text.range(of: "<ds:SignatureValue>")!.upperBound
        let end = text.range(of: "</ds:SignatureValue>")!.lowerBound
        var raw = [UInt8](Data(base64Encoded: String(text[start..<end]))!)
        raw[raw.count / 2] ^= 0x01
        let forged = text.replacingCharacters(in: start..<end, with: Data(raw).base64EncodedString())
        _ = value
        let report = try Self.verify(forged, signer)
        #expect(report.status == .invalid)
        #expect(report.problems.map(\.check) == [.signatureValue])
    }

    @Test("altered SignedInfo (digest method swapped) breaks the signature value")
    func alteredSignedInfo() throws {
        let text = try Self.signed(Fixtures.rsa)
        let changed = text.replacingOccurrences(of: "<ds:Reference URI=\"\">", with: "<ds:Reference URI=\"\" Id=\"r1\">")
        let report = try Self.verify(changed, Fixtures.rsa)
        #expect(report.status == .invalid)
        #expect(report.problems.contains { $0.check == .signatureValue })
    }

    @Test("signer not chaining to the trust store: INDETERMINATE")
    func untrusted() throws {
        let report = try Self.verify(try Self.signed(Fixtures.gostUntrusted))
        #expect(report.status == .indeterminate)
        #expect(report.problems.map(\.check) == [.chain])
        #expect(report.problems[0].message.contains("does not chain to a CA in the trust store"))
    }

    @Test("an RSA signer is not trusted by the GOST trust store")
    func wrongTrustStore() throws {
        let report = try Self.verify(try Self.signed(Fixtures.rsa), Fixtures.gostSocial)
        #expect(report.status == .indeterminate)
    }

    @Test("the intermediate CA missing from KeyInfo: no path")
    func missingIntermediate() throws {
        let key = try SigningKey.load(contentsOf: Fixtures.gostSocial.key)
        let cert = try Certificate.load(contentsOf: Fixtures.gostSocial.cert)[0]
        let signed = try XMLSigner(key: key, certificate: cert).sign(Fixtures.requestBytes, sourceName: "r")
        let report = try Self.verify(Fixtures.string(signed))
        #expect(report.status == .indeterminate)
        #expect(report.problems.map(\.check) == [.chain])
    }

    @Test("expired signer: INDETERMINATE now, valid at a moment inside its validity")
    func expired() throws {
        let text = try Self.signed(Fixtures.gostExpired)
        let now = try Self.verify(text)
        #expect(now.status == .indeterminate)
        #expect(now.problems.map(\.check) == [.validity])
        #expect(now.problems[0].message.contains("expired"))
        let then = ISO8601DateFormatter().date(from: "2020-06-01T12:00:00Z")!
        let past = try Self.verify(text, policy: VerificationPolicy(validationTime: then))
        #expect(past.status == .valid, "\(past.problems)")
    }

    @Test("revoked signer with its CRL: refused; other signers pass the same CRL")
    func revoked() throws {
        let report = try Self.verify(try Self.signed(Fixtures.gostRevoked), crl: true)
        #expect(report.status == .indeterminate)
        #expect(report.problems.map(\.check) == [.revocation])
        #expect(report.problems[0].message.contains("revoked"))
        let good = try Self.verify(try Self.signed(Fixtures.gostSocial), crl: true)
        #expect(good.status == .valid, "\(good.problems)")
    }

    @Test("a path validated with CRLs is remembered only while every CRL is current: before its thisUpdate it is judged again")
    func rememberedPathWithCRLs() throws {
        let store = try TrustStore(directories: [Fixtures.gostSocial.trust], crlFiles: [Fixtures.crl])
        let document = Fixtures.bytes(try Self.signed(Fixtures.gostSocial))
        func verify(at day: String) throws -> VerificationReport {
            let time = ISO8601DateFormatter().date(from: day)!
            return try SignatureVerifier(trustStore: store, policy: VerificationPolicy(validationTime: time))
                .verify(document, sourceName: "request.xml")
        }
        // Inside the CRL's window (thisUpdate 2026-11-22): validated, then remembered.
        #expect(try verify(at: "2026-12-01T12:00:00Z").status == .valid)
        #expect(try verify(at: "2027-03-01T12:00:00Z").status == .valid)
        // Before the CRL was issued the signer's certificate was valid, but the CRL was not yet:
        // the remembered path must not hide that.
        let early = try verify(at: "2026-06-01T12:00:00Z")
        #expect(early.status == .indeterminate, "\(early.problems)")
        #expect(early.problems.map(\.check) == [.revocation])
        // The path at another moment alone (no signature verified): the same judgement.
        let verifier = SignatureVerifier(trustStore: store)
        let signer = try Certificate.load(contentsOf: Fixtures.gostSocial.cert)[0]
        let chain = try Certificate.load(contentsOf: Fixtures.gostSocial.chain!)
        let now = verifier.certificatePath(of: signer, untrusted: chain, at: ISO8601DateFormatter().date(from: "2026-12-01T12:00:00Z")!)
        #expect(now.problems.isEmpty && now.path.count == 3, "\(now.problems)")
        let then = verifier.certificatePath(of: signer, untrusted: chain, at: ISO8601DateFormatter().date(from: "2026-06-01T12:00:00Z")!)
        #expect(then.problems.map(\.check) == [.revocation], "\(then.problems)")
        // A revoked signer is never remembered as good.
        let revoked = Fixtures.bytes(try Self.signed(Fixtures.gostRevoked))
        for _ in 0..<2 {
            let report = try SignatureVerifier(trustStore: store).verify(revoked, sourceName: "revoked.xml")
            #expect(report.status == .indeterminate && report.problems.map(\.check) == [.revocation])
        }
    }

    @Test("signature wrapping: signed element moved, unsigned twin with the same Id in its place")
    func wrappingDuplicateID() throws {
        let text = try Self.signed(options: SigningOptions(referenceID: "body"))
        let body = Self.replacing("(<req:Body Id=\"body\".*?</req:Body>)", in: text, with: "$1")
        let start = text.range(of: "<req:Body Id=\"body\"")!.lowerBound
        let end = text.range(of: "</req:Body>")!.upperBound
        let original = String(text[start..<end])
        let evil = original.replacingOccurrences(of: "Петров Пётр Петрович", with: "Злоумышленник")
        let wrapped = text.replacingCharacters(in: start..<end, with: evil)
            .replacingOccurrences(of: "</req:Request>", with: "<req:Wrapper>\(original)</req:Wrapper></req:Request>")
        _ = body
        let report = try Self.verify(wrapped)
        #expect(report.status == .invalid)
        #expect(report.problems.map(\.check) == [.duplicateID])
    }

    @Test("signature wrapping: signed element moved away, evil twin without Id; the verifier reports what is really signed")
    func wrappingMoved() throws {
        let text = try Self.signed(options: SigningOptions(referenceID: "body"))
        let start = text.range(of: "<req:Body Id=\"body\"")!.lowerBound
        let end = text.range(of: "</req:Body>")!.upperBound
        let original = String(text[start..<end])
        let evil = original.replacingOccurrences(of: "Петров Пётр Петрович", with: "Злоумышленник")
            .replacingOccurrences(of: " Id=\"body\"", with: "")
        let wrapped = text.replacingCharacters(in: start..<end, with: evil)
            .replacingOccurrences(of: "</req:Request>", with: "<req:Wrapper>\(original)</req:Wrapper></req:Request>")
        let report = try Self.verify(wrapped)
        // The signature itself holds, but only for the moved element, and the report says so.
        #expect(report.references[0].covers == "/req:Request/req:Wrapper/req:Body")
        let content = Fixtures.string(report.references[0].signedContent ?? [])
        #expect(content.contains("Петров Пётр Петрович"))
        #expect(!content.contains("Злоумышленник"))
        // A policy that pins the reference to the whole document refuses it.
        let pinned = try Self.verify(wrapped, policy: VerificationPolicy(expectedReferenceURIs: [""]))
        #expect(pinned.status == .invalid)
        #expect(pinned.problems.map(\.check) == [.reference])
    }

    @Test("signature wrapping: reference pointing into the signature's own ds:Object")
    func wrappingIntoObject() throws {
        let text = try Self.signed(options: SigningOptions(referenceID: "body"))
        let start = text.range(of: "<req:Body Id=\"body\"")!.lowerBound
        let end = text.range(of: "</req:Body>")!.upperBound
        let original = String(text[start..<end])
        let evil = original.replacingOccurrences(of: "Петров Пётр Петрович", with: "Злоумышленник")
            .replacingOccurrences(of: " Id=\"body\"", with: "")
        let wrapped = text.replacingCharacters(in: start..<end, with: evil)
            .replacingOccurrences(of: "</ds:KeyInfo>", with: "</ds:KeyInfo><ds:Object>\(original)</ds:Object>")
        let report = try Self.verify(wrapped)
        #expect(report.status == .invalid)
        #expect(report.problems.map(\.check) == [.wrapping])
    }

    @Test("comment injection into signed text")
    func commentInjection() throws {
        let text = try Self.signed().replacingOccurrences(of: "Петров Пётр Петрович", with: "Петров<!-- -->ич Пётр Петрович")
        // The comment alone would not change the digest — the text does here; inject without changing text too.
        let pure = try Self.signed().replacingOccurrences(of: "Петров Пётр Петрович", with: "Петров<!---->\u{0020}Пётр Петрович")
        let report = try Self.verify(pure)
        #expect(report.status == .invalid)
        #expect(report.problems.map(\.check) == [.commentInjection])
        #expect(try Self.verify(text).status == .invalid)
    }

    @Test("a comment between elements is harmless and accepted")
    func commentBetweenElements() throws {
        let text = try Self.signed().replacingOccurrences(of: "<req:Need>", with: "<!-- note --><req:Need>")
        #expect(try Self.verify(text).status == .valid)
    }

    @Test(
        "external, file and XPointer-expression references are refused",
        arguments: [
            "http://attacker.invalid/doc.xml", "file:///etc/passwd", "#xpointer(//*[1])", "doc.xml",
        ])
    func externalReference(uri: String) throws {
        let text = try Self.signed().replacingOccurrences(of: "URI=\"\"", with: "URI=\"\(uri)\"")
        let report = try Self.verify(text)
        #expect(report.status == .invalid)
        #expect(report.problems.map(\.check) == [.reference])
    }

    @Test(
        "XPath, XSLT and base64 transforms are not allowed",
        arguments: [
            "http://www.w3.org/TR/1999/REC-xpath-19991116", "http://www.w3.org/TR/1999/REC-xslt-19991116",
            "http://www.w3.org/2002/06/xmldsig-filter2", "http://www.w3.org/2000/09/xmldsig#base64",
        ])
    func forbiddenTransforms(uri: String) throws {
        let text = try Self.signed().replacingOccurrences(
            of: "http://www.w3.org/2000/09/xmldsig#enveloped-signature", with: uri)
        let report = try Self.verify(text)
        #expect(report.status == .invalid)
        #expect(report.problems.map(\.check) == [.algorithm])
    }

    @Test("HMAC signature methods are refused (no HMAC truncation)")
    func hmac() throws {
        let text = Self.replacing(
            "<ds:SignatureMethod Algorithm=\"[^\"]+\"/>", in: try Self.signed(Fixtures.rsa),
            with:
                "<ds:SignatureMethod Algorithm=\"http://www.w3.org/2000/09/xmldsig#hmac-sha1\"><ds:HMACOutputLength>8</ds:HMACOutputLength></ds:SignatureMethod>"
        )
        let report = try Self.verify(text, Fixtures.rsa)
        #expect(report.status == .invalid)
        #expect(report.problems.map(\.check) == [.algorithm])
        #expect(report.problems[0].message.contains("HMAC"))
    }

    @Test("a bare KeyValue is never trusted")
    func keyValueOnly() throws {
        let text = Self.replacing(
            "<ds:X509Data>.*</ds:X509Data>", in: try Self.signed(Fixtures.rsa),
            with: "<ds:KeyValue><ds:RSAKeyValue><ds:Modulus>AQAB</ds:Modulus><ds:Exponent>AQAB</ds:Exponent></ds:RSAKeyValue></ds:KeyValue>"
        )
        let report = try Self.verify(text, Fixtures.rsa)
        #expect(report.status == .indeterminate)
        #expect(report.problems.map(\.check) == [.keyInfo])
    }

    @Test("a second signature, and a second reference, are refused by the default policy")
    func counts() throws {
        let text = try Self.signed(Fixtures.rsa)
        let signature = Self.replacing(".*(<ds:Signature .*</ds:Signature>).*", in: text, with: "$1")
        let twice = text.replacingOccurrences(of: "</req:Request>", with: "<req:X>\(signature)</req:X></req:Request>")
        let report = try Self.verify(twice, Fixtures.rsa)
        #expect(report.status == .invalid)
        #expect(report.problems.map(\.check) == [.structure])

        let reference = Self.replacing(".*(<ds:Reference .*</ds:Reference>).*", in: text, with: "$1")
        let two = text.replacingOccurrences(of: "</ds:Reference>", with: "</ds:Reference>\(reference)")
        let pinned = try Self.verify(two, Fixtures.rsa)
        #expect(pinned.status == .invalid)
        #expect(pinned.problems.map(\.check) == [.reference])
        #expect(pinned.problems[0].message.contains("2 references"))
    }

    @Test("a reference without URI is refused")
    func referenceWithoutURI() throws {
        let text = try Self.signed(Fixtures.rsa).replacingOccurrences(of: "<ds:Reference URI=\"\">", with: "<ds:Reference>")
        let report = try Self.verify(text, Fixtures.rsa)
        #expect(report.status == .invalid)
        #expect(report.problems.map(\.check) == [.reference])
    }

    @Test(
        "MD5 and SHA-1 (made by xmlsec1) are refused by default, accepted as weak when legacy is allowed",
        arguments: [
            ("http://www.w3.org/2000/09/xmldsig#rsa-sha1", "http://www.w3.org/2000/09/xmldsig#sha1"),
            ("http://www.w3.org/2001/04/xmldsig-more#rsa-md5", "http://www.w3.org/2001/04/xmldsig-more#md5"),
        ])
    func legacy(signatureMethod: String, digestMethod: String) async throws {
        let template = Interop.template(
            body: "<doc><v>legacy</v></doc>", signatureMethod: signatureMethod, digestMethod: digestMethod, uri: "")
        let signed = try await Interop.xmlsecSign(template, signer: Fixtures.rsa)
        let refused = try Self.verify(signed, Fixtures.rsa)
        #expect(refused.status == .invalid)
        #expect(refused.problems.map(\.check) == [.algorithm])
        #expect(refused.problems[0].message.contains("weak"))
        let allowed = try Self.verify(signed, Fixtures.rsa, policy: VerificationPolicy(allowLegacyAlgorithms: true))
        #expect(allowed.status == .valid, "\(allowed.problems)")
        #expect(allowed.warnings.contains { $0.contains("weak") })
    }
}

@Suite("Hostile and broken input")
struct HostileInputTests {
    let verifier: SignatureVerifier
    let signer: XMLSigner

    init() throws {
        verifier = try Fixtures.verifier(Fixtures.rsa)
        signer = try Fixtures.xmlSigner(Fixtures.rsa)
    }

    func refusal(_ text: String, limits: XMLParsingLimits = XMLParsingLimits()) -> XMLDSigError? {
        let bytes = Fixtures.bytes(text)
        let viaVerify = #expect(throws: XMLDSigError.self) {
            _ = try SignatureVerifier(trustStore: verifier.trustStore, policy: VerificationPolicy(limits: limits))
                .verify(bytes, sourceName: "hostile.xml")
        }
        let viaSign = #expect(throws: XMLDSigError.self) {
            _ = try signer.sign(bytes, sourceName: "hostile.xml", options: SigningOptions(limits: limits))
        }
        #expect(viaVerify?.code == viaSign?.code)
        return viaVerify
    }

    @Test("a billion-laughs entity bomb is refused before expansion")
    func entityBomb() {
        var dtd = "<!DOCTYPE lolz [<!ENTITY lol \"lol\">"
        for i in 1...9 { dtd += "<!ENTITY lol\(i) \"" + String(repeating: "&lol\(i - 1 == 0 ? "" : String(i - 1));", count: 10) + "\">" }
        dtd += "]>"
        let error = refusal(dtd + "<lolz>&lol9;</lolz>")
        #expect(error?.code == .hostileXML)
        #expect(error?.message.contains("hostile.xml") == true)
        #expect(error?.message.contains("DOCTYPE") == true)
    }

    @Test("an external entity (XXE) is refused and nothing is read")
    func xxe() {
        let error = refusal("<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>")
        #expect(error?.code == .hostileXML)
    }

    @Test("an external DTD is refused")
    func externalDTD() {
        let error = refusal("<!DOCTYPE a SYSTEM \"http://attacker.invalid/a.dtd\"><a/>")
        #expect(error?.code == .hostileXML)
    }

    @Test("an undeclared entity reference is malformed")
    func undeclaredEntity() {
        let error = refusal("<a>&x;</a>")
        #expect(error?.code == .malformedXML)
    }

    @Test("deep nesting beyond the limit is refused", arguments: [100, 100_000])
    func nesting(depth: Int) {
        let text = String(repeating: "<a>", count: depth) + String(repeating: "</a>", count: depth)
        let error = refusal(text)
        #expect(error?.code == .limitExceeded || error?.code == .malformedXML)
        if depth == 100 { #expect(error?.code == .limitExceeded) }
    }

    @Test("too many attributes on one element are refused")
    func attributes() {
        let attributes = (0..<100).map { "a\($0)=\"1\"" }.joined(separator: " ")
        let error = refusal("<a \(attributes)/>")
        #expect(error?.code == .limitExceeded)
    }

    @Test("a document over the size limit is refused before parsing")
    func size() {
        let error = refusal("<a>" + String(repeating: "x", count: 2000) + "</a>", limits: XMLParsingLimits(maxBytes: 1000))
        #expect(error?.code == .limitExceeded)
        #expect(error?.message.contains("limit") == true)
    }

    @Test(
        "garbage, empty, truncated and binary input are refused cleanly",
        arguments: [
            "", "not xml at all", "<a><b></a>", "<a>", "\u{0000}\u{0001}\u{0002}", "<?xml version=\"1.0\"?>",
        ])
    func garbage(text: String) {
        let error = refusal(text)
        #expect(error?.code == .malformedXML)
    }

    @Test("random bytes never crash the parser or the verifier")
    func randomBytes() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let length = Int.random(in: 1...512, using: &generator)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if Bool.random() { bytes = Array("<a>".utf8) + bytes + Array("</a>".utf8) }
            _ = try? verifier.verify(bytes, sourceName: "random")
        }
    }

    @Test("a document without a signature is reported as such")
    func unsigned() {
        let error = #expect(throws: XMLDSigError.self) { try verifier.verify(Fixtures.requestBytes, sourceName: "plain.xml") }
        #expect(error?.code == .noSignature)
        #expect(error?.message.contains("plain.xml") == true)
    }

    @Test("a trust store that is not a folder, or holds no certificate, is a clear error")
    func badTrustStore() throws {
        let missing = #expect(throws: XMLDSigError.self) { try TrustStore(directories: ["/nonexistent/trust"]) }
        #expect(missing?.code == .trustStoreUnusable)
        let empty = try Fixtures.temporaryDirectory()
        let none = #expect(throws: XMLDSigError.self) { try TrustStore(directories: [empty.path]) }
        #expect(none?.message.contains("no CA certificate") == true)
    }

    @Test("a trust folder's hash links are followed, also out of the folder, and each certificate counts once")
    func trustStoreLinks() throws {
        let rsaRoot = Fixtures.path("Certificates/rsa/root-ca.pem")
        let gostRoot = Fixtures.path("Certificates/trust/gost")
        let folder = try Fixtures.temporaryDirectory()
        // Only a hash link, pointing out of the folder.
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("724654d9.0").path, withDestinationPath: rsaRoot)
        #expect(try TrustStore(directories: [folder.path]).anchors.count == 1)
        // The same file under a second link and its own name, beside another CA's folder.
        try FileManager.default.copyItem(atPath: rsaRoot, toPath: folder.appendingPathComponent("root.pem").path)
        try FileManager.default.createSymbolicLink(
            atPath: folder.appendingPathComponent("724654d9.1").path, withDestinationPath: folder.appendingPathComponent("root.pem").path)
        let store = try TrustStore(directories: [folder.path, gostRoot])
        let gostAnchors = try TrustStore(directories: [gostRoot]).anchors.count
        #expect(gostAnchors >= 1)
        #expect(store.anchors.count == 1 + gostAnchors)
    }
}
