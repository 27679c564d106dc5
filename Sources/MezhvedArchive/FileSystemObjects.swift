import Foundation
import MezhvedCore

// The filesystem store's objects and checkpoints, each behind its own small protocol.

/// The objects of a filesystem archive: `objects/ab/ab12…`, written on their own serial queue.
struct FileSystemObjectStore: ArchiveObjectStore {
    let layout: ArchiveLayout
    let durability: ObjectDurability
    private let io = BlockingIOQueue(label: "mezhved.archive.objects")

    init(layout: ArchiveLayout, durability: ObjectDurability) {
        self.layout = layout
        self.durability = durability
    }

    func put(_ bytes: [UInt8]) async throws -> String {
        let digest = ArchiveCrypto.sha256Hex(bytes)
        try await io.run { [layout, durability] in
            let target = layout.object(digest)
            // An existing object is kept only when it holds these bytes: a crash may have left a
            // torn one that nothing refers to.
            if let existing = try? DurableFiles.read(target), existing == bytes { return }
            try DurableFiles.makeDirectory((target as NSString).deletingLastPathComponent)
            if durability == .eachObject {
                try DurableFiles.writeAtomically(bytes, to: target)
            } else {
                try DurableFiles.writeUnsynced(bytes, to: target)
            }
        }
        return digest
    }

    func get(_ digest: String) async throws -> [UInt8] {
        try await io.run { [layout] in
            guard digest.count == 64, digest.allSatisfy({ $0.isHexDigit }), let bytes = try DurableFiles.read(layout.object(digest)) else {
                throw ArchiveError(.integrityBroken, "the archived object \(digest) is missing", hint: "run `mezhved archive audit`")
            }
            return bytes
        }
    }

    func list() async throws -> [String] {
        try await io.run { [layout] in
            DurableFiles.list(layout.objects).sorted().flatMap { fan in
                DurableFiles.list(layout.objects + "/" + fan).filter { FileSystemAuditSource.isDigest($0) && $0.hasPrefix(fan) }.sorted()
            }
        }
    }
}

/// The checkpoints of a filesystem archive: `log/checkpoints/000000000100.xml`, written under the
/// log's lock so that two processes never fork the checkpoint chain.
struct FileSystemCheckpointStore: CheckpointStore {
    let log: FileSystemLog
    let witness: String?

    func all() async throws -> [StoredCheckpoint] {
        try await log.io.run { [log] in try Self.stored(log.layout) }
    }

    func latest() async throws -> StoredCheckpoint? {
        try await log.io.run { [log] () throws -> StoredCheckpoint? in
            let layout = log.layout
            let names = DurableFiles.list(layout.checkpoints).filter { $0.hasSuffix(".xml") && !$0.hasPrefix(".") }.sorted()
            guard let name = names.last, let bytes = try DurableFiles.read(layout.checkpoints + "/" + name) else { return nil }
            return StoredCheckpoint(name: name, bytes: bytes, checkpoint: try Checkpoint.read(bytes, sourceName: "log/checkpoints/\(name)"))
        }
    }

    static func stored(_ layout: ArchiveLayout) throws -> [StoredCheckpoint] {
        try DurableFiles.list(layout.checkpoints).filter { $0.hasSuffix(".xml") && !$0.hasPrefix(".") }.sorted().compactMap { name in
            guard let bytes = try DurableFiles.read(layout.checkpoints + "/" + name) else { return nil }
            return StoredCheckpoint(name: name, bytes: bytes, checkpoint: try Checkpoint.read(bytes, sourceName: "log/checkpoints/\(name)"))
        }
    }

    func write(sign: @escaping @Sendable (Checkpoint) throws -> [UInt8]) async throws -> StoredCheckpoint {
        try await log.io.run { [log, witness] in
            try log.readNow { current in
                let layout = log.layout
                let names = DurableFiles.list(layout.checkpoints).filter { $0.hasSuffix(".xml") && !$0.hasPrefix(".") }.sorted()
                var previous = EventLine.genesis
                if let last = names.last, let bytes = try DurableFiles.read(layout.checkpoints + "/" + last) {
                    previous = ArchiveCrypto.sha256Hex(bytes)
                    let existing = try Checkpoint.read(bytes, sourceName: last)
                    if existing.seq == current.journal.lastSeq { return StoredCheckpoint(name: last, bytes: bytes, checkpoint: existing) }
                }
                let checkpoint = Checkpoint(
                    seq: current.journal.lastSeq, head: current.journal.lastHash, count: current.journal.lastSeq,
                    time: ISOTime.string(Date(), milliseconds: true), previous: previous, agency: log.configuration.agency)
                let signed = try sign(checkpoint)
                let name = ArchiveLayout.checkpointName(checkpoint.seq)
                try DurableFiles.writeAtomically(signed, to: layout.checkpoints + "/" + name)
                if let witness {
                    try DurableFiles.makeDirectory(witness)
                    try DurableFiles.writeAtomically(signed, to: witness + "/" + name)
                }
                return StoredCheckpoint(name: name, bytes: signed, checkpoint: checkpoint)
            }
        }
    }
}
