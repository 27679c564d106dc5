import Foundation
import MezhvedArchive
import MezhvedCore
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
        guard settings.store == "filesystem" else {
            throw GatewayError(
                .configurationInvalid,
                "archive.store \(settings.store): the gateway's workflows (serve, incoming, send, records) open the filesystem store only in this version",
                hint:
                    "`mezhved db migrate` and `mezhved archive migrate --to postgres` take this configuration; keep store: filesystem for the gateway until the PostgreSQL store is wired into it (docs/postgres.md)"
            )
        }
        let dataKey = try ArchiveDataKey.load(contentsOf: settings.dataKey)
        let folder = try await ArchiveFolder.open(
            settings.path, dataKey: dataKey, checkpointSigner: try checkpointSigner(),
            options: FileSystemStorage.Options(witness: settings.witness, clock: clock), onCheckpointFailure: onCheckpointFailure)
        if let pinned = settings.gatewayCertificate {
            let expected = try Certificate.load(contentsOf: pinned).first?.sha256Fingerprint
            let recorded = try folder.registrar.configuration.gatewayCertificates().first?.sha256Fingerprint
            guard expected != nil, expected == recorded else {
                throw GatewayError(
                    .configurationInvalid,
                    "the archive \(settings.path) names another gateway certificate than archive.gatewayCertificate \(pinned)",
                    hint: "the archive.json may have been replaced: audit it with the pinned certificate before using it")
            }
        }
        guard folder.registrar.configuration.agency == agency.id else {
            throw GatewayError(
                .configurationInvalid,
                "the archive \(settings.path) is \(folder.registrar.configuration.agency)'s, but this gateway acts for \(agency.id)",
                hint: "give the archive created for \(agency.id) in archive.path")
        }
        return folder
    }

    /// The signer of checkpoints: the gateway key of the configuration or of archive.json, with the
    /// archive's gateway certificate. Nil when neither names a key (checkpoints then wait for one).
    func checkpointSigner() throws -> XMLSigner? {
        let settings = configuration.archive
        let archiveConfiguration: ArchiveConfiguration
        switch BoundedRead.contents(of: settings.path + "/archive.json", limit: 1 << 20) {
        case .success(let bytes):
            do {
                archiveConfiguration = try JSONDecoder().decode(ArchiveConfiguration.self, from: Data(bytes))
            } catch {
                throw GatewayError(.configurationInvalid, "\(settings.path)/archive.json cannot be read: \(error)")
            }
        case .failure:
            throw GatewayError(
                .configurationInvalid, "\(settings.path) is not a mezhved archive (no readable archive.json)",
                hint: "create it with `mezhved archive init`, or correct archive.path")
        }
        guard let keyPath = settings.gatewayKey ?? archiveConfiguration.gatewayKeyFile else { return nil }
        let certificates = try archiveConfiguration.gatewayCertificates()
        guard let certificate = certificates.first else {
            throw GatewayError(.configurationInvalid, "the archive \(settings.path) names no gateway certificate in archive.json")
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
