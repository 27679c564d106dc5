import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedPostgres

/// The tokens and users kept in the archive's store (`exchange.accessTokens: archive`,
/// `exchange.webUsers: archive`): read into the same values as their files, changed through the
/// same rules (``AccessTokenFile/issue(name:role:at:)``, ``WebUserFile/add(name:role:password:at:)``),
/// and written back as the rows that were added or removed. A name is unique in the store itself,
/// so two commands issuing the same name at once on two machines cannot both succeed.
extension AccessTokenFile {
    /// How messages name the store's tokens in place of a file's path.
    public static let storeName = "the archive's store"

    /// The tokens kept in `store`.
    public static func read(from store: any CredentialStore) async throws -> AccessTokenFile {
        var tokens: [AccessToken] = []
        for stored in try await store.list(.accessToken) {
            guard let role = AccessRole(rawValue: stored.role) else {
                throw GatewayError(
                    .accessTokensUnusable,
                    "the token \(stored.name) in \(storeName) has the role \(DocumentText.cut(stored.role)), which is none",
                    hint: "revoke it with `mezhved token revoke \(stored.name)` and issue it again")
            }
            tokens.append(AccessToken(name: stored.name, role: role, created: stored.created, sha256: stored.verifier))
        }
        return AccessTokenFile(path: storeName, tokens: tokens)
    }

    /// Reads the store's tokens, lets `body` change them, and adds or removes the rows that changed.
    public static func update<T>(in store: any CredentialStore, _ body: (inout AccessTokenFile) throws -> T) async throws -> T {
        var file = try await read(from: store)
        let before = file.tokens
        let result = try body(&file)
        for gone in before where !file.tokens.contains(gone) { _ = try await store.remove(.accessToken, name: gone.name) }
        for new in file.tokens where !before.contains(new) {
            let stored = StoredCredential(
                kind: .accessToken, name: new.name, role: new.role.rawValue, created: new.created, verifier: new.sha256)
            guard try await store.add(stored) else {
                throw GatewayError(
                    .accessTokenNameTaken, "there is already a token named \(new.name) in \(storeName) (issued a moment ago elsewhere)",
                    hint: "choose another name, or revoke it first with `mezhved token revoke \(new.name)`")
            }
        }
        return result
    }

    /// Adds the tokens of `other` whose names this one does not have (moving a file into the
    /// store); the names skipped because they were here already.
    public mutating func take(_ other: AccessTokenFile) -> [String] {
        var skipped: [String] = []
        for token in other.tokens {
            if tokens.contains(where: { $0.name == token.name }) { skipped.append(token.name) } else { tokens.append(token) }
        }
        return skipped
    }
}

extension WebUserFile {
    /// The users kept in `store`.
    public static func read(from store: any CredentialStore) async throws -> WebUserFile {
        var users: [WebUser] = []
        for stored in try await store.list(.webUser) {
            guard let role = AccessRole(rawValue: stored.role) else {
                throw GatewayError(
                    .webUsersUnusable,
                    "the web user \(stored.name) in \(AccessTokenFile.storeName) has the role \(DocumentText.cut(stored.role)), which is none",
                    hint: "revoke it with `mezhved user revoke --name \(stored.name)` and create it again")
            }
            users.append(WebUser(name: stored.name, role: role, created: stored.created, password: stored.verifier))
        }
        return WebUserFile(path: AccessTokenFile.storeName, users: users)
    }

    /// Reads the store's users, lets `body` change them, and adds or removes the rows that changed.
    public static func update<T>(in store: any CredentialStore, _ body: (inout WebUserFile) throws -> T) async throws -> T {
        var file = try await read(from: store)
        let before = file.users
        let result = try body(&file)
        for gone in before where !file.users.contains(gone) { _ = try await store.remove(.webUser, name: gone.name) }
        for new in file.users where !before.contains(new) {
            let stored = StoredCredential(
                kind: .webUser, name: new.name, role: new.role.rawValue, created: new.created, verifier: new.password)
            guard try await store.add(stored) else {
                throw GatewayError(
                    .webUserNameTaken,
                    "there is already a user named \(new.name) in \(AccessTokenFile.storeName) (created a moment ago elsewhere)",
                    hint: "choose another name, or revoke it first with `mezhved user revoke --name \(new.name)`")
            }
        }
        return result
    }

    /// Adds the users of `other` whose names this one does not have; the names skipped.
    public mutating func take(_ other: WebUserFile) -> [String] {
        var skipped: [String] = []
        for user in other.users {
            if users.contains(where: { $0.name == user.name }) { skipped.append(user.name) } else { users.append(user) }
        }
        return skipped
    }
}

extension GatewayConfiguration {
    /// Runs `body` with the archive's credential store (`archive.store: postgres`), opened for it
    /// alone (no key is unlocked, the journal is not read) and closed after.
    public func withCredentialStore<T>(_ body: (any CredentialStore) async throws -> T) async throws -> T {
        guard let settings = try archive.postgresSettings() else {
            throw GatewayError(
                .configurationInvalid,
                "the gateway configuration \(source) keeps its archive in a folder, which keeps no tokens or users: name files in exchange.accessTokens and exchange.webUsers"
            )
        }
        let credentials = try await PostgresCredentials.open(settings)
        defer { credentials.close() }
        return try await body(credentials.store)
    }
}

extension GatewayConfiguration {
    /// Where the API's tokens are (`exchange.accessTokens`); throws when the configuration names none.
    public func accessTokensPlace() throws -> CredentialsPlace {
        guard let place = exchange?.accessTokens else {
            throw GatewayError(
                .configurationInvalid, "the gateway configuration \(source) names no place for access tokens",
                hint: "add exchange.accessTokens: PATH, or archive with archive.store: postgres (docs/gateway.md)")
        }
        return place
    }

    /// Where the web users are (`exchange.webUsers`); throws when the configuration names none.
    public func webUsersPlace() throws -> CredentialsPlace {
        guard let place = exchange?.webUsers else {
            throw GatewayError(
                .configurationInvalid, "the gateway configuration \(source) names no place for web users",
                hint: "add exchange.webUsers: PATH, or archive with archive.store: postgres (docs/web.md)")
        }
        return place
    }

    /// The API's tokens as they are now, from their file or the archive's store.
    public func accessTokens() async throws -> AccessTokenFile {
        switch try accessTokensPlace() {
        case .file(let path): return try AccessTokenFile.read(path)
        case .archive: return try await withCredentialStore { try await AccessTokenFile.read(from: $0) }
        }
    }

    /// Changes the API's tokens where they are kept: the file under its lock, or the store's rows.
    public func updateAccessTokens<T>(_ body: (inout AccessTokenFile) throws -> T) async throws -> T {
        switch try accessTokensPlace() {
        case .file(let path): return try AccessTokenFile.update(path, body)
        case .archive: return try await withCredentialStore { try await AccessTokenFile.update(in: $0, body) }
        }
    }

    /// The web users as they are now, from their file or the archive's store.
    public func webUsers() async throws -> WebUserFile {
        switch try webUsersPlace() {
        case .file(let path): return try WebUserFile.read(path)
        case .archive: return try await withCredentialStore { try await WebUserFile.read(from: $0) }
        }
    }

    /// Changes the web users where they are kept: the file under its lock, or the store's rows.
    public func updateWebUsers<T>(_ body: (inout WebUserFile) throws -> T) async throws -> T {
        switch try webUsersPlace() {
        case .file(let path): return try WebUserFile.update(path, body)
        case .archive: return try await withCredentialStore { try await WebUserFile.update(in: $0, body) }
        }
    }
}
