import ArgumentParser
import Foundation
import MezhvedArchive
import MezhvedGateway
import MezhvedPostgres
import MezhvedServer
import MezhvedValidation
import MezhvedXMLDSig
import Synchronization

struct ArchiveAudit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Audits the archive: objects, log chain, signed checkpoints, journal, and every signature as of its signing time.",
        discussion: """
            Exit status 0 only when everything holds; 7 when the archive's integrity is broken, each broken item \
            named; 13 when integrity holds but policy findings remain (a signature accepted though not valid, an \
            incoming document from the archive's own agency, files others may read). The checkpoints must be signed \
            by the pinned gateway certificate (--gateway-cert, MEZHVED_GATEWAY_CERT_FILE, or archive.gatewayCertificate \
            of the --gateway configuration, which also gives the archive, the personal-data key and the trust). Without \
            --data-key the signatures are checked at the signed-info-only level (signature value and certificate \
            path); with it, fully (the original is reconstructed and its digest and references checked). A progress \
            bar is drawn on standard error when it is a terminal.
            """)

    @OptionGroup var location: ArchiveLocation
    @OptionGroup var key: DataKeyOption
    @OptionGroup var gatewayConfiguration: GatewayOption
    @OptionGroup var postgres: PostgresLocation

    @Option(name: .customLong("trust"), help: "A folder of trusted CA certificates (documents and the gateway); may be repeated.")
    var trust: [String] = []

    @Option(name: .customLong("crl"), help: "A CRL file; may be repeated.")
    var crl: [String] = []

    @Option(name: .customLong("untrusted"), help: "Intermediate CA certificates (PEM); may be repeated.")
    var untrusted: [String] = []

    @Option(
        name: .customLong("gateway-cert"),
        help: "The gateway certificate the checkpoints must be signed with (default: $MEZHVED_GATEWAY_CERT_FILE; required).")
    var gatewayCert: String?

    @Option(help: "A folder outside the archive holding copies of its checkpoints.")
    var witness: String?

    @Flag(
        help: """
            With --gateway: ask every peer gateway for the latest checkpoint of this archive it holds and audit             the archive against it as a witness (a rolled-back archive is caught).
            """)
    var peers = false

    @Option(help: "Re-verify documents registered on or after this date (YYYY-MM-DD or ISO 8601).")
    var from: String?

    @Option(help: "Re-verify documents registered on or before this date.")
    var to: String?

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Flag(
        help: """
            With --data-key: re-validate each signature as a qualified one (verify --report), with the \
            registration time as proof of existence.
            """)
    var qualified = false

    @Flag(help: "With --qualified: fetch no CRL or OCSP over the network; only the --crl files.")
    var offline = false

    @Flag(name: .customLong("require-revocation"), help: "With --qualified: a certificate without a revocation source is INDETERMINATE.")
    var requireRevocation = false

    func validate() throws {
        if trust.isEmpty && gatewayConfiguration.path == nil {
            throw ValidationError("give at least one --trust folder (the signers' and the gateway's CAs), or --gateway CONFIG")
        }
        if !qualified && (offline || requireRevocation) { throw ValidationError("--offline and --require-revocation need --qualified") }
        if peers && gatewayConfiguration.path == nil {
            throw ValidationError("--peers needs --gateway CONFIG (the peers are in its exchange section)")
        }
        if peers && witness != nil { throw ValidationError("give --peers or --witness, not both") }
    }

    /// The signature auditor: XMLDSig as of the signing time, or the qualified validation.
    func signatureAuditor(_ store: TrustStore, _ intermediates: [Certificate], trustSettings: GatewayConfiguration.TrustSettings) throws
        -> any ArchiveSignatureAuditor
    {
        let plain = XMLDSigArchiveAuditor(trustStore: store, intermediates: intermediates)
        guard qualified else { return plain }
        let validator = try ValidatorSetup(
            trust: trustSettings,
            policy: GatewayConfiguration.PolicySettings(offline: offline, requireRevocation: requireRevocation)
        ).make()
        return QualifiedArchiveAuditor(validator: validator, fallback: plain)
    }

    /// The audit source: the PostgreSQL store's rows, or the archive folder.
    func auditSource(folder: String, postgres: PostgresStoreSettings?) async throws -> any ArchiveAuditSource {
        if let postgres { return try await PostgresAuditSource.open(postgres) }
        return try FileSystemAuditSource(path: folder)
    }

    /// The pinned gateway certificate: --gateway-cert, else the --gateway configuration's
    /// archive.gatewayCertificate, else $MEZHVED_GATEWAY_CERT_FILE.
    func pinnedCertificate(_ configuration: GatewayConfiguration?) throws -> Certificate {
        let environment = ProcessInfo.processInfo.environment["MEZHVED_GATEWAY_CERT_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        guard let path = gatewayCert ?? configuration?.archive.gatewayCertificate ?? environment else {
            throw ValidationError(
                "give the gateway certificate the checkpoints must be signed with: --gateway-cert CERT, MEZHVED_GATEWAY_CERT_FILE, or archive.gatewayCertificate in the --gateway configuration (the one in archive.json proves nothing: whoever can write the archive can replace it)"
            )
        }
        guard let certificate = try Certificate.load(contentsOf: path).first else {
            throw ValidationError("--gateway-cert \(path) holds no certificate")
        }
        return certificate
    }

    func run() async throws {
        let configuration = try gatewayConfiguration.path.map { _ in try gatewayConfiguration.configuration() }
        let postgresSettings = location.archive == nil ? try postgres.settings(configuration) : nil
        let folder = try postgresSettings?.url ?? location.archive ?? configuration?.archive.path ?? location.folder()
        let trustSettings = GatewayConfiguration.TrustSettings(
            anchors: trust.isEmpty ? configuration?.trust.anchors ?? [] : trust,
            intermediates: untrusted.isEmpty ? configuration?.trust.intermediates ?? [] : untrusted,
            crls: crl.isEmpty ? configuration?.trust.crls ?? [] : crl)
        let store = try TrustStore(directories: trustSettings.anchors, crlFiles: trustSettings.crls)
        let intermediates = try trustSettings.intermediates.flatMap { try Certificate.load(contentsOf: $0) }
        // An option given wins, then the --gateway configuration, then the environment.
        let dataKey =
            try key.dataKey.map { try ArchiveDataKey.load(contentsOf: $0) }
            ?? configuration.map { try ArchiveDataKey.load(contentsOf: $0.archive.dataKey) } ?? key.load(required: false)
        var peerWitness: String?
        if peers, let configuration {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mezhved-peer-witness-\(UUID().uuidString)").path
            let answers = try await PeerCheckpointCollection.collect(gateway: try Gateway.open(configuration), into: folder)
            for answer in answers {
                let line =
                    answer.problem.map { "could not be asked: \($0)" } ?? answer.seq.map { "holds the checkpoint of entry \($0)" }
                    ?? "holds no checkpoint of this archive yet"
                FileHandle.standardError.write(Data("peer \(answer.peer) \(line)\n".utf8))
            }
            peerWitness = folder
        }
        defer { if let peerWitness { try? FileManager.default.removeItem(atPath: peerWitness) } }
        let auditor = ArchiveAuditor(
            source: try await auditSource(folder: folder, postgres: postgresSettings),
            gatewayCertificate: try pinnedCertificate(configuration),
            checkpointTrust: store,
            signatureAuditor: try signatureAuditor(store, intermediates, trustSettings: trustSettings), dataKey: dataKey,
            witness: peerWitness ?? witness ?? configuration?.archive.witness,
            from: try parseTime(from, option: "--from"), to: try parseTime(to, option: "--to", endOfDay: true))
        let bar = isatty(STDERR_FILENO) == 1 ? ProgressBar() : nil
        var progress: (@Sendable (Int, Int) -> Void)?
        if let bar { progress = { done, total in bar.update(done, total) } }
        let report = try await auditor.audit(progress: progress)
        bar?.finish()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(AuditReportJSON(report: report)), as: UTF8.self))
        } else {
            let levels = Dictionary(grouping: report.documents, by: { (document: DocumentAuditResult) in document.signature.level })
                .mapValues(\.count)
            let levelText = levels.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.value) \($0.key.rawValue)" }.joined(
                separator: ", ")
            if !report.passed {
                print("AUDIT FAILED: \(folder) (\(report.findings.count) broken item(s))")
            } else if !report.policyFindings.isEmpty {
                print("AUDIT PASSED WITH POLICY FINDINGS: \(folder) (integrity holds; \(report.policyFindings.count) policy finding(s))")
            } else {
                print("AUDIT PASSED: \(folder)")
            }
            if !report.truncationProvable {
                print(
                    "  ! no checkpoint signed by the pinned gateway certificate yet: that the log was not cut back or replaced cannot be proven"
                )
            }
            print("  log entries: \(report.events); objects: \(report.objects); signed checkpoints: \(report.checkpoints)")
            print("  signatures re-verified: \(report.documents.count) (\(levelText.isEmpty ? "none" : levelText))")
            if levels[.signedInfoOnly] != nil {
                print("    signed-info-only: the signature value and the signer's path were checked without the personal-data key;")
                print("    give --data-key for the full level (the original reconstructed, its digest and references checked)")
            }
            for document in report.documents where document.signature.level == .notChecked {
                print("    not checked: \(document.number) (\(document.year)): its stored document is missing or altered")
            }
            for finding in report.findings { print("  ✗ \(finding)") }
            for finding in report.policyFindings { print("  ✗ policy: \(finding)") }
            for note in report.notes where report.truncationProvable || !note.hasPrefix("no checkpoint signed") { print("  ! \(note)") }
        }
        if !report.passed { throw ExitCode.archiveBroken }
        if !report.policyFindings.isEmpty { throw ExitCode.archivePolicy }
    }
}

/// The audit report as JSON, with the computed `passed` and `clean` beside its stored fields.
struct AuditReportJSON: Encodable {
    let report: AuditReport

    enum Key: String, CodingKey { case passed, clean }

    func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(report.passed, forKey: .passed)
        try container.encode(report.clean, forKey: .clean)
    }
}

/// A one-line progress bar on standard error, redrawn at most ten times a second.
final class ProgressBar: Sendable {
    private let last = Mutex(Date.distantPast)

    func update(_ done: Int, _ total: Int) {
        let now = Date()
        let draw = last.withLock { last -> Bool in
            guard done == total || now.timeIntervalSince(last) > 0.1 else { return false }
            last = now
            return true
        }
        guard draw else { return }
        let width = 30
        let filled = total == 0 ? width : width * done / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r  auditing [\(bar)] \(done)/\(total) documents".utf8))
    }

    func finish() {
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

struct ArchiveRecover: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Reports and rolls back what a crash left: a torn log tail, temporary files, objects without a registration.",
        discussion: "Run it while no other process writes to the archive. What it did is printed and recorded in the log.")

    @OptionGroup var location: ArchiveLocation

    func run() async throws {
        let folder = try location.folder()
        let report = try await FileSystemStorage.recover(at: folder)
        guard report.changed else {
            print("nothing to recover in \(folder)")
            return
        }
        if report.tornBytes > 0 { print("removed a torn log tail of \(report.tornBytes) bytes: \(report.tornDescription ?? "")") }
        for file in report.removedTemporaryFiles { print("removed the temporary file \(file)") }
        for object in report.quarantinedObjects {
            print("moved the unregistered object \(object) to quarantine/ (its registration was never acknowledged)")
        }
    }
}

struct ArchiveCheckpointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint", abstract: "Signs a checkpoint of the log's head now with the gateway's key.")

    @OptionGroup var location: ArchiveLocation
    @OptionGroup var gateway: GatewayKeyOption

    func run() async throws {
        let folder = try location.folder()
        let checkpoint = try await gateway.open(folder, dataKey: nil).registrar.checkpoint()
        print("checkpoint at entry \(checkpoint.seq): head \(checkpoint.head)")
    }
}
