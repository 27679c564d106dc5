import Foundation
import MezhvedPostgres
import MezhvedTestSupport
import MezhvedXMLDSig
import Testing

@testable import MezhvedArchive

extension StoreKind {
    /// A new schema of its own on the test cluster, migrated (tests run in parallel).
    static func freshPostgresSettings() async throws -> PostgresStoreSettings {
        guard let url = postgresURL else { throw ArchiveError(.configurationInvalid, "MEZHVED_POSTGRES_URL is not set") }
        var settings = try PostgresStoreSettings(url: url, passwordFile: postgresPasswordFile, schema: freshSchemaName())
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
