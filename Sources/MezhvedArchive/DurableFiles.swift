import Foundation
import MezhvedCore
import MezhvedXMLDSig

#if canImport(Glibc)
    import Glibc
#endif

/// Durable file operations: every write goes to a temporary file in the same folder, is fsynced,
/// renamed into place, and the folder is fsynced. Files are 0600, folders 0700.
enum DurableFiles {
    static func errnoText() -> String { String(cString: strerror(errno)) }

    /// Creates `path` (0700) when missing, and fsyncs its parent so the entry survives a crash.
    static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o700) == 0 {
            syncDirectory((path as NSString).deletingLastPathComponent)
            return
        }
        guard errno == EEXIST else {
            throw ArchiveError(
                .archiveUnusable, "cannot create the folder \(path): \(errnoText())", hint: "check permissions and free space")
        }
    }

    /// fsyncs a folder, making renames and new entries in it durable.
    static func syncDirectory(_ path: String) { DurableFile.syncDirectory(path) }

    /// fsyncs a folder, throwing when it cannot (a commit must not claim durability it lacks).
    static func syncFolder(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ArchiveError(.archiveUnusable, "cannot open the folder \(path): \(errnoText())") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw ArchiveError(.archiveUnusable, "cannot fsync the folder \(path): \(errnoText())") }
    }

    /// Replaces `path` atomically with `bytes` (mode 0600) without fsync: a temporary file renamed
    /// into place. The caller makes it durable later (file and folder) before anything relies on it.
    static func writeUnsynced(_ bytes: [UInt8], to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let temporary = "\(folder)/.\(name).\(String(UInt64.random(in: 0...UInt64.max), radix: 16)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ArchiveError(.archiveUnusable, "cannot write \(path): \(errnoText())", hint: "check that the archive folder is writable")
        }
        let written = writeAll(fd, bytes)
        close(fd)
        guard written, rename(temporary, path) == 0 else {
            let reason = errnoText()
            unlink(temporary)
            throw ArchiveError(.archiveUnusable, "cannot write \(path): \(reason)", hint: "check free space and permissions")
        }
    }

    /// Writes all of `bytes` to `fd`.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool { DurableFile.writeAll(fd, bytes) }

    /// Replaces `path` atomically and durably with `bytes` (mode 0600).
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        do {
            try DurableFile.replace(path, with: bytes)
        } catch {
            throw ArchiveError(
                .archiveUnusable, "cannot write \(path): \(error.reason)",
                hint: error.couldNotCreate ? "check that the archive folder is writable" : "check free space and permissions")
        }
    }

    /// The contents of `path`, or nil when it does not exist.
    static func read(_ path: String) throws -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw ArchiveError(.archiveUnusable, "cannot read \(path): \(errnoText())", hint: "check permissions")
        }
        defer { close(fd) }
        return try readAll(fd, path: path, from: 0)
    }

    /// Everything in `fd` from `offset` to its end.
    static func readAll(_ fd: Int32, path: String, from offset: Int) throws -> [UInt8] {
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw ArchiveError(.archiveUnusable, "cannot read \(path): \(errnoText())")
        }
        let size = Int(info.st_size)
        guard size > offset else { return [] }
        var out = [UInt8](repeating: 0, count: size - offset)
        var done = 0
        while done < out.count {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, $0.count - done, off_t(offset + done)) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw ArchiveError(.archiveUnusable, "cannot read \(path): \(errnoText())") }
            if n == 0 { break }
            done += n
        }
        return Array(out.prefix(done))
    }

    /// Calls `body` with each line of `fd` from `offset` to the file's size at the start (without
    /// its line end), the offset just past it, and whether it ended in a line end (only the last piece
    /// can lack one). Reads in 4 MiB blocks, so a large log is never held whole in memory. Returns the size.
    @discardableResult
    static func forEachLine(
        _ fd: Int32, path: String, from offset: Int, _ body: (_ line: ArraySlice<UInt8>, _ end: Int, _ complete: Bool) throws -> Void
    ) throws -> Int {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ArchiveError(.archiveUnusable, "cannot read \(path): \(errnoText())") }
        let size = Int(info.st_size)
        var position = offset
        var carry: [UInt8] = []
        guard size > offset else { return size }
        // Sized to what is new (a commit reads a few lines, not 4 MiB of zeros).
        var block = [UInt8](repeating: 0, count: min(4 << 20, size - offset))
        while position < size {
            let want = min(block.count, size - position)
            let n = block.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, want, off_t(position)) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw ArchiveError(.archiveUnusable, "cannot read \(path): \(errnoText())") }
            if n == 0 { break }
            let lineStartOffset = position - carry.count
            carry += block[0..<n]
            position += n
            var start = 0
            while let newline = carry[start...].firstIndex(of: 10) {
                try body(carry[start..<newline], lineStartOffset + newline + 1, true)
                start = newline + 1
            }
            carry.removeFirst(start)
        }
        if !carry.isEmpty { try body(carry[...], position, false) }
        return size
    }

    /// Names in a folder (empty when it does not exist), without "." and "..".
    static func list(_ path: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    }
}

/// An exclusive advisory lock (`flock`) on the archive's lock file, shared by every process (and
/// every handle) that opens the archive: each takes its own descriptor, so two handles in one
/// process exclude each other too. It blocks: take it only on a ``BlockingIOQueue``. Owns the descriptor.
final class ArchiveFileLock: Sendable {
    private let fd: Int32
    let path: String

    init(path: String) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ArchiveError(
                .archiveUnusable, "cannot open the lock file \(path): \(DurableFiles.errnoText())", hint: "check permissions")
        }
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    /// Runs `body` holding the lock.
    func withLock<T>(_ body: () throws -> T) throws -> T {
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            throw ArchiveError(.archiveUnusable, "cannot lock \(path): \(DurableFiles.errnoText())")
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}
