internal import COpenSSL
import Foundation

/// A password kept as a salted slow hash: PBKDF2-HMAC-SHA256 (OpenSSL's `PKCS5_PBKDF2_HMAC`),
/// 16 random bytes of salt, ``iterations`` rounds, 32 bytes out. Written
/// `pbkdf2-sha256$ROUNDS$SALT$HASH` (base64), so that a later, slower setting can be read beside
/// the hashes made before it. The password itself is never stored.
public struct PasswordHash: Sendable, Equatable, CustomStringConvertible {
    /// The rounds for new hashes (OWASP 2023's figure for PBKDF2-HMAC-SHA256).
    public static let iterations = 210_000
    /// The fewest rounds a stored hash may have and still be accepted.
    public static let minimumIterations = 100_000

    public let iterations: Int
    public let salt: [UInt8]
    public let hash: [UInt8]

    /// Hashes `password` with a new random salt.
    public static func make(_ password: String, iterations: Int = PasswordHash.iterations) throws -> PasswordHash {
        var salt = [UInt8](repeating: 0, count: 16)
        guard RAND_bytes(&salt, Int32(salt.count)) == 1 else {
            throw GatewayError(.webUsersUnusable, "the system's random generator gave no salt for the password")
        }
        return PasswordHash(iterations: iterations, salt: salt, hash: try derive(password, salt: salt, iterations: iterations))
    }

    /// Reads `pbkdf2-sha256$ROUNDS$SALT$HASH`; nil for anything else (or fewer rounds than the minimum).
    public init?(_ text: String) {
        let parts = text.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let rounds = Int(parts[1]), rounds >= Self.minimumIterations,
            rounds <= 10_000_000, let salt = Data(base64Encoded: String(parts[2])), salt.count >= 16,
            let hash = Data(base64Encoded: String(parts[3])), hash.count == 32
        else { return nil }
        self.init(iterations: rounds, salt: Array(salt), hash: Array(hash))
    }

    init(iterations: Int, salt: [UInt8], hash: [UInt8]) {
        self.iterations = iterations
        self.salt = salt
        self.hash = hash
    }

    public var description: String {
        "pbkdf2-sha256$\(iterations)$\(Data(salt).base64EncodedString())$\(Data(hash).base64EncodedString())"
    }

    /// Whether `password` is the one hashed, compared in time that does not depend on where they differ.
    public func matches(_ password: String) -> Bool {
        guard let derived = try? Self.derive(password, salt: salt, iterations: iterations) else { return false }
        return Self.constantTimeEqual(derived, hash)
    }

    /// Whether two byte strings are equal, looking at every byte whatever the first difference.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in 0..<a.count { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    static func derive(_ password: String, salt: [UInt8], iterations: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        let bytes = password.utf8CString  // never empty: the terminating zero, not hashed
        let status = bytes.withUnsafeBufferPointer { pointer in
            PKCS5_PBKDF2_HMAC(
                pointer.baseAddress, Int32(bytes.count - 1), salt, Int32(salt.count), Int32(iterations), EVP_sha256(), Int32(out.count),
                &out)
        }
        guard status == 1 else { throw GatewayError(.webUsersUnusable, "OpenSSL's PBKDF2 failed") }
        return out
    }
}
