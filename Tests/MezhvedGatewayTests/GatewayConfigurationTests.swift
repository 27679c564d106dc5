import Foundation
import MezhvedCore
import MezhvedGateway
import MezhvedTestSupport
import Testing

@Suite("Gateway configuration")
struct GatewayConfigurationTests {
    static func parse(_ text: String, base: String = "/srv/gw") throws -> GatewayConfiguration {
        try GatewayConfiguration.parse(Array(text.utf8), source: "test.yaml", baseFolder: base)
    }

    static func problems(_ text: String) -> [String] {
        do {
            _ = try parse(text)
            return []
        } catch let error as GatewayError {
            return error.problems
        } catch {
            return ["unexpected \(error)"]
        }
    }

    static let minimal = """
        agency: social-protection
        archive: {path: archive, dataKey: keys/data.key}
        signatories:
          - {id: head, key: keys/head.pem, certificate: certs/head.pem}
        trust: {anchors: [trust]}
        """

    @Test("paths are resolved against the file's folder; defaults fill the policy")
    func resolvesPaths() throws {
        let configuration = try Self.parse(Self.minimal)
        #expect(configuration.agency == "social-protection")
        #expect(configuration.archive.path == "/srv/gw/archive")
        #expect(configuration.archive.dataKey == "/srv/gw/keys/data.key")
        #expect(configuration.signatories.map(\.key) == ["/srv/gw/keys/head.pem"])
        #expect(configuration.trust.anchors == ["/srv/gw/trust"])
        #expect(configuration.policy.signatureForm == .bes)
        #expect(configuration.policy.requireQualified)
    }

    @Test("the archive may name the PostgreSQL store: a URL without the password and a password file; anything else is listed")
    func postgresStore() throws {
        let configuration = try Self.parse(
            Self.minimal.replacingOccurrences(
                of: "archive: {path: archive, dataKey: keys/data.key}",
                with:
                    "archive: {store: postgres, url: 'postgres://mezhved@db:5432/mezhved?schema=sp', passwordFile: keys/pg.password, connections: 40, dataKey: keys/data.key}"
            ))
        #expect(configuration.archive.store == "postgres")
        #expect(configuration.archive.url == "postgres://mezhved@db:5432/mezhved?schema=sp")
        #expect(configuration.archive.passwordFile == "/srv/gw/keys/pg.password")
        #expect(configuration.archive.connections == 40)
        #expect(try Self.parse(Self.minimal).archive.store == "filesystem")
        let withPassword = Self.problems(
            Self.minimal.replacingOccurrences(
                of: "archive: {path: archive, dataKey: keys/data.key}",
                with: "archive: {store: postgres, url: 'postgres://mezhved:secret@db/mezhved', dataKey: keys/data.key}"))
        #expect(withPassword.contains { $0.contains("archive.url: carries a password") }, "\(withPassword)")
        let noURL = Self.problems(
            Self.minimal.replacingOccurrences(
                of: "archive: {path: archive, dataKey: keys/data.key}", with: "archive: {store: postgres, dataKey: keys/data.key}"))
        #expect(noURL.contains { $0.contains("archive.url: is required") }, "\(noURL)")
        let unknown = Self.problems(
            Self.minimal.replacingOccurrences(
                of: "archive: {path: archive, dataKey: keys/data.key}", with: "archive: {store: mysql, path: a, dataKey: keys/data.key}"))
        #expect(unknown.contains { $0.contains("archive.store: mysql is not a store") }, "\(unknown)")
        let pool = Self.problems(
            Self.minimal.replacingOccurrences(
                of: "archive: {path: archive, dataKey: keys/data.key}",
                with: "archive: {store: postgres, url: 'postgres://mezhved@db/mezhved', connections: 0, dataKey: keys/data.key}"))
        #expect(pool.contains { $0.contains("archive.connections: 0 is not between 1 and 1000") }, "\(pool)")
        let poolOnFolder = Self.problems(
            Self.minimal.replacingOccurrences(
                of: "archive: {path: archive, dataKey: keys/data.key}",
                with: "archive: {path: archive, connections: 4, dataKey: keys/data.key}"))
        #expect(poolOnFolder.contains { $0.contains("only for store: postgres") }, "\(poolOnFolder)")
    }

    @Test("tokens and web users: a file path, or `archive` (the PostgreSQL store's tables), which a folder archive refuses")
    func credentialsPlaces() throws {
        let exchange = "\nexchange: {listen: 127.0.0.1:8441, spool: spool, accessTokens: ACCESS, webUsers: USERS}"
        let postgres = Self.minimal.replacingOccurrences(
            of: "archive: {path: archive, dataKey: keys/data.key}",
            with: "archive: {store: postgres, url: 'postgres://mezhved@db/mezhved', dataKey: keys/data.key}")
        let inStore = try Self.parse(
            postgres + exchange.replacingOccurrences(of: "ACCESS", with: "archive").replacingOccurrences(of: "USERS", with: "./archive"))
        #expect(inStore.exchange?.accessTokens == .archive)
        #expect(inStore.exchange?.webUsers == .file("/srv/gw/archive"), "./archive is a file of that name")
        let inFiles = try Self.parse(
            Self.minimal
                + exchange.replacingOccurrences(of: "ACCESS", with: "keys/tokens.json").replacingOccurrences(
                    of: "USERS", with: "users.json"))
        #expect(inFiles.exchange?.accessTokens == .file("/srv/gw/keys/tokens.json"))
        #expect(inFiles.exchange?.webUsers == .file("/srv/gw/users.json"))
        let onFolder = Self.problems(
            Self.minimal + exchange.replacingOccurrences(of: "ACCESS", with: "archive").replacingOccurrences(of: "USERS", with: "archive"))
        for key in ["accessTokens", "webUsers"] {
            #expect(
                onFolder.contains {
                    $0.hasPrefix("exchange.\(key): archive keeps them in the archive's PostgreSQL store") && $0.contains("give a file path")
                },
                "\(onFolder)")
        }
    }

    @Test("an unknown key is named with the nearest known key, at every level")
    func unknownKeys() {
        let problems = Self.problems(
            Self.minimal + "\nrecieptSignatory: head\npolicy: {signatureFrom: t, ofline: true}\n")
        #expect(problems.contains { $0.hasPrefix("recieptSignatory: is not a known key — did you mean receiptSignatory?") }, "\(problems)")
        #expect(problems.contains { $0.contains("policy.signatureFrom: is not a known key — did you mean policy.signatureForm?") })
        #expect(problems.contains { $0.contains("policy.ofline: is not a known key — did you mean policy.offline?") })
    }

    @Test("every problem is listed at once")
    func everyProblem() {
        let problems = Self.problems(
            """
            archive: {path: a}
            signatories:
              - {id: x, key: k.pem}
              - {id: x, key: k.pem, certificate: c.pem}
            trust: {anchors: []}
            policy: {signatureForm: ltx, networkTimeout: 9000, offline: maybe, tsa: ftp://tsa}
            receiptSignatory: y
            """)
        let expected = [
            "agency: is required", "archive.dataKey: is required", "signatories[0].certificate: is required",
            "signatories: the id x is used twice", "trust.anchors: give at least one folder", "policy.signatureForm: ltx is not one of",
            "policy.networkTimeout: 9000 is not 1 to 600 seconds", "policy.offline: maybe is not true or false",
            "policy.tsa: ftp://tsa is not an http:// URL", "receiptSignatory: y is not one of the signatories",
        ]
        for text in expected { #expect(problems.contains { $0.contains(text) }, "missing «\(text)» in \(problems)") }
    }

    @Test("a file that is not there, a folder, or endless input is refused with its name")
    func unreadableFiles() throws {
        for path in ["/nonexistent/gateway.yaml", "/tmp", "/dev/zero"] {
            #expect {
                _ = try GatewayConfiguration.load(contentsOf: path)
            } throws: { error in
                guard let error = error as? GatewayError else { return false }
                return error.code == .configurationInvalid && error.message.contains(path) && error.category == .configurationInvalid
            }
        }
    }
}

@Suite("Opening a gateway")
struct GatewayOpeningTests {
    static func configuration(_ signatories: String, agency: String = "social-protection", archive: String) throws
        -> GatewayConfiguration
    {
        let root = TestProcess.root.path
        return try GatewayConfiguration.parse(
            Array(
                """
                agency: \(agency)
                archive: {path: \(archive), dataKey: \(archive)/data.key}
                signatories:
                \(signatories)
                trust: {anchors: [Certificates/trust/gost], crls: [Certificates/gost/ca.crl.pem]}
                policy: {offline: true}
                """.utf8), source: "test.yaml", baseFolder: root)
    }

    static func signatory(_ id: String, _ agency: String, key: String = "key.pem") -> String {
        "  - {id: \(id), key: Certificates/agencies/\(agency)/\(key), certificate: Certificates/agencies/\(agency)/cert.pem, chain: Certificates/gost/ca.pem}"
    }

    static func temporaryFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mezhved-gateway-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("a consistent configuration opens with its signatories' keys unlocked")
    func opens() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let gateway = try Gateway.open(
            Self.configuration(Self.signatory("head", "social-protection"), archive: folder))
        #expect(gateway.agency.id == "social-protection")
        #expect(try gateway.signatory(nil).id == "head")
        #expect(try gateway.receiptSignatory.id == "head")
    }

    @Test("another agency's key, a key that is not the certificate's and a missing archive are all listed")
    func listsEveryProblem() throws {
        let signatories = [
            Self.signatory("health", "health"),
            "  - {id: mixed, key: Certificates/agencies/health/key.pem, certificate: Certificates/agencies/social-protection/cert.pem}",
        ].joined(separator: "\n")
        let configuration = try Self.configuration(signatories, archive: "/nonexistent/archive")
        #expect {
            _ = try Gateway.open(configuration)
        } throws: { error in
            guard let error = error as? GatewayError, error.code == .configurationInvalid else { return false }
            let problems = error.problems.joined(separator: "\n")
            return problems.contains("signatory health") && problems.contains("belongs to OGRN 1074709990024")
                && problems.contains("does not belong to the private key") && problems.contains("archive.path: /nonexistent/archive")
        }
    }

    @Test("an unknown agency is named with the nearest directory id")
    func unknownAgency() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let configuration = try Self.configuration(
            Self.signatory("head", "social-protection"), agency: "social-protecton", archive: folder)
        #expect {
            _ = try Gateway.open(configuration)
        } throws: { error in
            (error as? GatewayError)?.problems.contains { $0.contains("did you mean social-protection?") } ?? false
        }
    }

    @Test("a signatory asked for by a mistyped id is refused with a suggestion")
    func unknownSignatory() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let gateway = try Gateway.open(Self.configuration(Self.signatory("head", "social-protection"), archive: folder))
        #expect {
            _ = try gateway.signatory("haed")
        } throws: { error in
            (error as? GatewayError)?.code == .noSignatory && (error as? GatewayError)?.hint == "did you mean head?"
        }
    }
}
