import Foundation

// TEMPORARY (lead): replaced by the outbox work's IncomingMessage at the merge.

/// A document that arrived as a message of the exchange protocol: its id, the authenticated peer, its end of life.
public struct IncomingMessage: Sendable, Equatable {
    public let messageID: String
    public let peer: String
    public let expires: Date?

    public init(messageID: String, peer: String, expires: Date?) {
        self.messageID = messageID
        self.peer = peer
        self.expires = expires
    }
}

extension IncomingWorkflow {
    public func receive(_ bytes: [UInt8], sourceName: String, at receivedAt: Date = Date(), message: IncomingMessage?) async throws
        -> IncomingOutcome
    {
        try await receive(bytes, sourceName: sourceName, at: receivedAt)
    }
}
