import Dispatch
import Foundation
import MezhvedArchive
import MezhvedGateway
import Synchronization

/// The server's view of the web users (`exchange.webUsers`): their file, read on a queue of its
/// own, or the archive's store; read again no more than once a ``recheckInterval``, so a
/// `mezhved user revoke` ends the user's sessions within that interval (on every node of a
/// PostgreSQL store). Passwords are checked on that queue too (PBKDF2 is slow on purpose and must
/// not hold the cooperative pool).
public final class WebUserDirectory: Sendable {
    /// The file's path, or the store's name.
    public let path: String
    public let recheckInterval: Duration
    private let store: (any CredentialStore)?
    private let cached = Mutex<(file: Result<WebUserFile, GatewayError>, at: ContinuousClock.Instant)?>(nil)
    private let queue = DispatchQueue(label: "mezhved.web-users", qos: .userInitiated, attributes: .concurrent)

    public init(path: String, recheckInterval: Duration = .seconds(1)) {
        self.path = path
        self.store = nil
        self.recheckInterval = recheckInterval
    }

    /// The users kept in the archive's `store` (`exchange.webUsers: archive`).
    public init(store: any CredentialStore, recheckInterval: Duration = .seconds(1)) {
        self.path = AccessTokenFile.storeName
        self.store = store
        self.recheckInterval = recheckInterval
    }

    /// The file as it is now (at most ``recheckInterval`` old).
    public func current() async throws -> WebUserFile {
        let now = ContinuousClock.now
        if let hit = cached.withLock({ state -> Result<WebUserFile, GatewayError>? in
            guard let state, now - state.at < recheckInterval else { return nil }
            return state.file
        }) {
            return try hit.get()
        }
        let path = self.path
        if let store {
            let read: Result<WebUserFile, GatewayError>
            do {
                read = .success(try await WebUserFile.read(from: store))
            } catch let error as GatewayError {
                read = .failure(error)
            } catch {
                read = .failure(GatewayError(.webUsersUnusable, "the web users in \(path) cannot be read: \(error)"))
            }
            cached.withLock { $0 = (read, now) }
            return try read.get()
        }
        let file: Result<WebUserFile, GatewayError> = await withCheckedContinuation { continuation in
            queue.async {
                do {
                    continuation.resume(returning: .success(try WebUserFile.read(path)))
                } catch let error as GatewayError {
                    continuation.resume(returning: .failure(error))
                } catch {
                    continuation.resume(returning: .failure(GatewayError(.webUsersUnusable, "the web users' file \(path): \(error)")))
                }
            }
        }
        cached.withLock { $0 = (file, now) }
        return try file.get()
    }

    /// The user whose login and password these are, or nil (the slow hash runs off the pool).
    public func authenticate(name: String, password: String) async throws -> WebUser? {
        let file = try await current()
        return await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: file.authenticate(name: name, password: password)) }
        }
    }

    /// The user named `name` still in the file, with its role as the file has it now.
    public func user(named name: String) async throws -> WebUser? {
        try await current().users.first { $0.name == name }
    }
}
