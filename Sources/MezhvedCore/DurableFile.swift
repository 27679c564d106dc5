import Foundation

/// Durable, atomic file writes shared by the command line's outputs and the archive: a new
/// temporary file beside the target (mode 0600), written in full, fsynced, renamed over the target,
/// and the folder fsynced, so that a crash leaves the old file or the new one, never a torn one.
public enum DurableFile {
    /// Why a write failed; each caller turns it into its own module's error.
    public struct Failure: Error {
        /// Whether the temporary file could not even be created (a missing or read-only folder).
        public let couldNotCreate: Bool
        /// The system's words for the failure (`strerror`).
        public let reason: String
    }

    /// Replaces `target` with `bytes`, atomically and durably, with `mode` (0600 unless a caller
    /// writes something meant to be shared, such as a production calendar).
    public static func replace(_ target: String, with bytes: [UInt8], mode: mode_t = 0o600) throws(Failure) {
        let directory = (target as NSString).deletingLastPathComponent
        let folder = directory.isEmpty ? "." : directory
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let temporary = (folder as NSString).appendingPathComponent(".\((target as NSString).lastPathComponent).\(suffix).tmp")
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw Failure(couldNotCreate: true, reason: String(cString: strerror(errno))) }
        let ok = (mode == 0o600 || fchmod(fd, mode) == 0) && writeAll(fd, bytes) && fsync(fd) == 0
        close(fd)
        guard ok, rename(temporary, target) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw Failure(couldNotCreate: false, reason: reason)
        }
        syncDirectory(folder)
    }

    /// Writes all of `bytes` to `fd`, retrying short writes and EINTR.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
    }

    /// fsyncs a folder, making renames and new entries in it durable.
    public static func syncDirectory(_ path: String) {
        let fd = open(path.isEmpty ? "." : path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
