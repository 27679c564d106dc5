import Foundation
import MezhvedArchive
import MezhvedCore

/// Who may call the clerks' and auditors' API (`mezhved serve`, docs/gateway.md): each access
/// token carries one role, and ``permissions`` is the one table of what each role may do.
public enum AccessRole: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// Reads the journal and the documents (personal data included), checks drafts, sends and
    /// resends documents already registered.
    case clerk
    /// A clerk who also composes, numbers, signs and registers requests and answers.
    case signatory
    /// Reads the journal, the validation reports and the renderings without personal data, and
    /// runs the archive audit; never writes anything.
    case auditor
    /// Everything.
    case admin

    /// What the role may do: the permission table of the API, in one place.
    public var permissions: Set<AccessPermission> {
        switch self {
        case .clerk: return [.readJournal, .readPersonalData, .checkDrafts, .send]
        case .signatory: return [.readJournal, .readPersonalData, .checkDrafts, .send, .compose]
        case .auditor: return [.readJournal, .audit]
        case .admin: return Set(AccessPermission.allCases)
        }
    }

    /// Whether the role may do `permission`.
    public func allows(_ permission: AccessPermission) -> Bool { permissions.contains(permission) }

    public var description: String { rawValue }
}

/// One thing the API lets a caller do. A route names the one permission it needs.
public enum AccessPermission: String, Sendable, CaseIterable, CustomStringConvertible {
    /// The journal, a document's entry, its validation report, its rendering without personal
    /// data, the outbox's messages.
    case readJournal = "read-journal"
    /// A document as signed, personal data decrypted, and its full rendering (each view logged).
    case readPersonalData = "read-personal-data"
    /// Checking a draft: nothing is numbered, signed or written.
    case checkDrafts = "check-drafts"
    /// Composing, numbering, signing and registering a request or an answer.
    case compose
    /// Queueing a registered document for delivery, resending a failed or expired message.
    case send
    /// Running the archive audit.
    case audit

    public var description: String { rawValue }
}

/// A token as the token file keeps it: never the token itself, only its SHA-256. A token is 256
/// random bits, so a fast hash is enough: guessing one is 2^256 work whatever the hash costs.
public struct AccessToken: Sendable, Codable, Equatable {
    /// The token's name (letters, digits, `.`, `_`, `-`): it is written in the access log, so it
    /// names a desk or a function, not a person.
    public let name: String
    public let role: AccessRole
    /// When it was issued (ISO 8601, UTC).
    public let created: String
    /// The SHA-256 of the token text (lowercase hex).
    public let sha256: String

    public init(name: String, role: AccessRole, created: String, sha256: String) {
        self.name = name
        self.role = role
        self.created = created
        self.sha256 = sha256
    }
}

/// A newly issued token: the only time its text exists outside the caller's hands.
public struct IssuedAccessToken: Sendable {
    /// `mzv_` and 43 characters of base64url (32 random bytes): shown once, stored nowhere.
    public let secret: String
    public let token: AccessToken
}

/// The API's token file (`exchange.accessTokens`): JSON, mode 0600, replaced atomically and
/// durably. Read it with ``read(_:)``; change it with ``update(_:_:)``, which holds an exclusive
/// lock beside the file so that two `mezhved token` commands never lose each other's change.
public struct AccessTokenFile: Sendable, Equatable {
    /// The prefix of every token (so that a leaked one is recognisable in a scan).
    public static let prefix = "mzv_"
    /// The largest token file read (a million tokens would not reach it).
    static let sizeLimit = 16 << 20

    public let path: String
    public internal(set) var tokens: [AccessToken]

    /// Reads the file; a missing file holds no token yet. Refuses a file others may read or
    /// write, one that is not the token file's JSON, and one with a name twice.
    public static func read(_ path: String) throws -> AccessTokenFile {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return AccessTokenFile(path: path, tokens: []) }
            throw GatewayError(
                .accessTokensUnusable, "the access token file \(path) cannot be read: \(String(cString: strerror(errno)))",
                hint: "check exchange.accessTokens and the file's permissions")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw GatewayError(
                .accessTokensUnusable, "the access token file \(path) is not a regular file", hint: "check exchange.accessTokens")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw GatewayError(
                .accessTokensUnusable,
                "the access token file \(path) has mode \(String(info.st_mode & 0o777, radix: 8)): others may read or change who may call the API",
                hint: "chmod 600 \(path)")
        }
        let bytes: [UInt8]
        switch BoundedRead.contents(of: path, limit: sizeLimit) {
        case .success(let read): bytes = read
        case .failure(let failure):
            throw GatewayError(
                .accessTokensUnusable, "the access token file \(path) cannot be read (\(failure))", hint: "check the file")
        }
        let stored: Stored
        do {
            stored = try JSONDecoder().decode(Stored.self, from: Data(bytes))
        } catch {
            throw GatewayError(
                .accessTokensUnusable, "the access token file \(path) is not a mezhved token file: \(error)",
                hint: "restore it from a backup, or move it away and issue new tokens with `mezhved token new`")
        }
        guard stored.version == 1 else {
            throw GatewayError(
                .accessTokensUnusable, "the access token file \(path) has version \(stored.version); this mezhved reads version 1",
                hint: "use the mezhved that wrote it")
        }
        let names = stored.tokens.map(\.name)
        if let twice = Set(names).first(where: { name in names.filter { $0 == name }.count > 1 }) {
            throw GatewayError(
                .accessTokensUnusable, "the access token file \(path) names the token \(twice) twice", hint: "revoke one of them")
        }
        return AccessTokenFile(path: path, tokens: stored.tokens)
    }

    /// Reads the file under an exclusive lock (`PATH.lock`), lets `body` change it, and writes it
    /// back (0600, atomically, durably) when it changed. Blocking: not for the cooperative pool.
    public static func update<T>(_ path: String, _ body: (inout AccessTokenFile) throws -> T) throws -> T {
        let lockPath = path + ".lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw GatewayError(
                .accessTokensUnusable, "cannot open the lock file \(lockPath): \(String(cString: strerror(errno)))",
                hint: "check that the folder of exchange.accessTokens exists and is writable")
        }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            throw GatewayError(.accessTokensUnusable, "cannot lock \(lockPath): \(String(cString: strerror(errno)))")
        }
        defer { flock(fd, LOCK_UN) }
        var file = try read(path)
        let before = file
        let result = try body(&file)
        if file != before { try file.write() }
        return result
    }

    /// Issues a new token named `name` with `role`; the name must be new.
    public mutating func issue(name: String, role: AccessRole, at time: Date = Date()) throws -> IssuedAccessToken {
        try Self.checkName(name)
        guard !tokens.contains(where: { $0.name == name }) else {
            throw GatewayError(
                .accessTokenNameTaken, "there is already a token named \(name) in \(path)",
                hint: "choose another name, or revoke it first with `mezhved token revoke \(name)`")
        }
        let secret = Self.newSecret()
        let token = AccessToken(name: name, role: role, created: ISOTime.string(time), sha256: Self.digest(secret))
        tokens.append(token)
        return IssuedAccessToken(secret: secret, token: token)
    }

    /// Revokes the token named `name`: from the next request on it is refused.
    @discardableResult
    public mutating func revoke(name: String) throws -> AccessToken {
        guard let index = tokens.firstIndex(where: { $0.name == name }) else {
            let known = tokens.map(\.name)
            throw GatewayError(
                .accessTokenUnknown, "there is no token named \(DocumentText.cut(name)) in \(path)",
                hint: NearestName.suggestion(for: name, among: known).map { "did you mean \($0)?" }
                    ?? (known.isEmpty ? "the file holds no token" : "list them with `mezhved token list`"))
        }
        return tokens.remove(at: index)
    }

    /// The token whose text is `secret`, or nil. Every stored digest is compared in full, in time
    /// that does not depend on where they differ (nor on which one matches).
    public func token(presenting secret: String) -> AccessToken? {
        guard Self.isWellFormed(secret) else { return nil }
        let presented = Array(Self.digest(secret).utf8)
        var found: Int?
        for (index, token) in tokens.enumerated() {
            let stored = Array(token.sha256.utf8)
            var difference = UInt8(stored.count == presented.count ? 0 : 1)
            for offset in 0..<presented.count { difference |= presented[offset] ^ (offset < stored.count ? stored[offset] : 0) }
            if difference == 0 && found == nil { found = index }
        }
        return found.map { tokens[$0] }
    }

    /// Writes the file: 0600, atomically and durably (MezhvedCore's DurableFile).
    func write() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let bytes: [UInt8]
        do {
            bytes = Array(try encoder.encode(Stored(version: 1, tokens: tokens))) + Array("\n".utf8)
        } catch {
            throw GatewayError(.accessTokensUnusable, "the access tokens cannot be encoded: \(error)")
        }
        do {
            try DurableFile.replace(path, with: bytes)
        } catch {
            throw GatewayError(
                .accessTokensUnusable, "cannot write the access token file \(path): \(error.reason)",
                hint: error.couldNotCreate ? "check that its folder exists and is writable" : "check free space and permissions")
        }
    }

    /// Whether `text` is a name a token may have.
    public static func checkName(_ name: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard (1...64).contains(name.count), name.allSatisfy(allowed.contains), name.first != "-" else {
            throw GatewayError(
                .accessTokenNameInvalid, "\(DocumentText.cut(name)) is not a token name",
                hint:
                    "use 1 to 64 Latin letters, digits, '.', '_' or '-' (not first) naming a desk or a function, not a person: the name is in the access log"
            )
        }
    }

    /// `mzv_` + base64url of 32 random bytes from the system's CSPRNG.
    static func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        for _ in 0..<4 {
            let word = generator.next()
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        let base64 = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return prefix + base64
    }

    /// The shape of a token: the prefix and 43 base64url characters.
    static func isWellFormed(_ secret: String) -> Bool {
        let alphabet = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_".utf8)
        let utf8 = Array(secret.utf8)
        return utf8.count == prefix.utf8.count + 43 && secret.hasPrefix(prefix)
            && utf8.dropFirst(prefix.utf8.count).allSatisfy(alphabet.contains)
    }

    static func digest(_ secret: String) -> String { ArchiveDigest.sha256Hex(Array(secret.utf8)) }

    /// The file's JSON.
    struct Stored: Codable {
        let version: Int
        let tokens: [AccessToken]
    }
}

extension ErrorCode where Domain == GatewayError {
    /// The token file cannot be read, is not one, or others may read or write it.
    public static let accessTokensUnusable = ErrorCode("access-tokens-unusable", .configurationInvalid)
    /// A token with that name exists already.
    public static let accessTokenNameTaken = ErrorCode("access-token-name-taken", .refused)
    /// No token has that name.
    public static let accessTokenUnknown = ErrorCode("access-token-unknown", .unusableInput)
    /// The name is not one a token may have.
    public static let accessTokenNameInvalid = ErrorCode("access-token-name-invalid", .unusableInput)
}
