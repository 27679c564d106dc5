import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments

/// Duplicate elimination by message id on the receiving side: a message received before is
/// answered with its first receipt, byte for byte, and nothing is recorded again.
extension IncomingWorkflow {
    /// What was received before in this (peer, message id).
    func earlierMessage(_ message: IncomingMessage) async throws -> IncomingMessageRecord? {
        let query = JournalQuery(direction: .incoming, messageID: message.messageID, peer: message.peer)
        if let entry = try await registrar.entries(query).first { return .registered(entry) }
        if let kept = try await registrar.quarantined(JournalQuery(messageID: message.messageID, peer: message.peer)).first {
            return .quarantined(kept)
        }
        return nil
    }

    /// The answer to a message received before: the same bytes get the first receipt (made now if it
    /// could not be then); other bytes under the same id are refused.
    func duplicate(
        of earlier: IncomingMessageRecord, _ bytes: [UInt8], sourceName: String, message: IncomingMessage, at receivedAt: Date
    ) async throws -> IncomingOutcome {
        let digest = ArchiveDigest.sha256Hex(bytes)
        let firstDigest: String?
        switch earlier {
        case .registered(let entry): firstDigest = entry.documentDigest
        case .quarantined(let kept): firstDigest = kept.documentDigest
        }
        guard firstDigest == digest else {
            throw GatewayError(
                .messageIDReused,
                "the message id \(message.messageID) from \(message.peer) was received before with another document (\(sourceName) differs)",
                hint: "nothing was recorded: a message id names one document for ever; send another document under a new message id")
        }
        let receipt = try await firstReceipt(message, earlier: earlier)
        switch earlier {
        case .registered(let entry):
            var problem: String?
            var made = receipt
            if made == nil,
                case .some(let document) = try? DocumentValidator(context: gateway.documents).read(bytes, sourceName: sourceName)
            {
                if case .receipt = document {
                } else {
                    (made, problem) = await receiptOrProblem(
                        for: document, received: bytes,
                        outcome: .accepted(incomingNumber: entry.number, incomingDate: Self.registrationDay(entry, or: receivedAt)),
                        at: receivedAt, message: message)
                }
            }
            return IncomingOutcome(
                disposition: .duplicate(entry), reasons: [], validation: nil, receipt: made, receiptProblem: problem, isDuplicate: true)
        case .quarantined(let kept):
            let reason = RejectionReason.recorded(in: kept.reason)
            let detail = kept.reason.hasPrefix(reason.name + ": ") ? String(kept.reason.dropFirst(reason.name.count + 2)) : nil
            var problem: String?
            var made = receipt
            if made == nil, reason != .fromOwnAgency,
                case .some(let document) = try? DocumentValidator(context: gateway.documents).read(bytes, sourceName: sourceName)
            {
                if case .receipt = document {
                } else {
                    (made, problem) = await receiptOrProblem(
                        for: document, received: bytes, outcome: .rejected(reason: Self.receiptText(reason, detail.map { [$0] } ?? [])),
                        at: receivedAt, message: message)
                }
            }
            return IncomingOutcome(
                disposition: .quarantined(kept, reason: reason), reasons: detail.map { [$0] } ?? [], validation: nil, receipt: made,
                receiptProblem: problem, isDuplicate: true)
        }
    }

    /// The receipt signed the first time for this message, if one was.
    private func firstReceipt(_ message: IncomingMessage, earlier: IncomingMessageRecord) async throws -> SignedReceipt? {
        let query = JournalQuery(direction: .outgoing, kind: .receipt, messageID: message.messageID, peer: message.peer)
        if let entry = try await registrar.entries(query).first { return try await storedReceipt(number: entry.number, year: entry.year) }
        if case .registered(let entry) = earlier, let number = entry.acknowledgedBy.first {
            return try await storedReceipt(number: number, year: entry.year)
        }
        return nil
    }
}
