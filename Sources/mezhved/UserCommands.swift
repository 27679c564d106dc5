import ArgumentParser
import Foundation
import MezhvedCore
import MezhvedGateway

/// `mezhved user …`: the people who sign in to the web pages (docs/cli.md, docs/web.md).
struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Creates, lists and revokes the users of the web pages (exchange.webUsers: a file, or the PostgreSQL archive).",
        subcommands: [UserNew.self, UserList.self, UserRevoke.self, UserImport.self])
}

struct UserNew: AsyncParsableCommand {
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

    func run() async throws {
        let password = try readPassword()
        let configuration = try gateway.configuration()
        let user = try await configuration.updateWebUsers { file in try file.add(name: name, role: role, password: password) }
        let path = try configuration.webUsersPlace()
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

struct UserList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Lists the users: name, role, when created (never a password or its hash).")

    @OptionGroup var gateway: GatewayOption

    func run() async throws {
        let file = try await gateway.configuration().webUsers()
        if file.users.isEmpty {
            print("no users in \(file.path): create one with `mezhved user new`")
            return
        }
        for user in file.users { print("\(user.name)\t\(user.role)\t\(user.created)") }
    }
}

struct UserRevoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Removes a user: a running server refuses its sessions from the next request on.")

    @OptionGroup var gateway: GatewayOption

    @Option(help: "The user's login.") var name: String

    func run() async throws {
        let configuration = try gateway.configuration()
        let revoked = try await configuration.updateWebUsers { file in try file.revoke(name: name) }
        let path = try configuration.webUsersPlace()
        print("revoked \(revoked.name) (\(revoked.role)) from \(path)")
    }
}

struct UserImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Copies the users of a users' file into the place the configuration names (moving to the PostgreSQL archive).",
        discussion: """
            Every user of FILE whose login is not there yet is added with its role, creation time and password hash (the \
            passwords keep working); a login already there is skipped and named. FILE is not changed.
            """)

    @OptionGroup var gateway: GatewayOption

    @Argument(help: "The users' file to copy from (a former exchange.webUsers).") var file: String

    func run() async throws {
        guard FileManager.default.fileExists(atPath: file) else {
            throw GatewayError(
                .configurationInvalid, "the users' file \(file) to import does not exist", hint: "give the path of the former file")
        }
        let from = try WebUserFile.read(file)
        let configuration = try gateway.configuration()
        let skipped = try await configuration.updateWebUsers { users in users.take(from) }
        let place = try configuration.webUsersPlace()
        print("imported \(from.users.count - skipped.count) of \(from.users.count) users from \(file) into \(place)")
        for name in skipped { print("skipped \(name): \(place) has a user of that name") }
    }
}
