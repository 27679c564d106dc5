import Dispatch
import Foundation
import Synchronization

/// The server's view of the token file: read again when the file changed (checked at most once
/// a ``recheckInterval``), so a `mezhved token revoke` takes effect within that interval without a
/// restart. The file is read on a dedicated queue, never on the cooperative pool.
public final class AccessTokenRegistry: Sendable {
    public let path: String
    /// How long a look at the file is trusted before the file's identity is checked again.
    public let recheckInterval: Duration

    private struct Snapshot: Sendable {
        var file: Result<AccessTokenFile, GatewayError>?
        var identity: FileIdentity?
        var checkedAt: ContinuousClock.Instant?
    }

    private struct FileIdentity: Sendable, Equatable {
        let device: UInt64
        let inode: UInt64
        let size: Int64
        let modified: Int
        let modifiedNanoseconds: Int
    }

    private let snapshot = Mutex(Snapshot())
    private let queue = DispatchQueue(label: "mezhved.access-tokens", qos: .userInitiated)

    public init(path: String, recheckInterval: Duration = .seconds(1)) {
        self.path = path
        self.recheckInterval = recheckInterval
    }

    /// The token whose text is `secret`, or nil for an unknown (or revoked) one. Throws
    /// ``GatewayError`` `.accessTokensUnusable` when the file cannot be used.
    public func token(presenting secret: String) async throws -> AccessToken? {
        try await current().token(presenting: secret)
    }

    /// The file as it is now (at most ``recheckInterval`` old).
    public func current() async throws -> AccessTokenFile {
        let now = ContinuousClock.now
        let cached = snapshot.withLock { state -> Result<AccessTokenFile, GatewayError>? in
            guard let checkedAt = state.checkedAt, now - checkedAt < recheckInterval else { return nil }
            return state.file
        }
        if let cached { return try cached.get() }
        let path = self.path
        let known = snapshot.withLock { $0.identity }
        let reloaded: (FileIdentity?, Result<AccessTokenFile, GatewayError>?) = await withCheckedContinuation { continuation in
            queue.async {
                let identity = Self.identity(of: path)
                if identity != nil && identity == known {
                    continuation.resume(returning: (identity, nil))
                    return
                }
                do {
                    continuation.resume(returning: (identity, .success(try AccessTokenFile.read(path))))
                } catch let error as GatewayError {
                    continuation.resume(returning: (identity, .failure(error)))
                } catch {
                    continuation.resume(
                        returning: (identity, .failure(GatewayError(.accessTokensUnusable, "the access token file \(path): \(error)"))))
                }
            }
        }
        let result = snapshot.withLock { state -> Result<AccessTokenFile, GatewayError> in
            if let file = reloaded.1 {
                state.file = file
                state.identity = reloaded.0
            }
            state.checkedAt = now
            return state.file ?? .success(AccessTokenFile(path: path, tokens: []))
        }
        return try result.get()
    }

    private static func identity(of path: String) -> FileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileIdentity(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size), modified: Int(info.st_ctim.tv_sec),
            modifiedNanoseconds: Int(info.st_ctim.tv_nsec))
    }
}
