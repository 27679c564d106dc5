import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedPostgres
import MezhvedXMLDSig

extension Gateway {
    /// Audits the gateway's archive as `mezhved archive audit --gateway CONFIG` does: the
    /// checkpoints against the pinned `archive.gatewayCertificate`, the gateway's trust for the
    /// checkpoints and the signatures (as of their signing times), the witness folder, and — with
    /// `dataKey` — every original reconstructed and re-verified in full; the filesystem folder or
    /// the PostgreSQL store, as `archive.store` says. `progress(done, total)` is called as documents
    /// are re-verified.
    public func auditArchive(
        dataKey: ArchiveDataKey?, from: Date? = nil, to: Date? = nil, progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil
    ) async throws -> AuditReport {
        let settings = configuration.archive
        guard let pinnedPath = settings.gatewayCertificate else {
            throw GatewayError(
                .configurationInvalid,
                "the gateway configuration \(configuration.source) pins no gateway certificate (archive.gatewayCertificate): the audit has nothing to check the checkpoints against",
                hint: "add archive.gatewayCertificate (the certificate the archive was created with)")
        }
        guard let pinned = try Certificate.load(contentsOf: pinnedPath).first else {
            throw GatewayError(.configurationInvalid, "archive.gatewayCertificate \(pinnedPath) holds no certificate")
        }
        let source: any ArchiveAuditSource
        var postgres: PostgresAuditSource? = nil
        if let postgresSettings = try postgresSettings() { postgres = try await PostgresAuditSource.open(postgresSettings) }
        defer { postgres?.close() }
        if let postgres { source = postgres } else { source = try FileSystemAuditSource(path: settings.path) }
        let auditor = ArchiveAuditor(
            source: source, gatewayCertificate: pinned, checkpointTrust: validator.trustStore,
            signatureAuditor: XMLDSigArchiveAuditor(trustStore: validator.trustStore, intermediates: validator.intermediates),
            dataKey: dataKey, witness: settings.witness, from: from, to: to)
        return try await auditor.audit(progress: progress)
    }
}
