import Foundation
import MezhvedXMLDSig
import Synchronization

/// Writes signed checkpoints in the background, off the registration path: the registrar tells it
/// of every durable append, and every `interval` log entries it has the store sign a checkpoint of
/// the head. A failure (a signing fault, a full disk) is recorded and reported to `onFailure`;
/// the registration that triggered it has succeeded all the same, and the next checkpoint covers
/// everything up to its own head.
public final class CheckpointWriter: Sendable {
    /// Signs the unsigned checkpoint document of a ``Checkpoint``.
    public typealias Signing = @Sendable (Checkpoint) throws -> [UInt8]

    private struct State: Sendable {
        var requested = 0
        var running = false
        var again = false
        var failures: [String] = []
        var written: Int?
        var idle: [CheckedContinuation<Void, Never>] = []
    }

    private let store: any CheckpointStore
    private let interval: Int
    private let sign: Signing
    private let onFailure: @Sendable (any Error) -> Void
    private let state = Mutex(State())

    /// A writer that signs with `sign` every `interval` entries (0: only when asked).
    public init(
        store: any CheckpointStore, interval: Int, sign: @escaping Signing, onFailure: @escaping @Sendable (any Error) -> Void = { _ in }
    ) {
        self.store = store
        self.interval = interval
        self.sign = sign
        self.onFailure = onFailure
    }

    /// A writer that signs with the gateway's key.
    public convenience init(
        store: any CheckpointStore, interval: Int, signer: XMLSigner, onFailure: @escaping @Sendable (any Error) -> Void = { _ in }
    ) {
        self.init(
            store: store, interval: interval, sign: { try signer.sign($0.unsignedXML(), sourceName: "checkpoint \($0.seq)") },
            onFailure: onFailure)
    }

    /// Notes that entry `seq` is durable; starts a background checkpoint when it reaches the next interval.
    public func appended(seq: Int) {
        guard interval > 0 else { return }
        let start = state.withLock { state -> Bool in
            guard seq / interval > state.requested / interval else { return false }
            state.requested = seq
            if state.running {
                state.again = true
                return false
            }
            state.running = true
            return true
        }
        if start { Task { await self.writeInBackground() } }
    }

    private func writeInBackground() async {
        while true {
            do {
                let stored = try await store.write(sign: sign)
                state.withLock { $0.written = stored.checkpoint.seq }
            } catch {
                state.withLock { $0.failures.append("\(error)") }
                onFailure(error)
            }
            let (again, waiting) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
                if state.again {
                    state.again = false
                    return (true, [])
                }
                state.running = false
                defer { state.idle = [] }
                return (false, state.idle)
            }
            for continuation in waiting { continuation.resume() }
            if !again { return }
        }
    }

    /// Signs a checkpoint of the head now and returns it (throws what went wrong).
    public func writeNow() async throws -> Checkpoint {
        let stored = try await store.write(sign: sign)
        state.withLock { $0.written = stored.checkpoint.seq }
        return stored.checkpoint
    }

    /// Waits until no background checkpoint is being written (call before a process exits).
    public func drain() async {
        await withCheckedContinuation { continuation in
            let idle = state.withLock { state -> Bool in
                if !state.running { return true }
                state.idle.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    /// The background failures so far, oldest first.
    public var failures: [String] { state.withLock { $0.failures } }

    /// The seq of the last checkpoint this writer wrote.
    public var lastWritten: Int? { state.withLock { $0.written } }
}
