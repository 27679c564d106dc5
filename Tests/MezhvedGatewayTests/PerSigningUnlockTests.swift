import Foundation
import MezhvedArchive
import MezhvedDocuments
import MezhvedGateway
import MezhvedTestSupport
import MezhvedValidation
import MezhvedXMLDSig
import Testing

/// `unlock: per-signing`: the signatory's key stays encrypted on the server and its owner's
/// passphrase unlocks it for one signing; receipts keep a key unlocked at start.
@Suite struct PerSigningUnlockTests {
    static let root = TestProcess.root.path
    static let encryptedKey = "\(root)/Certificates/agencies/social-protection/key.enc.pem"
    static let passphrase = Array("test-passphrase-only".utf8)

    /// social-protection's gateway: `head` signs with the encrypted key unlocked per signing, `desk`
    /// (the same certificate, its plain key unlocked at start) signs receipts.
    static func gateway(signatories: String? = nil) async throws -> (gateway: Gateway, archive: ArchiveFolder) {
        let made = try await GatewayFixtures.gateway("social-protection")
        let certificate = "\(root)/Certificates/agencies/social-protection/cert.pem"
        let chain = "\(root)/Certificates/gost/ca.pem"
        let list =
            signatories ?? """
                signatories:
                  - {id: head, key: \(encryptedKey), certificate: \(certificate), chain: \(chain), unlock: per-signing}
                  - {id: desk, key: \(root)/Certificates/agencies/social-protection/key.pem, certificate: \(certificate), chain: \(chain)}
                receiptSignatory: desk
                """
        let text = try configuration(made.folder, signatories: list)
        let gateway = try Gateway.open(try GatewayConfiguration.parse(Array(text.utf8), source: "sp.yaml", baseFolder: made.folder))
        return (gateway, try await gateway.openArchive())
    }

    /// The fixture's configuration with its `signatories:` entry replaced by `signatories`.
    static func configuration(_ folder: String, signatories: String) throws -> String {
        let text = GatewayFixtures.configurationText(agency: "social-protection", folder: folder)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let at = try #require(lines.firstIndex(of: "signatories:"))
        lines.replaceSubrange(at...(at + 1), with: signatories.split(separator: "\n").map(String.init))
        return lines.joined(separator: "\n")
    }

    static func problems(_ signatories: String) async throws -> [String] {
        let made = try await GatewayFixtures.gateway("social-protection")
        let text = try configuration(made.folder, signatories: signatories)
        do {
            _ = try Gateway.open(try GatewayConfiguration.parse(Array(text.utf8), source: "sp.yaml", baseFolder: made.folder))
            return []
        } catch let error as GatewayError {
            return error.problems
        }
    }

    @Test(
        "without the passphrase, or with a wrong one, nothing is signed and no number is taken; with it the request is signed and verifies")
    func passphraseUnlocksOneSigning() async throws {
        let (gateway, archive) = try await Self.gateway()
        #expect(try gateway.signatory("head").unlocksPerSigning)
        #expect(try !gateway.signatory("desk").unlocksPerSigning)
        let workflow = OutgoingWorkflow(gateway: gateway, registrar: archive.registrar)
        let draft = OutgoingDraft.request(try GatewayFixtures.requestDraft())
        await #expect {
            _ = try await workflow.send(draft, signatoryID: "head")
        } throws: { ($0 as? GatewayError)?.code == .passphraseRequired }
        await #expect {
            _ = try await workflow.send(draft, signatoryID: "head", passphrase: Array("wrong".utf8))
        } throws: { error in
            guard let error = error as? GatewayError, error.code == .passphraseWrong else { return false }
            return error.message.contains("nothing was signed") && !error.message.contains("wrong")
        }
        #expect(try await archive.registrar.entries(JournalQuery()).isEmpty, "a refused unlock takes no number")

        let sent = try await workflow.send(draft, signatoryID: "head", passphrase: Self.passphrase)
        #expect(sent.entry.number == "ИСХ-000001", "the first number: the refusals voided nothing")
        #expect(sent.signatoryID == "head")
        let report = try SignatureVerifier(trustStore: TrustStore(directories: [GatewayFixtures.path("Certificates/trust/gost")])).verify(
            sent.signed, sourceName: "sent")
        #expect(report.status == .valid, "\(report.problems)")
        // The next signing asks again: nothing stayed unlocked.
        await #expect {
            _ = try await workflow.send(draft, signatoryID: "head")
        } throws: { ($0 as? GatewayError)?.code == .passphraseRequired }
        // The signatory unlocked at start ignores a passphrase.
        let desk = try await workflow.send(draft, signatoryID: "desk", passphrase: Array("anything".utf8))
        #expect(desk.entry.number == "ИСХ-000002")
    }

    @Test("configuration: a passphrase file beside per-signing, a plain key per signing, receipts by a per-signing key, a misspelt unlock")
    func configurationRefusals() async throws {
        let certificate = "\(Self.root)/Certificates/agencies/social-protection/cert.pem"
        let plainKey = "\(Self.root)/Certificates/agencies/social-protection/key.pem"
        let file = "\(Self.root)/Certificates/agencies/social-protection/passphrase.txt"
        let withFile = try await Self.problems(
            """
            signatories:
              - {id: head, key: \(Self.encryptedKey), certificate: \(certificate), unlock: per-signing, passphraseFile: \(file)}
              - {id: desk, key: \(plainKey), certificate: \(certificate)}
            receiptSignatory: desk
            """)
        #expect(withFile.contains { $0.contains("takes its passphrase from the person signing") }, "\(withFile)")
        let plain = try await Self.problems(
            """
            signatories:
              - {id: desk, key: \(plainKey), certificate: \(certificate)}
              - {id: head, key: \(plainKey), certificate: \(certificate), unlock: per-signing}
            """)
        #expect(plain.contains { $0.contains("is not encrypted, so it cannot be unlocked per signing") }, "\(plain)")
        let receipts = try await Self.problems(
            """
            signatories:
              - {id: head, key: \(Self.encryptedKey), certificate: \(certificate), unlock: per-signing}
              - {id: desk, key: \(plainKey), certificate: \(certificate)}
            """)
        #expect(
            receipts.contains {
                $0.contains("receiptSignatory: head unlocks the key per signing") && $0.contains("the first signatory signs receipts")
            },
            "\(receipts)")
        let typo = try await Self.problems(
            """
            signatories:
              - {id: desk, key: \(plainKey), certificate: \(certificate), unlock: per_signing}
            """)
        #expect(typo.contains { $0.contains("unlock: per_signing is not at-start or per-signing — did you mean per-signing?") }, "\(typo)")
    }

    @Test(
        "the CLI: `request new --gateway … --signatory head` needs --passphrase-file (exit 4 without it, nothing numbered); gateway check says so"
    )
    func commandLine() async throws {
        let made = try await GatewayFixtures.gateway("social-protection")
        let certificate = "\(Self.root)/Certificates/agencies/social-protection/cert.pem"
        let text = try Self.configuration(
            made.folder,
            signatories: """
                signatories:
                  - {id: desk, key: \(Self.root)/Certificates/agencies/social-protection/key.pem, certificate: \(certificate)}
                  - {id: head, key: \(Self.encryptedKey), certificate: \(certificate), unlock: per-signing}
                """)
        let configuration = made.folder + "/gateway.yaml"
        try Array(text.utf8).write(to: configuration)
        let check = try await TestProcess.mezhved(["gateway", "check", "--gateway", configuration])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("head — ") && check.stdout.contains("key unlocked per signing"), "\(check.stdout)")
        let form = GatewayFixtures.path("Samples/forms/request-unemployment-status.yaml")
        let base = ["request", "new", "--gateway", configuration, "--signatory", "head", "--form", form, "-o", made.folder + "/r.xml"]
        let without = try await TestProcess.mezhved(base)
        #expect(without.status == 4, "\(without.stdout) \(without.stderr)")
        #expect(
            without.stderr.contains("the signatory head's key is unlocked for each signing and no passphrase was given"),
            "\(without.stderr)")
        let passphraseFile = "\(Self.root)/Certificates/agencies/social-protection/passphrase.txt"
        let signed = try await TestProcess.mezhved(base + ["--passphrase-file", passphraseFile])
        #expect(signed.status == 0, "\(signed.stderr)")
        #expect(signed.stdout.hasPrefix("REGISTERED ИСХ-000001 "), "the refusal took no number: \(signed.stdout)")
        #expect(signed.stdout.contains("signed by head"))
    }
}
