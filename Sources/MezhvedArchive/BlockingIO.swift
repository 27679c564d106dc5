import Dispatch

/// A dedicated serial thread (a Dispatch queue, not the cooperative pool) for blocking file I/O
/// and `flock`: async callers hand it work and are resumed through a continuation when it is done.
struct BlockingIOQueue: Sendable {
    private let queue: DispatchQueue

    init(label: String) { queue = DispatchQueue(label: label, qos: .userInitiated) }

    /// Runs `body` on the queue and returns (or throws) what it did.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Schedules `body` without waiting.
    func schedule(_ body: @escaping @Sendable () -> Void) { queue.async(execute: body) }
}
