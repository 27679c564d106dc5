import Dispatch
import Foundation
import MezhvedCore
import MezhvedXMLDSig
import Synchronization

/// Audits an archive through its ``ArchiveAuditSource`` without trusting anything in it but the
/// checkpoints' signatures by the pinned gateway certificate: re-hashes every object, walks the
/// log's hash chain and the signed checkpoints, cross-checks journal and archive, re-verifies every
/// signature as of its signing time, and reports policy findings apart from integrity breaks.
public struct ArchiveAuditor: Sendable {
    public var source: any ArchiveAuditSource
    /// The gateway certificate the checkpoints must be signed with, given by the auditor (never
    /// taken from archive.json, which someone who can write the files could replace with their own).
    public var gatewayCertificate: Certificate
    /// The trust anchors for the gateway's checkpoint signatures.
    public var checkpointTrust: TrustStore
    public var signatureAuditor: any ArchiveSignatureAuditor
    public var dataKey: ArchiveDataKey?
    /// A folder outside the archive holding copies of its checkpoints.
    public var witness: String?
    /// Re-verify only documents registered in [from, to].
    public var from: Date?
    public var to: Date?

    public init(
        source: any ArchiveAuditSource, gatewayCertificate: Certificate, checkpointTrust: TrustStore,
        signatureAuditor: any ArchiveSignatureAuditor, dataKey: ArchiveDataKey? = nil, witness: String? = nil, from: Date? = nil,
        to: Date? = nil
    ) {
        self.source = source
        self.gatewayCertificate = gatewayCertificate
        self.checkpointTrust = checkpointTrust
        self.signatureAuditor = signatureAuditor
        self.dataKey = dataKey
        self.witness = witness
        self.from = from
        self.to = to
    }

    /// How many documents are read and re-verified at once (bounds the memory of a large archive).
    static let chunk = 256

    /// Runs the audit. `progress(done, total)` is called as documents are re-verified. Throws only
    /// when there is nothing to audit (no configuration, no log) or the data key is not the archive's.
    public func audit(progress: (@Sendable (Int, Int) -> Void)? = nil) async throws -> AuditReport {
        let configurationBytes = try await source.configurationBytes()
        let configuration: ArchiveConfiguration
        do {
            configuration = try JSONDecoder().decode(ArchiveConfiguration.self, from: Data(configurationBytes))
        } catch {
            throw ArchiveError(.configurationInvalid, "archive.json of \(source.name) cannot be read: \(error)")
        }
        if let dataKey, dataKey.keyID != configuration.dataKeyID {
            throw ArchiveError(
                .dataKeyUnusable, "the personal-data key given (\(dataKey.keyID)) is not this archive's key (\(configuration.dataKeyID))",
                hint: "give the archive's personal-data key, or audit without one")
        }
        var findings: [AuditFinding] = []
        var policy: [AuditFinding] = []
        var notes: [String] = []

        // 1. The log: every line's hash, the chain, the sequence; the configuration it recorded.
        let log = try await source.auditLog()
        let journal = log.journal
        findings += log.damage
        if journal.configurationDigest != ArchiveCrypto.sha256Hex(configurationBytes) {
            findings.append(
                AuditFinding(
                    .configuration, item: "archive.json",
                    "its SHA-256 is not the one recorded in the log when the archive was created (altered or replaced)"))
        }
        let named = (try? configuration.gatewayCertificates())?.first
        if named?.sha256Fingerprint != gatewayCertificate.sha256Fingerprint {
            findings.append(
                AuditFinding(
                    .configuration, item: "archive.json",
                    "it names the gateway certificate \(named?.commonName ?? "?") (\(named?.sha256Fingerprint ?? "none")), not the pinned \(gatewayCertificate.commonName ?? "?") (\(gatewayCertificate.sha256Fingerprint))"
                ))
        }

        // 2. The checkpoints: signatures by the pinned certificate, their own chain, the log against them.
        let checkpoints = try await auditCheckpoints(
            configuration: configuration, log: log, findings: &findings, notes: &notes)

        // 3. The journal: duplicates, holes, numbers still reserved, policy.
        auditJournal(journal, configuration: configuration, findings: &findings, policy: &policy, notes: &notes)

        // 4. The objects: every one's hash, every registration's object, no object without one; the medium.
        let medium = try await source.mediumAudit()
        findings += medium.integrity
        policy += medium.policy
        notes += medium.notes
        let stored = try await source.objects.list()
        var goodObjects = Set<String>()
        for start in stride(from: 0, to: stored.count, by: Self.chunk) {
            let names = Array(stored[start..<min(stored.count, start + Self.chunk)])
            for name in names {
                let item = "objects/\(name.prefix(2))/\(name)"
                guard let bytes = try? await source.objects.get(name) else { continue }
                let digest = ArchiveCrypto.sha256Hex(bytes)
                if digest != name {
                    findings.append(
                        AuditFinding(
                            .objectAltered, item: item, "its content has SHA-256 \(digest), not the name it is stored under (altered)"))
                } else {
                    goodObjects.insert(name)
                }
                if !journal.referencedObjects.contains(name) {
                    findings.append(AuditFinding(.objectUnreferenced, item: item, "no registration in the journal refers to this document"))
                }
            }
        }
        let present = Set(stored)
        for entry in journal.entries {
            guard let object = entry.object else { continue }
            if !present.contains(object) {
                findings.append(
                    AuditFinding(
                        .objectMissing, item: "\(entry.number) (\(entry.year))",
                        "its document objects/\(object.prefix(2))/\(object) is missing"
                    ))
            }
            if let key = entry.encryptedWith, key != configuration.dataKeyID {
                findings.append(
                    AuditFinding(
                        .configuration, item: "\(entry.number) (\(entry.year))",
                        "encrypted with key \(key), not the archive's key \(configuration.dataKeyID)"))
            }
        }
        for fact in journal.facts {
            guard let object = fact.record.object else { continue }
            if !present.contains(object) {
                findings.append(
                    AuditFinding(
                        .objectMissing, item: "log entry \(fact.seq) (\(fact.record.type.rawValue))",
                        "its sealed record objects/\(object.prefix(2))/\(object) is missing"))
            }
            if let key = fact.record.encryptedWith, key != configuration.dataKeyID {
                findings.append(
                    AuditFinding(
                        .configuration, item: "log entry \(fact.seq) (\(fact.record.type.rawValue))",
                        "sealed with key \(key), not the archive's key \(configuration.dataKeyID)"))
            }
        }
        for quarantined in journal.quarantined where !present.contains(quarantined.object) {
            findings.append(
                AuditFinding(
                    .objectMissing, item: "log entry \(quarantined.seq) (quarantined)",
                    "its document objects/\(quarantined.object.prefix(2))/\(quarantined.object) is missing"))
        }

        // 5. The signatures, on every core, a chunk at a time.
        let selected = journal.entries.filter { entry in
            guard entry.object != nil, let registered = entry.registeredAt.flatMap(ISOTime.dateOrDay) else { return false }
            if let from, registered < from { return false }
            if let to, registered > to { return false }
            return true
        }
        var documents: [DocumentAuditResult] = []
        for start in stride(from: 0, to: selected.count, by: Self.chunk) {
            let entries = Array(selected[start..<min(selected.count, start + Self.chunk)])
            var objects: [[UInt8]?] = []
            for entry in entries {
                guard let object = entry.object, goodObjects.contains(object) else {
                    objects.append(nil)
                    continue
                }
                objects.append(try? await source.objects.get(object))
            }
            let outcomes = await verify(entries, objects, done: start, total: selected.count, progress: progress)
            for (entry, outcome) in zip(entries, outcomes) {
                findings += outcome.extraFindings
                let recorded = entry.signatureStatus
                if recorded == .invalid || recorded == .indeterminate || recorded == .totalFailed {
                    // Registered knowingly with a signature that did not hold (`--accept-invalid`): a policy matter.
                    policy.append(
                        AuditFinding(
                            .signatureAccepted, item: "\(entry.number) (\(entry.year))",
                            "registered with a signature \(recorded!.rawValue.uppercased()) (re-verified: \(outcome.audit.status.uppercased()))"
                        ))
                } else if outcome.audit.status != "valid" && outcome.audit.level != .notChecked {
                    findings.append(
                        AuditFinding(
                            .signature, item: "\(entry.number) (\(entry.year))",
                            "signature \(outcome.audit.status.uppercased()) at \(entry.signingTime ?? "?") (\(outcome.audit.level.rawValue)): "
                                + outcome.audit.problems.joined(separator: "; ")))
                }
                documents.append(
                    DocumentAuditResult(number: entry.number, year: entry.year, registeredAt: entry.registeredAt, signature: outcome.audit))
            }
        }
        if checkpoints.signed == 0 {
            notes.append(
                "no checkpoint signed by the pinned gateway certificate yet: that the log was not cut back or replaced cannot be proven")
        }
        return AuditReport(
            archive: source.name, time: ISOTime.string(Date(), milliseconds: true), findings: findings, policyFindings: policy,
            truncationProvable: checkpoints.signed > 0, notes: notes, events: log.count, objects: stored.count,
            checkpoints: checkpoints.count, documents: documents)
    }

    private func auditJournal(
        _ journal: Journal, configuration: ArchiveConfiguration, findings: inout [AuditFinding], policy: inout [AuditFinding],
        notes: inout [String]
    ) {
        for anomaly in journal.anomalies {
            let category: AuditFinding.Category = anomaly.message.hasPrefix("duplicate") ? .duplicateNumber : .journalInconsistent
            findings.append(AuditFinding(category, item: "log entry \(anomaly.seq)", anomaly.message))
        }
        var seen: [String: Set<Int>] = [:]
        var bySeries: [String: (year: Int, direction: Direction)] = [:]
        for entry in journal.entries {
            let key = Journal.counterKey(entry.year, entry.direction)
            seen[key, default: []].insert(entry.sequence)
            bySeries[key] = (entry.year, entry.direction)
            let item = "\(entry.number) (\(entry.year))"
            if entry.recordedStatus == .reserved { notes.append("\(item) is reserved and not yet used or voided") }
            if entry.direction == .incoming, entry.registeredAt != nil, entry.counterpart == configuration.agency {
                policy.append(
                    AuditFinding(.ownAgency, item: item, "an incoming document from \(configuration.agency), the archive's own agency"))
            }
            // A receipt prints no registration of its own: only the number it acknowledges.
            if entry.direction == .outgoing, entry.registeredAt != nil, entry.kind != .receipt, entry.documentNumber != entry.number {
                policy.append(
                    AuditFinding(
                        .printedNumber, item: item, "the document is printed with the number \(entry.documentNumber ?? "(none)")"))
            }
        }
        for (key, sequences) in seen.sorted(by: { $0.key < $1.key }) {
            guard let series = bySeries[key], let highest = sequences.max() else { continue }
            for missing in 1...highest where !sequences.contains(missing) {
                let number = configuration.format(for: series.direction).format(
                    sequence: missing, year: series.year, agency: configuration.agency)
                findings.append(
                    AuditFinding(
                        .numberHole, item: "\(number) (\(series.year), \(series.direction.rawValue))",
                        "the number is missing from the journal: neither registered nor voided"))
            }
        }
    }

    private struct DocumentOutcome: Sendable {
        var audit: SignatureAudit
        var extraFindings: [AuditFinding]
    }

    /// Re-verifies a chunk: a bounded group, a few documents per core in flight (the qualified
    /// auditor awaits OCSP and CRL servers; the XMLDSig work itself is CPU-bound).
    private func verify(
        _ entries: [JournalEntry], _ objects: [[UInt8]?], done: Int, total: Int, progress: (@Sendable (Int, Int) -> Void)?
    ) async -> [DocumentOutcome] {
        let auditor = signatureAuditor
        let key = dataKey
        let width = 4 * max(1, ProcessInfo.processInfo.activeProcessorCount)
        var results = [DocumentOutcome?](repeating: nil, count: entries.count)
        var finished = done
        await withTaskGroup(of: (Int, DocumentOutcome).self) { group in
            for index in entries.indices {
                if index >= width, let (completed, outcome) = await group.next() {
                    results[completed] = outcome
                    finished += 1
                    progress?(finished, total)
                }
                group.addTask { (index, await Self.verifyOne(entries[index], objects[index], auditor: auditor, key: key)) }
            }
            for await (completed, outcome) in group {
                results[completed] = outcome
                finished += 1
                progress?(finished, total)
            }
        }
        return results.map { $0! }
    }

    private static func verifyOne(_ entry: JournalEntry, _ stored: [UInt8]?, auditor: any ArchiveSignatureAuditor, key: ArchiveDataKey?)
        async -> DocumentOutcome
    {
        let item = "\(entry.number) (\(entry.year))"
        var outcome = DocumentOutcome(audit: SignatureAudit(level: .notChecked, status: "not-checked", problems: []), extraFindings: [])
        guard let stored else { return outcome }
        let time = entry.signingTime.flatMap(ISOTime.dateOrDay) ?? entry.registeredAt.flatMap(ISOTime.dateOrDay) ?? Date()
        if let key {
            do {
                let original = try PersonalDataProtection.reveal(stored, key: key, sourceName: item)
                if ArchiveCrypto.sha256Hex(original) != entry.documentDigest {
                    outcome.extraFindings.append(
                        AuditFinding(
                            .documentAltered, item: item, "the reconstructed original does not have the digest recorded at registration"))
                }
                outcome.audit = await auditor.auditOriginal(original, entry: entry, at: time)
            } catch {
                outcome.extraFindings.append(AuditFinding(.documentAltered, item: item, "\(error)"))
                outcome.audit = await auditor.auditStored(stored, entry: entry, at: time)
            }
        } else {
            outcome.audit = await auditor.auditStored(stored, entry: entry, at: time)
            if entry.encryptedWith == nil, ArchiveCrypto.sha256Hex(stored) != entry.documentDigest {
                outcome.extraFindings.append(
                    AuditFinding(.documentAltered, item: item, "the stored document does not have the digest recorded at registration"))
            }
        }
        return outcome
    }

    /// Checks every checkpoint; returns how many there are and how many are signed by the pinned certificate.
    private func auditCheckpoints(
        configuration: ArchiveConfiguration, log: LogAudit, findings: inout [AuditFinding], notes: inout [String]
    ) async throws -> (count: Int, signed: Int) {
        let pinned = gatewayCertificate.sha256Fingerprint
        // archive.json's certificates serve only to build paths (untrusted intermediates).
        let intermediates = Array(((try? configuration.gatewayCertificates()) ?? []).dropFirst())
        let documents = try await source.checkpointDocuments()
        var previousHash = EventLine.genesis
        var previousSeq = 0
        var latest: (name: String, seq: Int)?
        var signed = 0
        for document in documents {
            let item = "log/checkpoints/\(document.name)"
            defer { previousHash = ArchiveCrypto.sha256Hex(document.bytes) }
            guard let checkpoint = try? Checkpoint.read(document.bytes, sourceName: item) else {
                findings.append(AuditFinding(.checkpointInvalid, item: item, "not a readable checkpoint"))
                continue
            }
            if let problem = signatureProblem(
                document.bytes, item: item, time: checkpoint.time, pinned: pinned, intermediates: intermediates)
            {
                findings.append(AuditFinding(.checkpointInvalid, item: item, problem))
                continue
            }
            signed += 1
            if checkpoint.previous != previousHash {
                findings.append(
                    AuditFinding(
                        .checkpointChain, item: item,
                        "it does not name the checkpoint before it (\(previousSeq == 0 ? "none" : "seq \(previousSeq)")): a checkpoint was removed, replaced or reordered"
                    ))
            }
            if checkpoint.seq > log.lastSeq {
                findings.append(
                    AuditFinding(
                        .logTruncated, item: "log/events.log",
                        "the signed checkpoint \(document.name) covers entry \(checkpoint.seq), but the log ends at entry \(log.lastSeq): entries were removed from its end or the log was replaced by a shorter one"
                    ))
            } else if log.hashes[checkpoint.seq] != checkpoint.head {
                findings.append(
                    AuditFinding(
                        .logRewritten, item: "log/events.log entry \(checkpoint.seq)",
                        "the entry's hash is not the head signed in checkpoint \(document.name): the log up to it was rewritten"))
            }
            previousSeq = checkpoint.seq
            latest = (document.name, checkpoint.seq)
        }
        if let latest {
            if latest.seq < log.lastSeq { notes.append("entries \(latest.seq + 1)…\(log.lastSeq) come after the last signed checkpoint") }
        } else if documents.isEmpty && log.lastSeq > configuration.checkpointInterval && configuration.checkpointInterval > 0 {
            findings.append(
                AuditFinding(
                    .checkpointMissing, item: "log/checkpoints", "the log has \(log.lastSeq) entries but there is no signed checkpoint"))
        }
        if let witness {
            // The witness is a folder outside the archive: read on a queue of its own, off the cooperative pool.
            let latest = try await BlockingIOQueue(label: "mezhved.archive.witness").run { () -> CheckpointDocument? in
                let names = DurableFiles.list(witness).filter { FileSystemAuditSource.isCheckpointName($0) }.sorted()
                guard let last = names.last, let bytes = try? DurableFiles.read(witness + "/" + last) else { return nil }
                return CheckpointDocument(name: last, bytes: bytes)
            }
            auditWitness(
                witness, latest: latest, documents: documents, log: log, pinned: pinned, intermediates: intermediates, findings: &findings,
                notes: &notes)
        }
        return (documents.count, signed)
    }

    private func auditWitness(
        _ witness: String, latest: CheckpointDocument?, documents: [CheckpointDocument], log: LogAudit, pinned: String,
        intermediates: [Certificate], findings: inout [AuditFinding], notes: inout [String]
    ) {
        guard let latest else {
            notes.append("the witness folder \(witness) holds no checkpoint yet")
            return
        }
        let last = latest.name
        let bytes = latest.bytes
        let item = "witness \(witness)/\(last)"
        if let problem = signatureProblem(bytes, item: item, time: nil, pinned: pinned, intermediates: intermediates) {
            findings.append(AuditFinding(.witnessMismatch, item: item, problem))
            return
        }
        guard documents.first(where: { $0.name == last })?.bytes != bytes else { return }
        findings.append(
            AuditFinding(
                .witnessMismatch, item: "log/checkpoints/\(last)",
                "the witness holds checkpoint \(last), which the archive has lost or replaced: the log and its checkpoints were cut back or rewritten"
            ))
        guard let checkpoint = try? Checkpoint.read(bytes, sourceName: item) else { return }
        if checkpoint.seq > log.lastSeq {
            findings.append(
                AuditFinding(
                    .logTruncated, item: "log/events.log",
                    "the witnessed checkpoint covers entry \(checkpoint.seq), but the log ends at entry \(log.lastSeq)"))
        } else if log.hashes[checkpoint.seq] != checkpoint.head {
            findings.append(
                AuditFinding(
                    .logRewritten, item: "log/events.log entry \(checkpoint.seq)",
                    "the entry's hash is not the head of the witnessed checkpoint"))
        }
    }

    /// Why a checkpoint's signature does not hold, or nil when it does.
    private func signatureProblem(_ bytes: [UInt8], item: String, time: String?, pinned: String, intermediates: [Certificate]) -> String? {
        CheckpointSignature.problem(
            bytes, item: item, at: time.flatMap(ISOTime.dateOrDay), pinned: pinned, trust: checkpointTrust, intermediates: intermediates)
    }
}
