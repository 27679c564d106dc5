import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedXMLDSig

/// What the exchange says of a received document (docs/exchange-protocol.md): the message id the
/// sender chose, the peer agency the transport authenticated, and the message's end of life.
public struct IncomingMessage: Sendable, Equatable {
    /// `Mezhved-Message-Id`: 1–128 characters of `A–Z a–z 0–9 . _ : @ -`.
    public var messageID: String
    /// The authenticated peer agency (directory id): whose pinned TLS certificate was presented.
    public var peer: String
    /// `Mezhved-Expires`, when given: a message past it is not delivered.
    public var expires: Date?

    public init(messageID: String, peer: String, expires: Date? = nil) {
        self.messageID = messageID
        self.peer = peer
        self.expires = expires
    }

    /// Whether `id` is a message id the protocol allows.
    public static func isValidID(_ id: String) -> Bool { Journal.isValidMessageID(id) }
}

/// One outgoing message as it goes on the wire: the headers' values and the document's bytes.
public struct OutgoingMessage: Sendable, Equatable {
    /// `Mezhved-Message-Id`.
    public let messageID: String
    /// `Mezhved-From`: this gateway's agency.
    public let from: String
    /// `Mezhved-To`: the receiving agency.
    public let to: String
    /// `Mezhved-Expires`.
    public let expires: Date?
    /// The document exactly as signed and archived.
    public let document: [UInt8]
    /// SHA-256 of `document` (for `Content-Digest`).
    public let sha256: [UInt8]
    /// The registration number and year of the document in this gateway's journal.
    public let number: String
    public let year: Int

    /// `Content-Digest` (RFC 9530): `sha-256=:BASE64:`.
    public var contentDigest: String { "sha-256=:\(Data(sha256).base64EncodedString()):" }

    /// `Mezhved-Expires` as RFC 3339 UTC, when the message has an end of life.
    public var expiresHeader: String? { expires.map { ISOTime.string($0) } }
}
