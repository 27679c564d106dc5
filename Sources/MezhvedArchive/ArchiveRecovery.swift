import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Recovery after a crash: what `mezhved archive recover` does to a filesystem archive.
extension FileSystemStorage {
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

        /// What was done, for the `recovered` event.
        var summary: String {
            var parts: [String] = []
            if tornBytes > 0 { parts.append("removed a torn log tail of \(tornBytes) bytes (\(tornDescription ?? ""))") }
            if !removedTemporaryFiles.isEmpty { parts.append("removed \(removedTemporaryFiles.count) temporary files") }
            if !quarantinedObjects.isEmpty {
                parts.append(
                    "moved \(quarantinedObjects.count) unregistered objects to quarantine/: \(quarantinedObjects.joined(separator: ", "))")
            }
            return parts.joined(separator: "; ")
        }
    }

    /// Finishes or rolls back what a crash left: removes a torn entry at the log's tail (never one
    /// in the middle: that is tampering, for the audit), temporary files and objects without a
    /// registration, and records what it did as a `recovered` event. Run it while no other process
    /// writes to the archive.
    ///
    /// With `settledFor`, temporary files and unregistered objects younger than that many seconds
    /// are left alone: another process may be writing them now (a server recovering at start while
    /// a command registers), and a registration never takes that long between its object and its line.
    public static func recover(at path: String, settledFor: TimeInterval = 0) async throws -> RecoveryReport {
        try await BlockingIOQueue(label: "mezhved.archive.recover").run { try recoverNow(at: path, settledFor: settledFor) }
    }

    /// Whether the file at `path` was last modified at least `seconds` ago.
    private static func settled(_ path: String, _ seconds: TimeInterval) -> Bool {
        guard seconds > 0 else { return true }
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return Date().timeIntervalSince1970 - Double(info.st_mtim.tv_sec) >= seconds
    }

    private static func recoverNow(at path: String, settledFor: TimeInterval) throws -> RecoveryReport {
        let layout = ArchiveLayout(root: path)
        guard FileManager.default.fileExists(atPath: layout.configuration) else {
            throw ArchiveError(
                .archiveUnusable, "\(path) is not a mezhved archive (no archive.json)", hint: "check the archive folder given")
        }
        let lock = try ArchiveFileLock(path: layout.lock)
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
                let fd = Glibc.open(layout.events, O_RDWR)
                guard fd >= 0 else { throw ArchiveError(.archiveUnusable, "cannot open \(layout.events): \(DurableFiles.errnoText())") }
                defer { close(fd) }
                report.tornBytes = read.size - read.validBytes
                report.tornDescription = damage.message
                guard ftruncate(fd, off_t(read.validBytes)) == 0, fsync(fd) == 0 else {
                    throw ArchiveError(.archiveUnusable, "cannot truncate \(layout.events): \(DurableFiles.errnoText())")
                }
            }
            var journal = Journal()
            _ = try ArchiveLogReader.read(layout.events, keepEvents: false) { journal.apply($0) }
            let referenced = journal.referencedObjects
            for folder in [layout.root, layout.log, layout.checkpoints, layout.objects] {
                for name in DurableFiles.list(folder)
                where name.hasPrefix(".") && name.hasSuffix(".tmp") && settled(folder + "/" + name, settledFor) {
                    unlink(folder + "/" + name)
                    report.removedTemporaryFiles.append(folder + "/" + name)
                }
            }
            for fan in DurableFiles.list(layout.objects) {
                let folder = layout.objects + "/" + fan
                for name in DurableFiles.list(folder) where settled(folder + "/" + name, settledFor) {
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
            let configuration = try FileSystemStorage.readConfiguration(layout)
            let log = try FileSystemLog(layout: layout, configuration: configuration, groupCommit: false, durability: .eachObject)
            if case .failure(let error) = log.commit([.recovered(report.summary)])[0] { throw error }
        }
        return report
    }
}
