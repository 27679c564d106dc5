import Foundation
import MezhvedArchive
import MezhvedCore
import PostgresNIO

#if canImport(Glibc)
    import Glibc
#endif

/// Where a PostgreSQL store lives: a connection URL without the password
/// (`postgres://mezhved@db.example:5432/mezhved?sslmode=require&schema=agency`), the file holding
/// the password (mode 0600, first line), and the schema the store's tables are in.
public struct PostgresStoreSettings: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var username: String
    public var database: String
    /// The schema holding the store's tables (`public` unless given): one archive per schema.
    public var schema: String
    /// The file with the password (first line), nil for a server that asks none (trust, peer).
    public var passwordFile: String?
    /// `disable`, `prefer` (the default) or `require`.
    public var sslMode: String
    /// The most connections the pool opens.
    public var maximumConnections: Int

    public init(
        host: String, port: Int = 5432, username: String, database: String, schema: String = "public", passwordFile: String? = nil,
        sslMode: String = "prefer", maximumConnections: Int = 16
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.database = database
        self.schema = schema
        self.passwordFile = passwordFile
        self.sslMode = sslMode
        self.maximumConnections = maximumConnections
    }

    /// Reads a connection URL `postgres://USER@HOST[:PORT]/DATABASE[?sslmode=…&schema=…]`. A URL
    /// carrying a password is refused: the password belongs in `passwordFile`.
    public init(url text: String, passwordFile: String? = nil, schema: String? = nil) throws {
        guard let url = URLComponents(string: text), url.scheme == "postgres" || url.scheme == "postgresql", let host = url.host,
            !host.isEmpty
        else {
            throw ArchiveError(
                .storeConfigurationInvalid, "the store URL \(text) is not a PostgreSQL connection URL",
                hint: "write postgres://USER@HOST:PORT/DATABASE (the password goes in the password file)")
        }
        guard url.password == nil else {
            throw ArchiveError(
                .storeConfigurationInvalid, "the store URL for \(host) carries a password",
                hint: "remove it from the URL and put it in a password file (mode 0600) named by passwordFile")
        }
        guard let user = url.user, !user.isEmpty else {
            throw ArchiveError(
                .storeConfigurationInvalid, "the store URL \(text) names no user", hint: "write postgres://USER@HOST:PORT/DATABASE")
        }
        let database = String(url.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else {
            throw ArchiveError(
                .storeConfigurationInvalid, "the store URL \(text) names no database", hint: "write postgres://USER@HOST:PORT/DATABASE")
        }
        var sslMode = "prefer"
        var chosenSchema = schema ?? "public"
        for item in url.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, ["disable", "prefer", "require"].contains(value) else {
                    throw ArchiveError(
                        .storeConfigurationInvalid, "the store URL's sslmode \(item.value ?? "") is not disable, prefer or require")
                }
                sslMode = value
            case "schema":
                if schema == nil, let value = item.value { chosenSchema = value }
            default:
                throw ArchiveError(
                    .storeConfigurationInvalid, "the store URL has an unknown parameter \(item.name)", hint: "known: sslmode, schema")
            }
        }
        guard Self.isIdentifier(chosenSchema) else {
            throw ArchiveError(
                .storeConfigurationInvalid, "the schema name \(chosenSchema) is not a plain identifier",
                hint: "use lower-case letters, digits and underscores, starting with a letter")
        }
        self.init(
            host: host, port: url.port ?? 5432, username: user, database: database, schema: chosenSchema, passwordFile: passwordFile,
            sslMode: sslMode)
    }

    /// The URL the settings were read from, without a password.
    public var url: String { "postgres://\(username)@\(host):\(port)/\(database)?sslmode=\(sslMode)&schema=\(schema)" }

    static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first), name.utf8.count <= 63 else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    /// The password from the password file (which must be a regular file no one else may read).
    func password() throws -> String? {
        guard let passwordFile else { return nil }
        var info = stat()
        if stat(passwordFile, &info) == 0, info.st_mode & 0o077 != 0 {
            throw ArchiveError(
                .storeConfigurationInvalid,
                "the PostgreSQL password file \(passwordFile) has mode \(String(info.st_mode & 0o777, radix: 8)): others may read it",
                hint: "chmod 600 \(passwordFile)")
        }
        switch PassphraseFile.read(passwordFile) {
        case .success(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .failure(let failure):
            throw ArchiveError(
                .storeConfigurationInvalid, "the PostgreSQL password file \(passwordFile) \(failure)",
                hint: "give the file with the password")
        }
    }

    /// One direct connection's configuration (``PostgresPool/probe()``).
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "require": tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        default: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: try password(), database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(10)
        configuration.options.additionalStartupParameters = [("search_path", schema), ("application_name", "mezhved")]
        return configuration
    }

    /// The pool's configuration.
    func clientConfiguration() throws -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "require": tls = .require(.makeClientConfiguration())
        default: tls = .prefer(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: try password(), database: database, tls: tls)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(10)
        configuration.options.additionalStartupParameters = [("search_path", schema), ("application_name", "mezhved")]
        return configuration
    }
}

extension ErrorCode where Domain == ArchiveError {
    /// The PostgreSQL server cannot be reached, refuses the login, or fails a statement.
    public static let storeUnavailable = ErrorCode("store-unavailable", .serviceUnavailable)
    /// The store's settings cannot be used: a URL that is not PostgreSQL's or carries a password, a
    /// password file others may read, a schema name that is not a plain identifier.
    public static let storeConfigurationInvalid = ErrorCode("store-configuration-invalid", .configurationInvalid)
    /// The database lacks a migration this version needs (`mezhved db migrate`).
    public static let migrationMissing = ErrorCode("migration-missing", .configurationInvalid)
}

/// What the tests and tools may ask of the settings without opening a pool.
public enum PostgresStorageProbe {
    /// The password the settings' password file holds (checked for its mode).
    public static func password(_ settings: PostgresStoreSettings) throws -> String? { try settings.password() }
}
