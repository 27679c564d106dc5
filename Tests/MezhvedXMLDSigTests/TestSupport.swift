import Foundation
import MezhvedTestSupport
import MezhvedXMLDSig
import Testing

/// Paths and helpers shared by the tests. Fixtures are the real test PKI in `Certificates/`.
enum Fixtures {
    static let root: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// Every `.xml` file under Samples/ and Tests/: the repository's documents for the comparisons.
    static func repositoryXMLFiles() -> [URL] {
        var files: [URL] = []
        for folder in ["Samples", "Tests"] {
            let enumerator = FileManager.default.enumerator(at: root.appendingPathComponent(folder), includingPropertiesForKeys: nil)
            while let url = enumerator?.nextObject() as? URL {
                if url.pathExtension == "xml" { files.append(url) }
            }
        }
        return files
    }

    struct Signer {
        let key: String
        let cert: String
        let chain: String?
        let trust: String
    }

    static let gostSocial = Signer(
        key: path("Certificates/agencies/social-protection/key.pem"), cert: path("Certificates/agencies/social-protection/cert.pem"),
        chain: path("Certificates/gost/ca.pem"), trust: path("Certificates/trust/gost"))
    static let gostHealth512 = Signer(
        key: path("Certificates/agencies/health/key.pem"), cert: path("Certificates/agencies/health/cert.pem"),
        chain: path("Certificates/gost/ca.pem"), trust: path("Certificates/trust/gost"))
    static let gostEmployment = Signer(
        key: path("Certificates/agencies/employment/key.pem"), cert: path("Certificates/agencies/employment/cert.pem"),
        chain: path("Certificates/gost/ca.pem"), trust: path("Certificates/trust/gost"))
    static let gostExpired = Signer(
        key: path("Certificates/negative/expired/key.pem"), cert: path("Certificates/negative/expired/cert.pem"),
        chain: path("Certificates/gost/ca.pem"), trust: path("Certificates/trust/gost"))
    static let gostRevoked = Signer(
        key: path("Certificates/negative/revoked/key.pem"), cert: path("Certificates/negative/revoked/cert.pem"),
        chain: path("Certificates/gost/ca.pem"), trust: path("Certificates/trust/gost"))
    static let gostUntrusted = Signer(
        key: path("Certificates/negative/untrusted/key.pem"), cert: path("Certificates/negative/untrusted/cert.pem"),
        chain: nil, trust: path("Certificates/trust/gost"))
    static let rsa = Signer(
        key: path("Certificates/rsa/signer.key.pem"), cert: path("Certificates/rsa/signer.pem"), chain: nil,
        trust: path("Certificates/trust/rsa"))
    static let ecdsa = Signer(
        key: path("Certificates/ecdsa/signer.key.pem"), cert: path("Certificates/ecdsa/signer.pem"), chain: nil,
        trust: path("Certificates/trust/ecdsa"))
    static let ecdsa384 = Signer(
        key: path("Certificates/ecdsa/signer-p384.key.pem"), cert: path("Certificates/ecdsa/signer-p384.pem"), chain: nil,
        trust: path("Certificates/trust/ecdsa"))
    static let crl = path("Certificates/gost/ca.crl.pem")

    static func xmlSigner(_ s: Signer) throws -> XMLSigner {
        let key = try SigningKey.load(contentsOf: s.key)
        let cert = try Certificate.load(contentsOf: s.cert)[0]
        let chain = try s.chain.map { try Certificate.load(contentsOf: $0) } ?? []
        return try XMLSigner(key: key, certificate: cert, chain: chain)
    }

    static func verifier(_ s: Signer, crl: Bool = false, policy: VerificationPolicy = VerificationPolicy()) throws -> SignatureVerifier {
        SignatureVerifier(trustStore: try TrustStore(directories: [s.trust], crlFiles: crl ? [Self.crl] : []), policy: policy)
    }

    /// A small agency-like request with Cyrillic text, namespaces and an Id.
    static let request = """
        <?xml version="1.0" encoding="UTF-8"?>
        <req:Request xmlns:req="urn:mezhved:test:request" xmlns:unused="urn:unused" Id="request">
          <req:Sender>Комитет по социальной защите населения Ленинградской области</req:Sender>
          <req:Body Id="body" req:kind="query">
            <req:Need>Сведения о регистрации в качестве безработного</req:Need>
            <req:Person><req:Name>Петров Пётр Петрович</req:Name><req:Snils>112-233-445 95</req:Snils></req:Person>
          </req:Body>
        </req:Request>
        """

    static var requestBytes: [UInt8] { Array(request.utf8) }

    static func string(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
    static func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mezhved-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// What a program printed (the shared runner's result).
typealias ProcessResult = ProcessOutput

enum Tool {
    /// Finds a program on PATH; a missing program fails the calling test with the reason.
    static func locate(_ name: String) -> String? { TestProcess.locate(name) }

    @discardableResult
    static func run(
        _ program: String, _ arguments: [String], stdin: [UInt8]? = nil, environment: [String: String]? = nil,
        currentDirectory: String? = nil
    ) async throws -> ProcessResult {
        try await TestProcess.run(program, arguments, stdin: stdin, environment: environment ?? [:], currentDirectory: currentDirectory)
    }

    /// The mezhved executable built beside the tests.
    static var mezhved: String { TestProcess.mezhved }

    /// The Python that has the interop packages (lxml, gostcrypto): `MEZHVED_PYTHON`, else the
    /// set-up script's virtualenv, else `python3`.
    static var python: String {
        if let configured = ProcessInfo.processInfo.environment["MEZHVED_PYTHON"] { return configured }
        let venv = Fixtures.path(".venv-interop/bin/python")
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "python3"
    }
}
