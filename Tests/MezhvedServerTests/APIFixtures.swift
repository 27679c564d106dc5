import Foundation
import HummingbirdTesting
import Logging
import MezhvedArchive
import MezhvedDocuments
import MezhvedGateway
import MezhvedTestSupport

@testable import MezhvedServer

/// A test agency's gateway with a new archive in a temporary folder, an `exchange:` section on
/// loopback (port 0) and an access token per role: what the API tests serve.
struct APIGateway: Sendable {
    let gateway: Gateway
    let archive: ArchiveFolder
    let folder: String
    let configurationPath: String
    /// A token of each role, by role.
    let tokens: [AccessRole: String]

    /// The configuration text of `agency`'s gateway whose files are in `folder`.
    /// With `perSigning`, `head` signs with the encrypted key unlocked per signing (passphrase
    /// ``signingPassphrase``) and `desk`, unlocked at start, signs receipts.
    static func configurationText(agency: String, folder: String, perSigning: Bool = false) -> String {
        let root = TestProcess.root.path
        let certificate = "\(root)/Certificates/agencies/\(agency)/cert.pem"
        let signatories =
            perSigning
            ? """
            signatories:
              - {id: head, key: \(root)/Certificates/agencies/\(agency)/key.enc.pem, certificate: \(certificate), chain: \(root)/Certificates/gost/ca.pem, unlock: per-signing}
              - {id: desk, key: \(root)/Certificates/agencies/\(agency)/key.pem, certificate: \(certificate), chain: \(root)/Certificates/gost/ca.pem}
            receiptSignatory: desk
            """
            : """
            signatories:
              - {id: head, key: \(root)/Certificates/agencies/\(agency)/key.pem, certificate: \(certificate), chain: \(root)/Certificates/gost/ca.pem}
            """
        return """
            agency: \(agency)
            archive:
              path: \(folder)/archive
              dataKey: \(folder)/data.key
              gatewayKey: \(root)/Certificates/agencies/\(agency)/key.pem
              gatewayCertificate: \(root)/Certificates/agencies/\(agency)/cert.pem
            \(signatories)
            trust: {anchors: [\(root)/Certificates/trust/gost], intermediates: [\(root)/Certificates/gost/ca.pem], crls: [\(root)/Certificates/gost/ca.crl.pem]}
            policy: {offline: true}
            documents: {calendarFallback: labour-code}
            exchange:
              listen: 127.0.0.1:0
              spool: \(folder)/spool
              accessTokens: \(folder)/tokens.json
              webUsers: \(folder)/users.json
            """
    }

    /// Creates the archive, the configuration file and a token of each role, and opens the gateway.
    /// The passphrase of the test agencies' encrypted keys (`key.enc.pem`).
    static let signingPassphrase = "test-passphrase-only"

    static func make(_ agency: String = "social-protection", perSigning: Bool = false) async throws -> APIGateway {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mezhved-api-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let key = try ArchiveDataKey.generate()
        try write(Array((key.hex + "\n").utf8), to: folder + "/data.key")
        let certificate = try String(contentsOfFile: TestProcess.path("Certificates/agencies/\(agency)/cert.pem"), encoding: .utf8)
        let chain = try String(contentsOfFile: TestProcess.path("Certificates/gost/ca.pem"), encoding: .utf8)
        try await ArchiveFolder.create(
            folder + "/archive",
            configuration: ArchiveConfiguration(
                agency: agency, outgoingFormat: try NumberFormat("01-12/{seq:06}"), incomingFormat: try NumberFormat("ВХ-{year}-{seq:06}"),
                dataKeyID: key.keyID, gatewayCertificate: certificate + chain, gatewayKeyFile: nil, checkpointInterval: 4))
        let configurationPath = folder + "/gateway.yaml"
        try write(Array(configurationText(agency: agency, folder: folder, perSigning: perSigning).utf8), to: configurationPath)
        var tokens: [AccessRole: String] = [:]
        for role in AccessRole.allCases {
            let issued = try AccessTokenFile.update(folder + "/tokens.json") { file in try file.issue(name: "\(role)-desk", role: role) }
            tokens[role] = issued.secret
        }
        let gateway = try Gateway.open(try GatewayConfiguration.load(contentsOf: configurationPath))
        return APIGateway(
            gateway: gateway, archive: try await gateway.openArchive(), folder: folder, configurationPath: configurationPath, tokens: tokens
        )
    }

    /// The server over this gateway (not listening: tests run it in process).
    func server(logger: Logger? = nil) throws -> ExchangeServer {
        var quiet = Logger(label: "mezhved.api.test")
        quiet.logLevel = .warning
        return try ExchangeServer(gateway: gateway, archive: archive, logger: logger ?? quiet)
    }

    /// Runs `body` against the server in process (HummingbirdTesting's router framework), then
    /// shuts the server's peer client down.
    func test(logger: Logger? = nil, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let server = try self.server(logger: logger)
        do {
            try await server.makeApplication().test(.router, body)
        } catch {
            await server.state.client.shutdown()
            throw error
        }
        await server.state.client.shutdown()
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
    }
}

/// The forms the tests send, as JSON with the keys of Samples/forms.
enum APIForms {
    /// Samples/forms/request-unemployment-status.yaml as JSON, without registration and signatory
    /// (the gateway numbers it; the signatory comes from the signer's certificate).
    static let request = """
        {
          "sender": "social-protection",
          "recipient": "employment",
          "service": {"name": "Предоставление социальных услуг в форме социального обслуживания на дому", "registryId": "4700000000161234567"},
          "legalBasis": [{"regulation": "562-2014", "clause": "2.2.7 пп. 3"}],
          "subject": "О предоставлении сведений о регистрации гражданина в качестве безработного",
          "informationNeeded": "Сведения необходимы для признания гражданина нуждающимся в социальном обслуживании.",
          "requestedDocument": "Сведения о нахождении гражданина на регистрационном учете в органах службы занятости.",
          "consent": {"required": true, "obtained": true, "date": "2026-02-27", "document": "Согласие в заявлении от 27.02.2026 № 1452"},
          "compiler": {"fullName": "Сергеева Ольга Викторовна", "position": "Ведущий специалист", "phone": "+7 (812) 000-01-23", "email": "o.sergeeva@social-protection.mezhved-test.invalid"},
          "personalData": [{"role": "subject", "lastName": "Васильев", "firstName": "Андрей", "middleName": "Николаевич",
                            "birthDate": "1975-06-14", "snils": "145-236-987 76"}]
        }
        """

    /// An answer with the information provided.
    static let answer = """
        {
          "subject": "О предоставлении сведений о регистрации гражданина в качестве безработного",
          "provided": [{"name": "Сведения о регистрации гражданина в качестве безработного",
                        "content": "Васильев Андрей Николаевич зарегистрирован в целях поиска подходящей работы 12.11.2025."}],
          "compiler": {"fullName": "Лапина Ирина Геннадьевна", "position": "Ведущий специалист", "phone": "+7 (812) 000-03-17", "email": "i.lapina@employment.mezhved-test.invalid"},
          "personalData": [{"role": "subject", "lastName": "Васильев", "firstName": "Андрей", "middleName": "Николаевич",
                            "birthDate": "1975-06-14", "snils": "145-236-987 76"}]
        }
        """
}
