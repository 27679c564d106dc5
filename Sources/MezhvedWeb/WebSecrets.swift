import Foundation
import MezhvedArchive
import MezhvedGateway

/// The random values of the pages (session ids, CSRF tokens): 256 bits from the system's CSPRNG,
/// as base64url without padding (43 characters), valid in a cookie and a form.
enum WebSecrets {
    static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for _ in 0..<4 {
            let word = generator.next()
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// SHA-256 (lowercase hex) of a secret: what is kept server-side.
    static func digest(_ secret: String) -> String { ArchiveDigest.sha256Hex(Array(secret.utf8)) }

    /// Whether `presented` is `expected`, in time independent of where they differ.
    static func same(_ presented: String, _ expected: String) -> Bool {
        PasswordHash.constantTimeEqual(Array(presented.utf8), Array(expected.utf8))
    }

    /// Whether `text` has the shape of one of these secrets (so that junk is refused before a lookup).
    static func isWellFormed(_ text: String) -> Bool {
        let alphabet = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_".utf8)
        return text.utf8.count == 43 && text.utf8.allSatisfy(alphabet.contains)
    }
}
