import Foundation
import Logging
import MezhvedArchive
import MezhvedCore
import MezhvedGateway
import ServiceLifecycle

/// Section 2 of the protocol, the receiver's side: for each peer marked `pull`, fetches the
/// messages it queued for us, takes each one in exactly as a pushed one (duplicate elimination by
/// message id included) and posts the receipt back.
struct PullWorker: Service, CustomStringConvertible {
    let state: ExchangeState
    /// Seconds a fetch waits at the peer for a message.
    let wait: Int

    var description: String { "PullWorker" }

    func run() async throws {
        let peers = state.settings.peers.filter { $0.pull && $0.url != nil }.map(\.agency)
        guard !peers.isEmpty else { return }
        await withTaskGroup(of: Void.self) { group in
            for peer in peers { group.addTask { await pull(from: peer) } }
        }
    }

    func pull(from peer: String) async {
        var pause: Duration = .seconds(1)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            // A long poll in flight ends at once on shutdown (the message, if any, is fetched again next time).
            let fetched = await cancelWhenGracefulShutdown { await state.client.fetch(from: peer, wait: wait) }
            if Task.isShuttingDownGracefully { return }
            switch fetched {
            case .success(nil):
                pause = .seconds(1)
            case .success(let message?):
                pause = .seconds(1)
                await take(message, from: peer)
            case .failure(let failure):
                state.logger.warning("fetching from a peer failed; trying again", metadata: ["peer": "\(peer)", "why": "\(failure)"])
                let wait = pause
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
                pause = min(pause * 2, .seconds(60))
            }
        }
    }

    func take(_ message: WireMessage, from peer: String) async {
        guard message.from == peer, message.to == state.gateway.agency.id else {
            state.logger.error("a fetched message names other agencies than the peer and us; not taken", metadata: ["peer": "\(peer)"])
            return
        }
        do {
            let outcome = try await state.incoming.receive(
                message.document, sourceName: "message \(message.messageID) fetched from \(peer)", at: Date(),
                message: IncomingMessage(messageID: message.messageID, peer: peer, expires: message.expires))
            state.metrics.received(outcome)
            await state.settleChildren(after: outcome)
            guard let receipt = outcome.receipt else { return }
            switch await state.client.postReceipt(receipt.document, messageID: message.messageID, to: peer) {
            case .done, .receipt: break
            case .refused(let status, let code, let detail):
                state.logger.error(
                    "the peer refused our receipt",
                    metadata: ["peer": "\(peer)", "status": "\(status)", "code": "\(code)", "detail": "\(detail)"])
            case .pending, .unavailable:
                break  // fetched again next round; the same receipt is posted then
            }
        } catch {
            state.logger.error("a fetched message could not be taken in", metadata: ["peer": "\(peer)", "error": "\(error)"])
        }
    }
}
