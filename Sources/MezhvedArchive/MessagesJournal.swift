import Foundation
import MezhvedCore

/// The outgoing messages in the journal: their constraints (checked in ``Journal/prepare(_:time:configuration:)``),
/// their replay, and the lookups of received messages by (peer, message id).
extension Journal {
    /// The outgoing message with this id.
    public func message(id: String) -> MessageStatus? { messageIndex[id].map { messages[$0] } }

    /// The outgoing message that carries the document `key`.
    public func message(carrying key: JournalKey) -> MessageStatus? { messageByEntry[key].map { messages[$0] } }

    /// The outgoing messages a query selects, in the order first queued, paged.
    public func messages(matching query: MessageQuery) -> [MessageStatus] {
        if let messageID = query.messageID { return query.page((message(id: messageID).map { [$0] } ?? []).filter { query.matches($0) }) }
        return query.page(messages.lazy.filter { query.matches($0) })
    }

    /// What was received in message `messageID` from `peer`: its incoming registration or its quarantine.
    public func incomingMessage(_ messageID: String, peer: String?) -> IncomingMessageRecord? {
        for position in entriesByMessage[messageID] ?? [] where entries[position].direction == .incoming && entries[position].peer == peer {
            return .registered(entries[position])
        }
        for position in quarantinedByMessage[messageID] ?? [] where quarantined[position].peer == peer {
            return .quarantined(quarantined[position])
        }
        return nil
    }

    /// A message id as the protocol allows it: 1–128 characters of `A–Z a–z 0–9 . _ : @ -`.
    public static func isValidMessageID(_ id: String) -> Bool {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:@-".utf8)
        return (1...128).contains(id.utf8.count) && id.utf8.allSatisfy { allowed.contains($0) }
    }

    /// Refuses a second incoming document under one (peer, message id).
    func checkIncomingMessageUnused(_ messageID: String?, peer: String?) throws {
        guard let messageID else { return }
        guard Self.isValidMessageID(messageID) else {
            throw ArchiveError(
                .messageUnusable, "the message id \(DocumentText.cut(messageID)) is not 1–128 characters of A–Z a–z 0–9 . _ : @ -")
        }
        if incomingMessage(messageID, peer: peer) != nil {
            throw ArchiveError(
                .messageUnusable, "a document was already received in message \(messageID) from \(peer ?? "an unnamed peer")",
                hint: "a message id names one document for ever")
        }
    }

    /// The event a transition writes, or the error that refuses it (nothing is written then).
    func prepareMessage(_ transition: MessageTransition) throws -> EventPayload {
        let id = transition.messageID
        guard Self.isValidMessageID(id) else {
            throw ArchiveError(
                .messageUnusable, "the message id \(DocumentText.cut(id)) is not 1–128 characters of A–Z a–z 0–9 . _ : @ -")
        }
        guard transition.state != .sending else {
            throw ArchiveError(.messageUnusable, "message \(id): sending is not a state the journal records", hint: "record it in memory")
        }
        let key = JournalKey(year: transition.year, number: transition.number)
        var payload = EventPayload()
        payload.messageID = id
        payload.messageState = transition.state
        payload.number = transition.number
        payload.year = transition.year
        payload.direction = .outgoing
        payload.attempt = transition.attempt
        payload.nextAttempt = transition.nextAttempt.map { ISOTime.string($0, milliseconds: true) }
        payload.expires = transition.expires.map { ISOTime.string($0, milliseconds: true) }
        payload.reason = transition.reason.map { String($0.prefix(MessageTransition.reasonLimit)) }
        payload.receiptNumber = transition.receiptNumber
        if let current = message(id: id) {
            guard current.document == key else {
                throw ArchiveError(.messageUnusable, "message \(id) carries \(current.document), not \(key)")
            }
            guard current.state.allows(transition.state) else {
                throw ArchiveError(
                    .messageUnusable, "message \(id) is \(current.state.rawValue): it cannot become \(transition.state.rawValue)",
                    hint: current.state.isAcknowledged
                        ? "an acknowledged message takes no further change" : "only a failed or expired message is resent")
            }
            if let peer = transition.peer, peer != current.peer {
                throw ArchiveError(.messageUnusable, "message \(id) goes to \(current.peer), not to \(peer)")
            }
            payload.peer = current.peer
        } else {
            guard transition.state == .queued else {
                throw ArchiveError(
                    .messageUnusable, "message \(id) was never queued: it cannot become \(transition.state.rawValue)",
                    hint: "queue the document first (`mezhved send`)")
            }
            let entry = try Self.only(entries(number: transition.number, year: transition.year), number: transition.number)
            guard entry.direction == .outgoing, entry.registeredAt != nil, entry.recordedStatus != .voided, entry.kind != .receipt else {
                throw ArchiveError(
                    .messageUnusable,
                    "\(key) is not a registered outgoing request or answer (it is \(entry.direction.rawValue), \(entry.kind?.rawValue ?? "no document"), \(entry.recordedStatus.rawValue))",
                    hint: "a message carries an outgoing document registered in the journal; receipts travel in responses")
            }
            if let existing = message(carrying: key) {
                throw ArchiveError(
                    .messageUnusable, "\(key) is already queued as message \(existing.messageID)",
                    hint: "a document travels in one message; resend that one if it failed")
            }
            guard let recipient = entry.counterpart else { throw ArchiveError(.messageUnusable, "\(key) names no recipient") }
            if let peer = transition.peer, peer != recipient {
                throw ArchiveError(.messageUnusable, "\(key) is addressed to \(recipient), not to \(peer)")
            }
            payload.peer = recipient
        }
        switch transition.state {
        case .queued:
            guard transition.expires != nil else { throw ArchiveError(.messageUnusable, "message \(id) is queued without its end of life") }
        case .receipted, .rejected:
            guard let receiptNumber = transition.receiptNumber,
                let receipt = entries(number: receiptNumber).first(where: { $0.acknowledges == key })
            else {
                throw ArchiveError(
                    .messageUnusable,
                    "message \(id) cannot be \(transition.state.rawValue) without a registered receipt that acknowledges \(key)")
            }
            guard receipt.direction == .incoming, receipt.kind == .receipt else {
                throw ArchiveError(.messageUnusable, "\(receiptNumber) is not a receipt received for \(key)")
            }
        default:
            break
        }
        return payload
    }

    /// Replays one message event; what breaks the rules is an anomaly for the audit.
    mutating func applyMessage(_ event: ArchiveEvent) {
        let p = event.payload
        func anomaly(_ message: String) { anomalies.append(JournalAnomaly(seq: event.seq, message: message)) }
        guard let id = p.messageID, let state = p.messageState, let number = p.number, let year = p.year, state != .sending else {
            anomaly("a message event without its message id, state or document")
            return
        }
        let time = ISOTime.date(event.time) ?? .distantPast
        let key = JournalKey(year: year, number: number)
        guard let position = messageIndex[id] else {
            guard state == .queued, let peer = p.peer else {
                anomaly("message \(id) becomes \(state.rawValue) without having been queued")
                return
            }
            guard let target = index[key], entries[target].direction == .outgoing, entries[target].registeredAt != nil else {
                anomaly("message \(id) carries \(key), which is not a registered outgoing document")
                return
            }
            if messageByEntry[key] != nil { anomaly("a second message \(id) for \(key)") }
            messages.append(
                MessageStatus(
                    messageID: id, number: number, year: year, peer: peer, state: .queued, attempts: 0, nextAttempt: nil,
                    expires: p.expires.flatMap(ISOTime.date), lastError: nil, queuedAt: time, updatedAt: time, receiptNumber: nil,
                    history: [event.seq]))
            messageIndex[id] = messages.count - 1
            messageByEntry[key] = messages.count - 1
            entries[target].messageID = id
            entries[target].history.append(event.seq)
            entriesByMessage[id, default: []].append(target)
            return
        }
        var message = messages[position]
        guard message.document == key else {
            anomaly("message \(id) carries \(message.document), not \(key)")
            return
        }
        if !message.state.allows(state) { anomaly("message \(id) goes from \(message.state.rawValue) to \(state.rawValue)") }
        message.state = state
        message.updatedAt = time
        message.history.append(event.seq)
        if state == .queued {
            message.attempts = 0
            message.queuedAt = time
            message.lastError = nil
            message.receiptNumber = nil
            message.expires = p.expires.flatMap(ISOTime.date) ?? message.expires
        } else {
            message.attempts = p.attempt ?? message.attempts
            if let reason = p.reason { message.lastError = reason }
            if let receipt = p.receiptNumber { message.receiptNumber = receipt }
        }
        message.nextAttempt = p.nextAttempt.flatMap(ISOTime.date)
        messages[position] = message
        if let target = index[key] { entries[target].history.append(event.seq) }
    }
}

/// What was received in one (peer, message id).
public enum IncomingMessageRecord: Sendable, Equatable {
    /// Registered under an incoming number.
    case registered(JournalEntry)
    /// Refused and kept in quarantine.
    case quarantined(QuarantinedDocument)
}
