import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedPostgres
import MezhvedXMLDSig

extension Gateway {
    /// Opens the gateway's archive: the personal-data key, the checkpoint signer (the configured
    /// gateway key, else archive.json's), and a check that the archive is this agency's.
    /// `onCheckpointFailure` hears of a background checkpoint that could not be written (the
    /// registrations it covers are durable all the same). `clock` is the time the store writes into
    /// events: the system's, unless a simulation gives its own.
    public func openArchive(
        onCheckpointFailure: @escaping @Sendable (any Error) -> Void = { _ in }, clock: ArchiveClock = .system
    ) async throws -> ArchiveFolder {
        let settings = configuration.archive
        let dataKey = try ArchiveDataKey.load(contentsOf: settings.dataKey)
        let storage: any ArchiveStorage
        let archiveConfiguration: ArchiveConfiguration
        if let postgres = try postgresSettings() {
            storage = try await PostgresStorage.open(postgres, clock: clock)
            archiveConfiguration = storage.configuration
        } else {
            archiveConfiguration = try folderConfiguration()
            storage = try await FileSystemStorage.open(
                at: settings.path, options: FileSystemStorage.Options(witness: settings.witness, clock: clock))
        }
        let folder = try ArchiveFolder.open(
            storage: storage, dataKey: dataKey, checkpointSigner: try checkpointSigner(archiveConfiguration),
            onCheckpointFailure: onCheckpointFailure)
        if let pinned = settings.gatewayCertificate {
            let expected = try Certificate.load(contentsOf: pinned).first?.sha256Fingerprint
            let recorded = try folder.registrar.configuration.gatewayCertificates().first?.sha256Fingerprint
            guard expected != nil, expected == recorded else {
                throw GatewayError(
                    .configurationInvalid,
                    "the archive \(archiveName) names another gateway certificate than archive.gatewayCertificate \(pinned)",
                    hint: "the archive's configuration may have been replaced: audit it with the pinned certificate before using it")
            }
        }
        guard folder.registrar.configuration.agency == agency.id else {
            throw GatewayError(
                .configurationInvalid,
                "the archive \(archiveName) is \(folder.registrar.configuration.agency)'s, but this gateway acts for \(agency.id)",
                hint: "give the archive created for \(agency.id) in archive.path (archive.url for PostgreSQL)")
        }
        return folder
    }

    /// Where the archive is, for messages: its folder, or the PostgreSQL URL (without the password).
    public var archiveName: String {
        let settings = configuration.archive
        return settings.store == "postgres" ? (settings.url ?? "PostgreSQL") : settings.path
    }

    /// The PostgreSQL store's settings for `archive.store: postgres`; nil for the filesystem store.
    public func postgresSettings() throws -> PostgresStoreSettings? { try configuration.archive.postgresSettings() }

    /// The filesystem archive's archive.json, read before the store is opened (so that a folder
    /// that is no archive is named as such).
    func folderConfiguration() throws -> ArchiveConfiguration {
        let settings = configuration.archive
        switch BoundedRead.contents(of: settings.path + "/archive.json", limit: 1 << 20) {
        case .success(let bytes):
            do {
                return try JSONDecoder().decode(ArchiveConfiguration.self, from: Data(bytes))
            } catch {
                throw GatewayError(.configurationInvalid, "\(settings.path)/archive.json cannot be read: \(error)")
            }
        case .failure:
            throw GatewayError(
                .configurationInvalid, "\(settings.path) is not a mezhved archive (no readable archive.json)",
                hint: "create it with `mezhved archive init`, or correct archive.path")
        }
    }

    /// The signer of checkpoints: the gateway key of the configuration or of archive.json, with the
    /// archive's gateway certificate. Nil when neither names a key (checkpoints then wait for one).
    func checkpointSigner(_ archiveConfiguration: ArchiveConfiguration) throws -> XMLSigner? {
        let settings = configuration.archive
        guard let keyPath = settings.gatewayKey ?? archiveConfiguration.gatewayKeyFile else { return nil }
        let certificates = try archiveConfiguration.gatewayCertificates()
        guard let certificate = certificates.first else {
            throw GatewayError(.configurationInvalid, "the archive \(archiveName) names no gateway certificate in its configuration")
        }
        let key = try SigningKey.load(contentsOf: keyPath)
        guard key.matches(certificate) else {
            throw GatewayError(
                .configurationInvalid, "the gateway key \(keyPath) does not belong to the archive's gateway certificate",
                hint: "give the key the archive was created with (archive.gatewayKey)")
        }
        return try XMLSigner(
            key: key, certificate: certificate, chain: Array(certificates.dropFirst()), certificateSource: "the gateway certificate")
    }
}

extension GatewayConfiguration.ArchiveSettings {
    /// The PostgreSQL store's settings for `store: postgres`; nil for the filesystem store.
    public func postgresSettings() throws -> PostgresStoreSettings? {
        guard store == "postgres", let url else { return nil }
        var postgres = try PostgresStoreSettings(url: url, passwordFile: passwordFile)
        if let connections { postgres.maximumConnections = connections }
        return postgres
    }
}
