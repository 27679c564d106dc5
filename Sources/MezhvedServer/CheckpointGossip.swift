import Foundation
import Logging
import MezhvedArchive
import ServiceLifecycle

/// Sends the archive's latest signed checkpoint to every peer that accepts connections, each time
/// there is a new one (docs/exchange-protocol.md, section 3), so that the peers can catch a rollback.
/// A peer that answers 409 holds a later or another checkpoint of ours: the operators are told
/// loudly, since that means this archive went back.
struct CheckpointGossip: Service, CustomStringConvertible {
    let state: ExchangeState
    let interval: Duration

    var description: String { "CheckpointGossip" }

    func run() async throws {
        var sent: [String: String] = [:]  // peer → the checkpoint name it has
        let peers = state.settings.peers.filter { $0.url != nil }.map(\.agency)
        guard !peers.isEmpty else { return }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if let latest = try? await state.archive.storage.checkpoints.latest() {
                for peer in peers where sent[peer] != latest.name {
                    switch await state.client.sendCheckpoint(latest.bytes, to: peer) {
                    case .done, .receipt:
                        sent[peer] = latest.name
                        state.logger.debug("checkpoint sent to a peer", metadata: ["peer": "\(peer)", "checkpoint": "\(latest.name)"])
                    case .refused(let status, let code, let detail):
                        if status == 409 {
                            state.logger.critical(
                                "a peer holds a later or another checkpoint of this archive: it may have been rolled back — audit it",
                                metadata: ["peer": "\(peer)", "detail": "\(detail)"])
                        } else {
                            state.logger.warning("a peer refused the checkpoint", metadata: ["peer": "\(peer)", "code": "\(code)"])
                        }
                        sent[peer] = latest.name
                    case .pending:
                        break  // tried again next round
                    case .unavailable(let why):
                        state.logger.debug("a peer did not take the checkpoint now", metadata: ["peer": "\(peer)", "why": "\(why)"])
                    }
                }
            }
            try? await Task.sleep(for: interval)
        }
    }
}
