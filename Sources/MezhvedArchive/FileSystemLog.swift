internal import CMezhvedShims
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// How a stored object becomes durable before the log line naming it does.
public enum ObjectDurability: String, Sendable, CaseIterable {
    /// Each object is fsynced (file and folder) when it is put: two fsyncs per new object.
    case eachObject = "each-object"
    /// Objects are written without fsync when put; each commit fsyncs its batch's objects, then
    /// their folders (each once), then the log.
    case batched
    /// Objects are written without fsync when put; each commit calls syncfs(2) on the archive's
    /// file system, then fsyncs the log.
    case syncfs
}

/// The filesystem store's event log: the replayed journal, and appends with group commit. Every
/// file operation and every `flock` runs on one dedicated serial queue; callers wait on a
/// continuation. Appends that arrive while a commit is running are batched into the next commit:
/// one lock, all their lines written, one fsync of the log (after their objects are durable),
/// then all are resumed.
final class FileSystemLog: Sendable {
    struct State: Sendable {
        var journal = Journal()
        /// Bytes of the log read and applied.
        var offset = 0
        /// The offset where each entry's line starts (`lineStarts[seq - 1]`).
        var lineStarts: [Int] = []
    }

    private struct Waiting: Sendable {
        let append: JournalAppend
        let continuation: CheckedContinuation<AppendResult, any Error>
    }

    private struct Queue: Sendable {
        var waiting: [Waiting] = []
        var scheduled = false
    }

    let layout: ArchiveLayout
    let configuration: ArchiveConfiguration
    let io: BlockingIOQueue
    let lock: ArchiveFileLock
    let groupCommit: Bool
    let durability: ObjectDurability
    /// The time written into each event.
    let clock: ArchiveClock
    private let logFD: Int32
    private let state = Mutex(State())
    private let queue = Mutex(Queue())
    /// Commits and lines written, for the benchmark's batch sizes.
    let counters = Mutex((commits: 0, lines: 0))

    init(
        layout: ArchiveLayout, configuration: ArchiveConfiguration, groupCommit: Bool, durability: ObjectDurability,
        clock: ArchiveClock = .system
    ) throws {
        self.clock = clock
        self.layout = layout
        self.configuration = configuration
        self.groupCommit = groupCommit
        self.durability = durability
        self.io = BlockingIOQueue(label: "mezhved.archive.log")
        self.lock = try ArchiveFileLock(path: layout.lock)
        let fd = open(layout.events, O_RDWR | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else {
            throw ArchiveError(
                .archiveUnusable, "cannot open \(layout.events): \(DurableFiles.errnoText())", hint: "check the archive folder")
        }
        self.logFD = fd
    }

    deinit { close(logFD) }

    // MARK: - Reading

    /// Runs `body` on the queue with the journal caught up with every process's appends (under the lock).
    func read<T: Sendable>(_ body: @escaping @Sendable (inout State) throws -> T) async throws -> T {
        try await io.run { try self.readNow(body) }
    }

    /// The same, for code already on the queue.
    func readNow<T>(_ body: (inout State) throws -> T) throws -> T {
        try lock.withLock {
            try state.withLock { current in
                try catchUp(&current)
                return try body(&current)
            }
        }
    }

    /// The events with seq in `range` that exist, read by their recorded offsets.
    func events(_ range: ClosedRange<Int>, state current: State) throws -> [ArchiveEvent] {
        let last = min(range.upperBound, current.journal.lastSeq)
        guard range.lowerBound >= 1, range.lowerBound <= last else { return [] }
        let start = current.lineStarts[range.lowerBound - 1]
        let end = last < current.lineStarts.count ? current.lineStarts[last] : current.offset
        var bytes = [UInt8](repeating: 0, count: end - start)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { pread(logFD, $0.baseAddress! + done, $0.count - done, off_t(start + done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw ArchiveError(.archiveUnusable, "cannot read \(layout.events): \(DurableFiles.errnoText())") }
            done += n
        }
        var events: [ArchiveEvent] = []
        var lineStart = 0
        while let newline = bytes[lineStart...].firstIndex(of: 10) {
            guard case .success(let event) = EventLine.parse(bytes[lineStart..<newline]) else {
                throw ArchiveError(
                    .integrityBroken, "\(layout.events): an entry changed while in use", hint: "run `mezhved archive audit`")
            }
            events.append(event)
            lineStart = newline + 1
        }
        return events
    }

    /// Reads what other processes appended since we last looked. Call on the queue under the lock.
    func catchUp(_ current: inout State) throws {
        let size = try DurableFiles.forEachLine(logFD, path: layout.events, from: current.offset) { line, end, complete in
            guard complete else {
                throw ArchiveError(
                    .recoveryNeeded,
                    "\(layout.events) ends in an incomplete entry after entry \(current.journal.lastSeq) (\(line.count) bytes without a line end: an interrupted write)",
                    hint: "run `mezhved archive recover` to report and remove it")
            }
            switch EventLine.parse(line) {
            case .failure(let failure):
                var info = stat()
                let atTail = fstat(logFD, &info) == 0 && Int(info.st_size) == end
                throw ArchiveError(
                    atTail ? .recoveryNeeded : .integrityBroken,
                    "\(layout.events): the entry after entry \(current.journal.lastSeq) is damaged (\(failure == .notJSON ? "not a log entry" : "its hash does not match"))",
                    hint: atTail ? "run `mezhved archive recover` to report and remove the torn entry" : "run `mezhved archive audit`")
            case .success(let event):
                guard event.seq == current.journal.lastSeq + 1, event.prev == current.journal.lastHash else {
                    throw ArchiveError(
                        .integrityBroken,
                        "\(layout.events): entry \(event.seq) does not follow entry \(current.journal.lastSeq) (chain broken)",
                        hint: "run `mezhved archive audit`")
                }
                current.lineStarts.append(current.offset)
                current.journal.apply(event)
                current.offset = end
            }
        }
        if size < current.offset {
            throw ArchiveError(
                .integrityBroken, "\(layout.events) shrank from \(current.offset) to \(size) bytes while in use",
                hint: "run `mezhved archive audit`")
        }
    }

    // MARK: - Appending

    /// Appends one event: queued, committed with whatever else is waiting, resumed once durable.
    func append(_ append: JournalAppend) async throws -> AppendResult {
        try await withCheckedThrowingContinuation { continuation in
            let schedule = queue.withLock { queue in
                queue.waiting.append(Waiting(append: append, continuation: continuation))
                if queue.scheduled { return false }
                queue.scheduled = true
                return true
            }
            if schedule { io.schedule { self.commitWaiting() } }
        }
    }

    /// Takes what is waiting (all of it with group commit, else one), commits it, resumes the callers.
    private func commitWaiting() {
        let (batch, more) = queue.withLock { queue in
            let taken = groupCommit ? queue.waiting : Array(queue.waiting.prefix(1))
            queue.waiting.removeFirst(taken.count)
            queue.scheduled = !queue.waiting.isEmpty
            return (taken, !queue.waiting.isEmpty)
        }
        if !batch.isEmpty {
            let outcomes = commit(batch.map(\.append))
            for (waiting, outcome) in zip(batch, outcomes) { waiting.continuation.resume(with: outcome) }
        }
        if more { io.schedule { self.commitWaiting() } }
    }

    /// Writes `appends` as one commit under the lock: each is checked against the journal as the
    /// ones before it left it; the accepted lines are written at once and fsynced after the objects
    /// they name are durable. A refused append leaves nothing (its object is removed when no entry names it).
    func commit(_ appends: [JournalAppend]) -> [Result<AppendResult, any Error>] {
        do {
            return try lock.withLock {
                try state.withLock { current in
                    try catchUp(&current)
                    return commitLocked(appends, &current)
                }
            }
        } catch {
            return appends.map { _ in .failure(error) }
        }
    }

    private func commitLocked(_ appends: [JournalAppend], _ current: inout State) -> [Result<AppendResult, any Error>] {
        var results: [Result<AppendResult, any Error>] = []
        var lines: [UInt8] = []
        var starts: [Int] = []
        var objects: [String] = []
        var refusedObjects: [String] = []
        let now = clock.now()
        for append in appends {
            do {
                let (type, payload) = try current.journal.prepare(append, time: now, configuration: configuration)
                let (line, event) = try EventLine.make(
                    seq: current.journal.lastSeq + 1, time: now, type: type, prev: current.journal.lastHash, payload: payload)
                current.journal.apply(event)
                starts.append(current.offset + lines.count)
                lines += line
                if let object = payload.object { objects.append(object) }
                results.append(.success(current.journal.result(of: event)))
            } catch {
                switch append {
                case .register(let record, _): refusedObjects.append(record.object)
                case .quarantine(let record): refusedObjects.append(record.object)
                default: break
                }
                results.append(.failure(error))
            }
        }
        if !lines.isEmpty {
            do {
                try makeObjectsDurable(objects)
                guard DurableFiles.writeAll(logFD, lines), fsync(logFD) == 0 else {
                    throw ArchiveError(
                        .archiveUnusable, "cannot append to \(layout.events): \(DurableFiles.errnoText())",
                        hint: "check free space and permissions")
                }
            } catch {
                _ = ftruncate(logFD, off_t(current.offset))
                // The journal already holds the lines that were not written: replay it from the start next time.
                current = State()
                return results.map { result in
                    if case .success = result { return .failure(error) }
                    return result
                }
            }
            current.offset += lines.count
            current.lineStarts += starts
            counters.withLock { $0 = ($0.commits + 1, $0.lines + starts.count) }
        }
        for object in refusedObjects where !current.journal.referencedObjects.contains(object) {
            unlink(layout.object(object))
        }
        return results
    }

    /// Makes the objects a commit names durable, as ``durability`` says.
    private func makeObjectsDurable(_ digests: [String]) throws {
        guard !digests.isEmpty else { return }
        switch durability {
        case .eachObject:
            return
        case .syncfs:
            guard mz_syncfs(logFD) == 0 else {
                throw ArchiveError(.archiveUnusable, "syncfs on \(layout.root) failed: \(DurableFiles.errnoText())")
            }
        case .batched:
            var folders = Set<String>()
            for digest in digests {
                let path = layout.object(digest)
                let fd = open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else {
                    throw ArchiveError(
                        .archiveUnusable,
                        "the stored object \(path) vanished before its registration was written: \(DurableFiles.errnoText())",
                        hint: "register the document again")
                }
                let synced = fsync(fd) == 0
                close(fd)
                guard synced else { throw ArchiveError(.archiveUnusable, "cannot fsync \(path): \(DurableFiles.errnoText())") }
                folders.insert((path as NSString).deletingLastPathComponent)
            }
            for folder in folders.sorted() { try DurableFiles.syncFolder(folder) }
        }
    }
}
