import Foundation
import MezhvedXMLDSig
import Testing

/// Paths and helpers shared by the tests. Fixtures are the real test PKI in `Certificates/`.
enum Fixtures {
    static let root: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

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

/// Runs an external program and captures what it prints.
struct ProcessResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

enum Tool {
    /// Finds a program on PATH; a missing program fails the calling test with the reason.
    static func locate(_ name: String) -> String? {
        if name.hasPrefix("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    @discardableResult
    static func run(
        _ program: String, _ arguments: [String], stdin: [UInt8]? = nil, environment: [String: String]? = nil,
        currentDirectory: String? = nil
    ) throws -> ProcessResult {
        guard let executable = locate(program) else {
            throw ToolMissing(program: program)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin)) }
        try input.fileHandleForWriting.close()
        // Read both pipes concurrently so that neither fills up.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return ProcessResult(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// The mezhved executable built beside the tests.
    static var mezhved: String {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var candidates = [here.appendingPathComponent("mezhved").path]
        // The xctest bundle may sit one level deeper than the products.
        candidates.append(here.deletingLastPathComponent().appendingPathComponent("mezhved").path)
        for configuration in ["debug", "release"] {
            candidates.append(Fixtures.path(".build/\(configuration)/mezhved"))
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }

    /// The Python that has the interop packages (lxml, gostcrypto): `MEZHVED_PYTHON`, else the
    /// set-up script's virtualenv, else `python3`.
    static var python: String {
        if let configured = ProcessInfo.processInfo.environment["MEZHVED_PYTHON"] { return configured }
        let venv = Fixtures.path(".venv-interop/bin/python")
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "python3"
    }
}

struct ToolMissing: Error, CustomStringConvertible {
    let program: String
    var description: String { "\(program) is not installed: run scripts/setup.sh" }
}
