import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedGateway

/// For an audit: the checkpoints of this archive that the peers hold (docs/exchange-protocol.md,
/// section 3), fetched from each peer's server and the latest written into a witness folder, so
/// that `mezhved archive audit --peers` checks the archive against what the peers saw.
public enum PeerCheckpointCollection {
    /// What one peer answered.
    public struct PeerAnswer: Sendable {
        public let peer: String
        /// The entry its checkpoint covers; nil when it holds none or could not be asked.
        public let seq: Int?
        /// Why it could not be asked.
        public let problem: String?
    }

    /// Asks every peer with a url; writes the checkpoint of the highest entry into `folder`
    /// (as `000000000100.xml`, the witness layout). The audit checks its signature.
    public static func collect(gateway: Gateway, into folder: String) async throws -> [PeerAnswer] {
        guard let settings = gateway.configuration.exchange else {
            throw ServerSetupError(
                "the gateway configuration \(gateway.configuration.source) has no exchange section: it has no peers to ask")
        }
        let client = try PeerClient(agency: gateway.agency.id, settings: settings, pins: try PeerPins(settings))
        var answers: [PeerAnswer] = []
        var best: (seq: Int, bytes: [UInt8])?
        for peer in settings.peers where peer.url != nil {
            switch await client.heldCheckpoint(at: peer.agency) {
            case .success(nil):
                answers.append(PeerAnswer(peer: peer.agency, seq: nil, problem: nil))
            case .success(let bytes?):
                guard let checkpoint = try? Checkpoint.read(bytes, sourceName: "checkpoint held by \(peer.agency)") else {
                    answers.append(PeerAnswer(peer: peer.agency, seq: nil, problem: "it sent something that is not a checkpoint"))
                    continue
                }
                answers.append(PeerAnswer(peer: peer.agency, seq: checkpoint.seq, problem: nil))
                if checkpoint.seq > best?.seq ?? -1 { best = (checkpoint.seq, bytes) }
            case .failure(let failure):
                answers.append(PeerAnswer(peer: peer.agency, seq: nil, problem: failure.description))
            }
        }
        await client.shutdown()
        if let best {
            try FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            do {
                try DurableFile.replace(folder + "/" + CheckpointSignature.fileName(seq: best.seq), with: best.bytes)
            } catch {
                throw ServerSetupError("the peers' checkpoint cannot be written into \(folder): \(error.reason)")
            }
        }
        return answers
    }
}
