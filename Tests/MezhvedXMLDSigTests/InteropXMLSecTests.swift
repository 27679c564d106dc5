import Foundation
import Testing

@testable import MezhvedXMLDSig

/// Helpers for driving xmlsec1 (Debian's build: RSA and ECDSA, no GOST).
enum Interop {
    /// An xmlsec1 signing template: `body` with an empty enveloped signature appended to its root.
    static func template(
        body: String, signatureMethod: String, digestMethod: String = "http://www.w3.org/2001/04/xmlenc#sha256", uri: String,
        c14n: String = "http://www.w3.org/2001/10/xml-exc-c14n#", enveloped: Bool = true
    ) -> String {
        let transforms =
            (enveloped ? "<Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>" : "")
            + "<Transform Algorithm=\"\(c14n)\"/>"
        let signature = """
            <Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod Algorithm="\(c14n)"/>\
            <SignatureMethod Algorithm="\(signatureMethod)"/><Reference URI="\(uri)"><Transforms>\(transforms)</Transforms>\
            <DigestMethod Algorithm="\(digestMethod)"/><DigestValue/></Reference></SignedInfo><SignatureValue/>\
            <KeyInfo><X509Data><X509Certificate/></X509Data></KeyInfo></Signature>
            """
        guard let close = body.range(of: "</", options: .backwards) else { return body }
        return body.replacingCharacters(in: close.lowerBound..<close.lowerBound, with: signature)
    }

    /// Signs a template with xmlsec1 and returns the signed document.
    static func xmlsecSign(_ template: String, signer: Fixtures.Signer, idAttribute: String? = nil) async throws -> String {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("template.xml")
        let output = dir.appendingPathComponent("signed.xml")
        try Data(template.utf8).write(to: input)
        var arguments = ["--sign", "--privkey-pem", "\(signer.key),\(signer.cert)", "--output", output.path]
        if let idAttribute { arguments += ["--id-attr:Id", idAttribute] }
        let result = try await Tool.run("xmlsec1", arguments + [input.path])
        #expect(result.status == 0, "xmlsec1 --sign failed: \(result.stderr)")
        return try String(contentsOf: output, encoding: .utf8)
    }

    /// Verifies a document with xmlsec1 against the signer's root CA.
    static func xmlsecVerify(_ document: [UInt8], root: String, idAttribute: String? = nil) async throws -> ProcessResult {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("signed.xml")
        try Data(document).write(to: input)
        var arguments = ["--verify", "--trusted-pem", root]
        if let idAttribute { arguments += ["--id-attr:Id", idAttribute] }
        return try await Tool.run("xmlsec1", arguments + [input.path])
    }
}

@Suite("Interop with xmlsec1 (RSA, ECDSA)")
struct XMLSecInteropTests {
    static let keys: [(Fixtures.Signer, String, String)] = [
        (Fixtures.rsa, "Certificates/rsa/root-ca.pem", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"),
        (Fixtures.ecdsa, "Certificates/ecdsa/root-ca.pem", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"),
        (Fixtures.ecdsa384, "Certificates/ecdsa/root-ca.pem", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"),
    ]

    @Test("xmlsec1 verifies mezhved's signatures (whole document and by Id)", arguments: keys)
    func xmlsecVerifiesOurs(signer: Fixtures.Signer, root: String, method: String) async throws {
        let xmlSigner = try Fixtures.xmlSigner(signer)
        for c14n in [CanonicalizationAlgorithm.exclusive, .c14n10, .c14n11] {
            let whole = try xmlSigner.sign(Fixtures.requestBytes, sourceName: "r", options: SigningOptions(canonicalization: c14n))
            let result = try await Interop.xmlsecVerify(whole, root: Fixtures.path(root))
            #expect(result.status == 0, "\(c14n): \(result.stderr)")
            #expect(result.stderr.contains("OK"))
        }
        let byID = try xmlSigner.sign(Fixtures.requestBytes, sourceName: "r", options: SigningOptions(referenceID: "body"))
        let result = try await Interop.xmlsecVerify(byID, root: Fixtures.path(root), idAttribute: "Body")
        #expect(result.status == 0, "\(result.stderr)")
        // And xmlsec1 refuses what we would refuse: a tampered copy.
        let tampered = Fixtures.bytes(Fixtures.string(byID).replacingOccurrences(of: "Петров", with: "Сидоров"))
        await #expect(try Interop.xmlsecVerify(tampered, root: Fixtures.path(root), idAttribute: "Body").status != 0)
    }

    @Test("xmlsec1 verifies a 3 MB register signed through the stream and hashed on a second thread, and refuses a tampered copy")
    func xmlsecVerifiesStreamedRegister() async throws {
        var register = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<r:Register xmlns:r=\"urn:mezhved:register\">\n"
        for i in 0..<30_000 {
            register += "  <r:Record n=\"\(i)\" note=\"a &amp; b\"><r:Name>Получатель \(i) &lt;семья&gt;</r:Name><!-- \(i) --></r:Record>\n"
        }
        register += "</r:Register>\n"
        let bytes = Fixtures.bytes(register)
        #expect(bytes.count > 2 << 20)
        let signed = try Fixtures.xmlSigner(Fixtures.rsa).sign(bytes, sourceName: "register")
        let result = try await Interop.xmlsecVerify(signed, root: Fixtures.path("Certificates/rsa/root-ca.pem"))
        #expect(result.status == 0, "\(result.stderr)")
        let tampered = Fixtures.bytes(Fixtures.string(signed).replacingOccurrences(of: "Получатель 29999", with: "Получатель 29998"))
        await #expect(try Interop.xmlsecVerify(tampered, root: Fixtures.path("Certificates/rsa/root-ca.pem")).status != 0)
    }

    /// Documents that exercise canonicalization: comments, CDATA, CRLF, namespaces, Cyrillic.
    static let documents: [(String, String)] = [
        (
            "comments",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- head -->\n<doc xmlns=\"urn:a\"><!-- inside --><v>1</v><!-- tail --></doc>"
        ),
        ("CDATA", "<doc xmlns=\"urn:a\"><v><![CDATA[a < b && c > d]]></v></doc>"),
        ("CRLF", "<doc xmlns=\"urn:a\">\r\n  <v>line one\r\nline two</v>\r\n</doc>"),
        (
            "namespaces",
            "<p:doc xmlns:p=\"urn:p\" xmlns:q=\"urn:q\" xmlns:unused=\"urn:u\"><q:v q:attr=\"1\" b=\"2\" a=\"3\">x</q:v><p:w xmlns=\"urn:default\"><inner/></p:w></p:doc>"
        ),
        (
            "Cyrillic",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Запрос xmlns=\"urn:ru\" Номер=\"01-12/000345\"><Текст>Прошу предоставить сведения «о регистрации» &amp; ответ</Текст></Запрос>"
        ),
    ]

    @Test("mezhved verifies xmlsec1's signatures", arguments: documents)
    func oursVerifiesXMLSec(name: String, body: String) async throws {
        for (signer, _, method) in Self.keys {
            for c14n in [
                "http://www.w3.org/2001/10/xml-exc-c14n#", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
                "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
            ] {
                let signed = try await Interop.xmlsecSign(
                    Interop.template(body: body, signatureMethod: method, uri: "", c14n: c14n), signer: signer)
                let report = try Fixtures.verifier(signer).verify(Fixtures.bytes(signed), sourceName: "\(name).xml")
                #expect(report.status == .valid, "\(name) \(method) \(c14n): \(report.problems)")
                // Exclusive C14N over the whole document is the shape verified without the document's
                // tree, unless comments inside the document element leave it to the tree's checks.
                let streamed = try Fixtures.verifier(signer).verifyStreaming(Fixtures.bytes(signed), sourceName: "\(name).xml")
                let streams = c14n.contains("exc-c14n") && !body.contains("<!-- inside -->")
                #expect((streamed != nil) == streams, "\(name) \(method) \(c14n): streaming path")
            }
        }
    }

    @Test("mezhved verifies xmlsec1's signatures by Id and with XPointer comments")
    func oursVerifiesXMLSecByID() async throws {
        let body = "<doc xmlns=\"urn:a\"><head>unsigned</head><part Id=\"p1\"><!-- c --><v>Подписанная часть</v></part></doc>"
        for (signer, _, method) in Self.keys {
            let signed = try await Interop.xmlsecSign(
                Interop.template(body: body, signatureMethod: method, uri: "#p1", enveloped: false), signer: signer, idAttribute: "part")
            let report = try Fixtures.verifier(signer).verify(Fixtures.bytes(signed), sourceName: "byid.xml")
            #expect(report.status == .valid, "\(method): \(report.problems)")
            #expect(report.references.first?.covers == "/part" || report.references.first?.covers == "/doc/part")
            let content = Fixtures.string(report.references.first?.signedContent ?? [])
            #expect(content.contains("Подписанная часть") && !content.contains("unsigned"))

            let withComments = try await Interop.xmlsecSign(
                Interop.template(
                    body: "<doc xmlns=\"urn:a\"><!-- c --><v>1</v></doc>", signatureMethod: method, uri: "#xpointer(/)",
                    c14n: "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"), signer: signer)
            let commentReport = try Fixtures.verifier(signer).verify(Fixtures.bytes(withComments), sourceName: "xpointer.xml")
            #expect(commentReport.status == .valid, "\(commentReport.problems)")
            #expect(commentReport.references.first?.includesComments == true)
            let commentContent = Fixtures.string(commentReport.references.first?.signedContent ?? [])
            #expect(commentContent.contains("<!-- c -->"))
        }
    }
}
