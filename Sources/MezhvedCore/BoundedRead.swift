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
    /// The whole content of `path`, at most `limit` bytes.
    public static func contents(of path: String, limit: Int) -> Result<[UInt8], BoundedReadFailure> {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return errno == ENOENT ? .failure(.missing) : .failure(.unreadable(String(cString: strerror(errno))))
        }
        if (info.st_mode & S_IFMT) == S_IFDIR { return .failure(.folder) }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(.unreadable(String(cString: strerror(errno)))) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        if (info.st_mode & S_IFMT) == S_IFREG { bytes.reserveCapacity(min(Int(info.st_size), limit) + 1) }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(.unreadable(String(cString: strerror(errno))))
            }
            if count == 0 { return .success(bytes) }
            if bytes.count + count > limit { return .failure(.tooLarge(limit: limit)) }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }
}
