import Foundation
import MezhvedXMLDSig
import Testing

/// The command line end to end: the real executable, real files, exit codes as docs/cli.md lists.
@Suite("mezhved command line")
struct CLITests {
    let dir: URL
    let input: String

    init() throws {
        dir = try Fixtures.temporaryDirectory()
        input = dir.appendingPathComponent("request.xml").path
        try Data(Fixtures.request.utf8).write(to: URL(fileURLWithPath: input))
    }

    func mezhved(_ arguments: [String], environment: [String: String]? = nil, stdin: [UInt8]? = nil) async throws -> ProcessResult {
        try await Tool.run(Tool.mezhved, arguments, stdin: stdin, environment: environment)
    }

    func sign(_ signer: Fixtures.Signer, to name: String, extra: [String] = []) async throws -> String {
        let out = dir.appendingPathComponent(name).path
        var args = ["sign", input, "--key", signer.key, "--cert", signer.cert, "-o", out] + extra
        if let chain = signer.chain { args += ["--chain", chain] }
        let result = try await mezhved(args)
        #expect(result.status == 0, "\(result.stderr)")
        return out
    }

    @Test("sign then verify: exit 0, text names the signer and what was signed; output file is 0600")
    func signVerify() async throws {
        let out = try await sign(Fixtures.gostSocial, to: "signed.xml")
        let attributes = try FileManager.default.attributesOfItem(atPath: out)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let result = try await mezhved(["verify", out, "--trust", Fixtures.gostSocial.trust, "--crl", Fixtures.crl])
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.hasPrefix("VALID: \(out)"))
        #expect(result.stdout.contains("the whole document"))
        #expect(result.stdout.contains("Комитет по социальной защите населения Ленинградской области"))
    }

    @Test("verify --json is machine-readable and complete")
    func json() async throws {
        let out = try await sign(Fixtures.ecdsa, to: "signed.xml", extra: ["--reference-id", "body"])
        let result = try await mezhved(["verify", out, "--trust", Fixtures.ecdsa.trust, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(object?["status"] as? String == "valid")
        #expect(object?["signatureAlgorithm"] as? String == SignatureAlgorithm.ecdsaSHA256.uri)
        let references = object?["references"] as? [[String: Any]]
        #expect(references?.first?["uri"] as? String == "#body")
        #expect(references?.first?["covers"] as? String == "/req:Request/req:Body")
        #expect((object?["signer"] as? [String: Any])?["subject"] != nil)
        #expect((object?["problems"] as? [Any])?.isEmpty == true)
    }

    @Test("-o keeps what is not a regular file: a symbolic link stays a link, a FIFO is written to, not replaced")
    func outputTargets() async throws {
        let target = dir.appendingPathComponent("target.xml").path
        try Data("old".utf8).write(to: URL(fileURLWithPath: target))
        let link = dir.appendingPathComponent("link.xml").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let viaLink = try await mezhved(["sign", input, "--key", Fixtures.rsa.key, "--cert", Fixtures.rsa.cert, "-o", link])
        #expect(viaLink.status == 0, "\(viaLink.stderr)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == target)
        #expect(try String(contentsOfFile: target, encoding: .utf8).contains("<ds:Signature"))

        let fifo = dir.appendingPathComponent("pipe").path
        #expect(mkfifo(fifo, 0o600) == 0)
        nonisolated(unsafe) var received = Data()
        let reader = DispatchGroup()
        reader.enter()
        DispatchQueue.global().async {
            if let handle = FileHandle(forReadingAtPath: fifo) { received = handle.readDataToEndOfFile() }
            reader.leave()
        }
        let viaFIFO = try await mezhved(["sign", input, "--key", Fixtures.rsa.key, "--cert", Fixtures.rsa.cert, "-o", fifo])
        reader.wait()
        #expect(viaFIFO.status == 0, "\(viaFIFO.stderr)")
        #expect(String(decoding: received, as: UTF8.self).contains("<ds:Signature"))
        var info = stat()
        #expect(lstat(fifo, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO)
    }

    @Test("exit 1 for a tampered document, with the reason")
    func invalid() async throws {
        let out = try await sign(Fixtures.rsa, to: "signed.xml")
        let tampered = try String(contentsOfFile: out, encoding: .utf8).replacingOccurrences(of: "Петров", with: "Сидоров")
        try Data(tampered.utf8).write(to: URL(fileURLWithPath: out))
        let result = try await mezhved(["verify", out, "--trust", Fixtures.rsa.trust])
        #expect(result.status == 1)
        #expect(result.stdout.hasPrefix("INVALID"))
        #expect(result.stdout.contains("changed after signing"))
    }

    @Test("exit 2 for an untrusted, expired or revoked signer")
    func indeterminate() async throws {
        for (signer, extra) in [
            (Fixtures.gostUntrusted, [String]()), (Fixtures.gostExpired, []), (Fixtures.gostRevoked, ["--crl", Fixtures.crl]),
        ] {
            let out = try await sign(signer, to: "signed.xml")
            let result = try await mezhved(["verify", out, "--trust", Fixtures.gostSocial.trust] + extra)
            #expect(result.status == 2, "\(signer.cert): \(result.stdout)")
            #expect(result.stdout.hasPrefix("INDETERMINATE"))
        }
        let expired = try await sign(Fixtures.gostExpired, to: "expired.xml")
        let past = try await mezhved(["verify", expired, "--trust", Fixtures.gostSocial.trust, "--at", "2020-06-01T00:00:00Z"])
        #expect(past.status == 0, "\(past.stdout)")
    }

    @Test("exit 3 for unusable documents, naming the file")
    func unusable() async throws {
        let dtd = dir.appendingPathComponent("bomb.xml").path
        try Data("<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>".utf8).write(to: URL(fileURLWithPath: dtd))
        for path in [dtd, dir.appendingPathComponent("missing.xml").path, input, dir.path] {
            let result = try await mezhved(["verify", path, "--trust", Fixtures.rsa.trust])
            #expect(result.status == 3, "\(path): \(result.stderr)")
            #expect(result.stderr.contains(path))
            #expect(result.stderr.hasPrefix("mezhved: error:"))
        }
        let asJSON = try await mezhved(["verify", dtd, "--trust", Fixtures.rsa.trust, "--json"])
        #expect(asJSON.status == 3)
        let object = try JSONSerialization.jsonObject(with: Data(asJSON.stdout.utf8)) as? [String: Any]
        #expect(object?["status"] as? String == "unusable")
        #expect((object?["error"] as? [String: Any])?["code"] as? String == "hostile-xml")
        let signBomb = try await mezhved(["sign", dtd, "--key", Fixtures.rsa.key, "--cert", Fixtures.rsa.cert])
        #expect(signBomb.status == 3)
        #expect(signBomb.stderr.contains("DOCTYPE"))
    }

    @Test("exit 4 for a key that does not fit its certificate, a wrong passphrase, or a bad trust store")
    func keyMaterial() async throws {
        let mismatch = try await mezhved(["sign", input, "--key", Fixtures.rsa.key, "--cert", Fixtures.ecdsa.cert])
        #expect(mismatch.status == 4)
        #expect(mismatch.stderr.contains("does not belong to the private key"))
        let encrypted = Fixtures.path("Certificates/agencies/social-protection/key.enc.pem")
        let wrong = try await mezhved(
            ["sign", input, "--key", encrypted, "--cert", Fixtures.gostSocial.cert, "--passphrase-env", "MZ_PASS"],
            environment: ["MZ_PASS": "wrong"])
        #expect(wrong.status == 4)
        #expect(wrong.stderr.contains("could not be decrypted"))
        let store = try await mezhved(["verify", input, "--trust", dir.appendingPathComponent("nothing").path])
        #expect(store.status == 4)
    }

    @Test("an encrypted key with its passphrase from the environment or a file")
    func passphrase() async throws {
        let encrypted = Fixtures.path("Certificates/agencies/social-protection/key.enc.pem")
        let passphraseFile = Fixtures.path("Certificates/agencies/social-protection/passphrase.txt")
        let fromFile = try await sign(
            Fixtures.Signer(
                key: encrypted, cert: Fixtures.gostSocial.cert, chain: Fixtures.gostSocial.chain, trust: Fixtures.gostSocial.trust),
            to: "a.xml", extra: ["--passphrase-file", passphraseFile])
        await #expect(try mezhved(["verify", fromFile, "--trust", Fixtures.gostSocial.trust]).status == 0)
        let value = try String(contentsOfFile: passphraseFile, encoding: .utf8)
        let env = try await mezhved(
            ["sign", input, "--key", encrypted, "--cert", Fixtures.gostSocial.cert, "--passphrase-env", "MZ_PASS"],
            environment: ["MZ_PASS": value])
        #expect(env.status == 0, "\(env.stderr)")
        #expect(env.stdout.contains("<ds:Signature"))
    }

    @Test("usage errors exit 64 and say what is wrong")
    func usage() async throws {
        let noTrust = try await mezhved(["verify", input])
        #expect(noTrust.status == 64)
        #expect(noTrust.stderr.contains("--trust"))
        let badAt = try await mezhved(["verify", input, "--trust", Fixtures.rsa.trust, "--at", "yesterday"])
        #expect(badAt.status == 64)
        let unsetEnv = try await mezhved([
            "sign", input, "--key", Fixtures.rsa.key, "--cert", Fixtures.rsa.cert, "--passphrase-env", "MZ_UNSET_VARIABLE",
        ])
        #expect(unsetEnv.status == 64)
        #expect(unsetEnv.stderr.contains("MZ_UNSET_VARIABLE"))
    }

    @Test("batch signing into a folder: every good document is signed, a broken one is reported, the rest go on")
    func batch() async throws {
        let inputs = dir.appendingPathComponent("inbox")
        let outputs = dir.appendingPathComponent("signed")
        try FileManager.default.createDirectory(at: inputs, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: true)
        var paths: [String] = []
        for i in 0..<12 {
            let path = inputs.appendingPathComponent("doc\(i).xml").path
            try Data(Fixtures.request.replacingOccurrences(of: "Петров", with: "Петров\(i)").utf8).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        let broken = inputs.appendingPathComponent("broken.xml").path
        try Data("<a><b></a>".utf8).write(to: URL(fileURLWithPath: broken))
        let result = try await mezhved(
            ["sign"] + paths + [
                broken, "--key", Fixtures.gostSocial.key, "--cert", Fixtures.gostSocial.cert, "--chain", Fixtures.gostSocial.chain!,
                "--output-dir", outputs.path,
            ])
        #expect(result.status == 3)
        #expect(result.stderr.contains("broken.xml is not well-formed"))
        #expect(result.stderr.contains("signed 12 of 13 documents"))
        let signed = paths.map { outputs.appendingPathComponent(($0 as NSString).lastPathComponent).path }
        let verified = try await mezhved(["verify"] + signed + ["--trust", Fixtures.gostSocial.trust])
        #expect(verified.status == 0, "\(verified.stdout)")
        #expect(verified.stdout.components(separatedBy: "VALID: ").count - 1 == 12)
        // Results come back in the order given.
        #expect(verified.stdout.range(of: "doc0.xml")!.lowerBound < verified.stdout.range(of: "doc11.xml")!.lowerBound)
        // A batch that would overwrite its originals is refused.
        let overwrite = try await mezhved([
            "sign", paths[0], paths[1], "--key", Fixtures.rsa.key, "--cert", Fixtures.rsa.cert, "--output-dir", inputs.path,
        ])
        #expect(overwrite.status == 64)
        #expect(overwrite.stderr.contains("would overwrite the original"))
    }

    @Test("standard input and output, and several documents at once (worst status wins)")
    func streamsAndBatches() async throws {
        let signed = try await mezhved(
            ["sign", "-", "--key", Fixtures.ecdsa.key, "--cert", Fixtures.ecdsa.cert], stdin: Fixtures.requestBytes)
        #expect(signed.status == 0)
        let good = dir.appendingPathComponent("good.xml").path
        try Data(signed.stdout.utf8).write(to: URL(fileURLWithPath: good))
        let piped = try await mezhved(["verify", "-", "--trust", Fixtures.ecdsa.trust], stdin: Fixtures.bytes(signed.stdout))
        #expect(piped.status == 0, "\(piped.stdout)\(piped.stderr)")
        let bad = dir.appendingPathComponent("bad.xml").path
        try Data(signed.stdout.replacingOccurrences(of: "Петров", with: "Иванов").utf8).write(to: URL(fileURLWithPath: bad))
        let both = try await mezhved(["verify", good, bad, "--trust", Fixtures.ecdsa.trust])
        #expect(both.status == 1)
        #expect(both.stdout.contains("VALID: \(good)") && both.stdout.contains("INVALID: \(bad)"))
    }

    @Test("--files-from: a batch named in a list file or on standard input, beside the positional files")
    func filesFrom() async throws {
        let inputs = dir.appendingPathComponent("list-inbox")
        let outputs = dir.appendingPathComponent("list-signed")
        try FileManager.default.createDirectory(at: inputs, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: true)
        var paths: [String] = []
        for i in 0..<5 {
            let path = inputs.appendingPathComponent("doc\(i).xml").path
            try Data(Fixtures.request.replacingOccurrences(of: "Петров", with: "Петров\(i)").utf8).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        let list = dir.appendingPathComponent("inbox.txt").path
        // CRLF line ends and blank lines are fine.
        try Data((paths.dropFirst().joined(separator: "\r\n") + "\r\n\n").utf8).write(to: URL(fileURLWithPath: list))
        let signed = try await mezhved([
            "sign", paths[0], "--files-from", list, "--key", Fixtures.ecdsa.key, "--cert", Fixtures.ecdsa.cert, "--output-dir",
            outputs.path,
        ])
        #expect(signed.status == 0, "\(signed.stderr)")
        #expect(signed.stderr.contains("signed 5 of 5 documents"))
        let outputsList = paths.map { outputs.appendingPathComponent(($0 as NSString).lastPathComponent).path }.joined(separator: "\n")
        let verified = try await mezhved(["verify", "--files-from", "-", "--trust", Fixtures.ecdsa.trust], stdin: Array(outputsList.utf8))
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(verified.stdout.components(separatedBy: "VALID: ").count - 1 == 5)
        let missing = try await mezhved([
            "verify", "--files-from", dir.appendingPathComponent("nope.txt").path, "--trust", Fixtures.ecdsa.trust,
        ])
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("--files-from"))
    }
}
