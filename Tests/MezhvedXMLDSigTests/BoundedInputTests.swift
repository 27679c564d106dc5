import Foundation
import Testing

/// Every input is read with a limit, whatever its kind: a device or an endless pipe is refused at
/// the limit while it is read, with a message naming the input (the real executable).
@Suite("bounded inputs")
struct BoundedInputTests {
    let input = Fixtures.path("Samples/request-unemployment-status.xml")

    func mezhved(_ arguments: [String]) async throws -> ProcessResult { try await Tool.run(Tool.mezhved, arguments) }

    @Test("/dev/zero as a document, a key, a certificate or a CRL: refused at its limit (exit 3), naming the input")
    func devices() async throws {
        let cases: [(arguments: [String], message: String)] = [
            (["verify", "/dev/zero", "--trust", Fixtures.rsa.trust], "the document /dev/zero is larger than 128 MiB"),
            (["sign", input, "--key", "/dev/zero", "--cert", Fixtures.rsa.cert], "the key file /dev/zero is larger than 1 MiB"),
            (["sign", input, "--key", Fixtures.rsa.key, "--cert", "/dev/zero"], "the certificate file /dev/zero is larger than 1 MiB"),
            (
                ["verify", input, "--trust", Fixtures.rsa.trust, "--crl", "/dev/zero"],
                "the CRL file /dev/zero is larger than 256 MiB"
            ),
        ]
        for (arguments, message) in cases {
            let result = try await mezhved(arguments)
            #expect(result.status == 3, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }

    @Test("standard input fed from /dev/zero is refused at 128 MiB instead of filling memory")
    func endlessStandardInput() async throws {
        let result = try await Tool.run(
            "/bin/sh", ["-c", "exec \"$0\" verify - --trust \"$1\" < /dev/zero", Tool.mezhved, Fixtures.rsa.trust])
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stderr.contains("standard input gave more than 128 MiB"))
    }

    @Test("a missing passphrase file is named as the passphrase file (exit 4), not as the document")
    func missingPassphraseFile() async throws {
        let result = try await mezhved([
            "sign", input, "--key", Fixtures.path("Certificates/agencies/social-protection/key.enc.pem"), "--cert",
            Fixtures.gostSocial.cert, "--passphrase-file", "/nonexistent/passphrase.txt",
        ])
        #expect(result.status == 4)
        #expect(result.stderr.contains("the passphrase file /nonexistent/passphrase.txt does not exist"), "\(result.stderr)")
    }
}
