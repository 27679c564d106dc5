import Foundation
import MezhvedTestSupport
import Testing

@testable import MezhvedXMLDSig

/// A small PKI made by the real `openssl` CLI in a temporary folder: a root CA and leaf
/// certificates, each with one property that makes it unfit (or fit) to sign documents.
struct FitnessPKI: Sendable {
    /// One leaf: its name, its key and certificate files.
    struct Leaf: Sendable {
        let name: String
        let key: String
        let cert: String
        /// The leaf as a signer for the xmlsec1 helpers (trusting the root).
        func signer(_ pki: FitnessPKI) -> Fixtures.Signer { Fixtures.Signer(key: key, cert: cert, chain: nil, trust: pki.trust) }
    }

    let folder: URL
    /// The trust folder holding the root CA.
    let trust: String
    let leaves: [String: Leaf]

    subscript(_ name: String) -> Leaf { leaves[name]! }

    /// The leaves: the key algorithm, and the extension lines of the certificate.
    static let specifications: [(name: String, key: [String], extensions: [String])] = [
        (
            "good", ["-newkey", "rsa:2048"],
            [
                "basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature,nonRepudiation",
                "extendedKeyUsage=emailProtection,clientAuth",
            ]
        ),
        ("ca", ["-newkey", "rsa:2048"], ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,digitalSignature,keyCertSign,cRLSign"]),
        ("cert-sign-only", ["-newkey", "rsa:2048"], ["basicConstraints=CA:FALSE", "keyUsage=critical,keyCertSign"]),
        ("server-auth-only", ["-newkey", "rsa:2048"], ["keyUsage=critical,digitalSignature", "extendedKeyUsage=serverAuth"]),
        ("rsa-512", ["-newkey", "rsa:512"], ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature"]),
        ("rsa-1024", ["-newkey", "rsa:1024"], ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature"]),
        ("p224", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:secp224r1"], ["keyUsage=critical,digitalSignature"]),
        ("document-signing", ["-newkey", "rsa:2048"], ["keyUsage=critical,nonRepudiation", "extendedKeyUsage=1.3.6.1.5.5.7.3.36"]),
        ("any-eku", ["-newkey", "rsa:2048"], ["extendedKeyUsage=anyExtendedKeyUsage"]),
        ("russian-eku", ["-newkey", "rsa:2048"], ["extendedKeyUsage=1.2.643.2.2.34.6"]),
        ("code-signing-only", ["-newkey", "rsa:2048"], ["extendedKeyUsage=codeSigning"]),
        ("time-stamping-only", ["-newkey", "rsa:2048"], ["extendedKeyUsage=critical,timeStamping"]),
        (
            "everything-wrong", ["-newkey", "rsa:1024"],
            ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign", "extendedKeyUsage=serverAuth,OCSPSigning"]
        ),
    ]

    /// Runs openssl, blocking its thread: the PKI is made once, for a `static let`.
    static func openssl(_ arguments: [String], in folder: URL) throws {
        let result = try TestProcess.runBlocking("openssl", arguments, currentDirectory: folder.path)
        guard result.status == 0 else {
            throw XMLDSigError(.certificateUnusable, "openssl \(arguments.joined(separator: " ")) failed: \(result.stderr)")
        }
    }

    /// Makes the PKI in a new temporary folder.
    static func make() throws -> FitnessPKI {
        let folder = try Fixtures.temporaryDirectory()
        let trust = folder.appendingPathComponent("trust")
        try FileManager.default.createDirectory(at: trust, withIntermediateDirectories: true)
        try openssl(
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "root.key", "-out", "trust/root.pem", "-days", "30",
                "-subj", "/CN=Fitness Test Root CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ], in: folder)
        var leaves: [String: Leaf] = [:]
        for (serial, spec) in specifications.enumerated() {
            let name = spec.name
            try openssl(
                ["req"] + spec.key + ["-nodes", "-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=Fitness \(name)"], in: folder
            )
            try Data((spec.extensions.joined(separator: "\n") + "\n").utf8).write(to: folder.appendingPathComponent("\(name).ext"))
            // The root's RSA-2048 key signs every leaf, so OpenSSL's security level never meets the
            // weak leaf keys here (xmlsec1 signs the documents with them).
            try openssl(
                [
                    "x509", "-req", "-in", "\(name).csr", "-CA", "trust/root.pem", "-CAkey", "root.key", "-set_serial", "\(serial + 2)",
                    "-days", "30", "-sha256", "-extfile", "\(name).ext", "-out", "\(name).pem",
                ], in: folder)
            leaves[name] = Leaf(
                name: name, key: folder.appendingPathComponent("\(name).key").path, cert: folder.appendingPathComponent("\(name).pem").path)
        }
        return FitnessPKI(folder: folder, trust: trust.path, leaves: leaves)
    }

    /// Made once for the suite (key generation is the slow part).
    static let shared: Result<FitnessPKI, any Error> = Result { try make() }

    func certificate(_ name: String) throws -> Certificate { try Certificate.load(contentsOf: self[name].cert)[0] }
}

@Suite("Signer certificates fit for signing documents")
struct SignerCertificateFitnessTests {
    /// The unfit leaves: the rule each breaks and a piece of what the report must say was found.
    static let unfit: [(name: String, rule: String, found: String)] = [
        ("ca", "basic-constraints", "CA:TRUE"),
        ("cert-sign-only", "key-usage", "its keyUsage is keyCertSign;"),
        ("server-auth-only", "extended-key-usage", "serverAuth (1.3.6.1.5.5.7.3.1)"),
        ("rsa-512", "key-strength", "RSA 512 bits; required: at least 2048 bits"),
        ("rsa-1024", "key-strength", "RSA 1024 bits"),
        ("p224", "key-strength", "ECDSA 224 bits; required: at least 256 bits"),
        ("code-signing-only", "extended-key-usage", "codeSigning (1.3.6.1.5.5.7.3.3)"),
        ("time-stamping-only", "extended-key-usage", "timeStamping (1.3.6.1.5.5.7.3.8)"),
    ]

    static let document = """
        <?xml version="1.0" encoding="UTF-8"?>
        <Request xmlns="urn:mezhved:test:fitness" Id="request"><Body>Сведения о регистрации</Body></Request>
        """

    static func pki() throws -> FitnessPKI { try FitnessPKI.shared.get() }

    /// Signs the document with xmlsec1 (an independent signer that does not judge the certificate).
    static func xmlsecSigned(_ leaf: FitnessPKI.Leaf, pki: FitnessPKI) async throws -> URL {
        let method =
            leaf.name == "p224"
            ? "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256" : "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
        let signed = try await Interop.xmlsecSign(
            Interop.template(body: document, signatureMethod: method, uri: ""), signer: leaf.signer(pki))
        let url = pki.folder.appendingPathComponent("\(leaf.name).xmlsec-signed.xml")
        try Data(signed.utf8).write(to: url)
        return url
    }

    @Test("the judgement of each leaf: fit ones have no finding, each unfit one exactly the rule it breaks")
    func judgement() throws {
        let pki = try Self.pki()
        for name in ["good", "document-signing", "any-eku", "russian-eku"] {
            let fitness = try pki.certificate(name).documentSigningFitness
            #expect(fitness.isFit, "\(name): \(fitness.findings.map(\.message))")
        }
        for (name, rule, found) in Self.unfit {
            let fitness = try pki.certificate(name).documentSigningFitness
            #expect(fitness.findings.map(\.rule.code) == [rule], "\(name)")
            #expect(fitness.findings.first?.message.contains(found) == true, "\(name): \(fitness.findings.map(\.message))")
        }
        let all = try pki.certificate("everything-wrong").documentSigningFitness
        #expect(all.findings.map(\.rule) == [.basicConstraints, .keyUsage, .extendedKeyUsage, .keyStrength])
        #expect(all.findings[2].found == "serverAuth (1.3.6.1.5.5.7.3.1), OCSPSigning (1.3.6.1.5.5.7.3.9)")
        #expect(all.findings[3].required == "at least 2048 bits for RSA")
    }

    @Test("the repository's test signers are fit; its CA certificates are not")
    func repositoryPKI() throws {
        for signer in [
            Fixtures.rsa, Fixtures.ecdsa, Fixtures.ecdsa384, Fixtures.gostSocial, Fixtures.gostHealth512, Fixtures.gostEmployment,
        ] {
            let fitness = try Certificate.load(contentsOf: signer.cert)[0].documentSigningFitness
            #expect(fitness.isFit, "\(signer.cert): \(fitness.findings.map(\.message))")
        }
        for ca in ["Certificates/rsa/root-ca.pem", "Certificates/ecdsa/root-ca.pem", "Certificates/gost/ca.pem"] {
            let fitness = try Certificate.load(contentsOf: Fixtures.path(ca))[0].documentSigningFitness
            #expect(fitness.findings.map(\.rule).contains(.basicConstraints), "\(ca)")
        }
    }

    @Test("the good RSA-2048 leaf: mezhved sign signs, mezhved verify says VALID")
    func goodLeaf() async throws {
        let pki = try Self.pki()
        let input = pki.folder.appendingPathComponent("good-input.xml")
        try Data(Self.document.utf8).write(to: input)
        let output = pki.folder.appendingPathComponent("good.signed.xml").path
        let signed = try await TestProcess.mezhved(["sign", input.path, "--key", pki["good"].key, "--cert", pki["good"].cert, "-o", output])
        #expect(signed.status == 0, "\(signed.stderr)")
        let verified = try await TestProcess.mezhved(["verify", output, "--trust", pki.trust])
        #expect(verified.status == 0, "\(verified.stdout)")
        #expect(verified.stdout.hasPrefix("VALID"))
        // The same certificate through xmlsec1 verifies too: the checks judge the certificate, not the producer.
        let other = try await TestProcess.mezhved(["verify", try Self.xmlsecSigned(pki["good"], pki: pki).path, "--trust", pki.trust])
        #expect(other.status == 0, "\(other.stdout)")
    }

    @Test("mezhved sign refuses an unfit certificate with exit 4, naming the rule and what was found", arguments: unfit)
    func signRefuses(name: String, rule: String, found: String) async throws {
        let pki = try Self.pki()
        let input = pki.folder.appendingPathComponent("\(name)-input.xml")
        try Data(Self.document.utf8).write(to: input)
        let output = pki.folder.appendingPathComponent("\(name).mezhved-signed.xml")
        let result = try await TestProcess.mezhved([
            "sign", input.path, "--key", pki[name].key, "--cert", pki[name].cert, "-o", output.path,
        ])
        #expect(result.status == 4, "\(result.stdout) \(result.stderr)")
        #expect(result.stderr.contains("is not fit to sign documents (\(rule):"), "\(result.stderr)")
        #expect(result.stderr.contains(found), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output.path))
        // And the library says the same.
        let key = try SigningKey.load(contentsOf: pki[name].key)
        #expect(throws: XMLDSigError.self) { try XMLSigner(key: key, certificate: try pki.certificate(name)) }
    }

    @Test("a document signed elsewhere with an unfit certificate is INVALID (exit 1), the reason named", arguments: unfit)
    func verifyRefuses(name: String, rule: String, found: String) async throws {
        let pki = try Self.pki()
        let document = try await Self.xmlsecSigned(pki[name], pki: pki)
        let text = try await TestProcess.mezhved(["verify", document.path, "--trust", pki.trust])
        #expect(text.status == 1, "\(text.stdout) \(text.stderr)")
        #expect(text.stdout.hasPrefix("INVALID"))
        #expect(
            text.stdout.contains("signer-certificate: the signer's certificate is not fit to sign documents (\(rule))"), "\(text.stdout)")
        #expect(text.stdout.contains(found), "\(text.stdout)")

        let json = try await TestProcess.mezhved(["verify", document.path, "--trust", pki.trust, "--json"])
        #expect(json.status == 1)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let problems = try #require(object?["problems"] as? [[String: Any]])
        #expect(problems.count == 1, "\(problems)")
        #expect(problems.first?["check"] as? String == "signer-certificate")
        #expect(problems.first?["severity"] as? String == "invalid")

        // The library's report, and the SignedInfo check the archive audit runs on stored forms.
        let store = try TrustStore(directories: [pki.trust])
        let bytes = try [UInt8](Data(contentsOf: document))
        let report = try SignatureVerifier(trustStore: store).verify(bytes, sourceName: document.lastPathComponent)
        #expect(report.status == .invalid)
        #expect(report.problems.map(\.check) == [.signerCertificate])
        let stored = try SignedInfoChecker(trustStore: store).check(bytes, sourceName: document.lastPathComponent, at: Date())
        #expect(stored.status == .invalid)
        #expect(stored.problems.map(\.check) == [.signerCertificate])
    }

    @Test("verify --report names the unfit certificate: INDETERMINATE, CHAIN_ or CRYPTO_CONSTRAINTS_FAILURE (EN 319 102-1)")
    func qualifiedReport() async throws {
        let pki = try Self.pki()
        let cases: [(name: String, subIndication: String, rule: String)] = [
            ("ca", "CHAIN_CONSTRAINTS_FAILURE", "basic-constraints"),
            ("cert-sign-only", "CHAIN_CONSTRAINTS_FAILURE", "key-usage"),
            ("server-auth-only", "CHAIN_CONSTRAINTS_FAILURE", "extended-key-usage"),
            ("rsa-512", "CRYPTO_CONSTRAINTS_FAILURE", "key-strength"),
        ]
        for (name, subIndication, rule) in cases {
            let document = try await Self.xmlsecSigned(pki[name], pki: pki)
            let result = try await TestProcess.mezhved(["verify", document.path, "--trust", pki.trust, "--report", "text", "--offline"])
            #expect(result.status == 2, "\(name): \(result.stdout) \(result.stderr)")
            #expect(result.stdout.hasPrefix("INDETERMINATE / \(subIndication)"), "\(name): \(result.stdout)")
            #expect(result.stdout.contains("not fit to sign documents (\(rule))"), "\(name): \(result.stdout)")
        }
    }
}
