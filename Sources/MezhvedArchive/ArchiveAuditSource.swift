import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What an audit reads from a store, without trusting the store: the configuration and the log as
/// stored (damage reported, not thrown), the checkpoints, the objects, and what the store can tell
/// of its own medium. The filesystem store's is ``FileSystemAuditSource``; a SQL store reads rows.
public protocol ArchiveAuditSource: Sendable {
    /// How the report names the archive.
    var name: String { get }
    /// The stored objects (``ArchiveObjectStore/list()`` gives only well-named ones).
    var objects: any ArchiveObjectStore { get }
    /// The configuration document exactly as stored (its digest is checked against the log).
    func configurationBytes() async throws -> [UInt8]
    /// Every event of the log as stored, each line's own hash, the seq order and the prev chain
    /// checked without stopping at damage; what parses is replayed (``Journal/apply(_:)``).
    func auditLog() async throws -> LogAudit
    /// Every checkpoint document as stored, oldest first (unreadable ones included).
    func checkpointDocuments() async throws -> [CheckpointDocument]
    /// What the store finds about its own medium: stray and temporary files (integrity),
    /// permissions wider than it allows (policy), and things worth a note.
    func mediumAudit() async throws -> MediumAudit
}

/// A log read for an audit.
public struct LogAudit: Sendable {
    /// The journal replayed from every event that parsed.
    public let journal: Journal
    /// Each damaged, missing, repeated or unchained line, named.
    public let damage: [AuditFinding]
    /// The hash of each entry by seq (the first seen), to check checkpoint heads against.
    public let hashes: [Int: String]
    /// Events read, and the last one's seq.
    public let count: Int
    public let lastSeq: Int

    package init(journal: Journal, damage: [AuditFinding], hashes: [Int: String], count: Int, lastSeq: Int) {
        self.journal = journal
        self.damage = damage
        self.hashes = hashes
        self.count = count
        self.lastSeq = lastSeq
    }
}

/// A checkpoint document as stored.
public struct CheckpointDocument: Sendable {
    public let name: String
    public let bytes: [UInt8]

    package init(name: String, bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
    }
}

/// What a store finds about its medium.
public struct MediumAudit: Sendable {
    public var integrity: [AuditFinding] = []
    public var policy: [AuditFinding] = []
    public var notes: [String] = []

    package init() {}
}

/// The audit source of a filesystem archive: reads the folder directly (it does not replay the log
/// at opening, so a damaged log is reported rather than refused), on its own serial queue.
public struct FileSystemAuditSource: ArchiveAuditSource {
    public let path: String
    public let objects: any ArchiveObjectStore
    let layout: ArchiveLayout
    private let io = BlockingIOQueue(label: "mezhved.archive.audit")

    /// The archive at `path` (it must have an archive.json).
    public init(path: String) throws {
        self.path = path
        self.layout = ArchiveLayout(root: path)
        self.objects = FileSystemObjectStore(layout: layout, durability: .eachObject)
        guard FileManager.default.fileExists(atPath: layout.configuration) else {
            throw ArchiveError(
                .archiveUnusable, "\(path) is not a mezhved archive (no archive.json)", hint: "check the archive folder given")
        }
    }

    public var name: String { path }

    public func configurationBytes() async throws -> [UInt8] {
        try await io.run { [layout] in
            guard let bytes = try DurableFiles.read(layout.configuration) else {
                throw ArchiveError(.archiveUnusable, "\(layout.root) is not a mezhved archive (no archive.json)")
            }
            return bytes
        }
    }

    public func auditLog() async throws -> LogAudit {
        try await io.run { [layout] in
            var journal = Journal()
            var hashes: [Int: String] = [:]
            let log = try ArchiveLogReader.read(layout.events, keepEvents: false) { event in
                journal.apply(event)
                if hashes[event.seq] == nil { hashes[event.seq] = event.hash }
            }
            let damage = log.damage.map { AuditFinding(.logDamaged, item: "log/events.log line \($0.line)", $0.message) }
            return LogAudit(journal: journal, damage: damage, hashes: hashes, count: log.count, lastSeq: log.lastSeq)
        }
    }

    public func checkpointDocuments() async throws -> [CheckpointDocument] {
        try await io.run { [layout] in
            try DurableFiles.list(layout.checkpoints).filter { Self.isCheckpointName($0) }.sorted().compactMap { name in
                try DurableFiles.read(layout.checkpoints + "/" + name).map { CheckpointDocument(name: name, bytes: $0) }
            }
        }
    }

    static func isCheckpointName(_ name: String) -> Bool {
        name.utf8.count == 16 && name.hasSuffix(".xml") && name.prefix(12).allSatisfy { $0.isASCII && $0.isNumber }
    }

    static func isDigest(_ name: String) -> Bool {
        name.utf8.count == 64 && name.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    public func mediumAudit() async throws -> MediumAudit {
        try await io.run { [layout] in
            var audit = MediumAudit()
            func relative(_ path: String) -> String { path == layout.root ? "." : String(path.dropFirst(layout.root.count + 1)) }
            func stray(_ path: String, _ what: String) {
                if (path as NSString).lastPathComponent.hasPrefix(".") && path.hasSuffix(".tmp") {
                    audit.integrity.append(
                        AuditFinding(
                            .temporaryFile, item: relative(path), "a temporary file of an interrupted write; run `mezhved archive recover`")
                    )
                } else {
                    audit.integrity.append(AuditFinding(.strayFile, item: relative(path), "\(what): not part of the archive"))
                }
            }
            func checkMode(_ path: String, folder: Bool) {
                var info = stat()
                guard lstat(path, &info) == 0 else { return }
                let mode = info.st_mode & 0o777
                let wanted: mode_t = folder ? 0o700 : 0o600
                if mode & ~wanted != 0 {
                    audit.policy.append(
                        AuditFinding(
                            .permissions, item: relative(path),
                            "mode \(String(mode, radix: 8)) is wider than \(String(wanted, radix: 8)): others may read the archive"))
                }
            }
            func isFolder(_ path: String) -> Bool {
                var info = stat()
                return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
            }
            checkMode(layout.root, folder: true)
            for name in DurableFiles.list(layout.root).sorted() {
                let path = layout.root + "/" + name
                switch name {
                case "archive.json", "lock": checkMode(path, folder: false)
                case "objects", "log", "quarantine": checkMode(path, folder: true)
                default: stray(path, "an unknown entry in the archive folder")
                }
            }
            for name in DurableFiles.list(layout.log).sorted() {
                let path = layout.log + "/" + name
                switch name {
                case "events.log": checkMode(path, folder: false)
                case "checkpoints": checkMode(path, folder: true)
                default: stray(path, "an unknown entry in log/")
                }
            }
            for name in DurableFiles.list(layout.checkpoints).sorted() {
                let path = layout.checkpoints + "/" + name
                if Self.isCheckpointName(name) { checkMode(path, folder: false) } else { stray(path, "not a checkpoint name") }
            }
            for fan in DurableFiles.list(layout.objects).sorted() {
                let folder = layout.objects + "/" + fan
                guard fan.utf8.count == 2, isFolder(folder), Self.isDigest(fan + String(repeating: "0", count: 62)) else {
                    stray(folder, "not an object fan-out folder")
                    continue
                }
                checkMode(folder, folder: true)
                for name in DurableFiles.list(folder).sorted() {
                    let path = folder + "/" + name
                    if Self.isDigest(name) && name.hasPrefix(fan) {
                        checkMode(path, folder: false)
                    } else {
                        stray(path, "not an object name")
                    }
                }
            }
            for name in DurableFiles.list(layout.quarantine).sorted() {
                checkMode(layout.quarantine + "/" + name, folder: false)
                audit.notes.append(
                    "quarantine/\(name) was set aside by `mezhved archive recover`: no registration refers to it (an interrupted registration, or one removed from the log: compare with the checkpoints and the witness)"
                )
            }
            return audit
        }
    }
}
