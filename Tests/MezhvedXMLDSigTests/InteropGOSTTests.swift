import Foundation
import Testing

@testable import MezhvedXMLDSig

/// GOST interop: Debian's xmlsec1 has no GOST, so the peers are the `openssl` command line with the
/// GOST engine, and an independent pure-Python implementation (gostcrypto + lxml's c14n,
/// `Tests/Interop/gost_xmldsig.py`) that shares no code with OpenSSL.
@Suite("Interop for GOST R 34.10-2012: openssl CLI and an independent Python implementation")
struct GOSTInteropTests {
    static let script = Fixtures.path("Tests/Interop/gost_xmldsig.py")

    /// A small document: the Python Streebog is slow.
    static let document = """
        <?xml version="1.0" encoding="UTF-8"?>
        <z:Запрос xmlns:z="urn:mezhved:test:gost" Id="q1"><z:Кому>Комитет по труду и занятости населения</z:Кому>
        <z:Сведения Id="info" z:вид="безработный">Состоит ли на учёте Петров П. П. &amp; с какой даты</z:Сведения></z:Запрос>
        """

    static let signers: [(String, Fixtures.Signer)] = [("256", Fixtures.gostSocial), ("512", Fixtures.gostHealth512)]

    func write(_ bytes: [UInt8], _ name: String, in dir: URL) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    @Test("the Python implementation verifies mezhved's GOST signatures", arguments: signers)
    func pythonVerifiesOurs(bits: String, signer: Fixtures.Signer) async throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let xmlSigner = try Fixtures.xmlSigner(signer)
        for options in [SigningOptions(), SigningOptions(referenceID: "info")] {
            let signed = try xmlSigner.sign(Fixtures.bytes(Self.document), sourceName: "q", options: options)
            let path = try write(signed, "signed.xml", in: dir)
            let result = try await Tool.run(Tool.python, [Self.script, "verify", path])
            #expect(result.status == 0, "GOST \(bits) \(options.referenceID ?? "whole"): \(result.stdout) \(result.stderr)")
            #expect(result.stdout.contains("OK"))
            // The peer is not a rubber stamp: it refuses a tampered copy.
            let tampered = Fixtures.string(signed).replacingOccurrences(of: "Петров", with: "Петрова")
            let bad = try await Tool.run(Tool.python, [Self.script, "verify", try write(Fixtures.bytes(tampered), "bad.xml", in: dir)])
            #expect(bad.status != 0)
        }
    }

    @Test("mezhved verifies the Python implementation's GOST signatures", arguments: signers)
    func oursVerifiesPython(bits: String, signer: Fixtures.Signer) async throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try write(Fixtures.bytes(Self.document), "doc.xml", in: dir)
        let intermediates = try Certificate.load(contentsOf: signer.chain!)
        for extra in [[], ["--reference-id", "info"]] {
            let output = dir.appendingPathComponent("py-signed.xml").path
            let result = try await Tool.run(
                Tool.python, [Self.script, "sign", input, "--key", signer.key, "--cert", signer.cert, "-o", output] + extra)
            #expect(result.status == 0, "\(result.stderr)")
            let signed = try [UInt8](Data(contentsOf: URL(fileURLWithPath: output)))
            // The Python signer puts only the signer's certificate in KeyInfo: the accredited CA
            // comes in as an untrusted intermediate.
            let verifier = SignatureVerifier(trustStore: try TrustStore(directories: [signer.trust]), intermediates: intermediates)
            let report = try verifier.verify(signed, sourceName: "py-signed.xml")
            // The whole-document signature is verified without the document's tree; the one by Id with it.
            #expect((verifier.verifyStreaming(signed, sourceName: "py-signed.xml") != nil) == extra.isEmpty, "GOST \(bits) \(extra)")
            #expect(report.status == .valid, "GOST \(bits) \(extra): \(report.problems)")
            #expect(report.signatureAlgorithm?.hasSuffix(bits) == true)
            #expect(report.chain.count == 3)
        }
    }

    @Test("the Python implementation's GOST XAdES-BES with a signed KeyInfo verifies; a changed SigningTime does not", arguments: signers)
    func pythonXAdES(bits: String, signer: Fixtures.Signer) async throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try write(Fixtures.bytes(Self.document), "doc.xml", in: dir)
        let output = dir.appendingPathComponent("py-xades.xml").path
        let result = try await Tool.run(
            Tool.python,
            [Self.script, "sign", input, "--key", signer.key, "--cert", signer.cert, "-o", output, "--xades", "--sign-key-info"])
        #expect(result.status == 0, "\(result.stderr)")
        let signed = try [UInt8](Data(contentsOf: URL(fileURLWithPath: output)))
        let verifier = SignatureVerifier(
            trustStore: try TrustStore(directories: [signer.trust]), intermediates: try Certificate.load(contentsOf: signer.chain!))
        let report = try verifier.verify(signed, sourceName: "py-xades.xml")
        #expect(report.status == .valid, "GOST \(bits): \(report.problems)")
        #expect(report.references.map(\.role) == [.document, .keyInfo])
        let xades = try #require(report.xades)
        #expect(xades.signingCertificateBound)
        #expect(xades.signingTime != nil)
        let text = Fixtures.string(signed)
        let changed = text.replacingOccurrences(of: "<xades:SigningTime>20", with: "<xades:SigningTime>19")
        #expect(changed != text)
        let bad = try verifier.verify(Fixtures.bytes(changed), sourceName: "changed.xml")
        #expect(bad.status == .invalid)
        #expect(bad.problems.contains { $0.check == .digest && $0.message.contains("SignedProperties") }, "\(bad.problems)")
    }

    /// lxml's exclusive canonicalization of SignedInfo and of the document without its signature.
    static let canonicalizer = """
        import sys
        from lxml import etree
        DS = "http://www.w3.org/2000/09/xmldsig#"
        doc = etree.parse(sys.argv[1], etree.XMLParser(resolve_entities=False, no_network=True))
        sig = doc.find(".//{%s}Signature" % DS)
        si = sig.find("{%s}SignedInfo" % DS)
        open(sys.argv[2], "wb").write(etree.tostring(si, method="c14n", exclusive=True))
        value = sig.find("{%s}SignatureValue" % DS).text
        import base64
        open(sys.argv[3], "wb").write(base64.b64decode(value))
        sig.getparent().remove(sig)
        open(sys.argv[4], "wb").write(etree.tostring(doc, method="c14n", exclusive=True, with_comments=False))
        digest = si.find(".//{%s}DigestValue" % DS).text
        open(sys.argv[5], "wb").write(base64.b64decode(digest))
        """

    @Test("openssl (GOST engine) agrees with mezhved's DigestValue and SignatureValue, and mezhved accepts openssl's", arguments: signers)
    func openssl(bits: String, signer: Fixtures.Signer) async throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let signed = try Fixtures.xmlSigner(signer).sign(Fixtures.bytes(Self.document), sourceName: "q")
        let path = try write(signed, "signed.xml", in: dir)
        let script = try write(Fixtures.bytes(Self.canonicalizer), "c14n.py", in: dir)
        let si = dir.appendingPathComponent("si.c14n").path
        let sig = dir.appendingPathComponent("sig.bin").path
        let body = dir.appendingPathComponent("doc.c14n").path
        let digest = dir.appendingPathComponent("digest.bin").path
        let c14n = try await Tool.run(Tool.python, [script, path, si, sig, body, digest])
        #expect(c14n.status == 0, "\(c14n.stderr)")
        let md = bits == "256" ? "-md_gost12_256" : "-md_gost12_512"
        // DigestValue = Streebog(exc-c14n(document without signature)), per openssl.
        let ours = try Data(contentsOf: URL(fileURLWithPath: digest))
        let hashed = try await Tool.run(
            "openssl", ["dgst", "-engine", "gost", md, "-binary", "-out", dir.appendingPathComponent("d2").path, body])
        #expect(hashed.status == 0, "\(hashed.stderr)")
        #expect(try Data(contentsOf: dir.appendingPathComponent("d2")) == ours)
        // SignatureValue verifies over exc-c14n(SignedInfo) with the certificate's key, per openssl.
        let pub = dir.appendingPathComponent("pub.pem").path
        let extracted = try await Tool.run("openssl", ["x509", "-engine", "gost", "-in", signer.cert, "-pubkey", "-noout", "-out", pub])
        #expect(extracted.status == 0, "\(extracted.stderr)")
        let verified = try await Tool.run("openssl", ["dgst", "-engine", "gost", md, "-verify", pub, "-signature", sig, si])
        #expect(verified.status == 0 && verified.stdout.contains("Verified OK"), "\(verified.stdout) \(verified.stderr)")
        // openssl signs the same SignedInfo; mezhved accepts its SignatureValue.
        let osig = dir.appendingPathComponent("openssl.sig").path
        let made = try await Tool.run("openssl", ["dgst", "-engine", "gost", md, "-sign", signer.key, "-out", osig, si])
        #expect(made.status == 0, "\(made.stderr)")
        let opensslValue = try Data(contentsOf: URL(fileURLWithPath: osig)).base64EncodedString()
        let text = Fixtures.string(signed)
        let start = text.range(of: "<ds:SignatureValue>")!.upperBound
        let end = text.range(of: "</ds:SignatureValue>")!.lowerBound
        #expect(text[start..<end] != opensslValue, "GOST signatures are randomized")
        let replaced = text.replacingCharacters(in: start..<end, with: opensslValue)
        let report = try Fixtures.verifier(signer).verify(Fixtures.bytes(replaced), sourceName: "openssl-signed.xml")
        #expect(report.status == .valid, "\(report.problems)")
    }
}
