import Foundation
import MezhvedXMLDSig

/// How deeply a document's signature could be re-verified.
public enum SignatureAuditLevel: String, Sendable, Codable {
    /// The original was reconstructed (personal-data key given), its digest matched the journal,
    /// and the full verification ran: references, signature value, certificate path.
    case full
    /// Without the key: the signature value over `SignedInfo` and the certificate path; the
    /// references' digests need the encrypted personal data.
    case signedInfoOnly = "signed-info-only"
    /// Not checked (outside --from/--to, or the object is missing or altered).
    case notChecked = "not-checked"
}

/// The re-verification of one archived document's signature.
public struct SignatureAudit: Sendable, Codable, Equatable {
    public var level: SignatureAuditLevel
    /// valid, invalid, indeterminate.
    public var status: String
    /// Every failed check.
    public var problems: [String]

    public init(level: SignatureAuditLevel, status: String, problems: [String]) {
        self.level = level
        self.status = status
        self.problems = problems
    }
}

/// Re-verifies archived signatures as of their signing time. The default checks XMLDSig with the
/// trust store; the qualified-signature validation (signing time from XAdES, timestamps,
/// revocation at that time) plugs in here.
public protocol ArchiveSignatureAuditor: Sendable {
    /// The full check on the original document.
    func auditOriginal(_ original: [UInt8], entry: JournalEntry, at signingTime: Date) async -> SignatureAudit
    /// The check that needs no personal-data key, on the stored form.
    func auditStored(_ stored: [UInt8], entry: JournalEntry, at signingTime: Date) async -> SignatureAudit
}

/// The default auditor: ``SignatureVerifier`` on the original, ``SignedInfoChecker`` on the stored form.
public struct XMLDSigArchiveAuditor: ArchiveSignatureAuditor {
    public let trustStore: TrustStore
    public let intermediates: [Certificate]

    public init(trustStore: TrustStore, intermediates: [Certificate] = []) {
        self.trustStore = trustStore
        self.intermediates = intermediates
    }

    public func auditOriginal(_ original: [UInt8], entry: JournalEntry, at signingTime: Date) async -> SignatureAudit {
        var policy = VerificationPolicy()
        policy.validationTime = signingTime
        policy.retainSignedContent = false
        let verifier = SignatureVerifier(trustStore: trustStore, policy: policy, intermediates: intermediates)
        do {
            let report = try verifier.verify(original, sourceName: entry.number)
            return SignatureAudit(
                level: .full, status: report.status.rawValue, problems: report.problems.map { "\($0.check.rawValue): \($0.message)" })
        } catch {
            return SignatureAudit(level: .full, status: "invalid", problems: ["\(error)"])
        }
    }

    public func auditStored(_ stored: [UInt8], entry: JournalEntry, at signingTime: Date) async -> SignatureAudit {
        let checker = SignedInfoChecker(trustStore: trustStore, intermediates: intermediates)
        do {
            let result = try checker.check(stored, sourceName: entry.number, at: signingTime)
            return SignatureAudit(
                level: .signedInfoOnly, status: result.status.rawValue,
                problems: result.problems.map { "\($0.check.rawValue): \($0.message)" })
        } catch {
            return SignatureAudit(level: .signedInfoOnly, status: "invalid", problems: ["\(error)"])
        }
    }
}

/// One thing the audit found broken, named.
public struct AuditFinding: Sendable, Codable, Equatable, CustomStringConvertible {
    /// What kind of breakage.
    public enum Category: String, Sendable, Codable, CaseIterable {
        case objectAltered = "object-altered"
        case objectMissing = "object-missing"
        case objectUnreferenced = "object-unreferenced"
        case temporaryFile = "temporary-file"
        case logDamaged = "log-damaged"
        case logTruncated = "log-truncated"
        case logRewritten = "log-rewritten"
        case checkpointInvalid = "checkpoint-invalid"
        case checkpointChain = "checkpoint-chain"
        case checkpointMissing = "checkpoint-missing"
        case witnessMismatch = "witness-mismatch"
        case duplicateNumber = "duplicate-number"
        case numberHole = "number-hole"
        case journalInconsistent = "journal-inconsistent"
        case documentAltered = "document-altered"
        case signature = "signature"
        case configuration = "configuration"
    }

    public let category: Category
    /// The broken item: a file, a log entry, a number.
    public let item: String
    public let message: String

    public init(_ category: Category, item: String, _ message: String) {
        self.category = category
        self.item = item
        self.message = message
    }

    public var description: String { "\(category.rawValue): \(item): \(message)" }
}

/// The audit of one registered document.
public struct DocumentAuditResult: Sendable, Codable, Equatable {
    public let number: String
    public let year: Int
    public let registeredAt: String?
    public let signature: SignatureAudit
}

/// The result of an audit: every broken item, every document's level, and counts.
public struct AuditReport: Sendable, Codable {
    public let archive: String
    public let time: String
    /// Whether everything holds: no finding at all.
    public var passed: Bool { findings.isEmpty }
    public let findings: [AuditFinding]
    /// Things that are not broken but worth knowing (numbers still reserved, entries after the last checkpoint).
    public let notes: [String]
    public let events: Int
    public let objects: Int
    public let checkpoints: Int
    public let documents: [DocumentAuditResult]
}

/// Audits a filesystem archive without trusting anything in it but the checkpoints' signatures:
/// re-hashes every object, walks the log's hash chain and the signed checkpoints, cross-checks
/// journal and archive, and re-verifies every signature as of its signing time.
public struct ArchiveAuditor: Sendable {
    public var path: String
    /// The trust anchors for the gateway's checkpoint signatures.
    public var checkpointTrust: TrustStore
    /// The gateway certificate's SHA-256 fingerprint to require of checkpoint signers; nil takes
    /// the one in archive.json (which someone who can write the files could replace).
    public var gatewayFingerprint: String?
    public var signatureAuditor: any ArchiveSignatureAuditor
    public var dataKey: ArchiveDataKey?
    /// A folder outside the archive holding copies of its checkpoints.
    public var witness: String?
    /// Re-verify only documents registered in [from, to].
    public var from: Date?
    public var to: Date?

    public init(
        path: String, checkpointTrust: TrustStore, signatureAuditor: any ArchiveSignatureAuditor, gatewayFingerprint: String? = nil,
        dataKey: ArchiveDataKey? = nil, witness: String? = nil, from: Date? = nil, to: Date? = nil
    ) {
        self.path = path
        self.checkpointTrust = checkpointTrust
        self.signatureAuditor = signatureAuditor
        self.gatewayFingerprint = gatewayFingerprint
        self.dataKey = dataKey
        self.witness = witness
        self.from = from
        self.to = to
    }

    /// Runs the audit. `progress(done, total)` is called as documents are re-verified. Throws
    /// only when there is no archive to audit.
    public func audit(progress: (@Sendable (Int, Int) -> Void)? = nil) async throws -> AuditReport {
        let layout = ArchiveLayout(root: path)
        guard let configurationBytes = try DurableFiles.read(layout.configuration) else {
            throw ArchiveError(
                .archiveUnusable, "\(path) is not a mezhved archive (no archive.json)", hint: "check --archive / MEZHVED_ARCHIVE")
        }
        var findings: [AuditFinding] = []
        var notes: [String] = []
        let configuration: ArchiveConfiguration
        do {
            configuration = try JSONDecoder().decode(ArchiveConfiguration.self, from: Data(configurationBytes))
        } catch {
            throw ArchiveError(.configurationInvalid, "\(layout.configuration) cannot be read: \(error)")
        }
        if let dataKey, dataKey.keyID != configuration.dataKeyID {
            throw ArchiveError(
                .dataKeyUnusable, "the personal-data key given (\(dataKey.keyID)) is not this archive's key (\(configuration.dataKeyID))",
                hint: "give the archive's key, or audit without --data-key")
        }

        // 1. The log: every line's hash, the chain, the sequence.
        var journal = Journal()
        var hashes: [Int: String] = [:]
        let log = try ArchiveLogReader.read(layout.events, keepEvents: false) { event in
            journal.apply(event)
            if hashes[event.seq] == nil { hashes[event.seq] = event.hash }
        }
        for damage in log.damage {
            findings.append(AuditFinding(.logDamaged, item: "log/events.log line \(damage.line)", damage.message))
        }
        let lastSeq = log.lastSeq
        if journal.configurationDigest != ArchiveCrypto.sha256Hex(configurationBytes) {
            findings.append(
                AuditFinding(
                    .configuration, item: "archive.json",
                    "its SHA-256 is not the one recorded in the log when the archive was created (altered or replaced)"))
        }

        // 2. The checkpoints: signatures, their own chain, and the log against them.
        let checkpointCount = auditCheckpoints(
            layout: layout, configuration: configuration, lastSeq: lastSeq, hashes: hashes, findings: &findings, notes: &notes)

        // 3. The journal: duplicates, holes, numbers still reserved.
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
            if entry.recordedStatus == .reserved { notes.append("\(entry.number) (\(entry.year)) is reserved and not yet used or voided") }
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

        // 4. The objects: every file's hash, every registration's object, no object without one.
        let referenced = journal.referencedObjects
        var goodObjects = Set<String>()
        var objectCount = 0
        for fan in DurableFiles.list(layout.objects).sorted() {
            let folder = layout.objects + "/" + fan
            for name in DurableFiles.list(folder).sorted() {
                let file = "objects/\(fan)/\(name)"
                if name.hasPrefix(".") {
                    findings.append(
                        AuditFinding(.temporaryFile, item: file, "a temporary file of an interrupted write; run `mezhved archive recover`"))
                    continue
                }
                objectCount += 1
                guard let bytes = try DurableFiles.read(folder + "/" + name) else { continue }
                let digest = ArchiveCrypto.sha256Hex(bytes)
                if digest != name || !name.hasPrefix(fan) {
                    findings.append(
                        AuditFinding(
                            .objectAltered, item: file, "its content has SHA-256 \(digest), not the name it is stored under (altered)"))
                } else {
                    goodObjects.insert(name)
                }
                if !referenced.contains(name) {
                    findings.append(AuditFinding(.objectUnreferenced, item: file, "no registration in the journal refers to this document"))
                }
            }
        }
        for name in DurableFiles.list(layout.quarantine).sorted() {
            notes.append(
                "quarantine/\(name) was set aside by `mezhved archive recover`: no registration refers to it (an interrupted registration, or one removed from the log: compare with the checkpoints and the witness)"
            )
        }
        for entry in journal.entries {
            guard let object = entry.object else { continue }
            if !FileManager.default.fileExists(atPath: layout.object(object)) {
                findings.append(
                    AuditFinding(
                        .objectMissing, item: "\(entry.number) (\(entry.year))",
                        "its document objects/\(object.prefix(2))/\(object) is missing"))
            }
            if let key = entry.encryptedWith, key != configuration.dataKeyID {
                findings.append(
                    AuditFinding(
                        .configuration, item: "\(entry.number) (\(entry.year))",
                        "encrypted with key \(key), not the archive's key \(configuration.dataKeyID)"))
            }
        }

        // 5. The signatures, on both cores.
        let selected = journal.entries.filter { entry in
            guard entry.object != nil, let registered = entry.registeredAt.flatMap(Timestamps.date) else { return false }
            if let from, registered < from { return false }
            if let to, registered > to { return false }
            return true
        }
        let results = await auditDocuments(selected, layout: layout, goodObjects: goodObjects, progress: progress)
        for (entry, result) in zip(selected, results) {
            for problem in result.extraFindings { findings.append(problem) }
            let recorded = entry.signatureStatus?.rawValue ?? "unverified"
            if result.audit.status != "valid" && (recorded == "invalid" || recorded == "indeterminate") && recorded == result.audit.status {
                // Registered knowingly with a signature that did not hold (`--accept-invalid`): recorded, not a breach.
                notes.append(
                    "\(entry.number) (\(entry.year)) was registered with a signature \(recorded.uppercased()), as recorded at registration")
            } else if result.audit.status != "valid" && result.audit.level != .notChecked {
                findings.append(
                    AuditFinding(
                        .signature, item: "\(entry.number) (\(entry.year))",
                        "signature \(result.audit.status.uppercased()) at \(entry.signingTime ?? "?") (\(result.audit.level.rawValue)): "
                            + result.audit.problems.joined(separator: "; ")))
            }
        }
        let documents = zip(selected, results).map { entry, result in
            DocumentAuditResult(number: entry.number, year: entry.year, registeredAt: entry.registeredAt, signature: result.audit)
        }
        return AuditReport(
            archive: path, time: Timestamps.string(Date()), findings: findings, notes: notes, events: log.count,
            objects: objectCount,
            checkpoints: checkpointCount, documents: documents)
    }

    private struct DocumentOutcome: Sendable {
        var audit: SignatureAudit
        var extraFindings: [AuditFinding]
    }

    private func auditDocuments(
        _ entries: [JournalEntry], layout: ArchiveLayout, goodObjects: Set<String>, progress: (@Sendable (Int, Int) -> Void)?
    ) async -> [DocumentOutcome] {
        let count = entries.count
        let done = ProgressCounter()
        let auditor = signatureAuditor
        let key = dataKey
        let auditOne: @Sendable (Int) async -> DocumentOutcome = { index in
            let entry = entries[index]
            let item = "\(entry.number) (\(entry.year))"
            var outcome = DocumentOutcome(audit: SignatureAudit(level: .notChecked, status: "not-checked", problems: []), extraFindings: [])
            if let object = entry.object, goodObjects.contains(object), let stored = try? DurableFiles.read(layout.object(object)) {
                let time = entry.signingTime.flatMap(Timestamps.date) ?? entry.registeredAt.flatMap(Timestamps.date) ?? Date()
                if let key {
                    do {
                        let original = try PersonalDataProtection.reveal(stored, key: key, sourceName: item)
                        if ArchiveCrypto.sha256Hex(original) != entry.documentDigest {
                            outcome.extraFindings.append(
                                AuditFinding(
                                    .documentAltered, item: item,
                                    "the reconstructed original does not have the digest recorded at registration"))
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
                            AuditFinding(
                                .documentAltered, item: item, "the stored document does not have the digest recorded at registration"))
                    }
                }
            }
            let finished = done.increment()
            progress?(finished, count)
            return outcome
        }
        // A bounded group: a few documents per core in flight (the qualified auditor awaits OCSP and CRL servers).
        let width = 4 * max(1, ProcessInfo.processInfo.activeProcessorCount)
        var results = [DocumentOutcome?](repeating: nil, count: count)
        await withTaskGroup(of: (Int, DocumentOutcome).self) { group in
            for index in 0..<count {
                if index >= width, let (finished, outcome) = await group.next() { results[finished] = outcome }
                group.addTask { (index, await auditOne(index)) }
            }
            for await (finished, outcome) in group { results[finished] = outcome }
        }
        return results.map { $0! }
    }

    private func auditCheckpoints(
        layout: ArchiveLayout, configuration: ArchiveConfiguration, lastSeq: Int, hashes: [Int: String], findings: inout [AuditFinding],
        notes: inout [String]
    ) -> Int {
        let gatewayCertificates = (try? configuration.gatewayCertificates()) ?? []
        let pinned = gatewayFingerprint ?? gatewayCertificates.first?.sha256Fingerprint
        // archive.json's certificates serve only to build paths (untrusted intermediates).
        let intermediates = Array(gatewayCertificates.dropFirst())
        let names = DurableFiles.list(layout.checkpoints).filter { $0.hasSuffix(".xml") && !$0.hasPrefix(".") }.sorted()
        var previousHash = EventLine.genesis
        var previousSeq = 0
        var latest: (name: String, bytes: [UInt8], seq: Int)?
        for name in names {
            let item = "log/checkpoints/\(name)"
            guard let bytes = try? DurableFiles.read(layout.checkpoints + "/" + name) else { continue }
            defer { previousHash = ArchiveCrypto.sha256Hex(bytes) }
            guard let checkpoint = try? Checkpoint.read(bytes, sourceName: item) else {
                findings.append(AuditFinding(.checkpointInvalid, item: item, "not a readable checkpoint"))
                continue
            }
            if let problem = signatureProblem(bytes, item: item, time: checkpoint.time, pinned: pinned, intermediates: intermediates) {
                findings.append(AuditFinding(.checkpointInvalid, item: item, problem))
                continue
            }
            if checkpoint.previous != previousHash {
                findings.append(
                    AuditFinding(
                        .checkpointChain, item: item,
                        "it does not name the checkpoint before it (\(previousSeq == 0 ? "none" : "seq \(previousSeq)")): a checkpoint was removed, replaced or reordered"
                    ))
            }
            if checkpoint.seq > lastSeq {
                findings.append(
                    AuditFinding(
                        .logTruncated, item: "log/events.log",
                        "the signed checkpoint \(name) covers entry \(checkpoint.seq), but the log ends at entry \(lastSeq): entries were removed from its end or the log was replaced by a shorter one"
                    ))
            } else if hashes[checkpoint.seq] != checkpoint.head {
                findings.append(
                    AuditFinding(
                        .logRewritten, item: "log/events.log entry \(checkpoint.seq)",
                        "the entry's hash is not the head signed in checkpoint \(name): the log up to it was rewritten"))
            }
            previousSeq = checkpoint.seq
            latest = (name, bytes, checkpoint.seq)
        }
        if let latest {
            if latest.seq < lastSeq { notes.append("entries \(latest.seq + 1)…\(lastSeq) come after the last signed checkpoint") }
        } else if names.isEmpty && lastSeq > configuration.checkpointInterval && configuration.checkpointInterval > 0 {
            findings.append(
                AuditFinding(
                    .checkpointMissing, item: "log/checkpoints", "the log has \(lastSeq) entries but there is no signed checkpoint"))
        }
        if let witness {
            let witnessed = DurableFiles.list(witness).filter { $0.hasSuffix(".xml") && !$0.hasPrefix(".") }.sorted()
            if let last = witnessed.last, let bytes = try? DurableFiles.read(witness + "/" + last) {
                let item = "witness \(witness)/\(last)"
                if let problem = signatureProblem(bytes, item: item, time: nil, pinned: pinned, intermediates: intermediates) {
                    findings.append(AuditFinding(.witnessMismatch, item: item, problem))
                } else if (try? DurableFiles.read(layout.checkpoints + "/" + last)) != bytes {
                    findings.append(
                        AuditFinding(
                            .witnessMismatch, item: "log/checkpoints/\(last)",
                            "the witness holds checkpoint \(last), which the archive has lost or replaced: the log and its checkpoints were cut back or rewritten"
                        ))
                    if let checkpoint = try? Checkpoint.read(bytes, sourceName: item), checkpoint.seq > lastSeq {
                        findings.append(
                            AuditFinding(
                                .logTruncated, item: "log/events.log",
                                "the witnessed checkpoint covers entry \(checkpoint.seq), but the log ends at entry \(lastSeq)"))
                    } else if let checkpoint = try? Checkpoint.read(bytes, sourceName: item), hashes[checkpoint.seq] != checkpoint.head {
                        findings.append(
                            AuditFinding(
                                .logRewritten, item: "log/events.log entry \(checkpoint.seq)",
                                "the entry's hash is not the head of the witnessed checkpoint"))
                    }
                }
            } else {
                notes.append("the witness folder \(witness) holds no checkpoint yet")
            }
        }
        return names.count
    }

    /// Why a checkpoint's signature does not hold, or nil when it does.
    private func signatureProblem(_ bytes: [UInt8], item: String, time: String?, pinned: String?, intermediates: [Certificate]) -> String? {
        var policy = VerificationPolicy()
        policy.validationTime = time.flatMap(Timestamps.date)
        policy.retainSignedContent = false
        policy.expectedReferenceURIs = [""]
        do {
            let report = try SignatureVerifier(trustStore: checkpointTrust, policy: policy, intermediates: intermediates).verify(
                bytes, sourceName: item)
            guard report.status == .valid else {
                return "its signature is \(report.status.rawValue): " + report.problems.map(\.message).joined(separator: "; ")
            }
            if let pinned, report.signer?.sha256Fingerprint != pinned {
                return
                    "it is signed by \(report.signer?.commonName ?? "someone") (\(report.signer?.sha256Fingerprint ?? "?")), not by the gateway's certificate \(pinned)"
            }
            return nil
        } catch {
            return "its signature cannot be checked: \(error)"
        }
    }
}

/// A thread-safe counter for progress reports.
final class ProgressCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}
