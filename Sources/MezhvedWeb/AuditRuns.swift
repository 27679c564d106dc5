import Foundation
import Synchronization

/// The archive audits the auditor's desk runs: one at a time, in the background, so that the page
/// can show how far it has got (documents re-verified of all) and the result when it ends. Only
/// the running audit and the last finished one are kept; a second auditor who starts an audit
/// while one runs is shown that one.
final class AuditRuns: Sendable {
    struct Run: Sendable {
        /// The run's id in the page's address (256 random bits).
        let id: String
        /// Who started it (the web user's name; never personal data).
        let startedBy: String
        let startedAt: Date
        /// Documents re-verified so far, of ``total`` (0 of 0 while the log and the checkpoints are read).
        var done = 0
        var total = 0
        var result: WebSite.AuditModel.Result?
        /// Why the audit could not run, in words for the page.
        var failure: String?
        var finished: Bool { result != nil || failure != nil }
    }

    private struct State {
        var current: Run?
        var last: Run?
    }

    private let state = Mutex(State())

    /// Starts a run for `person` unless one is running: the run, and whether it is new.
    func begin(by person: String, at time: Date = Date()) -> (run: Run, started: Bool) {
        state.withLock { state in
            if let running = state.current { return (running, false) }
            let run = Run(id: WebSecrets.random(), startedBy: person, startedAt: time)
            state.current = run
            return (run, true)
        }
    }

    func progress(_ id: String, done: Int, total: Int) {
        state.withLock { state in
            guard state.current?.id == id else { return }
            state.current?.done = done
            state.current?.total = total
        }
    }

    /// Ends the running audit with its result or its failure; it becomes the last one.
    func finish(_ id: String, result: WebSite.AuditModel.Result?, failure: String? = nil) {
        state.withLock { state in
            guard var run = state.current, run.id == id else { return }
            run.result = result
            run.failure = failure ?? (result == nil ? "аудит прерван" : nil)
            if let result { run.done = max(run.done, result.documentCount) }
            run.total = max(run.total, run.done)
            state.last = run
            state.current = nil
        }
    }

    /// The run with this id: the running one or the last finished one.
    func run(_ id: String) -> Run? {
        state.withLock { state in
            if let current = state.current, current.id == id { return current }
            if let last = state.last, last.id == id { return last }
            return nil
        }
    }

    /// The running audit, if any.
    var current: Run? { state.withLock { $0.current } }
}
