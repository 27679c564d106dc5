import ArgumentParser
import Foundation
import MezhvedCore
import MezhvedGateway

/// `mezhved user …`: the people who sign in to the web pages (docs/cli.md, docs/web.md).
struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Creates, lists and revokes the users of the web pages (exchange.webUsers).",
        subcommands: [UserNew.self, UserList.self, UserRevoke.self])
}

extension GatewayOption {
    /// The users' file the configuration names (`exchange.webUsers`).
    func webUserFile() throws -> String {
        let configuration = try configuration()
        guard let path = configuration.exchange?.webUsers else {
            throw GatewayError(
                .configurationInvalid, "the gateway configuration \(configuration.source) names no web users' file",
                hint: "add exchange.webUsers: PATH (docs/web.md)")
        }
        return path
    }
}

struct UserNew: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Creates a user of the web pages; the file keeps only a salted slow hash of the password.",
        discussion: """
            The password is the first line of --password-file (`-`: standard input), at least 12 characters; it is \
            never printed and never an argument (it would be in the process list). The roles: clerk, signatory, auditor, \
            admin, as for the API's tokens.
            """)

    @OptionGroup var gateway: GatewayOption

    @Option(help: "The login: a desk or a function (clerk-2), not a person (it is written in the access log).")
    var name: String

    @Option(help: "clerk, signatory, auditor or admin.")
    var role: AccessRole

    @Option(name: .customLong("password-file"), help: "The file whose first line is the password; - reads standard input.")
    var passwordFile: String = "-"

    func validate() throws {
        guard (try? AccessTokenFile.checkName(name)) != nil else {
            throw ValidationError(
                "--name: \(DocumentText.cut(name)) is not a login — use 1 to 64 Latin letters, digits, '.', '_' or '-' (not first) naming a desk or a function (clerk-2), not a person: the login is in the access log"
            )
        }
    }

    func run() throws {
        let password = try readPassword()
        let path = try gateway.webUserFile()
        let user = try WebUserFile.update(path) { file in try file.add(name: name, role: role, password: password) }
        print("created \(user.name) (\(user.role)) in \(path)")
    }

    func readPassword() throws -> String {
        if passwordFile == "-" {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw GatewayError(
                    .webUserPasswordWeak, "no password on standard input", hint: "give it on the first line, or use --password-file PATH")
            }
            return line
        }
        switch PassphraseFile.read(passwordFile) {
        case .success(let bytes):
            guard let text = String(bytes: bytes, encoding: .utf8) else {
                throw GatewayError(.webUserPasswordWeak, "the password file \(passwordFile) is not UTF-8 text")
            }
            return text
        case .failure(let failure):
            throw GatewayError(.webUserPasswordWeak, "the password file \(passwordFile) \(failure)", hint: "check --password-file")
        }
    }
}

struct UserList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Lists the users: name, role, when created (never a password or its hash).")

    @OptionGroup var gateway: GatewayOption

    func run() throws {
        let file = try WebUserFile.read(try gateway.webUserFile())
        if file.users.isEmpty {
            print("no users in \(file.path): create one with `mezhved user new`")
            return
        }
        for user in file.users { print("\(user.name)\t\(user.role)\t\(user.created)") }
    }
}

struct UserRevoke: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Removes a user: a running server refuses its sessions from the next request on.")

    @OptionGroup var gateway: GatewayOption

    @Option(help: "The user's login.") var name: String

    func run() throws {
        let path = try gateway.webUserFile()
        let revoked = try WebUserFile.update(path) { file in try file.revoke(name: name) }
        print("revoked \(revoked.name) (\(revoked.role)) from \(path)")
    }
}
