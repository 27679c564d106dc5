import Foundation
import HTTPTypes
import MezhvedArchive
import MezhvedCore

/// The protocol's header names (docs/exchange-protocol.md, "Headers").
extension HTTPField.Name {
    static let mezhvedMessageID = HTTPField.Name("Mezhved-Message-Id")!
    static let mezhvedFrom = HTTPField.Name("Mezhved-From")!
    static let mezhvedTo = HTTPField.Name("Mezhved-To")!
    static let mezhvedExpires = HTTPField.Name("Mezhved-Expires")!
    static let mezhvedReceipt = HTTPField.Name("Mezhved-Receipt")!
    static let mezhvedDuplicate = HTTPField.Name("Mezhved-Duplicate")!
    static let mezhvedIncomingNumber = HTTPField.Name("Mezhved-Incoming-Number")!
    static let contentDigest = HTTPField.Name("Content-Digest")!
}

/// A message's envelope as its headers carry it.
struct MessageHeaders: Sendable, Equatable {
    let messageID: String
    let from: String
    let to: String
    let expires: Date
    /// The SHA-256 the sender's `Content-Digest` claims, when it sent one.
    let contentSHA256: [UInt8]?

    /// Reads and checks the headers; a missing or malformed one is a 400 naming it.
    init(_ fields: HTTPFields) throws {
        func required(_ name: HTTPField.Name) throws -> String {
            guard let value = fields[name], !value.isEmpty else {
                throw Problem(.badRequest, "header-missing", "the \(name) header is missing (docs/exchange-protocol.md, Headers)")
            }
            return value
        }
        messageID = try required(.mezhvedMessageID)
        guard Self.isMessageID(messageID) else {
            throw Problem(
                .badRequest, "header-invalid",
                "Mezhved-Message-Id must be 1–128 characters of A–Z a–z 0–9 . _ : @ - (a UUID, say); got \(messageID.count) characters")
        }
        from = try required(.mezhvedFrom)
        to = try required(.mezhvedTo)
        let expiresText = try required(.mezhvedExpires)
        guard let expires = ISOTime.date(expiresText) else {
            throw Problem(.badRequest, "header-invalid", "Mezhved-Expires must be an RFC 3339 UTC time (2026-12-10T12:00:00Z)")
        }
        self.expires = expires
        if let digest = fields[.contentDigest] {
            guard let value = Self.sha256(fromContentDigest: digest) else {
                throw Problem(.badRequest, "header-invalid", "Content-Digest must be sha-256=:BASE64: (RFC 9530)")
            }
            contentSHA256 = value
        } else {
            contentSHA256 = nil
        }
    }

    static func isMessageID(_ text: String) -> Bool {
        (1...128).contains(text.utf8.count)
            && text.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || [UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "-")].contains(byte)
            }
    }

    /// `sha-256=:BASE64:` (other algorithms in the list are ignored).
    static func sha256(fromContentDigest header: String) -> [UInt8]? {
        for item in header.split(separator: ",") {
            let parts = item.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "sha-256" else { continue }
            let value = parts[1]
            guard value.hasPrefix(":"), value.hasSuffix(":"), value.count > 2,
                let data = Data(base64Encoded: String(value.dropFirst().dropLast())), data.count == 32
            else { return nil }
            return [UInt8](data)
        }
        return nil
    }

    /// A header value that may hold non-ASCII text (a registration number `ВХ-2026-000001`): its
    /// UTF-8, percent-encoded (RFC 3986 unreserved characters stay as they are).
    static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(
            withAllowedCharacters: CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/")) ?? ""
    }

    /// The `Content-Digest` value for `bytes`.
    static func contentDigest(_ bytes: [UInt8]) -> String {
        "sha-256=:" + Data(ArchiveDigest.sha256(bytes)).base64EncodedString() + ":"
    }
}
