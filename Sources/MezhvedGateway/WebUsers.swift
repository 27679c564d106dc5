import Foundation
import MezhvedCore

/// A person who signs in to the web pages: a login (it is written in the access log, so it is a
/// desk's or a function's name such as `clerk-2`, never a surname), one role of ``AccessRole``,
/// and the password's salted slow hash (``PasswordHash``).
public struct WebUser: Sendable, Codable, Equatable {
    public let name: String
    public let role: AccessRole
    /// When it was created (ISO 8601, UTC).
    public let created: String
    /// `pbkdf2-sha256$ROUNDS$SALT$HASH`.
    public let password: String

    public init(name: String, role: AccessRole, created: String, password: String) {
        self.name = name
        self.role = role
        self.created = created
        self.password = password
    }
}

/// The web pages' users (`exchange.webUsers`): JSON, mode 0600, replaced atomically and durably,
/// changed under an exclusive lock (``update(_:_:)``), like the API's token file.
public struct WebUserFile: Sendable, Equatable {
    /// The shortest password accepted.
    public static let minimumPasswordLength = 12
    static let sizeLimit = 16 << 20

    public let path: String
    public internal(set) var users: [WebUser]

    /// Reads the file; a missing file holds no user yet. Refuses a file others may read or write.
    public static func read(_ path: String) throws -> WebUserFile {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return WebUserFile(path: path, users: []) }
            throw GatewayError(
                .webUsersUnusable, "the web users' file \(path) cannot be read: \(String(cString: strerror(errno)))",
                hint: "check exchange.webUsers and the file's permissions")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG, info.st_mode & 0o077 == 0 else {
            throw GatewayError(
                .webUsersUnusable,
                "the web users' file \(path) is not a regular file of mode 0600 (it is \(String(info.st_mode & 0o777, radix: 8)))",
                hint: "chmod 600 \(path)")
        }
        let bytes: [UInt8]
        switch BoundedRead.contents(of: path, limit: sizeLimit) {
        case .success(let read): bytes = read
        case .failure(let failure):
            throw GatewayError(.webUsersUnusable, "the web users' file \(path) cannot be read (\(failure))", hint: "check the file")
        }
        let stored: Stored
        do {
            stored = try JSONDecoder().decode(Stored.self, from: Data(bytes))
        } catch {
            throw GatewayError(
                .webUsersUnusable, "the web users' file \(path) is not a mezhved users' file: \(error)",
                hint: "restore it from a backup, or move it away and create the users again with `mezhved user new`")
        }
        guard stored.version == 1 else {
            throw GatewayError(.webUsersUnusable, "the web users' file \(path) has version \(stored.version); this mezhved reads 1")
        }
        return WebUserFile(path: path, users: stored.users)
    }

    /// Reads the file under an exclusive lock (`PATH.lock`), lets `body` change it, and writes it
    /// back when it changed. Blocking.
    public static func update<T>(_ path: String, _ body: (inout WebUserFile) throws -> T) throws -> T {
        let lockPath = path + ".lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw GatewayError(
                .webUsersUnusable, "cannot open the lock file \(lockPath): \(String(cString: strerror(errno)))",
                hint: "check that the folder of exchange.webUsers exists and is writable")
        }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            throw GatewayError(.webUsersUnusable, "cannot lock \(lockPath): \(String(cString: strerror(errno)))")
        }
        defer { flock(fd, LOCK_UN) }
        var file = try read(path)
        let before = file
        let result = try body(&file)
        if file != before { try file.write() }
        return result
    }

    /// Adds a user; the name must be new and the password at least ``minimumPasswordLength`` characters.
    public mutating func add(name: String, role: AccessRole, password: String, at time: Date = Date()) throws -> WebUser {
        try AccessTokenFile.checkName(name)
        guard !users.contains(where: { $0.name == name }) else {
            throw GatewayError(
                .webUserNameTaken, "there is already a user named \(name) in \(path)",
                hint: "choose another name, or revoke it first with `mezhved user revoke --name \(name)`")
        }
        guard password.count >= Self.minimumPasswordLength, !password.contains("\n") else {
            throw GatewayError(
                .webUserPasswordWeak,
                "the password is \(password.count) characters; a web user's password has at least \(Self.minimumPasswordLength)",
                hint: "give a longer one, on one line")
        }
        let user = WebUser(name: name, role: role, created: ISOTime.string(time), password: try PasswordHash.make(password).description)
        users.append(user)
        return user
    }

    /// Removes the user named `name`: from the next request on, its sessions are refused.
    @discardableResult
    public mutating func revoke(name: String) throws -> WebUser {
        guard let index = users.firstIndex(where: { $0.name == name }) else {
            throw GatewayError(
                .webUserUnknown, "there is no user named \(DocumentText.cut(name)) in \(path)",
                hint: NearestName.suggestion(for: name, among: users.map(\.name)).map { "did you mean \($0)?" }
                    ?? "list them with `mezhved user list`")
        }
        return users.remove(at: index)
    }

    /// The user named `name` whose password is `password`, or nil. An unknown name costs the same
    /// slow hash as a wrong password, so that timing does not tell which names exist.
    public func authenticate(name: String, password: String) -> WebUser? {
        guard let user = users.first(where: { $0.name == name }), let hash = PasswordHash(user.password) else {
            _ = Self.decoy.matches(password)
            return nil
        }
        return hash.matches(password) ? user : nil
    }

    /// A hash no password was made for, checked when the name is unknown.
    static let decoy = PasswordHash(
        iterations: PasswordHash.iterations, salt: [UInt8](repeating: 0x5a, count: 16), hash: [UInt8](repeating: 0, count: 32))

    func write() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let bytes: [UInt8]
        do {
            bytes = Array(try encoder.encode(Stored(version: 1, users: users))) + Array("\n".utf8)
        } catch {
            throw GatewayError(.webUsersUnusable, "the web users cannot be encoded: \(error)")
        }
        do {
            try DurableFile.replace(path, with: bytes)
        } catch {
            throw GatewayError(.webUsersUnusable, "cannot write the web users' file \(path): \(error.reason)")
        }
    }

    struct Stored: Codable {
        let version: Int
        let users: [WebUser]
    }
}

extension ErrorCode where Domain == GatewayError {
    /// The users' file cannot be read, is not one, or others may read or write it.
    public static let webUsersUnusable = ErrorCode("web-users-unusable", .configurationInvalid)
    /// A user with that name exists already.
    public static let webUserNameTaken = ErrorCode("web-user-name-taken", .refused)
    /// No user has that name.
    public static let webUserUnknown = ErrorCode("web-user-unknown", .unusableInput)
    /// The password is too short (or not one line).
    public static let webUserPasswordWeak = ErrorCode("web-user-password-weak", .unusableInput)
}
