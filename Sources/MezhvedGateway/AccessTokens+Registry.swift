import Dispatch
import Foundation
import MezhvedArchive
import Synchronization

/// The server's view of the tokens: the token file read again when it changed, or the archive's
/// store read again (checked at most once a ``recheckInterval``), so a `mezhved token revoke`
/// takes effect within that interval without a restart, on every node of a PostgreSQL store. The
/// file is read on a dedicated queue, never on the cooperative pool.
public final class AccessTokenRegistry: Sendable {
    /// The file's path, or ``AccessTokenFile/storeName``.
    public let path: String
    private let store: (any CredentialStore)?
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
        self.store = nil
        self.recheckInterval = recheckInterval
    }

    /// The tokens kept in the archive's `store` (`exchange.accessTokens: archive`).
    public init(store: any CredentialStore, recheckInterval: Duration = .seconds(1)) {
        self.path = AccessTokenFile.storeName
        self.store = store
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
        if let store { return try await reload(from: store, at: now) }
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

    private func reload(from store: any CredentialStore, at now: ContinuousClock.Instant) async throws -> AccessTokenFile {
        let read: Result<AccessTokenFile, GatewayError>
        do {
            read = .success(try await AccessTokenFile.read(from: store))
        } catch let error as GatewayError {
            read = .failure(error)
        } catch {
            read = .failure(GatewayError(.accessTokensUnusable, "the tokens in \(path) cannot be read: \(error)"))
        }
        snapshot.withLock { state in
            state.file = read
            state.checkedAt = now
        }
        return try read.get()
    }

    private static func identity(of path: String) -> FileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileIdentity(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size), modified: Int(info.st_ctim.tv_sec),
            modifiedNanoseconds: Int(info.st_ctim.tv_nsec))
    }
}
