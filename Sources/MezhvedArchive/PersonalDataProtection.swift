import Foundation
import MezhvedXMLDSig

/// The 32-byte key that encrypts personal data at rest. It is read at run time from a file the
/// archive does not hold (raw 32 bytes, or 64 hex digits); the archive records only its key id.
public struct ArchiveDataKey: Sendable {
    let bytes: [UInt8]

    /// `sha256:` and the first 32 hex digits of SHA-256("mezhved-archive-data-key" ‖ key): names
    /// the key without revealing it, so that a wrong key is told apart from damaged data.
    public let keyID: String

    /// A key from its 32 bytes.
    public init(bytes: [UInt8]) throws {
        guard bytes.count == 32 else {
            throw ArchiveError(
                .dataKeyUnusable, "a personal-data key must be 32 bytes, not \(bytes.count)",
                hint: "make one with `openssl rand -out data.key 32`")
        }
        self.bytes = bytes
        self.keyID = "sha256:" + String(ArchiveCrypto.sha256Hex(Array("mezhved-archive-data-key".utf8) + bytes).prefix(32))
    }

    /// Reads a key file: 32 raw bytes, or 64 hex digits (a line end allowed).
    public static func load(contentsOf path: String) throws -> ArchiveDataKey {
        guard let content = try DurableFiles.read(path) else {
            throw ArchiveError(
                .dataKeyUnusable, "the personal-data key file \(path) does not exist",
                hint: "check the personal-data key file given")
        }
        if content.count == 32 { return try ArchiveDataKey(bytes: content) }
        let text = String(decoding: content, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.count == 64, let bytes = hexBytes(text) { return try ArchiveDataKey(bytes: bytes) }
        throw ArchiveError(
            .dataKeyUnusable, "the personal-data key file \(path) holds \(content.count) bytes: neither 32 raw bytes nor 64 hex digits",
            hint: "make one with `openssl rand -out data.key 32`")
    }

    /// A fresh random key.
    public static func generate() throws -> ArchiveDataKey { try ArchiveDataKey(bytes: ArchiveCrypto.randomBytes(32)) }

    /// The key as 64 hex digits (to write a new key file).
    public var hex: String { hexString(bytes) }

    static func hexBytes(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var chars = Array(text.utf8)[...]
        while chars.count >= 2 {
            guard let hi = hexValue(chars.removeFirst()), let lo = hexValue(chars.removeFirst()) else { return nil }
            out.append(hi << 4 | lo)
        }
        return chars.isEmpty ? out : nil
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// Encrypts the `PersonalData` element of a document in place, as a W3C XML Encryption 1.1
/// `xenc:EncryptedData` (Type Element, AES-256-GCM, IV ‖ ciphertext ‖ tag), and puts the exact
/// original bytes back. Everything outside `PersonalData` — the signature above all — stays as it
/// was, byte for byte.
public enum PersonalDataProtection {
    static let encryptedDataStart = Array("<xenc:EncryptedData".utf8)
    static let encryptedDataEnd = Array("</xenc:EncryptedData>".utf8)
    /// XML Encryption's AES-256-GCM algorithm URI.
    public static let algorithm = "http://www.w3.org/2009/xmlenc11#aes256-gcm"

    /// The byte range of the one `PersonalData` element of an interagency document, or nil when
    /// there is none. Throws when there is more than one or it cannot be delimited exactly.
    static func personalDataRange(_ bytes: [UInt8], sourceName: String) throws -> Range<Int>? {
        let starts = occurrences(of: Array("<PersonalData".utf8), in: bytes).filter { i in
            let next = i + 13 < bytes.count ? bytes[i + 13] : 0
            return next == UInt8(ascii: ">") || next == UInt8(ascii: " ") || next == UInt8(ascii: "/") || next == UInt8(ascii: "\n")
                || next == UInt8(ascii: "\t") || next == UInt8(ascii: "\r")
        }
        if starts.isEmpty { return nil }
        guard starts.count == 1 else {
            throw ArchiveError(
                .documentRefused, "\(sourceName) holds \(starts.count) PersonalData elements; exactly one is expected",
                hint: "archive documents made by mezhved: their personal data is in one element")
        }
        let start = starts[0]
        guard let tagEnd = bytes[start...].firstIndex(of: UInt8(ascii: ">")) else {
            throw ArchiveError(.documentRefused, "\(sourceName): the PersonalData start tag is not closed")
        }
        if bytes[tagEnd - 1] == UInt8(ascii: "/") { return start..<(tagEnd + 1) }
        let ends = occurrences(of: Array("</PersonalData>".utf8), in: bytes)
        guard ends.count == 1, ends[0] > tagEnd else {
            throw ArchiveError(
                .documentRefused, "\(sourceName): the end of the PersonalData element cannot be found exactly once",
                hint: "archive documents made by mezhved: their personal data is in one element")
        }
        return start..<(ends[0] + 15)
    }

    static func occurrences(of needle: [UInt8], in haystack: [UInt8]) -> [Int] {
        guard !needle.isEmpty, haystack.count >= needle.count else { return [] }
        var found: [Int] = []
        let first = needle[0]
        haystack.withUnsafeBufferPointer { h in
            needle.withUnsafeBufferPointer { n in
                var i = 0
                let last = h.count - n.count
                while i <= last {
                    if h[i] == first && memcmp(h.baseAddress! + i, n.baseAddress!, n.count) == 0 { found.append(i) }
                    i += 1
                }
            }
        }
        return found
    }

    /// The stored form of `original`: its `PersonalData` element replaced by `xenc:EncryptedData`,
    /// or the original itself when it has no personal data (then `encrypted` is false).
    public static func protect(_ original: [UInt8], key: ArchiveDataKey, sourceName: String) throws -> (stored: [UInt8], encrypted: Bool) {
        guard let range = try personalDataRange(original, sourceName: sourceName) else { return (original, false) }
        let sealed = try ArchiveCrypto.sealAES256GCM(Array(original[range]), key: key.bytes)
        let element =
            "<xenc:EncryptedData xmlns:xenc=\"http://www.w3.org/2001/04/xmlenc#\" Type=\"http://www.w3.org/2001/04/xmlenc#Element\">"
            + "<xenc:EncryptionMethod Algorithm=\"\(algorithm)\"/>"
            + "<ds:KeyInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:KeyName>\(key.keyID)</ds:KeyName></ds:KeyInfo>"
            + "<xenc:CipherData><xenc:CipherValue>\(Data(sealed).base64EncodedString())</xenc:CipherValue></xenc:CipherData>"
            + "</xenc:EncryptedData>"
        return (Array(original[..<range.lowerBound]) + Array(element.utf8) + Array(original[range.upperBound...]), true)
    }

    /// The key id named in a stored document's `EncryptedData`, or nil when it has none.
    public static func keyID(ofStored stored: [UInt8]) -> String? {
        guard let start = occurrences(of: Array("<ds:KeyName>".utf8), in: stored).first,
            let end = occurrences(of: Array("</ds:KeyName>".utf8), in: stored).first, end > start + 12
        else { return nil }
        return String(decoding: stored[(start + 12)..<end], as: UTF8.self)
    }

    /// The original document from its stored form. Throws when the key is not the one used or
    /// the ciphertext was altered (the GCM tag does not verify).
    public static func reveal(_ stored: [UInt8], key: ArchiveDataKey, sourceName: String) throws -> [UInt8] {
        let starts = occurrences(of: encryptedDataStart, in: stored)
        if starts.isEmpty { return stored }
        let ends = occurrences(of: encryptedDataEnd, in: stored)
        guard starts.count == 1, ends.count == 1, ends[0] > starts[0] else {
            throw ArchiveError(
                .integrityBroken, "\(sourceName): the stored EncryptedData element is not exactly one", hint: "run `mezhved archive audit`")
        }
        let element = Array(stored[starts[0]..<(ends[0] + encryptedDataEnd.count)])
        if let named = keyID(ofStored: element), named != key.keyID {
            throw ArchiveError(
                .dataKeyUnusable, "\(sourceName) was encrypted with the key \(named), not with the key given (\(key.keyID))",
                hint: "give the archive's personal-data key")
        }
        let valueStart = occurrences(of: Array("<xenc:CipherValue>".utf8), in: element).first
        let valueEnd = occurrences(of: Array("</xenc:CipherValue>".utf8), in: element).first
        guard let valueStart, let valueEnd, valueEnd > valueStart,
            let sealed = Data(base64Encoded: String(decoding: element[(valueStart + 18)..<valueEnd], as: UTF8.self))
        else {
            throw ArchiveError(.integrityBroken, "\(sourceName): the stored CipherValue is not base64", hint: "run `mezhved archive audit`")
        }
        guard let plaintext = try ArchiveCrypto.openAES256GCM([UInt8](sealed), key: key.bytes) else {
            throw ArchiveError(
                .integrityBroken, "\(sourceName): the encrypted personal data does not decrypt (GCM tag mismatch: altered, or another key)",
                hint: "run `mezhved archive audit`")
        }
        return Array(stored[..<starts[0]]) + plaintext + Array(stored[(ends[0] + encryptedDataEnd.count)...])
    }
}
