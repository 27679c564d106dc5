import Foundation
import MezhvedXMLDSig

#if canImport(Glibc)
    import Glibc
#endif

/// The embedded archive store: a folder (0700) with `archive.json`, content-addressed immutable
/// objects under `objects/`, the append-only hash-chained event log `log/events.log`, signed
/// checkpoints under `log/checkpoints/`, and a lock file. Safe for several threads and several
/// processes sharing the folder: every change happens under an exclusive `flock` plus an
/// in-process lock, after catching up with what other processes appended, and is fsynced before
/// it returns. The journal is derived from the log by replay.
public final class FileSystemArchive: ArchiveStore, @unchecked Sendable {
    public let configuration: ArchiveConfiguration
    /// The archive folder.
    public let path: String
    let layout: ArchiveLayout
    private let lock: ArchiveLock
    private let logFD: Int32
    private let dataKey: ArchiveDataKey?
    private let checkpointSigner: XMLSigner?
    private let witness: String?
    // Guarded by `lock`.
    private var state = Journal()
    private var offset = 0

    /// Opens the archive at `path`. `dataKey` is needed to register documents (their personal data
    /// is encrypted with it); `checkpointSigner` (the gateway's key) to write signed checkpoints;
    /// `witness` is a folder outside the archive that receives a copy of every checkpoint.
    public init(path: String, dataKey: ArchiveDataKey? = nil, checkpointSigner: XMLSigner? = nil, witness: String? = nil) throws {
        let layout = ArchiveLayout(root: path)
        guard let configurationBytes = try DurableFiles.read(layout.configuration) else {
            throw ArchiveError(
                .archiveUnusable, "\(path) is not a mezhved archive (no archive.json)",
                hint: "create one with `mezhved archive init`, or check --archive / MEZHVED_ARCHIVE")
        }
        let configuration: ArchiveConfiguration
        do {
            configuration = try JSONDecoder().decode(ArchiveConfiguration.self, from: Data(configurationBytes))
        } catch let error as ArchiveError {
            throw error
        } catch {
            throw ArchiveError(.configurationInvalid, "\(layout.configuration) cannot be read: \(error)", hint: "restore it from a backup")
        }
        guard configuration.format == ArchiveConfiguration.currentFormat else {
            throw ArchiveError(
                .configurationInvalid,
                "\(layout.configuration) has format \(configuration.format), not \(ArchiveConfiguration.currentFormat)")
        }
        if let dataKey, dataKey.keyID != configuration.dataKeyID {
            throw ArchiveError(
                .dataKeyUnusable, "the personal-data key given (\(dataKey.keyID)) is not this archive's key (\(configuration.dataKeyID))",
                hint: "give the key file the archive was created with")
        }
        self.configuration = configuration
        self.path = path
        self.layout = layout
        self.dataKey = dataKey
        self.checkpointSigner = checkpointSigner
        self.witness = witness
        self.lock = try ArchiveLock(path: layout.lock)
        let fd = open(layout.events, O_RDWR | O_APPEND)
        guard fd >= 0 else {
            throw ArchiveError(
                .archiveUnusable, "cannot open \(layout.events): \(DurableFiles.errnoText())", hint: "check the archive folder")
        }
        self.logFD = fd
        try lock.withLock { try catchUp() }
    }

    deinit { close(logFD) }

    /// Creates a new archive at `path` (a missing or empty folder) with its first event.
    @discardableResult
    public static func create(at path: String, configuration: ArchiveConfiguration) throws -> FileSystemArchive {
        if FileManager.default.fileExists(atPath: path) && !DurableFiles.list(path).isEmpty {
            throw ArchiveError(.archiveUnusable, "\(path) already exists and is not empty", hint: "give a new folder for the archive")
        }
        let layout = ArchiveLayout(root: path)
        try DurableFiles.makeDirectory(path)
        chmod(path, 0o700)
        for folder in [layout.objects, layout.log, layout.checkpoints] { try DurableFiles.makeDirectory(folder) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let configurationBytes = Array(try encoder.encode(configuration)) + [10]
        try DurableFiles.writeAtomically(configurationBytes, to: layout.configuration)
        var payload = EventPayload()
        payload.agency = configuration.agency
        payload.configurationDigest = ArchiveCrypto.sha256Hex(configurationBytes)
        payload.reason = "archive created"
        let (line, _) = try EventLine.make(seq: 1, time: Date(), type: .created, prev: EventLine.genesis, payload: payload)
        try DurableFiles.writeAtomically(line, to: layout.events)
        return try FileSystemArchive(path: path)
    }

    // MARK: - The log

    /// Reads what other processes appended since we last looked. Call under the lock.
    private func catchUp() throws {
        let size = try DurableFiles.forEachLine(logFD, path: layout.events, from: offset) { line, end, complete in
            guard complete else {
                throw ArchiveError(
                    .recoveryNeeded,
                    "\(layout.events) ends in an incomplete entry after entry \(state.lastSeq) (\(line.count) bytes without a line end: an interrupted write)",
                    hint: "run `mezhved archive recover` to report and remove it")
            }
            switch EventLine.parse(line) {
            case .failure(let failure):
                var info = stat()
                let atTail = fstat(logFD, &info) == 0 && Int(info.st_size) == end
                throw ArchiveError(
                    atTail ? .recoveryNeeded : .integrityBroken,
                    "\(layout.events): the entry after entry \(state.lastSeq) is damaged (\(failure == .notJSON ? "not a log entry" : "its hash does not match"))",
                    hint: atTail ? "run `mezhved archive recover` to report and remove the torn entry" : "run `mezhved archive audit`")
            case .success(let event):
                guard event.seq == state.lastSeq + 1, event.prev == state.lastHash else {
                    throw ArchiveError(
                        .integrityBroken, "\(layout.events): entry \(event.seq) does not follow entry \(state.lastSeq) (chain broken)",
                        hint: "run `mezhved archive audit`")
                }
                state.apply(event)
                offset = end
            }
        }
        if size < offset {
            throw ArchiveError(
                .integrityBroken, "\(layout.events) shrank from \(offset) to \(size) bytes while in use",
                hint: "run `mezhved archive audit`")
        }
    }

    /// Appends one event and fsyncs it. Call under the lock, after `catchUp`.
    @discardableResult
    private func append(_ type: EventType, _ payload: EventPayload, time: Date = Date()) throws -> ArchiveEvent {
        let (line, event) = try EventLine.make(seq: state.lastSeq + 1, time: time, type: type, prev: state.lastHash, payload: payload)
        guard DurableFiles.writeAll(logFD, line), fsync(logFD) == 0 else {
            let reason = DurableFiles.errnoText()
            _ = ftruncate(logFD, off_t(offset))
            throw ArchiveError(.archiveUnusable, "cannot append to \(layout.events): \(reason)", hint: "check free space and permissions")
        }
        offset += line.count
        state.apply(event)
        if checkpointSigner != nil, configuration.checkpointInterval > 0, event.seq % configuration.checkpointInterval == 0 {
            _ = try writeCheckpoint()
        }
        return event
    }

    // MARK: - Objects

    /// Stores `bytes` under their SHA-256 (immutable: an existing object is left as it is).
    /// Returns whether the object was new.
    private func writeObject(_ bytes: [UInt8], digest: String) throws -> Bool {
        let target = layout.object(digest)
        if access(target, F_OK) == 0 { return false }
        let folder = (target as NSString).deletingLastPathComponent
        try DurableFiles.makeDirectory(folder)
        try DurableFiles.writeAtomically(bytes, to: target)
        return true
    }

    public func storedObject(_ digest: String) throws -> [UInt8] {
        guard digest.count == 64, digest.allSatisfy({ $0.isHexDigit }), let bytes = try DurableFiles.read(layout.object(digest)) else {
            throw ArchiveError(.integrityBroken, "the archived object \(digest) is missing", hint: "run `mezhved archive audit`")
        }
        return bytes
    }

    // MARK: - Operations

    public func journal() throws -> Journal {
        try lock.withLock {
            try catchUp()
            return state
        }
    }

    private func number(for direction: Direction, at time: Date) -> EventPayload {
        let year = Timestamps.year(time)
        let sequence = state.nextSequence(year: year, direction: direction)
        var payload = EventPayload()
        payload.number = configuration.format(for: direction).format(sequence: sequence, year: year, agency: configuration.agency)
        payload.year = year
        payload.direction = direction
        payload.sequence = sequence
        return payload
    }

    public func reserve(direction: Direction, note: String? = nil) throws -> JournalEntry {
        try lock.withLock {
            try catchUp()
            let now = Date()
            var payload = number(for: direction, at: now)
            payload.reason = note
            let event = try append(.reserved, payload, time: now)
            return state.entries(number: event.payload.number!, year: event.payload.year!)[0]
        }
    }

    public func register(_ submission: Submission) throws -> JournalEntry {
        guard let dataKey else {
            throw ArchiveError(
                .dataKeyUnusable, "registering \(submission.sourceName) needs the personal-data key",
                hint: "give --data-key FILE or set MEZHVED_ARCHIVE_DATA_KEY_FILE")
        }
        let facts = try DocumentFacts.read(submission.document, sourceName: submission.sourceName)
        guard facts.isSigned else {
            throw ArchiveError(
                .documentRefused, "\(submission.sourceName) is not signed", hint: "the archive keeps signed documents: sign it first")
        }
        let (stored, encrypted) = try PersonalDataProtection.protect(submission.document, key: dataKey, sourceName: submission.sourceName)
        // Personal data written in a way the byte-exact encryption does not see (a prefix, a second
        // element) is refused rather than stored in clear.
        guard facts.personalDataElements == (encrypted ? 1 : 0) else {
            throw ArchiveError(
                .documentRefused,
                "\(submission.sourceName) holds \(facts.personalDataElements) PersonalData element(s) that cannot be delimited exactly for encryption",
                hint: "archive documents whose personal data is one unprefixed PersonalData element, as mezhved writes them")
        }
        if encrypted {
            // Never store what cannot be put back byte for byte.
            let back = try PersonalDataProtection.reveal(stored, key: dataKey, sourceName: submission.sourceName)
            guard back == submission.document else {
                throw ArchiveError(.internalFailure, "\(submission.sourceName): the encrypted form does not give back the original")
            }
        }
        let documentDigest = ArchiveCrypto.sha256Hex(submission.document)
        let objectDigest = ArchiveCrypto.sha256Hex(stored)
        let refuseDuplicate = { [self] in
            if let existing = state.entry(documentDigest: documentDigest) {
                throw ArchiveError(
                    .documentRefused, "\(submission.sourceName) is already registered as \(existing.number) (\(existing.year))",
                    hint: "a document is registered once; see `mezhved archive show \(existing.number)`")
            }
        }
        try lock.withLock {
            try catchUp()
            try refuseDuplicate()
        }
        // The object is durable before the log line that refers to it.
        let created = try writeObject(stored, digest: objectDigest)
        do {
            return try appendRegistration()
        } catch {
            // Nothing refers to the object: take it back rather than leave an unregistered document.
            if created { unlink(layout.object(objectDigest)) }
            throw error
        }
        func appendRegistration() throws -> JournalEntry {
            try lock.withLock {
                try catchUp()
                try refuseDuplicate()
                let now = Date()
                var payload: EventPayload
                if let reserved = submission.reservedNumber {
                    let candidates = state.entries(number: reserved).filter { $0.recordedStatus == .reserved }
                    guard let entry = candidates.last else {
                        let known = state.entries(number: reserved).last
                        throw ArchiveError(
                            .numberUnusable,
                            known.map { "the number \(reserved) is \($0.recordedStatus.rawValue), not reserved" }
                                ?? "the number \(reserved) was never reserved",
                            hint: "reserve a number with `mezhved archive reserve`, or register without --number")
                    }
                    guard entry.direction == submission.direction else {
                        throw ArchiveError(.numberUnusable, "the number \(reserved) was reserved for \(entry.direction.rawValue) documents")
                    }
                    payload = EventPayload()
                    payload.number = entry.number
                    payload.year = entry.year
                    payload.direction = entry.direction
                    payload.sequence = entry.sequence
                } else {
                    payload = number(for: submission.direction, at: now)
                }
                payload.kind = facts.kind.rawValue
                payload.counterpart = submission.direction == .outgoing ? facts.recipient : facts.sender
                payload.documentNumber = facts.number
                payload.documentDate = facts.date
                payload.inReplyTo = facts.inReplyTo
                payload.deadline = facts.deadline
                payload.documentDigest = documentDigest
                payload.object = objectDigest
                payload.encryptedWith = encrypted ? dataKey.keyID : nil
                payload.signingTime = Timestamps.string(submission.signingTime)
                payload.signatureStatus = submission.signatureStatus
                let event = try append(.registered, payload, time: now)
                return state.entries(number: event.payload.number!, year: event.payload.year!)[0]
            }
        }
    }

    private func entry(_ number: String, year: Int?) throws -> JournalEntry {
        let found = state.entries(number: number, year: year)
        guard let entry = found.last else {
            throw ArchiveError(
                .numberUnusable, "the number \(number) is not in the journal", hint: "list numbers with `mezhved archive list`")
        }
        guard found.count == 1 else {
            let years = found.map { String($0.year) }.joined(separator: ", ")
            throw ArchiveError(.numberUnusable, "the number \(number) exists in several years (\(years))", hint: "give --year")
        }
        return entry
    }

    public func void(number: String, year: Int? = nil, reason: String) throws -> JournalEntry {
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ArchiveError(.numberUnusable, "voiding \(number) needs a reason", hint: "give --reason")
        }
        return try lock.withLock {
            try catchUp()
            let current = try entry(number, year: year)
            guard current.recordedStatus == .reserved else {
                throw ArchiveError(
                    .numberUnusable,
                    "the number \(number) is \(current.recordedStatus.rawValue); only a reserved, unused number can be voided",
                    hint: "a registered document stays in the journal")
            }
            var payload = EventPayload()
            payload.number = current.number
            payload.year = current.year
            payload.direction = current.direction
            payload.sequence = current.sequence
            payload.reason = reason
            try append(.voided, payload)
            return state.entries(number: current.number, year: current.year)[0]
        }
    }

    public func record(_ status: EventType, number: String, year: Int? = nil, note: String? = nil) throws -> JournalEntry {
        guard status == .sent || status == .delivered || status == .answered else {
            throw ArchiveError(.numberUnusable, "\(status.rawValue) is not a status to record", hint: "give sent, delivered or answered")
        }
        return try lock.withLock {
            try catchUp()
            let current = try entry(number, year: year)
            guard current.recordedStatus != .reserved, current.recordedStatus != .voided else {
                throw ArchiveError(
                    .numberUnusable, "the number \(number) is \(current.recordedStatus.rawValue): no document is registered under it")
            }
            var payload = EventPayload()
            payload.number = current.number
            payload.year = current.year
            payload.direction = current.direction
            payload.reason = note
            try append(status, payload)
            return state.entries(number: current.number, year: current.year)[0]
        }
    }

    public func history(of entry: JournalEntry) throws -> [ArchiveEvent] {
        let wanted = Set(entry.history)
        return try ArchiveLogReader.read(layout.events).events.filter { wanted.contains($0.seq) }
    }

    // MARK: - Checkpoints

    public func checkpoint() throws -> Checkpoint {
        try lock.withLock {
            try catchUp()
            return try writeCheckpoint()
        }
    }

    /// Signs and writes a checkpoint of the current head (under the lock).
    private func writeCheckpoint() throws -> Checkpoint {
        guard let signer = checkpointSigner else {
            throw ArchiveError(
                .configurationInvalid, "writing a checkpoint needs the gateway's signing key",
                hint: "give --gateway-key, or set gatewayKeyFile in archive.json")
        }
        let names = DurableFiles.list(layout.checkpoints).filter { $0.hasSuffix(".xml") && !$0.hasPrefix(".") }.sorted()
        var previous = EventLine.genesis
        if let last = names.last, let bytes = try DurableFiles.read(layout.checkpoints + "/" + last) {
            previous = ArchiveCrypto.sha256Hex(bytes)
            let existing = try Checkpoint.read(bytes, sourceName: last)
            if existing.seq == state.lastSeq { return existing }
        }
        let checkpoint = Checkpoint(
            seq: state.lastSeq, head: state.lastHash, count: state.lastSeq, time: Timestamps.string(Date()), previous: previous,
            agency: configuration.agency)
        let signed = try signer.sign(checkpoint.unsignedXML(), sourceName: "checkpoint \(checkpoint.seq)")
        let name = ArchiveLayout.checkpointName(checkpoint.seq)
        try DurableFiles.writeAtomically(signed, to: layout.checkpoints + "/" + name)
        if let witness {
            try DurableFiles.makeDirectory(witness)
            try DurableFiles.writeAtomically(signed, to: witness + "/" + name)
        }
        return checkpoint
    }

    // MARK: - Recovery

    /// What `recover` did.
    public struct RecoveryReport: Sendable, Codable, Equatable {
        /// Bytes removed from the log's tail (an interrupted append), and how many lines they held.
        public var tornBytes: Int
        public var tornDescription: String?
        /// Temporary files of interrupted writes that were removed.
        public var removedTemporaryFiles: [String]
        /// Objects no registration refers to (written before a crash cut off their log entry), moved to
        /// `quarantine/`: never deleted, so that a registration removed from the log by someone leaves its evidence.
        public var quarantinedObjects: [String]
        /// Whether anything had to be done.
        public var changed: Bool { tornBytes > 0 || !removedTemporaryFiles.isEmpty || !quarantinedObjects.isEmpty }
    }

    /// Finishes or rolls back what a crash left: removes a torn entry at the log's tail (never one
    /// in the middle: that is tampering, for the audit), temporary files and objects without a
    /// registration, and records what it did as a `recovered` event. Run it while no other process
    /// writes to the archive.
    public static func recover(at path: String) throws -> RecoveryReport {
        let layout = ArchiveLayout(root: path)
        guard FileManager.default.fileExists(atPath: layout.configuration) else {
            throw ArchiveError(
                .archiveUnusable, "\(path) is not a mezhved archive (no archive.json)", hint: "check --archive / MEZHVED_ARCHIVE")
        }
        let lock = try ArchiveLock(path: layout.lock)
        var report = RecoveryReport(tornBytes: 0, tornDescription: nil, removedTemporaryFiles: [], quarantinedObjects: [])
        try lock.withLock {
            let read = try ArchiveLogReader.read(layout.events)
            if let damage = read.damage.first {
                guard damage.atTail else {
                    throw ArchiveError(
                        .integrityBroken,
                        "\(layout.events) is damaged before its end (\(damage.message)); recovery only removes a torn tail",
                        hint: "run `mezhved archive audit`: this is not a crash")
                }
                let fd = open(layout.events, O_RDWR)
                guard fd >= 0 else { throw ArchiveError(.archiveUnusable, "cannot open \(layout.events): \(DurableFiles.errnoText())") }
                defer { close(fd) }
                report.tornBytes = read.size - read.validBytes
                report.tornDescription = damage.message
                guard ftruncate(fd, off_t(read.validBytes)) == 0, fsync(fd) == 0 else {
                    throw ArchiveError(.archiveUnusable, "cannot truncate \(layout.events): \(DurableFiles.errnoText())")
                }
            }
            var referenced = Set<String>()
            var journal = Journal()
            _ = try ArchiveLogReader.read(layout.events, keepEvents: false) { journal.apply($0) }
            for entry in journal.entries { if let object = entry.object { referenced.insert(object) } }
            for folder in [layout.root, layout.log, layout.checkpoints, layout.objects] {
                for name in DurableFiles.list(folder) where name.hasPrefix(".") && name.hasSuffix(".tmp") {
                    unlink(folder + "/" + name)
                    report.removedTemporaryFiles.append(folder + "/" + name)
                }
            }
            for fan in DurableFiles.list(layout.objects) {
                let folder = layout.objects + "/" + fan
                for name in DurableFiles.list(folder) {
                    if name.hasPrefix(".") && name.hasSuffix(".tmp") {
                        unlink(folder + "/" + name)
                        report.removedTemporaryFiles.append(folder + "/" + name)
                    } else if !referenced.contains(name) {
                        try DurableFiles.makeDirectory(layout.quarantine)
                        guard rename(folder + "/" + name, layout.quarantine + "/" + name) == 0 else {
                            throw ArchiveError(.archiveUnusable, "cannot move \(name) to \(layout.quarantine): \(DurableFiles.errnoText())")
                        }
                        DurableFiles.syncDirectory(layout.quarantine)
                        report.quarantinedObjects.append(name)
                    }
                }
                DurableFiles.syncDirectory(folder)
            }
        }
        if report.changed {
            let archive = try FileSystemArchive(path: path)
            try archive.noteRecovery(report)
        }
        return report
    }

    private func noteRecovery(_ report: RecoveryReport) throws {
        try lock.withLock {
            try catchUp()
            var payload = EventPayload()
            var parts: [String] = []
            if report.tornBytes > 0 {
                parts.append("removed a torn log tail of \(report.tornBytes) bytes (\(report.tornDescription ?? ""))")
            }
            if !report.removedTemporaryFiles.isEmpty { parts.append("removed \(report.removedTemporaryFiles.count) temporary files") }
            if !report.quarantinedObjects.isEmpty {
                parts.append(
                    "moved \(report.quarantinedObjects.count) unregistered objects to quarantine/: \(report.quarantinedObjects.joined(separator: ", "))"
                )
            }
            payload.reason = parts.joined(separator: "; ")
            try append(.recovered, payload)
        }
    }
}

/// Reads the whole event log, checking each line's hash and the chain, without stopping at damage.
enum ArchiveLogReader {
    struct Damage: Sendable {
        /// 1-based line number.
        let line: Int
        let message: String
        /// Whether this is the last line (a torn write) rather than damage in the middle.
        let atTail: Bool
    }

    struct Result {
        var events: [ArchiveEvent] = []
        var damage: [Damage] = []
        /// Bytes up to the end of the last line that is good and correctly chained from the start.
        var validBytes = 0
        var size = 0
        /// The file's size when reading started (to tell the last line).
        var sizeHint = 0
        /// Events read, and the last one's seq.
        var count = 0
        var lastSeq = 0
    }

    /// Reads the log, calling `each` with every event that parses (damaged or not chained too);
    /// keeps the events in the result only when `keepEvents`.
    static func read(_ path: String, keepEvents: Bool = true, each: (ArchiveEvent) -> Void = { _ in }) throws -> Result {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw ArchiveError(
                .integrityBroken, "the event log \(path) cannot be opened: \(DurableFiles.errnoText())", hint: "run `mezhved archive audit`"
            )
        }
        defer { close(fd) }
        var result = Result()
        var lineNumber = 0
        var expectedSeq = 1
        var expectedPrev = EventLine.genesis
        var chainIntact = true
        var info = stat()
        if fstat(fd, &info) == 0 { result.sizeHint = Int(info.st_size) }
        let size = try DurableFiles.forEachLine(fd, path: path, from: 0) { line, end, complete in
            lineNumber += 1
            guard complete else {
                result.damage.append(
                    Damage(
                        line: lineNumber, message: "line \(lineNumber) is incomplete (\(line.count) bytes without a line end)", atTail: true
                    ))
                return
            }
            let isLast = end >= result.sizeHint
            switch EventLine.parse(line) {
            case .failure(let failure):
                let what = failure == .notJSON ? "is not a log entry" : "has been altered (its hash does not match its content)"
                result.damage.append(Damage(line: lineNumber, message: "line \(lineNumber) \(what)", atTail: isLast))
                chainIntact = false
            case .success(let event):
                if event.seq != expectedSeq {
                    let what = event.seq < expectedSeq ? "out of order or repeated" : "entries \(expectedSeq)…\(event.seq - 1) are missing"
                    result.damage.append(
                        Damage(
                            line: lineNumber,
                            message: "line \(lineNumber) holds entry \(event.seq) where \(expectedSeq) was expected (\(what))",
                            atTail: false))
                    chainIntact = false
                } else if event.prev != expectedPrev {
                    result.damage.append(
                        Damage(
                            line: lineNumber,
                            message:
                                "entry \(event.seq) does not chain to the entry before it (its prev is not that entry's hash: an entry before it was altered, removed or replaced)",
                            atTail: false))
                    chainIntact = false
                }
                if keepEvents { result.events.append(event) }
                each(event)
                result.count += 1
                result.lastSeq = event.seq
                expectedSeq = event.seq + 1
                expectedPrev = event.hash
                if chainIntact { result.validBytes = end }
            }
        }
        result.size = size
        return result
    }
}
