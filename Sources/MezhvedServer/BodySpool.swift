import Foundation
import HTTPTypes
import Hummingbird
import MezhvedCore
import NIOCore
import NIOPosix
import _NIOFileSystem

/// Where arriving bodies go before they are handled: streamed to a file of the spool folder as
/// they arrive (never more than the limit, refused with 413 the moment it is passed), then read
/// back into one buffer of exactly their size. Memory per document in flight: the body once, plus
/// one network chunk.
struct BodySpool: Sendable {
    let folder: String
    let limit: Int
    /// The whole body must have arrived within this (a body that trickles in is dropped).
    let timeout: Duration

    /// Creates the spool folder (0700) if needed and removes what an earlier run left behind
    /// (bodies never acknowledged: their senders retry).
    static func prepare(folder: String, limit: Int, timeout: Duration) throws -> BodySpool {
        let incoming = folder + "/incoming"
        do {
            try FileManager.default.createDirectory(
                atPath: incoming, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: folder)
            for name in try FileManager.default.contentsOfDirectory(atPath: incoming) where name.hasSuffix(".part") {
                try? FileManager.default.removeItem(atPath: incoming + "/" + name)
            }
        } catch {
            throw ServerSetupError("exchange.spool: the folder \(folder) cannot be prepared: \(error.localizedDescription)")
        }
        return BodySpool(folder: incoming, limit: limit, timeout: timeout)
    }

    /// Streams `body` to a spool file and returns its bytes; the file is removed either way.
    func receive(_ body: RequestBody, declaredLength: Int?) async throws -> [UInt8] {
        if let declaredLength, declaredLength > limit { throw Self.tooLarge(limit) }
        let path = folder + "/" + UUID().uuidString + ".part"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var total = 0
        let deadline = ContinuousClock.now + timeout
        let timeout = self.timeout
        try await FileSystem.shared.withFileHandle(
            forWritingAt: FilePath(path), options: .newFile(replaceExisting: true, permissions: [.ownerReadWrite])
        ) { handle in
            var writer = handle.bufferedWriter(capacity: .kibibytes(256))
            for try await chunk in body {
                total += chunk.readableBytes
                if total > limit { throw Self.tooLarge(limit) }
                if ContinuousClock.now > deadline { throw Self.tooSlow(timeout) }
                try await writer.write(contentsOf: chunk)
            }
            try await writer.flush()
        }
        // Read back on NIO's blocking pool into one array of exactly the size (no second copy).
        let readLimit = limit
        let read = try await NIOThreadPool.singleton.runIfActive { BoundedRead.contents(of: path, limit: readLimit) }
        switch read {
        case .success(let bytes): return bytes
        case .failure(.tooLarge): throw Self.tooLarge(limit)
        case .failure(let failure):
            throw Problem(.serviceUnavailable, "spool-unreadable", "the body could not be read back from the spool: \(failure)")
        }
    }

    static func tooSlow(_ timeout: Duration) -> Problem {
        Problem(
            .requestTimeout, "body-too-slow",
            "the document did not arrive whole within \(timeout.components.seconds) s (exchange.requestTimeout); nothing was recorded — send it again",
            headers: [.connection: "close"])
    }

    static func tooLarge(_ limit: Int) -> Problem {
        Problem(
            .contentTooLarge, "body-too-large",
            "the document is larger than this gateway's limit of \(ByteCountText.text(limit)) (exchange.maxDocumentSize); nothing was recorded",
            headers: [.connection: "close"])
    }
}
