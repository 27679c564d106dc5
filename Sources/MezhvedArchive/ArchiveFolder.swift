import Foundation
import MezhvedXMLDSig

/// An archive, opened: its store (the filesystem folder, the embedded default, or another store
/// behind ``ArchiveStorage``, such as PostgreSQL) and the registrar above it.
public struct ArchiveFolder: Sendable {
    public let storage: any ArchiveStorage
    public let registrar: Registrar

    /// Opens the archive at `path`. `dataKey` is needed to register (personal data is encrypted with
    /// it); `checkpointSigner` (the gateway's key) to write signed checkpoints, which then happen in
    /// the background every `checkpointInterval` entries; `onCheckpointFailure` hears of a failed one.
    public static func open(
        _ path: String, dataKey: ArchiveDataKey? = nil, checkpointSigner: XMLSigner? = nil,
        options: FileSystemStorage.Options = FileSystemStorage.Options(),
        onCheckpointFailure: @escaping @Sendable (any Error) -> Void = { _ in }
    ) async throws -> ArchiveFolder {
        let storage = try await FileSystemStorage.open(at: path, options: options)
        return try open(storage: storage, dataKey: dataKey, checkpointSigner: checkpointSigner, onCheckpointFailure: onCheckpointFailure)
    }

    /// The archive of an open `storage`, with the registrar and background checkpoints as
    /// ``open(_:dataKey:checkpointSigner:options:onCheckpointFailure:)`` gives them.
    public static func open(
        storage: any ArchiveStorage, dataKey: ArchiveDataKey? = nil, checkpointSigner: XMLSigner? = nil,
        onCheckpointFailure: @escaping @Sendable (any Error) -> Void = { _ in }
    ) throws -> ArchiveFolder {
        let writer = checkpointSigner.map {
            CheckpointWriter(
                store: storage.checkpoints, interval: storage.configuration.checkpointInterval, signer: $0, onFailure: onCheckpointFailure)
        }
        return ArchiveFolder(storage: storage, registrar: try Registrar(storage: storage, dataKey: dataKey, checkpointWriter: writer))
    }

    /// Creates a new archive at `path` (a missing or empty folder).
    public static func create(_ path: String, configuration: ArchiveConfiguration) async throws {
        try await FileSystemStorage.create(at: path, configuration: configuration)
    }
}
