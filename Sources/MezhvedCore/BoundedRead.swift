#if canImport(Glibc)
    import Glibc
#endif

/// Why a bounded read failed.
public enum BoundedReadFailure: Error, Sendable, Equatable {
    /// The path does not exist.
    case missing
    /// The path is a folder.
    case folder
    /// The file could not be opened or read (errno text).
    case unreadable(String)
    /// More than the limit was there to read.
    case tooLarge(limit: Int)
}

/// Reads files of any kind (regular, pipe, device) without ever holding more than a limit: the
/// read stops and fails as soon as the limit is passed, so `/dev/zero` or an endless pipe is
/// refused instead of filling memory.
public enum BoundedRead {
    /// The whole content of `path`, at most `limit` bytes: sized once from `fstat` for a regular
    /// file (one copy in memory), grown in steps for a pipe or device, and refused as soon as more
    /// than `limit` bytes have come.
    public static func contents(of path: String, limit: Int) -> Result<[UInt8], BoundedReadFailure> {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return errno == ENOENT ? .failure(.missing) : .failure(.unreadable(String(cString: strerror(errno))))
        }
        if (info.st_mode & S_IFMT) == S_IFDIR { return .failure(.folder) }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(.unreadable(String(cString: strerror(errno)))) }
        defer { close(fd) }
        return contents(of: fd, limit: limit)
    }

    /// Everything an open descriptor (a file, standard input) gives, at most `limit` bytes.
    public static func contents(of fd: Int32, limit: Int) -> Result<[UInt8], BoundedReadFailure> {
        var info = stat()
        let regular = fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
        let expected = regular ? max(Int(info.st_size), 0) : 0
        if expected > limit { return .failure(.tooLarge(limit: limit)) }
        var bytes = [UInt8](repeating: 0, count: min(expected, limit) + 1)
        var used = 0
        while true {
            if used == bytes.count {
                if used > limit { return .failure(.tooLarge(limit: limit)) }
                // A zero-filled array appended in one copy (a repeated element would go byte by byte).
                bytes.append(contentsOf: [UInt8](repeating: 0, count: min(max(bytes.count, 65536), limit + 2 - used)))
            }
            let count = bytes.withUnsafeMutableBytes { raw in read(fd, raw.baseAddress! + used, raw.count - used) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(.unreadable(String(cString: strerror(errno))))
            }
            if count == 0 { break }
            used += count
            if used > limit { return .failure(.tooLarge(limit: limit)) }
        }
        bytes.removeSubrange(used...)
        return .success(bytes)
    }
}

/// Byte counts in words: `128 MiB`, `1 MiB`, `4 KiB`, `512 bytes`.
public enum ByteCountText {
    public static func text(_ count: Int) -> String {
        if count >= 1 << 20 && count % (1 << 20) == 0 { return "\(count >> 20) MiB" }
        if count >= 1 << 10 && count % (1 << 10) == 0 { return "\(count >> 10) KiB" }
        return "\(count) bytes"
    }
}
