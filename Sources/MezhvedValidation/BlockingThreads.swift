internal import COpenSSL
import Foundation
import Synchronization

/// A small pool of threads of its own (never the cooperative pool) for calls that block: OpenSSL's
/// HTTP client, which waits on the network for up to its timeout, and file reads and writes.
/// Async callers hand it a job and are resumed through a continuation when it is done.
///
/// Threads are started on demand, up to ``maximumThreads``; a job that finds them all busy waits
/// in a first-in, first-out queue. Every job ends with its thread's OpenSSL error queue empty
/// (`ERR_clear_error`): a job that wants the errors drains them itself, on its thread, before it
/// returns; nothing is left behind for the next job. The threads end when the pool is released.
final class BlockingThreads: Sendable {
    /// The most threads the pool runs at once.
    let maximumThreads: Int
    private let workers: Workers

    /// A pool named `name` (the threads' name) of at most `maximumThreads` threads (at least 1).
    init(name: String, maximumThreads: Int) {
        self.maximumThreads = max(1, maximumThreads)
        workers = Workers(name: name, maximumThreads: self.maximumThreads)
    }

    deinit { workers.shutDown() }

    /// Runs `body` on one of the pool's threads and returns (or throws) what it did. Throws
    /// `CancellationError` without running it when the task is already cancelled.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try Task.checkCancellation()
        return try await withCheckedThrowingContinuation { continuation in
            workers.submit {
                let result = Result { try body() }
                ERR_clear_error()
                continuation.resume(with: result)
            }
        }
    }

    /// How many threads have been started and are still running (tests).
    var startedThreads: Int { workers.threadCount }
}

/// The threads and their queue; referenced by the threads themselves, so that releasing the pool
/// (``BlockingThreads``) can stop them.
private final class Workers: Sendable {
    typealias Job = @Sendable () -> Void

    private struct State {
        var jobs: [Job] = []
        var next = 0
        var idle = 0
        var threads = 0
        var shuttingDown = false

        mutating func take() -> Job? {
            guard next < jobs.count else { return nil }
            let job = jobs[next]
            next += 1
            if next == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                next = 0
            }
            return job
        }
    }

    private let name: String
    private let maximumThreads: Int
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)

    init(name: String, maximumThreads: Int) {
        self.name = name
        self.maximumThreads = maximumThreads
    }

    var threadCount: Int { state.withLock { $0.threads } }

    /// Queues `job`; wakes an idle thread or starts a new one when none is idle and fewer than the
    /// maximum run.
    func submit(_ job: @escaping Job) {
        enum Action { case wake, start, none }
        let action = state.withLock { state -> Action in
            state.jobs.append(job)
            if state.idle > 0 {
                state.idle -= 1
                return .wake
            }
            if state.threads < maximumThreads {
                state.threads += 1
                return .start
            }
            return .none  // a busy thread takes it when it is done
        }
        switch action {
        case .wake: wake.signal()
        case .start:
            let name = name
            Thread { [self] in
                Thread.current.name = name
                work()
            }.start()
        case .none: break
        }
    }

    /// Stops the threads once the queue is empty.
    func shutDown() {
        let idle = state.withLock { state -> Int in
            state.shuttingDown = true
            let idle = state.idle
            state.idle = 0
            return idle
        }
        for _ in 0..<idle { wake.signal() }
    }

    private func work() {
        while true {
            enum Next {
                case run(Job)
                case wait, stop
            }
            let next = state.withLock { state -> Next in
                if let job = state.take() { return .run(job) }
                if state.shuttingDown {
                    state.threads -= 1
                    return .stop
                }
                state.idle += 1
                return .wait
            }
            switch next {
            case .run(let job): job()
            case .wait: wake.wait()
            case .stop: return
            }
        }
    }
}
