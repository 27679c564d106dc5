import ArgumentParser
import Foundation
import MezhvedArchive
import MezhvedValidation
import MezhvedXMLDSig

struct ArchiveAudit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Audits the archive: objects, log chain, signed checkpoints, journal, and every signature as of its signing time.",
        discussion: """
            Exit status 0 only when everything holds; 7 when anything is broken, each broken item named. Without \
            --data-key the signatures are checked at the signed-info-only level (signature value and certificate \
            path); with it, fully (the original is reconstructed and its digest and references checked). A progress \
            bar is drawn on standard error when it is a terminal.
            """)

    @OptionGroup var location: ArchiveLocation
    @OptionGroup var key: DataKeyOption

    @Option(name: .customLong("trust"), help: "A folder of trusted CA certificates (documents and the gateway); may be repeated.")
    var trust: [String] = []

    @Option(name: .customLong("crl"), help: "A CRL file; may be repeated.")
    var crl: [String] = []

    @Option(name: .customLong("untrusted"), help: "Intermediate CA certificates (PEM); may be repeated.")
    var untrusted: [String] = []

    @Option(
        name: .customLong("gateway-cert"),
        help: "The gateway certificate the checkpoints must be signed with (default: the one in archive.json).")
    var gatewayCert: String?

    @Option(help: "A folder outside the archive holding copies of its checkpoints.")
    var witness: String?

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
        if trust.isEmpty { throw ValidationError("give at least one --trust folder (the signers' and the gateway's CAs)") }
        if !qualified && (offline || requireRevocation) { throw ValidationError("--offline and --require-revocation need --qualified") }
    }

    /// The signature auditor: XMLDSig as of the signing time, or the qualified validation.
    func signatureAuditor(_ store: TrustStore, _ intermediates: [Certificate]) throws -> any ArchiveSignatureAuditor {
        let plain = XMLDSigArchiveAuditor(trustStore: store, intermediates: intermediates)
        guard qualified else { return plain }
        let validationStore = try TrustStore(directories: trust)
        var revocation = RevocationPolicy()
        revocation.crlFiles = crl
        revocation.fetchCRLs = !offline
        revocation.ocspFromAIA = !offline
        revocation.requireRevocation = requireRevocation
        let validator = QualifiedValidator(
            trustStore: validationStore, intermediates: intermediates,
            policy: QualifiedValidationPolicy(requireRevocation: requireRevocation),
            revocation: try RevocationChecker(policy: revocation, trustStore: validationStore))
        return QualifiedArchiveAuditor(validator: validator, fallback: plain)
    }

    func run() async throws {
        let folder = try location.folder()
        let store = try TrustStore(directories: trust, crlFiles: crl)
        let intermediates = try untrusted.flatMap { try Certificate.load(contentsOf: $0) }
        let pinned = try gatewayCert.map { try Certificate.load(contentsOf: $0)[0].sha256Fingerprint }
        let auditor = ArchiveAuditor(
            path: folder, checkpointTrust: store, signatureAuditor: try signatureAuditor(store, intermediates),
            gatewayFingerprint: pinned, dataKey: try key.load(required: false), witness: witness,
            from: try parseTime(from, option: "--from"), to: try parseTime(to, option: "--to", endOfDay: true))
        let bar = isatty(STDERR_FILENO) == 1 ? ProgressBar() : nil
        var progress: (@Sendable (Int, Int) -> Void)?
        if let bar { progress = { done, total in bar.update(done, total) } }
        let report = try await auditor.audit(progress: progress)
        bar?.finish()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            var data = try encoder.encode(report)
            // `passed` is computed: add it for machine readers.
            if var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] {
                object["passed"] = report.passed
                data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            }
            print(String(decoding: data, as: UTF8.self))
        } else {
            let levels = Dictionary(grouping: report.documents, by: { (document: DocumentAuditResult) in document.signature.level })
                .mapValues(\.count)
            let levelText = levels.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.value) \($0.key.rawValue)" }.joined(
                separator: ", ")
            print(report.passed ? "AUDIT PASSED: \(folder)" : "AUDIT FAILED: \(folder) (\(report.findings.count) broken item(s))")
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
            for note in report.notes { print("  ! \(note)") }
        }
        if !report.passed { throw ExitCode.archiveBroken }
    }
}

/// A one-line progress bar on standard error, redrawn at most ten times a second.
final class ProgressBar: @unchecked Sendable {
    private let lock = NSLock()
    private var last = Date.distantPast

    func update(_ done: Int, _ total: Int) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard done == total || now.timeIntervalSince(last) > 0.1 else { return }
        last = now
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
