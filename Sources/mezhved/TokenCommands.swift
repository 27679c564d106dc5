import ArgumentParser
import Foundation
import MezhvedGateway

/// `mezhved token …`: the API's access tokens (docs/cli.md, docs/security.md).
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract:
            "Issues, lists and revokes the access tokens of the clerks' and auditors' API (exchange.accessTokens: a file, or the PostgreSQL archive).",
        subcommands: [TokenNew.self, TokenList.self, TokenRevoke.self, TokenImport.self])
}

extension AccessRole: ExpressibleByArgument {}

struct TokenNew: AsyncParsableCommand {
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

    func run() async throws {
        let configuration = try gateway.configuration()
        let issued = try await configuration.updateAccessTokens { file in try file.issue(name: name, role: role) }
        let path = try configuration.accessTokensPlace()
        print(issued.secret)
        FileHandle.standardError.write(
            Data(
                "mezhved: token \(issued.token.name) (\(issued.token.role)) issued into \(path); it is shown this once: hand it over now\n"
                    .utf8))
    }
}

struct TokenList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Lists the tokens: name, role, when issued (never the tokens themselves).")

    @OptionGroup var gateway: GatewayOption

    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let file = try await gateway.configuration().accessTokens()
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

struct TokenRevoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Revokes a token: a running server refuses it within a second.")

    @OptionGroup var gateway: GatewayOption

    @Argument(help: "The token's name.") var name: String

    func run() async throws {
        let configuration = try gateway.configuration()
        let revoked = try await configuration.updateAccessTokens { file in try file.revoke(name: name) }
        let path = try configuration.accessTokensPlace()
        print("revoked \(revoked.name) (\(revoked.role)) from \(path)")
    }
}

struct TokenImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Copies the tokens of a token file into the place the configuration names (moving to the PostgreSQL archive).",
        discussion: """
            Every token of FILE whose name is not there yet is added with its role, issue time and hash (the tokens \
            themselves keep working); a name already there is skipped and named. FILE is not changed.
            """)

    @OptionGroup var gateway: GatewayOption

    @Argument(help: "The token file to copy from (a former exchange.accessTokens).") var file: String

    func run() async throws {
        guard FileManager.default.fileExists(atPath: file) else {
            throw GatewayError(
                .configurationInvalid, "the token file \(file) to import does not exist", hint: "give the path of the former file")
        }
        let from = try AccessTokenFile.read(file)
        let configuration = try gateway.configuration()
        let skipped = try await configuration.updateAccessTokens { tokens in tokens.take(from) }
        let place = try configuration.accessTokensPlace()
        print("imported \(from.tokens.count - skipped.count) of \(from.tokens.count) tokens from \(file) into \(place)")
        for name in skipped { print("skipped \(name): \(place) has a token of that name") }
    }
}
