import Foundation
import Logging
import MezhvedArchive
import MezhvedCore
import MezhvedGateway
import ServiceLifecycle

/// Pushes the outbox's due messages to the peers that accept connections (docs/exchange-protocol.md,
/// section 1), at most `concurrency` at once, and records what each attempt came to: a receipt is
/// checked before the message counts as acknowledged; a refusal retrying cannot cure fails the
/// message; anything else is retried with the outbox's backoff. Messages past their end of life
/// become expired. Messages for pull peers wait for them to fetch.
struct DeliveryWorker: Service, CustomStringConvertible {
    let state: ExchangeState
    let outbox: Outbox
    /// How often the outbox is looked at when nothing is due sooner.
    let pollInterval: Duration

    var description: String { "DeliveryWorker" }

    func run() async throws {
        let pushPeers = Set(state.settings.peers.filter { $0.url != nil }.map(\.agency))
        let concurrency = state.settings.delivery.concurrency
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                for expired in try await outbox.expireDue() {
                    state.metrics.delivery("expired")
                    state.logger.warning(
                        "a message expired before a receipt came",
                        metadata: ["message": "\(expired.messageID)", "number": "\(expired.number)", "peer": "\(expired.peer)"])
                }
                let due = try await outbox.due().filter { pushPeers.contains($0.peer) }
                await withTaskGroup(of: Void.self) { group in
                    var running = 0
                    for message in due {
                        // Taken by one worker of one node (another node of the store may have it).
                        guard (try? await outbox.claim(message.messageID)) == true else { continue }
                        if running == concurrency {
                            await group.next()
                            running -= 1
                        }
                        running += 1
                        group.addTask {
                            // Shutdown cuts an attempt short: the durable state stands, and the
                            // receiver's duplicate elimination makes the next attempt safe.
                            await cancelWhenGracefulShutdown { await deliver(message) }
                            try? await outbox.release(message.messageID)
                        }
                    }
                }
            } catch {
                state.logger.error("the outbox could not be read; trying again", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pollInterval) }
        }
    }

    /// One attempt.
    func deliver(_ message: MessageStatus) async {
        let id = message.messageID
        do {
            let payload = try await outbox.payload(of: id)
            let wire = WireMessage(
                messageID: payload.messageID, from: payload.from, to: payload.to,
                expires: payload.expires ?? Date().addingTimeInterval(Double(state.settings.delivery.messageLifetime)),
                document: payload.document)
            let answer = await state.client.push(wire, to: message.peer)
            try await record(answer, for: message)
        } catch {
            state.logger.error("a delivery could not be recorded", metadata: ["message": "\(id)", "error": "\(error)"])
        }
    }

    /// Records what an attempt (a push, or a receipt a puller posted) came to.
    func record(_ answer: PeerAnswer, for message: MessageStatus) async throws {
        let id = message.messageID
        switch answer {
        case .receipt(let receipt, _):
            do {
                let status = try await outbox.acceptReceipt(receipt, for: id)
                state.metrics.delivery(status.state.rawValue)
                state.logger.info(
                    "delivered",
                    metadata: [
                        "message": "\(id)", "number": "\(message.number)", "peer": "\(message.peer)", "state": "\(status.state.rawValue)",
                    ])
            } catch let error as GatewayError where error.code == .receiptNotValid {
                state.metrics.delivery("receipt-not-valid")
                _ = try await outbox.recordFailure(id, error: "the receipt does not verify: \(error.message)", permanent: false)
            }
        case .pending(let retryAfter):
            state.metrics.delivery("pending")
            _ = try await outbox.recordNoReceiptYet(id, retryAfter: .seconds(max(1, retryAfter ?? 30)))
        case .refused(let status, let code, let detail):
            state.metrics.delivery("refused")
            _ = try await outbox.recordFailure(id, error: "\(message.peer) refused it (\(status) \(code)): \(detail)", permanent: true)
        case .unavailable(let why):
            state.metrics.delivery("retry")
            _ = try await outbox.recordFailure(id, error: why, permanent: false)
        case .done:
            _ = try await outbox.recordFailure(id, error: "\(message.peer) answered without a receipt", permanent: false)
        }
    }
}
