import Foundation
import MezhvedGateway
import MezhvedTestSupport
import Testing

/// The token file and the roles' permission table (MezhvedGateway), and `mezhved token …` with
/// the real binary.
@Suite struct AccessTokenTests {
    static func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mezhved-tokens-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func thePermissionTable() {
        for role in AccessRole.allCases { #expect(role.allows(.readJournal)) }
        // An auditor reads and audits and never writes, nor sees personal data.
        #expect(AccessRole.auditor.permissions == [.readJournal, .audit])
        #expect(!AccessRole.clerk.allows(.compose) && AccessRole.clerk.allows(.send) && AccessRole.clerk.allows(.readPersonalData))
        #expect(AccessRole.signatory.permissions == AccessRole.clerk.permissions.union([.compose]))
        #expect(AccessRole.admin.permissions == Set(AccessPermission.allCases))
    }

    @Test func issuedTokensAreStoredHashedAndFoundOnlyWhole() throws {
        let path = try Self.folder() + "/tokens.json"
        let issued = try AccessTokenFile.update(path) { file in try file.issue(name: "front-desk", role: .clerk) }
        let other = try AccessTokenFile.update(path) { file in try file.issue(name: "audit.1", role: .auditor) }
        #expect(issued.secret.hasPrefix("mzv_") && issued.secret.count == 47)
        #expect(issued.secret != other.secret)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!text.contains(issued.secret) && !text.contains(String(issued.secret.dropFirst(4))))
        #expect(text.contains(issued.token.sha256))
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode == 0o600)

        let file = try AccessTokenFile.read(path)
        #expect(file.token(presenting: issued.secret)?.name == "front-desk")
        #expect(file.token(presenting: other.secret)?.role == .auditor)
        var altered = Array(issued.secret)
        altered[20] = altered[20] == "A" ? "B" : "A"
        #expect(file.token(presenting: String(altered)) == nil)
        #expect(file.token(presenting: issued.token.sha256) == nil)  // the stored digest is not a token
        #expect(file.token(presenting: "") == nil)
    }

    @Test func namesAreUniqueAndShortAndRevokingRemoves() throws {
        let path = try Self.folder() + "/tokens.json"
        _ = try AccessTokenFile.update(path) { file in try file.issue(name: "desk", role: .admin) }
        #expect(throws: GatewayError.self) { try AccessTokenFile.update(path) { file in try file.issue(name: "desk", role: .clerk) } }
        for bad in ["", "Иванова", "has space", "-dash", String(repeating: "x", count: 65)] {
            #expect(throws: GatewayError.self, "\(bad)") {
                try AccessTokenFile.update(path) { file in try file.issue(name: bad, role: .clerk) }
            }
        }
        #expect(throws: GatewayError.self) { try AccessTokenFile.update(path) { file in try file.revoke(name: "dsk") } }
        try AccessTokenFile.update(path) { file in _ = try file.revoke(name: "desk") }
        #expect(try AccessTokenFile.read(path).tokens.isEmpty)
    }

    @Test func aFileOthersMayReadOrAMalformedOneIsRefused() throws {
        let path = try Self.folder() + "/tokens.json"
        _ = try AccessTokenFile.update(path) { file in try file.issue(name: "desk", role: .admin) }
        chmod(path, 0o644)
        #expect(throws: GatewayError.self) { try AccessTokenFile.read(path) }
        chmod(path, 0o600)
        try Data("{\"version\": 1, \"tokens\": [{\"name\": 1}]}".utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
        let error = try #require(throws: GatewayError.self) { try AccessTokenFile.read(path) }
        #expect(error.code == .accessTokensUnusable)
        #expect(try AccessTokenFile.read(path + ".missing").tokens.isEmpty)
    }

    // MARK: The command line

    /// A configuration with an exchange section naming a token file in a new folder.
    static func configuration(accessTokens: Bool = true) throws -> (config: String, tokens: String) {
        let folder = try folder()
        let text = APIGateway.configurationText(agency: "social-protection", folder: folder)
        let config = folder + "/gateway.yaml"
        try Data((accessTokens ? text : text.replacingOccurrences(of: "\n  accessTokens: \(folder)/tokens.json", with: "")).utf8).write(
            to: URL(fileURLWithPath: config))
        return (config, folder + "/tokens.json")
    }

    @Test func tokenCommandsWithTheBinary() async throws {
        let (config, tokens) = try Self.configuration()
        let issued = try await TestProcess.mezhved(["token", "new", "--gateway", config, "--name", "front-desk", "--role", "clerk"])
        #expect(issued.status == 0, "\(issued.stderr)")
        let secret = issued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(secret.hasPrefix("mzv_") && secret.count == 47)
        #expect(issued.stderr.contains("shown this once"))
        #expect(try AccessTokenFile.read(tokens).token(presenting: secret)?.role == .clerk)
        #expect(!(try String(contentsOfFile: tokens, encoding: .utf8)).contains(secret))

        await #expect(try TestProcess.mezhved(["token", "new", "--gateway", config, "--name", "auditor", "--role", "auditor"]).status == 0)
        let list = try await TestProcess.mezhved(["token", "list", "--gateway", config])
        #expect(list.status == 0)
        #expect(list.stdout.contains("front-desk\tclerk\t") && list.stdout.contains("auditor\tauditor\t"))
        #expect(!list.stdout.contains("mzv_"))
        let json = try await TestProcess.mezhved(["token", "list", "--gateway", config, "--json"])
        #expect(json.stdout.contains("\"role\" : \"auditor\"") && !json.stdout.contains("sha256"))

        let twice = try await TestProcess.mezhved(["token", "new", "--gateway", config, "--name", "front-desk", "--role", "admin"])
        #expect(twice.status == 8, "\(twice.stderr)")
        #expect(twice.stderr.contains("already a token named front-desk"))
        await #expect(try TestProcess.mezhved(["token", "new", "--gateway", config, "--name", "x", "--role", "boss"]).status == 64)
        await #expect(try TestProcess.mezhved(["token", "new", "--gateway", config, "--name", "Иванова", "--role", "clerk"]).status == 64)

        let revoked = try await TestProcess.mezhved(["token", "revoke", "--gateway", config, "front-desk"])
        #expect(revoked.status == 0, "\(revoked.stderr)")
        #expect(try AccessTokenFile.read(tokens).token(presenting: secret) == nil)
        let unknown = try await TestProcess.mezhved(["token", "revoke", "--gateway", config, "front-desk"])
        #expect(unknown.status == 3)
        #expect(unknown.stderr.contains("no token named front-desk"))
    }

    @Test("token import and user import from a file that is not there: exit 11 naming it, nothing imported")
    func importFromAMissingFile() async throws {
        let (config, tokens) = try Self.configuration()
        for command in ["token", "user"] {
            let result = try await TestProcess.mezhved([command, "import", "--gateway", config, "/nonexistent/old-\(command)s.json"])
            #expect(result.status == 11, "\(command) import: \(result.status) \(result.stderr)")
            #expect(
                result.stderr.contains("/nonexistent/old-\(command)s.json") && result.stderr.contains("does not exist"), "\(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: tokens), "no token file was created")
    }

    @Test func tokenCommandsNeedTheConfigurationsTokenFile() async throws {
        let (config, _) = try Self.configuration(accessTokens: false)
        let result = try await TestProcess.mezhved(["token", "list", "--gateway", config])
        #expect(result.status == 11)
        #expect(result.stderr.contains("exchange.accessTokens"))
    }
}
