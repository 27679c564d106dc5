import Foundation

/// What a stored credential lets its holder into.
public enum CredentialKind: String, Sendable, CaseIterable {
    /// A token of the clerks' and auditors' API, kept as the SHA-256 of its text.
    case accessToken = "access-token"
    /// A person of the web workplace, kept with the password's salted slow hash.
    case webUser = "web-user"
}

/// One credential as a store keeps it: never the secret itself, only what checks it (the token's
/// SHA-256, the password's `pbkdf2-sha256$…` hash). What the fields mean is the gateway's
/// (MezhvedGateway's `AccessToken` and `WebUser`); the store only keeps them.
public struct StoredCredential: Sendable, Equatable {
    public let kind: CredentialKind
    /// The login or the token's name: unique per kind.
    public let name: String
    /// The role's name (`clerk`, `signatory`, `auditor`, `admin`).
    public let role: String
    /// When it was issued (ISO 8601, UTC).
    public let created: String
    /// The token's SHA-256 (hex) or the password's hash.
    public let verifier: String

    public init(kind: CredentialKind, name: String, role: String, created: String, verifier: String) {
        self.kind = kind
        self.name = name
        self.role = role
        self.created = created
        self.verifier = verifier
    }
}

/// The credentials kept in the archive's store, shared by every node (the PostgreSQL store: tables
/// every node reads). The filesystem store has none: its gateway is one process and keeps its
/// tokens and users in the files the configuration names (`exchange.accessTokens`,
/// `exchange.webUsers`).
public protocol CredentialStore: Sendable {
    /// Every credential of `kind`, by name.
    func list(_ kind: CredentialKind) async throws -> [StoredCredential]
    /// Keeps `credential`; false (and nothing changed) when one of its kind has its name already.
    func add(_ credential: StoredCredential) async throws -> Bool
    /// Removes the credential of `kind` named `name`; the removed one, nil when there was none.
    func remove(_ kind: CredentialKind, name: String) async throws -> StoredCredential?
}
