import Foundation
import Logging
import MezhvedArchive
import MezhvedCore
import MezhvedGateway
import MezhvedXMLDSig
import NIOPosix

/// The checkpoints peers sent us, kept as their archives' witness (docs/exchange-protocol.md,
/// section 3): `<spool>/witness/<agency>/<seq>.xml`, the same layout as an archive's witness folder,
/// so that the peer's own audit can use what we hold as its witness. A checkpoint that goes back
/// (a lower entry than one held, or the same entry with another head) is a conflict: kept apart
/// as evidence, logged, and answered 409.
struct PeerWitness: Sendable {
    let folder: String
    /// Peer agency → the SHA-256 fingerprint of its pinned gateway certificate.
    let pinnedGatewayCertificates: [String: String]
    let trust: TrustStore
    let intermediates: [Certificate]

    init(spool: String, settings: GatewayConfiguration.ExchangeSettings, trust: GatewayConfiguration.TrustSettings) throws {
        folder = spool + "/witness"
        var pins: [String: String] = [:]
        for peer in settings.peers {
            guard let path = peer.gatewayCertificate else { continue }
            guard let certificate = try? Certificate.load(contentsOf: path).first else {
                throw ServerSetupError("exchange.peers: the gateway certificate of \(peer.agency), \(path), cannot be read")
            }
            pins[peer.agency] = certificate.sha256Fingerprint
        }
        pinnedGatewayCertificates = pins
        do {
            self.trust = try TrustStore(directories: trust.anchors, crlFiles: trust.crls)
            self.intermediates = try trust.intermediates.flatMap { try Certificate.load(contentsOf: $0) }
        } catch {
            throw ServerSetupError("the trust settings cannot be loaded for the peers' checkpoints: \(error)")
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// What became of a checkpoint a peer sent.
    enum Outcome: Sendable, Equatable {
        case kept(seq: Int)
        case alreadyHeld(seq: Int)
        /// It goes back on one held: the peer's archive was rolled back or forked.
        case conflict(String)
    }

    /// Verifies and keeps a checkpoint `peer` sent.
    func keep(_ bytes: [UInt8], from peer: String) async throws -> Outcome {
        guard let pinned = pinnedGatewayCertificates[peer] else {
            throw Problem(
                .forbidden, "no-gateway-certificate",
                "this gateway has no gatewayCertificate pinned for \(peer) (exchange.peers), so it cannot keep its checkpoints")
        }
        let checkpoint: Checkpoint
        do {
            checkpoint = try CheckpointSignature.verified(
                bytes, item: "checkpoint from \(peer)", pinned: pinned, trust: trust, intermediates: intermediates)
        } catch let error as ArchiveError {
            throw Problem(.unprocessableContent, "checkpoint-not-valid", error.message)
        }
        guard checkpoint.agency == peer else {
            throw Problem(
                .unprocessableContent, "checkpoint-not-valid", "the checkpoint is of \(checkpoint.agency)'s archive, not \(peer)'s")
        }
        let peerFolder = folder + "/" + peer
        return try await NIOThreadPool.singleton.runIfActive { () throws -> Outcome in
            try FileManager.default.createDirectory(
                atPath: peerFolder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let held = try Self.latest(in: peerFolder)
            if let held {
                if checkpoint.seq < held.checkpoint.seq
                    || (checkpoint.seq == held.checkpoint.seq && checkpoint.head != held.checkpoint.head)
                {
                    let name = "conflict-\(CheckpointSignature.fileName(seq: checkpoint.seq).dropLast(4))-\(UUID().uuidString).xml"
                    try Self.write(bytes, to: peerFolder + "/" + name)
                    return .conflict(
                        checkpoint.seq < held.checkpoint.seq
                            ? "\(peer) sent a checkpoint of entry \(checkpoint.seq), but this gateway holds its checkpoint of entry \(held.checkpoint.seq): its archive was rolled back"
                            : "\(peer) sent a checkpoint of entry \(checkpoint.seq) with another head than the one held: its log was rewritten"
                    )
                }
                if checkpoint.seq == held.checkpoint.seq { return .alreadyHeld(seq: checkpoint.seq) }
            }
            try Self.write(bytes, to: peerFolder + "/" + CheckpointSignature.fileName(seq: checkpoint.seq))
            return .kept(seq: checkpoint.seq)
        }
    }

    /// The latest checkpoint held of `agency`, as sent.
    func latest(of agency: String) async throws -> [UInt8]? {
        let peerFolder = folder + "/" + agency
        return try await NIOThreadPool.singleton.runIfActive { try Self.latest(in: peerFolder)?.bytes }
    }

    private static func write(_ bytes: [UInt8], to path: String) throws {
        do {
            try DurableFile.replace(path, with: bytes)
        } catch {
            throw Problem(.serviceUnavailable, "witness-unwritable", "the checkpoint could not be kept: \(error.reason)")
        }
    }

    private static func latest(in folder: String) throws -> (bytes: [UInt8], checkpoint: Checkpoint)? {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter {
            $0.utf8.count == 16 && $0.hasSuffix(".xml") && $0.prefix(12).allSatisfy(\.isNumber)
        }
        guard let last = names.sorted().last else { return nil }
        guard case .success(let bytes) = BoundedRead.contents(of: folder + "/" + last, limit: 1 << 20) else { return nil }
        return (bytes, try Checkpoint.read(bytes, sourceName: last))
    }
}
