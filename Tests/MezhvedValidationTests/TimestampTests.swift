import Foundation
import MezhvedTestSupport
import MezhvedValidation
import Testing

@testable import MezhvedXMLDSig

/// XAdES-T against a real time-stamping authority on loopback: `openssl ts -reply` behind
/// `Tests/Interop/tsa_server.py`, with the TEST TSAs of `Certificates/tsa/` (make-tsa.sh).
@Suite("XAdES-T with a real RFC 3161 TSA on loopback", .serialized)
struct TimestampTests {
    struct Signer: Sendable, CustomStringConvertible {
        let name: String
        let key: String
        let cert: String
        let chain: String?
        let trust: String
        /// tsa_server.py arguments for the TSA that fits.
        let tsa: [String]
        let digest: DigestAlgorithm
        var description: String { name }
    }

    static let gost = Signer(
        name: "GOST 256 with the GOST TSA", key: Repository.path("Certificates/agencies/social-protection/key.pem"),
        cert: Repository.path("Certificates/agencies/social-protection/cert.pem"), chain: Repository.path("Certificates/gost/ca.pem"),
        trust: Repository.path("Certificates/trust/gost"), tsa: [], digest: .streebog256)
    static let rsa = Signer(
        name: "RSA with the RSA TSA", key: Repository.path("Certificates/rsa/signer.key.pem"),
        cert: Repository.path("Certificates/rsa/signer.pem"), chain: nil, trust: Repository.path("Certificates/trust/rsa"),
        tsa: [
            "--key", Repository.path("Certificates/tsa/rsa-tsa.key.pem"), "--cert", Repository.path("Certificates/tsa/rsa-tsa.pem"),
            "--chain", "", "--digest", "sha256",
        ], digest: .sha256)
    static let wrongTSA = [
        "--key", Repository.path("Certificates/tsa/wrong-tsa.key.pem"), "--cert", Repository.path("Certificates/tsa/wrong-tsa.pem"),
        "--chain", "",
    ]

    static let document = Array(
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <r:Request xmlns:r="urn:mezhved:test:request" Id="request"><r:Body Id="body">Сведения о регистрации Петрова П. П.</r:Body></r:Request>
        """.utf8)

    static func tsa(_ arguments: [String] = []) throws -> LocalService {
        let port = try LocalService.freePort()
        return try LocalService(
            "TSA", executable: "/usr/bin/env",
            arguments: ["python3", Repository.path("Tests/Interop/tsa_server.py"), String(port)] + arguments, port: port)
    }

    static func signer(_ s: Signer) throws -> XMLSigner {
        let chain = try s.chain.map { try Certificate.load(contentsOf: $0) } ?? []
        return try XMLSigner(
            key: SigningKey.load(contentsOf: s.key), certificate: Certificate.load(contentsOf: s.cert)[0], chain: chain)
    }

    static func signT(_ s: Signer, url: String, document: [UInt8] = document) async throws -> [UInt8] {
        let options = SigningOptions(
            xades: .t, timestamper: RFC3161Timestamper(url: url, transport: OpenSSLHTTPTransport(timeout: .seconds(10))))
        return try await signer(s).signAwaitingTimestamp(document, sourceName: "request.xml", options: options)
    }

    static func verify(_ signed: [UInt8], trust: String) throws -> VerificationReport {
        try SignatureVerifier(trustStore: TrustStore(directories: [trust])).verify(signed, sourceName: "signed.xml")
    }

    @Test("XAdES-T: the timestamp is valid, from the trusted TSA, minted seconds ago", arguments: [gost, rsa])
    func validTimestamp(signer: Signer) async throws {
        let service = try Self.tsa(signer.tsa)
        // The token's time lies between the clock read before the request and after the answer
        // (a second of slack: genTime is given to the second), however slow the machine is.
        let asked = Date().addingTimeInterval(-1)
        let signed = try await Self.signT(signer, url: service.baseURL + "/tsa")
        let answered = Date().addingTimeInterval(1)
        let text = String(decoding: signed, as: UTF8.self)
        #expect(text.contains("<xades:EncapsulatedTimeStamp>"))
        let report = try Self.verify(signed, trust: signer.trust)
        #expect(report.status == .valid, "\(report.problems)")
        let xades = try #require(report.xades)
        #expect(xades.level == .t)
        #expect(xades.signingCertificateBound)
        let stamp = try #require(xades.timestamps.first)
        #expect(xades.timestamps.count == 1)
        #expect(stamp.isValid && stamp.imprintMatches && stamp.signatureValid && stamp.tsaTrusted, "\(stamp.problems)")
        let genTime = stamp.genTime
        #expect(asked <= genTime && genTime <= answered, "genTime \(genTime) is not between \(asked) and \(answered)")
        if let signingTime = xades.signingTime { #expect(asked <= signingTime && signingTime <= genTime.addingTimeInterval(1)) }
        #expect(stamp.digestAlgorithm == signer.digest.uri)
        #expect(stamp.tsa?.commonName?.contains("TSA") == true)
        #expect(stamp.tsaPath.count == stamp.tsaChain.count && stamp.tsaPath.count >= 2)
        #expect(!stamp.token.isEmpty)
        #expect(stamp.id?.hasSuffix("-sigts") == true)
        // XAdES-T is verified without the document's tree (the timestamp's inclusive C14N of the
        // SignatureValue sees the namespaces in scope through the wrapper), with the tree's report.
        let verifier = SignatureVerifier(
            trustStore: try TrustStore(directories: [signer.trust]), policy: VerificationPolicy(validationTime: Date()))
        let streamed = try #require(verifier.verifyStreaming(signed, sourceName: "signed.xml"))
        let tree = try verifier.verifyTree(signed, sourceName: "signed.xml")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        #expect(try encoder.encode(streamed) == encoder.encode(tree))
        #expect(streamed.xades?.timestamps.first?.isValid == true)
    }

    @Test("openssl ts -verify accepts the GOST token over the canonical SignatureValue, and refuses other data")
    func opensslVerifiesToken() async throws {
        let service = try Self.tsa()
        let signed = try await Self.signT(Self.gost, url: service.baseURL)
        let report = try Self.verify(signed, trust: Self.gost.trust)
        let token = try #require(report.xades?.timestamps.first?.token)
        // The exclusive canonical form of ds:SignatureValue, rebuilt here from the text (not by mezhved's canonicalizer).
        let text = String(decoding: signed, as: UTF8.self)
        let value = try #require(text.firstMatch(of: #/<ds:SignatureValue>([^<]+)</ds:SignatureValue>/#)?.1)
        let canonical = "<ds:SignatureValue xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">\(value)</ds:SignatureValue>"
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let tokenPath = folder.appendingPathComponent("token.der").path
        let dataPath = folder.appendingPathComponent("signature-value.xml").path
        let otherPath = folder.appendingPathComponent("other.xml").path
        try Data(token).write(to: URL(fileURLWithPath: tokenPath))
        try Data(canonical.utf8).write(to: URL(fileURLWithPath: dataPath))
        try Data((canonical + " ").utf8).write(to: URL(fileURLWithPath: otherPath))
        let environment = ["OPENSSL_CONF": Repository.path("Certificates/openssl-gost.cnf")]
        func opensslVerify(_ data: String) async throws -> ProcessOutput {
            try await TestProcess.run(
                "/usr/bin/openssl",
                [
                    "ts", "-verify", "-token_in", "-in", tokenPath, "-data", data, "-CAfile",
                    Repository.path("Certificates/gost/root-ca.pem"),
                    "-untrusted", Repository.path("Certificates/tsa/gost-tsa.pem"), "-untrusted",
                    Repository.path("Certificates/gost/ca.pem"),
                ], environment: environment)
        }
        let good = try await opensslVerify(dataPath)
        #expect(good.status == 0 && good.stdout.contains("Verification: OK"), "\(good.stdout) \(good.stderr)")
        let bad = try await opensslVerify(otherPath)
        #expect(bad.status != 0, "openssl accepted the token over other data")
    }

    @Test("a TSA whose certificate chains to no trusted CA: the timestamp is untrusted, the signature otherwise fine")
    func wrongTSA() async throws {
        let service = try Self.tsa(Self.wrongTSA)
        let signed = try await Self.signT(Self.gost, url: service.baseURL)
        let report = try Self.verify(signed, trust: Self.gost.trust)
        #expect(report.status == .indeterminate)
        #expect(report.problems.allSatisfy { $0.check == .timestamp && $0.severity == .indeterminate }, "\(report.problems)")
        #expect(report.references.allSatisfy { $0.digestMatches })
        let stamp = try #require(report.xades?.timestamps.first)
        #expect(stamp.signatureValid && stamp.imprintMatches, "\(stamp.problems)")
        #expect(!stamp.tsaTrusted)
        #expect(stamp.problems.contains { $0.contains("does not chain") })
        #expect(report.xades?.signingCertificateBound == true)
    }

    @Test("a timestamp moved onto another signature does not cover it: indeterminate, imprint mismatch")
    func movedTimestamp() async throws {
        let service = try Self.tsa()
        let first = String(decoding: try await Self.signT(Self.gost, url: service.baseURL), as: UTF8.self)
        let second = String(decoding: try await Self.signT(Self.gost, url: service.baseURL), as: UTF8.self)
        let pattern = #/<xades:EncapsulatedTimeStamp>[^<]+</xades:EncapsulatedTimeStamp>/#
        let stolen = try #require(first.firstMatch(of: pattern)?.0)
        let moved = second.replacing(pattern, with: stolen)
        #expect(moved != second)
        let report = try Self.verify(Array(moved.utf8), trust: Self.gost.trust)
        #expect(report.status == .indeterminate, "a foreign timestamp must not make the signature invalid by itself")
        #expect(report.problems.map(\.check) == [.timestamp])
        let stamp = try #require(report.xades?.timestamps.first)
        #expect(!stamp.imprintMatches && stamp.signatureValid)
    }

    @Test("a TSA that refuses (policy it does not serve): timestampFailed naming the status and the failure")
    func refusedPolicy() async throws {
        let service = try Self.tsa()
        let client = RFC3161Timestamper(url: service.baseURL, policy: "1.2.643.100.113.99.7")
        let error = await #expect(throws: ValidationError.self) {
            try await client.timestamp(messageImprint: Array(repeating: 3, count: 32), algorithm: .streebog256)
        }
        #expect(error?.code == .timestampFailed)
        #expect(
            error?.message.contains("rejection") == true && error?.message.contains("unacceptedPolicy") == true,
            "\(String(describing: error))")
        // The policy the TSA serves is granted and echoed.
        let token = try await RFC3161Timestamper(url: service.baseURL, policy: "1.2.643.100.113.99.2").timestamp(
            messageImprint: Array(repeating: 3, count: 32), algorithm: .streebog256)
        #expect(try TimestampToken(der: token, source: "token").policy == "1.2.643.100.113.99.2")
    }

    @Test("a claimed signing time later than the timestamp is flagged")
    func signingTimeAfterTimestamp() async throws {
        let service = try Self.tsa()
        let options = SigningOptions(
            xades: .t, signingTime: Date().addingTimeInterval(3600), timestamper: RFC3161Timestamper(url: service.baseURL))
        let signed = try await Self.signer(Self.gost).signAwaitingTimestamp(Self.document, sourceName: "request.xml", options: options)
        let report = try Self.verify(signed, trust: Self.gost.trust)
        #expect(report.warnings.contains { $0.contains("later than the signature timestamp") }, "\(report.warnings)")
    }

    @Test("XAdES-T on every signing path (streamed, tree in place with inclusive C14N, windows-1251 copied in) verifies")
    func everySigningPath() async throws {
        let service = try Self.tsa(Self.rsa.tsa)
        let signer = try Self.signer(Self.rsa)
        // One byte per character: "\u{E4}\u{EE}\u{EA}" are the windows-1251 bytes of "док", "\u{F2}" of "т".
        let cp1251 = "<?xml version=\"1.0\" encoding=\"windows-1251\"?>\n<a Id=\"\u{E4}\u{EE}\u{EA}\">\u{F2}</a>\n".unicodeScalars
            .map { UInt8($0.value) }
        let cases: [(String, [UInt8], SigningOptions)] = [
            ("streamed", Self.document, SigningOptions()),
            ("tree, inclusive C14N in place", Self.document, SigningOptions(canonicalization: .c14n10)),
            ("windows-1251, non-ASCII Id", cp1251, SigningOptions(referenceID: "док")),
        ]
        for (name, document, base) in cases {
            var options = base
            options.xades = .t
            options.timestamper = RFC3161Timestamper(url: service.baseURL + "/tsa", transport: OpenSSLHTTPTransport(timeout: .seconds(10)))
            let signed = try await signer.signAwaitingTimestamp(document, sourceName: name, options: options)
            let report = try Self.verify(signed, trust: Self.rsa.trust)
            #expect(report.status == .valid, "\(name): \(report.problems)")
            #expect(report.xades?.level == .t, "\(name)")
            #expect(report.xades?.timestamps.count == 1 && report.xades?.timestamps.first?.isValid == true, "\(name)")
        }
    }

    @Test("the synchronous sign refuses XAdES-T with a TSA before asking it; without XAdES-T both give the same bytes")
    func synchronousSignRefusesT() async throws {
        let service = try Self.tsa(Self.rsa.tsa)
        let signer = try Self.signer(Self.rsa)
        let options = SigningOptions(xades: .t, timestamper: RFC3161Timestamper(url: service.baseURL + "/tsa"))
        let error = #expect(throws: XMLDSigError.self) { try signer.sign(Self.document, sourceName: "request.xml", options: options) }
        #expect(error?.message.contains("nothing was signed") == true)
        #expect(error?.hint?.contains("signAwaitingTimestamp") == true)
        // RSA PKCS#1 v1.5 is deterministic: the two entry points sign alike.
        let plain = try signer.sign(Self.document, sourceName: "request.xml")
        #expect(try await signer.signAwaitingTimestamp(Self.document, sourceName: "request.xml") == plain)
    }

    @Test("a TSA that is down: the client names the URL, unreachable")
    func tsaDown() async throws {
        let url = "http://127.0.0.1:\(try LocalService.freePort())/tsa"
        let error = await #expect(throws: ValidationError.self) {
            try await RFC3161Timestamper(url: url, transport: OpenSSLHTTPTransport(timeout: .seconds(1))).timestamp(
                messageImprint: Array(repeating: 7, count: 32), algorithm: .streebog256)
        }
        #expect(error?.code == .unreachable)
        #expect(error?.message.contains(url) == true)
    }

    @Test("a server that is not a TSA is a bad response, not a token")
    func notATSA() async throws {
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try LocalService.files(folder.path)
        await #expect(throws: ValidationError.self) {
            try await RFC3161Timestamper(url: server.baseURL + "/tsa").timestamp(
                messageImprint: Array(repeating: 1, count: 32), algorithm: .sha256)
        }
    }

    // MARK: - Command line

    @Test("mezhved sign --xades t with a TSA, then verify --json shows the timestamp")
    func cliRoundTrip() async throws {
        let service = try Self.tsa()
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("request.xml").path
        let output = folder.appendingPathComponent("signed.xml").path
        try Data(Self.document).write(to: URL(fileURLWithPath: input))
        let sign = try await TestProcess.run(
            TestProcess.mezhved,
            [
                "sign", input, "--key", Self.gost.key, "--cert", Self.gost.cert, "--chain", Self.gost.chain!, "--xades", "t", "--tsa",
                service.baseURL, "--tsa-timeout", "5", "-o", output,
            ])
        #expect(sign.status == 0, "\(sign.stderr)")
        let verify = try await TestProcess.mezhved(["verify", output, "--trust", Self.gost.trust, "--json"])
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
        #expect(verify.stdout.contains("\"level\" : \"XAdES-T\""))
        #expect(verify.stdout.contains("\"tsaTrusted\" : true"))
        let text = try await TestProcess.mezhved(["verify", output, "--trust", Self.gost.trust])
        #expect(text.stdout.contains("xades:      XAdES-T"))
        #expect(text.stdout.contains("timestamp:") && text.stdout.contains("(valid)"), "\(text.stdout)")
    }

    @Test("mezhved sign --xades t with the TSA down: exit 10, a clear message, no output file")
    func cliTSADown() async throws {
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("request.xml").path
        let output = folder.appendingPathComponent("signed.xml").path
        try Data(Self.document).write(to: URL(fileURLWithPath: input))
        let url = "http://127.0.0.1:\(try LocalService.freePort())/tsa"
        let result = try await TestProcess.run(
            TestProcess.mezhved,
            [
                "sign", input, "--key", Self.rsa.key, "--cert", Self.rsa.cert, "--xades", "t", "--tsa", url, "--tsa-timeout", "1", "-o",
                output,
            ])
        #expect(result.status == 10, "\(result.stderr)")
        #expect(result.stderr.contains(url) && result.stderr.contains("was not signed"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output), "an output file was written although signing failed")
        // Batch mode reports the same exit code, and writes nothing either.
        let outDir = folder.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true)
        let batch = try await TestProcess.run(
            TestProcess.mezhved,
            [
                "sign", input, "--key", Self.rsa.key, "--cert", Self.rsa.cert, "--xades", "t", "--tsa", url, "--tsa-timeout", "1",
                "--output-dir", outDir.path,
            ])
        #expect(batch.status == 10, "\(batch.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outDir.path).isEmpty)
    }

    @Test(
        "XAdES options that do not fit are usage errors",
        arguments: [
            ["--xades", "t"], ["--tsa", "http://127.0.0.1:1/"], ["--xades", "bes", "--tsa", "http://127.0.0.1:1/"], ["--xades", "x"],
        ])
    func cliUsage(extra: [String]) async throws {
        let result = try await TestProcess.run(
            TestProcess.mezhved,
            ["sign", Repository.path("Samples/request-unemployment-status.xml"), "--key", Self.rsa.key, "--cert", Self.rsa.cert] + extra)
        #expect(result.status == 64, "\(extra): \(result.stderr)")
    }

    @Test("mezhved sign --xades bes needs no TSA and verifies")
    func cliBES() async throws {
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("signed.xml").path
        let sign = try await TestProcess.run(
            TestProcess.mezhved,
            [
                "sign", Repository.path("Samples/request-unemployment-status.xml"), "--key", Self.rsa.key, "--cert", Self.rsa.cert,
                "--xades", "bes", "-o", output,
            ])
        #expect(sign.status == 0, "\(sign.stderr)")
        let verify = try await TestProcess.mezhved(["verify", output, "--trust", Self.rsa.trust])
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(verify.stdout.contains("XAdES-BES") && verify.stdout.contains("certificate bound"))
    }
}
