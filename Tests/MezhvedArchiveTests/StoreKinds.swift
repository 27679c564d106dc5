import Foundation
import MezhvedPostgres
import MezhvedXMLDSig
import Testing

@testable import MezhvedArchive

/// The stores the archive tests run against: the same test, the same assertions, each store.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case filesystem, postgres

    var testDescription: String { rawValue }

    /// The test cluster's URL and password file (scripts/postgres.sh url, exported by scripts/test.sh).
    static var postgresURL: String? { ProcessInfo.processInfo.environment["MEZHVED_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 } }
    static var postgresPasswordFile: String? { ProcessInfo.processInfo.environment["MEZHVED_POSTGRES_PASSWORD_FILE"] }

    /// Whether this store can be tested here. PostgreSQL without MEZHVED_POSTGRES_URL: under CI a
    /// failure (the suite must run on both stores), elsewhere a skip with a message.
    func available(sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        guard self == .postgres, Self.postgresURL == nil else { return true }
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            Issue.record(
                "CI=true but MEZHVED_POSTGRES_URL is not set: the PostgreSQL cases cannot run (start scripts/postgres.sh)",
                sourceLocation: sourceLocation)
        } else {
            print(
                "skipped: the PostgreSQL case needs MEZHVED_POSTGRES_URL (scripts/postgres.sh start; export $(scripts/postgres.sh url))"
            )
        }
        return false
    }

    /// A new schema of its own on the test cluster, migrated (tests run in parallel).
    static func freshPostgresSettings() async throws -> PostgresStoreSettings {
        guard let url = postgresURL else { throw ArchiveError(.configurationInvalid, "MEZHVED_POSTGRES_URL is not set") }
        let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
        var settings = try PostgresStoreSettings(url: url, passwordFile: postgresPasswordFile, schema: String(schema))
        settings.maximumConnections = 8
        try await PostgresMigrations.apply(settings)
        return settings
    }
}

extension ArchiveFixtures {
    /// A new archive on `store`, opened with the data key and the gateway's signer.
    static func makeArchive(_ store: StoreKind, interval: Int = 4) async throws -> TestArchive {
        switch store {
        case .filesystem: return try await makeArchive(interval: interval)
        case .postgres:
            let settings = try await StoreKind.freshPostgresSettings()
            try await PostgresStorage.create(settings, configuration: configuration(interval: interval))
            return try await openPostgres(settings)
        }
    }

    /// Opens (again) the PostgreSQL archive in `settings`.
    static func openPostgres(_ settings: PostgresStoreSettings) async throws -> TestArchive {
        let storage = try await PostgresStorage.open(settings)
        let writer = CheckpointWriter(store: storage.checkpoints, interval: storage.configuration.checkpointInterval, signer: try signer())
        return TestArchive(store: storage, registrar: try Registrar(storage: storage, dataKey: dataKey(), checkpointWriter: writer))
    }

    /// The audit of a test archive on either store, pinned to the fixtures' gateway certificate.
    static func auditor(any archive: TestArchive, key: Bool = false) async throws -> ArchiveAuditor {
        guard let storage = archive.store as? PostgresStorage else { return try auditor(archive, key: key) }
        let trust = try trust()
        return ArchiveAuditor(
            source: try await PostgresAuditSource.open(storage.settings),
            gatewayCertificate: try Certificate.load(contentsOf: gatewayCert)[0],
            checkpointTrust: trust, signatureAuditor: XMLDSigArchiveAuditor(trustStore: trust), dataKey: key ? try dataKey() : nil)
    }
}

extension TestArchive {
    /// A second, fresh handle on the same store (a replay from what is stored).
    func reopen() async throws -> any ArchiveStorage {
        if let postgres = store as? PostgresStorage { return try await PostgresStorage.open(postgres.settings) }
        return try await FileSystemStorage.open(at: path)
    }

    /// The journal replayed by a fresh handle.
    func reopenedJournal() async throws -> Journal {
        let reopened = try await reopen()
        if let postgres = reopened as? PostgresStorage { return try await postgres.journal() }
        return try await (reopened as! FileSystemStorage).journal()
    }

    /// The log as stored: the filesystem log's bytes, or the rows' lines, one a line.
    func logText() async throws -> String {
        guard let postgres = store as? PostgresStorage else {
            return String(decoding: Tamper.read(path + "/log/events.log"), as: UTF8.self)
        }
        return try await postgres.storedLines().map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n")
    }
}
