import ArgumentParser
import Foundation
import MezhvedArchive
import MezhvedGateway
import MezhvedPostgres

struct DbCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "The PostgreSQL store's database (see docs/postgres.md).", subcommands: [DbMigrate.self])
}

/// Where a PostgreSQL store is: --url (and --password-file, --schema), or the --gateway
/// configuration's archive with `store: postgres`.
struct PostgresLocation: ParsableArguments {
    @Option(help: "The PostgreSQL connection URL without the password: postgres://USER@HOST:PORT/DATABASE[?sslmode=…&schema=…].")
    var url: String?

    @Option(name: .customLong("password-file"), help: "The file holding the PostgreSQL password (first line; mode 0600).")
    var passwordFile: String?

    @Option(help: "The schema holding the archive (one archive per schema; default: the URL's schema, else public).")
    var schema: String?

    /// The store's settings from the options, else from the configuration's archive; nil when neither names PostgreSQL.
    func settings(_ configuration: GatewayConfiguration?) throws -> PostgresStoreSettings? {
        if let url { return try PostgresStoreSettings(url: url, passwordFile: passwordFile, schema: schema) }
        guard let archive = configuration?.archive, archive.store == "postgres", let url = archive.url else { return nil }
        return try PostgresStoreSettings(url: url, passwordFile: passwordFile ?? archive.passwordFile, schema: schema)
    }
}

struct DbMigrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Applies the PostgreSQL store's migrations the database lacks (each once, in order).",
        discussion: """
            The database comes from --url (with --password-file) or from the --gateway configuration's archive \
            (store: postgres, url, passwordFile). Safe to run again and from several nodes at once: a migration \
            already applied is skipped. A store whose migrations are missing refuses to open (exit 11).
            """)

    @OptionGroup var gateway: GatewayOption
    @OptionGroup var postgres: PostgresLocation

    func run() async throws {
        let configuration = try gateway.path.map { _ in try gateway.configuration() }
        guard let settings = try postgres.settings(configuration) else {
            throw ValidationError(
                "give the database: --url postgres://USER@HOST:PORT/DATABASE, or --gateway CONFIG with archive.store: postgres")
        }
        let applied = try await PostgresMigrations.apply(settings)
        let known = try PostgresMigrations.all().map(\.name)
        if applied.isEmpty {
            print("\(settings.url): up to date (\(known.joined(separator: ", ")))")
        } else {
            for name in applied { print("applied \(name) to \(settings.url)") }
        }
    }
}

struct ArchiveMigrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Moves a filesystem archive into PostgreSQL (--from fs --to postgres), then audits the result.",
        discussion: """
            The archive folder comes from --archive (or the --gateway configuration's archive.path); the database \
            from --url/--password-file/--schema, migrated first (`mezhved db migrate`). Every log line, object and \
            checkpoint is copied as it is, in one transaction, into an empty schema; then the copy is audited as \
            `mezhved archive audit --url …` would (the same options: --gateway-cert, --trust, --data-key). Stop the \
            gateway using the archive first. Exit 0 when the copy audits clean.
            """)

    @Option(help: "The store to move from: fs.")
    var from: String

    @Option(help: "The store to move to: postgres.")
    var to: String

    @OptionGroup var location: ArchiveLocation
    @OptionGroup var gateway: GatewayOption
    @OptionGroup var postgres: PostgresLocation

    @Option(name: .customLong("gateway-cert"), help: "The gateway certificate the checkpoints must be signed with (for the audit).")
    var gatewayCert: String?

    @Option(name: .customLong("trust"), help: "A folder of trusted CA certificates; may be repeated (for the audit).")
    var trust: [String] = []

    @Option(name: .customLong("data-key"), help: "The personal-data key file (for a full audit).")
    var dataKey: String?

    func validate() throws {
        guard from == "fs", to == "postgres" else { throw ValidationError("only --from fs --to postgres is supported") }
    }

    func run() async throws {
        let configuration = try gateway.path.map { _ in try gateway.configuration() }
        let folder =
            try location.archive ?? (configuration?.archive.store == "filesystem" ? configuration?.archive.path : nil) ?? location.folder()
        guard let settings = try postgres.settings(configuration) else {
            throw ValidationError("give the database: --url postgres://USER@HOST:PORT/DATABASE (and --password-file)")
        }
        try await PostgresMigrations.apply(settings)
        let summary = try await ArchiveMigration.fileSystemToPostgres(folder, to: settings)
        print(
            "moved \(folder) to \(settings.url): \(summary.events) log entries, \(summary.objects) objects, \(summary.checkpoints) checkpoints"
        )
        var arguments = ["--url", settings.url]
        if let passwordFile = settings.passwordFile { arguments += ["--password-file", passwordFile] }
        if let path = gateway.path { arguments += ["--gateway", path] }
        if let gatewayCert { arguments += ["--gateway-cert", gatewayCert] }
        for folder in trust { arguments += ["--trust", folder] }
        if let dataKey { arguments += ["--data-key", dataKey] }
        let audit = try ArchiveAudit.parse(arguments)
        try await audit.run()
    }
}
