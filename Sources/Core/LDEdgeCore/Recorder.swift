import Foundation
import Synchronization

/// Journals a run's records through the store and keeps the folded state in memory.
public final class Recorder: Sendable {
    public let store: any StateBackend
    public let runID: String
    /// The folded state; held while a record is appended, so records keep their order.
    private let current: Mutex<WorkflowState>
    /// Outputs of unchanged steps as they are on this machine (paths under its work folder), for
    /// this run's references only; never journaled (see `OutputRole.isMachineLocal`).
    private let localOutputs = Mutex<[String: [String: String]]>([:])

    public init(store: any StateBackend, state: WorkflowState, runID: String) {
        self.store = store
        self.current = Mutex(state)
        self.runID = runID
    }

    public var state: WorkflowState { current.withLock { $0 } }

    /// Records an unchanged step's outputs as they are on this machine, for this run only.
    public func setLocalOutputs(_ outputs: [String: String], of step: String) {
        localOutputs.withLock { $0[step] = outputs }
    }

    /// What `${steps.ID.outputs.NAME}` resolves to now: every applied step's recorded outputs, with
    /// this machine's local ones where a step set them in this run.
    public var resolvableOutputs: [String: [String: String]] {
        let state = self.state
        let local = localOutputs.withLock { $0 }
        var outputs: [String: [String: String]] = [:]
        for (id, step) in state.steps where step.status == .applied {
            outputs[id] = step.outputs.merging(local[id] ?? [:]) { _, here in here }
        }
        return outputs
    }

    /// Appends a record (fsync'd) and folds it into the in-memory state; returns its sequence number.
    @discardableResult
    public func record(_ record: JournalRecord) throws -> Int {
        try current.withLock { current in
            var record = record
            record.seq = current.seq + 1
            record.run = runID
            record.time = Date()
            try store.append(record)
            current.apply(record)
            return record.seq
        }
    }

    /// Makes every record so far durable (a no-op for the local folder, uploads for S3).
    public func flush() async throws {
        try await store.flush()
    }

    /// Flushes the journal and writes the folded state as the snapshot.
    public func checkpoint() async throws {
        try await store.flush()
        try await store.save(state)
    }
}

/// Receives progress while the engine works; the CLI prints it to stderr.
public protocol Reporter: Sendable {
    func report(_ event: EngineEvent)
}

/// What the engine tells the user while it works.
public enum EngineEvent: Sendable {
    case stepStarted(id: String, kind: String, phase: String)
    case action(step: String, description: String)
    case progress(step: String, message: String)
    /// Where a long wait stands (its elapsed time, a service's state): redrawn in place on a terminal,
    /// printed now and then elsewhere.
    case status(step: String, message: String)
    /// How far a transfer has got: `done` of `total`, with `detail`. Drawn like a `status` while it
    /// fills; once `done` reaches `total` the last state stays, like a `progress` line.
    case transfer(step: String, done: Int, total: Int, detail: String)
    case stepFinished(id: String, phase: String, outcome: String)
    case stepFailed(id: String, phase: String, error: String)
    /// The step cannot finish yet and must be resumed later (CloudFront still holds replicas).
    case stepWaiting(id: String, phase: String, reason: String)
    case notice(String)
}

/// A reporter that drops everything (library use, tests).
public struct SilentReporter: Reporter {
    public init() {}
    public func report(_ event: EngineEvent) {}
}

/// What the engine is doing, as seen by a step.
public enum Phase: String, Codable, Sendable {
    case plan, apply, rollback, teardown
}

/// Thrown when a run stops on SIGINT/SIGTERM between two actions.
public struct Interrupted: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "interrupted by a signal; stopped before the next change" }
}

/// Thrown when a step tries to change something during a plan or dry run.
public struct DryRunViolation: Error, CustomStringConvertible {
    public var action: String
    public var description: String { "refused to '\(action)' during a dry run (plan changes nothing)" }
}

/// Process-wide flag set by SIGINT/SIGTERM; the engine stops before the next change, and work
/// waiting in `StepContext.interruptible` (a `run` step's command) is cancelled at once.
public final class InterruptFlag: Sendable {
    public static let shared = InterruptFlag()

    private struct Contents {
        var raised = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }
    private let contents = Mutex(Contents())

    public var isRaised: Bool { contents.withLock { $0.raised } }

    public func raise() {
        let waiters = contents.withLock { contents in
            contents.raised = true
            defer { contents.waiters = [:] }
            return Array(contents.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    public func clear() {
        contents.withLock { $0.raised = false }
    }

    /// Returns when the flag is raised (at once if it is), or when the calling task is cancelled.
    public func wait() async {
        let id = contents.withLock { contents -> UInt64 in
            contents.nextWaiter += 1
            return contents.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = contents.withLock { contents -> Bool in
                    if contents.raised || Task.isCancelled { return true }
                    contents.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            contents.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
