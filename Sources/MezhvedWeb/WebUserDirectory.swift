import Dispatch
import Foundation
import MezhvedGateway
import Synchronization

/// The server's view of the users' file (`exchange.webUsers`), read again when it changed (looked
/// at no more than once a ``recheckInterval``), on a queue of its own: a `mezhved user revoke`
/// ends the user's sessions within that interval. Passwords are checked on that queue too
/// (PBKDF2 is slow on purpose and must not hold the cooperative pool).
public final class WebUserDirectory: Sendable {
    public let path: String
    public let recheckInterval: Duration
    private let cached = Mutex<(file: Result<WebUserFile, GatewayError>, at: ContinuousClock.Instant)?>(nil)
    private let queue = DispatchQueue(label: "mezhved.web-users", qos: .userInitiated, attributes: .concurrent)

    public init(path: String, recheckInterval: Duration = .seconds(1)) {
        self.path = path
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
