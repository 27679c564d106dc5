import Foundation

#if canImport(Glibc)
    import Glibc
#endif

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
