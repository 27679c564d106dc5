internal import COpenSSL
import Foundation
import MezhvedCore
import MezhvedXMLDSig

/// The key that turns a person's SNILS into the pseudonym the records hold: HMAC-SHA-256 (OpenSSL)
/// of the SNILS's 11 digits. Figures can then count distinct people without names, and without the
/// key nobody can find whose hash it is (the SNILS space is small enough to try every number, which
/// is why the hash is keyed). Like ``ArchiveDataKey`` it is 32 bytes read at run time from a file
/// kept apart from the archive; only its id is recorded. Agencies that must count the same people
/// across their records use the same key (the social protection committee issues it).
public struct PersonKey: Sendable {
    let bytes: [UInt8]

    /// `sha256:` and the first 32 hex digits of SHA-256("mezhved-person-key" ‖ key).
    public let keyID: String

    /// Every hash begins with this.
    public static let hashPrefix = "hmac-sha256:"

    /// A key from its 32 bytes.
    public init(bytes: [UInt8]) throws {
        guard bytes.count == 32 else {
            throw ArchiveError(
                .dataKeyUnusable, "a person key must be 32 bytes, not \(bytes.count)",
                hint: "make one with `openssl rand -out person.key 32`")
        }
        self.bytes = bytes
        self.keyID = "sha256:" + String(ArchiveCrypto.sha256Hex(Array("mezhved-person-key".utf8) + bytes).prefix(32))
    }

    /// Reads a key file: 32 raw bytes, or 64 hex digits (a line end allowed).
    public static func load(contentsOf path: String) throws -> PersonKey {
        guard let content = try DurableFiles.read(path) else {
            throw ArchiveError(
                .dataKeyUnusable, "the person key file \(path) does not exist",
                hint: "make one with `openssl rand -out person.key 32` (mode 0600, outside the archive) and name it in archive.personKey")
        }
        if content.count == 32 { return try PersonKey(bytes: content) }
        let text = String(decoding: content, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.count == 64, let bytes = ArchiveDataKey.hexBytes(text) { return try PersonKey(bytes: bytes) }
        throw ArchiveError(
            .dataKeyUnusable, "the person key file \(path) holds \(content.count) bytes: neither 32 raw bytes nor 64 hex digits",
            hint: "make one with `openssl rand -out person.key 32`")
    }

    /// A fresh random key.
    public static func generate() throws -> PersonKey { try PersonKey(bytes: ArchiveCrypto.randomBytes(32)) }

    /// The key as 64 hex digits (to write a new key file).
    public var hex: String { hexString(bytes) }

    /// The pseudonym of a person: `hmac-sha256:` and the hex HMAC-SHA-256 of the SNILS's 11 digits.
    /// Throws (without repeating the number) when `snils` is not a valid SNILS.
    public func hash(snils: String) throws -> String {
        if let problem = RussianIdentifiers.snilsProblem(snils) {
            throw ArchiveError(.documentRefused, "the SNILS given is not valid: \(problem)", hint: "check the SNILS")
        }
        let digits = Array(snils.filter(\.isNumber).utf8)
        var out = [UInt8](repeating: 0, count: 32)
        var length = 0
        let done = bytes.withUnsafeBytes { key in
            digits.withUnsafeBytes { data in
                EVP_Q_mac(
                    nil, "HMAC", nil, "SHA256", nil, key.baseAddress, key.count, data.baseAddress, data.count, &out, out.count, &length)
            }
        }
        guard done != nil, length == 32 else {
            throw ArchiveError(.internalFailure, "OpenSSL could not compute HMAC-SHA-256", openSSLErrors: drainOpenSSLErrors())
        }
        return Self.hashPrefix + hexString(out)
    }
}
