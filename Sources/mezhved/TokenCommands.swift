import ArgumentParser
import Foundation
import MezhvedGateway

/// `mezhved token …`: the API's access tokens (docs/cli.md, docs/security.md).
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Issues, lists and revokes the access tokens of the clerks' and auditors' API (exchange.accessTokens).",
        subcommands: [TokenNew.self, TokenList.self, TokenRevoke.self])
}

extension GatewayOption {
    /// The token file the configuration names (`exchange.accessTokens`).
    func accessTokenFile() throws -> String {
        let configuration = try configuration()
        guard let path = configuration.exchange?.accessTokens else {
            throw GatewayError(
                .configurationInvalid, "the gateway configuration \(configuration.source) names no access token file",
                hint: "add exchange.accessTokens: PATH (docs/gateway.md)")
        }
        return path
    }
}

extension AccessRole: ExpressibleByArgument {}

struct TokenNew: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Issues a token and prints it once; the file keeps only its SHA-256.",
        discussion: """
            The token goes to standard output, alone on its line; nothing else ever shows it again. The roles: clerk \
            (journal, documents, drafts checked, sending), signatory (a clerk who also composes and signs), auditor \
            (journal, reports, renderings without personal data, the audit; never writes), admin (everything).
            """)

    @OptionGroup var gateway: GatewayOption

    @Option(help: "The token's name: a desk or a function, not a person (it is written in the access log).")
    var name: String

    @Option(help: "clerk, signatory, auditor or admin.")
    var role: AccessRole

    func validate() throws {
        do {
            try AccessTokenFile.checkName(name)
        } catch let error as GatewayError {
            throw ValidationError("--name: \(error.message) — \(error.hint ?? "")")
        }
    }

    func run() throws {
        let path = try gateway.accessTokenFile()
        let issued = try AccessTokenFile.update(path) { file in try file.issue(name: name, role: role) }
        print(issued.secret)
        FileHandle.standardError.write(
            Data(
                "mezhved: token \(issued.token.name) (\(issued.token.role)) issued into \(path); it is shown this once: hand it over now\n"
                    .utf8))
    }
}

struct TokenList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Lists the tokens: name, role, when issued (never the tokens themselves).")

    @OptionGroup var gateway: GatewayOption

    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let file = try AccessTokenFile.read(try gateway.accessTokenFile())
        if json {
            struct Row: Encodable {
                let name: String
                let role: AccessRole
                let created: String
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(
                String(
                    decoding: try encoder.encode(file.tokens.map { Row(name: $0.name, role: $0.role, created: $0.created) }), as: UTF8.self)
            )
            return
        }
        if file.tokens.isEmpty {
            print("no tokens in \(file.path): issue one with `mezhved token new`")
            return
        }
        for token in file.tokens { print("\(token.name)\t\(token.role)\t\(token.created)") }
    }
}

struct TokenRevoke: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Revokes a token: a running server refuses it within a second.")

    @OptionGroup var gateway: GatewayOption

    @Argument(help: "The token's name.") var name: String

    func run() throws {
        let path = try gateway.accessTokenFile()
        let revoked = try AccessTokenFile.update(path) { file in try file.revoke(name: name) }
        print("revoked \(revoked.name) (\(revoked.role)) from \(path)")
    }
}
