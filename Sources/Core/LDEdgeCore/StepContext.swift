import Foundation
import Synchronization

/// What a step sees of the run: its identity, the workflow, recorded state, options, and the
/// one door to change the world (`perform`), which journals first and refuses in a dry run.
public final class StepContext: Sendable {
    public let stepID: String
    public let kind: String
    public let phase: Phase
    public let workflowName: String
    /// The workflow and its environment (`--env`): names of what the step creates come from
    /// `scopedName`, so environments of one workflow never collide.
    public let deployment: Deployment
    /// The environment (`--env`), nil without one.
    public var environmentName: String? { deployment.environment }
    /// The folder holding the workflow file; relative paths in inputs are relative to it.
    public let workflowDirectory: URL
    /// A scratch folder for this step (`.ldedge/<workflow>/work/<step>`), kept between runs.
    public let workDirectory: URL
    public let settings: WorkflowSettings
    public let environment: [String: String]
    /// The step's recorded state from earlier runs (nil on first apply).
    public let previous: StepState?
    /// Command-line options steps may read: `delete-flag`, `retain-function`, `no-wait`, ...
    public let options: [String: String]
    /// True for plan and `deploy --dry-run`: `perform` refuses every change.
    public var isDryRun: Bool { phase == .plan }
    /// The step's `timeout:` in seconds, when the workflow sets one.
    public let timeout: TimeInterval?
    /// In a plan: the steps this one depends on (`needs:` or output references) that will change
    /// something before it applies, in workflow order. What they create does not exist yet.
    public let upcomingDependencies: [String]

    let recorder: Recorder?
    /// Where recovery copies go: the backend that holds the workflow's state.
    let backend: (any StateBackend)?
    let reporter: any Reporter
    let services: ServiceCache
    /// Tears down other steps (only for the `cleanup` step kind).
    let teardownHandler: (@Sendable ([String]) async throws -> [String])?

    init(
        stepID: String, kind: String, phase: Phase, workflowName: String, workflowDirectory: URL, workDirectory: URL,
        settings: WorkflowSettings, environment: [String: String], previous: StepState?, options: [String: String],
        recorder: Recorder?, reporter: any Reporter, services: ServiceCache,
        teardownHandler: (@Sendable ([String]) async throws -> [String])? = nil, timeout: TimeInterval? = nil,
        backend: (any StateBackend)? = nil, upcomingDependencies: [String] = [], environmentName: String? = nil
    ) {
        self.deployment = Deployment(workflow: workflowName, environment: environmentName)
        self.backend = backend
        self.upcomingDependencies = upcomingDependencies
        self.stepID = stepID
        self.kind = kind
        self.phase = phase
        self.workflowName = workflowName
        self.workflowDirectory = workflowDirectory
        self.workDirectory = workDirectory
        self.settings = settings
        self.environment = environment
        self.previous = previous
        self.options = options
        self.recorder = recorder
        self.reporter = reporter
        self.services = services
        self.teardownHandler = teardownHandler
        self.timeout = timeout
    }

    /// The name of something this step creates (function, role, bucket, OAC, ...): `name`
    /// unchanged without an environment; with one, `name-ENV`, shortened with a stable hash to
    /// `limit` characters when longer. A shortened name is reported as a note of the plan.
    public func scopedName(_ name: String, limit: Int) -> String {
        let scoped = deployment.scoped(name, limit: limit)
        if scoped.wasShortened {
            let note = "'\(scoped.full)' is longer than AWS's \(limit)-character limit; using '\(scoped.value)' (shortened with a stable hash)"
            notes.withLock { if !$0.contains(note) { $0.append(note) } }
        }
        return scoped.value
    }

    /// Notes made while planning (shortened names), for the plan's findings.
    let notes = Mutex<[String]>([])

    /// Performs one change: journals the intent (with how to undo it), runs `body`, journals the
    /// result. Refused during a dry run; stops before starting when the run was interrupted.
    @discardableResult
    public func perform<T, Undo: StepUndo>(
        _ action: String, undo: Undo?, _ body: () async throws -> T
    ) async throws -> T {
        try await perform(action, journaling: try undo.map { try JSONValue(encoding: $0) }, body)
    }

    /// Performs one change with nothing to undo (a rollback's own change, an invalidation).
    @discardableResult
    public func perform<T>(_ action: String, _ body: () async throws -> T) async throws -> T {
        try await perform(action, journaling: nil, body)
    }

    private func perform<T>(_ action: String, journaling undo: JSONValue?, _ body: () async throws -> T) async throws -> T {
        guard let recorder, !isDryRun else { throw DryRunViolation(action: action) }
        if InterruptFlag.shared.isRaised, phase == .apply { throw Interrupted() }
        let seq = try recorder.record(JournalRecord(.intent(step: stepID, action: action, undo: undo)))
        // The intent (and how to undo it) is durable before the change, on any backend.
        try await recorder.flush()
        reporter.report(.action(step: stepID, description: action))
        do {
            let value = try await body()
            try recorder.record(JournalRecord(.result(step: stepID, intent: seq, ok: true, error: nil)))
            try await recorder.flush()
            return value
        } catch {
            _ = try? recorder.record(JournalRecord(.result(step: stepID, intent: seq, ok: false, error: Secrets.shared.redact("\(error)"))))
            throw error
        }
    }

    /// Journals the intent of a change made outside `perform` (an external plugin's
    /// `journal.intent`); returns its sequence number for `journalDone`. The record is fsync'd
    /// before this returns. Refused during a dry run.
    public func journalIntent(_ action: String, undo: UndoRecord?) throws -> Int {
        guard let recorder, !isDryRun else { throw DryRunViolation(action: action) }
        let seq = try recorder.record(JournalRecord(.intent(step: stepID, action: action, undo: try undo.map { try JSONValue(encoding: $0) })))
        reporter.report(.action(step: stepID, description: Secrets.shared.redact(action)))
        return seq
    }

    /// Journals that the change of intent `seq` succeeded (ok) or failed; without it the change
    /// stays uncertain for rollback.
    public func journalDone(_ seq: Int, ok: Bool = true, error: String? = nil) throws {
        guard let recorder, !isDryRun else { throw DryRunViolation(action: "finish change \(seq)") }
        try recorder.record(JournalRecord(.result(step: stepID, intent: seq, ok: ok, error: error.map { Secrets.shared.redact($0) })))
    }

    /// Records that the step now owns (or adopted) a resource; teardown gets it back.
    public func own(_ resource: Resource) throws {
        guard let recorder, !isDryRun else { throw DryRunViolation(action: "own \(resource.label)") }
        try recorder.record(JournalRecord(.own(step: stepID, resource: resource)))
    }

    /// Records that a resource is gone (or handed back); a resumed teardown skips it.
    public func release(_ resource: Resource) throws {
        guard let recorder, !isDryRun else { throw DryRunViolation(action: "release \(resource.label)") }
        try recorder.record(JournalRecord(.release(step: stepID, resource: resource)))
    }

    /// Keeps step-private data across runs (nil forgets it).
    /// A value equal to the one remembered already is not journaled again.
    public func remember(_ key: String, _ value: some Encodable) throws {
        guard let recorder, !isDryRun else { throw DryRunViolation(action: "remember \(key)") }
        let encoded = try JSONValue(encoding: value)
        if memory[key] == encoded { return }
        try recorder.record(JournalRecord(.remember(step: stepID, key: key, value: encoded)))
    }

    public func forget(_ key: String) throws {
        guard let recorder, !isDryRun else { throw DryRunViolation(action: "forget \(key)") }
        if memory[key] == nil { return }
        try recorder.record(JournalRecord(.remember(step: stepID, key: key, value: nil)))
    }

    /// The step's remembered data as it stands in this run.
    private var memory: [String: JSONValue] {
        recorder?.state.steps[stepID]?.memory ?? previous?.memory ?? [:]
    }

    /// Data remembered by this step, from this run or an earlier one.
    public func recall<T: Decodable>(_ key: String, as type: T.Type) -> T? {
        let memory = recorder?.state.steps[stepID]?.memory ?? previous?.memory ?? [:]
        return try? memory[key]?.decode(type)
    }

    /// Keeps bytes a later rollback or teardown needs (an object before it is overwritten, the
    /// code a function runs) in the state backend, durably, before the change they protect: a run
    /// on another machine can then undo this one. `name` must be a content digest (the same name
    /// always means the same bytes) and must appear in the undo record or memory that uses it,
    /// or the engine removes the copy after the next successful run. Refused during a dry run.
    public func keepCopy(_ name: String, _ data: Data) async throws {
        guard let backend, recorder != nil, !isDryRun else { throw DryRunViolation(action: "keep a recovery copy \(name)") }
        guard RecoveryCopy.isValidName(name) else {
            throw StateError.io(path: name, reason: "a recovery copy needs a plain name (no '/', not starting with '.'); this is a bug in step '\(stepID)'")
        }
        try await backend.keepCopy(RecoveryCopy(step: stepID, name: name), data: data)
    }

    /// The bytes of a recovery copy this step kept (in any run, on any machine), or nil.
    public func keptCopy(_ name: String) async throws -> Data? {
        guard let backend, RecoveryCopy.isValidName(name) else { return nil }
        return try await backend.readCopy(RecoveryCopy(step: stepID, name: name))
    }

    /// Where this step's recovery copies live, for messages.
    public var copyLocation: String {
        guard let backend else { return "the state backend" }
        return backend is StateStore ? workDirectory.appendingPathComponent("backups").path : "\(backend.location)/copies/\(stepID)"
    }

    /// Resources this step owns right now.
    public var ownedResources: [Resource] {
        recorder?.state.steps[stepID]?.resources ?? previous?.resources ?? []
    }

    /// Resources of one type that any step of this workflow owns or adopted, as recorded so far
    /// in this run (apply and teardown; empty in a plan), in step order: for example the
    /// `distribution` whose metrics a guard reads, without naming the step that made it.
    public func workflowResources(ofType type: String) -> [Resource] {
        guard let state = recorder?.state else { return [] }
        return state.order.compactMap { state.steps[$0] }.flatMap(\.resources).filter { $0.type == type }
    }

    /// Progress for long waits (uploads, CloudFront deployments); printed to stderr.
    public func progress(_ message: String) {
        reporter.report(.progress(step: stepID, message: Secrets.shared.redact(message)))
    }

    /// Shows where a long wait or a transfer stands; see `EngineEvent.status`.
    public func status(_ message: String) {
        reporter.report(.status(step: stepID, message: Secrets.shared.redact(message)))
    }

    /// Shows how far a transfer has got, `done` of `total` (files, parts) with `detail` (bytes,
    /// say); see `EngineEvent.transfer`. The CLI draws it as a progress bar.
    public func transfer(done: Int, of total: Int, detail: String) {
        reporter.report(.transfer(step: stepID, done: done, total: total, detail: Secrets.shared.redact(detail)))
    }

    /// Runs `body` and, once it has taken longer than 2 s, shows `what` with the elapsed time
    /// every second until it returns (pip installs, waits on AWS).
    public func waiting<T: Sendable>(_ what: String, _ body: () async throws -> T) async throws -> T {
        try await WaitProgress.run(what, report: { [weak self] line in self?.status(line) }, body)
    }

    /// Runs `body` (waiting on a child process, say) so that SIGINT/SIGTERM during an apply
    /// cancels it at once instead of after it ends; then throws `Interrupted`. Outside an apply
    /// (a rollback after the interrupt, a teardown) `body` runs to its end.
    public func interruptible<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        guard phase == .apply else { return try await body() }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                await InterruptFlag.shared.wait()
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                // Cancelling the group stops `body` (and the process it waits on) before this returns.
                group.cancelAll()
                try? await group.waitForAll()
                throw Interrupted()
            }
            return value
        }
    }

    /// Throws `Interrupted` when SIGINT/SIGTERM arrived; call it inside long waits.
    public func checkInterrupted() throws {
        if InterruptFlag.shared.isRaised, phase == .apply { throw Interrupted() }
    }

    /// One shared instance per run of something expensive (an HTTP client), made on first use.
    public func shared<T: Sendable>(_ key: String, make: () throws -> T) rethrows -> T {
        try services.value(key, make: make)
    }

    /// Tears down the given steps in reverse order of application (the `cleanup` step).
    public func teardownSteps(_ ids: [String]) async throws -> [String] {
        guard let teardownHandler, !isDryRun else { throw DryRunViolation(action: "tear down \(ids.joined(separator: ", "))") }
        return try await teardownHandler(ids)
    }

    /// A path from an input, resolved against the workflow folder.
    public func resolvePath(_ path: String) -> URL {
        if path.hasPrefix("/") { return URL(fileURLWithPath: path).standardizedFileURL }
        return workflowDirectory.appendingPathComponent(path).standardizedFileURL
    }
}

/// Shared per-run instances (HTTP clients), closed by the engine at the end of a run.
public final class ServiceCache: Sendable {
    private struct Contents {
        var values: [String: any Sendable] = [:]
        var closers: [@Sendable () async -> Void] = []
    }
    private let contents = Mutex(Contents())

    public init() {}

    func value<T: Sendable>(_ key: String, make: () throws -> T) rethrows -> T {
        try contents.withLock { contents in
            if let value = contents.values[key] as? T { return value }
            let value = try make()
            contents.values[key] = value
            return value
        }
    }

    /// Registers cleanup to run at the end of the run (shutting down an HTTP client, say).
    public func onClose(_ closer: @escaping @Sendable () async -> Void) {
        contents.withLock { $0.closers.append(closer) }
    }

    public func close() async {
        let current = contents.withLock { contents in
            defer { contents = Contents() }
            return contents.closers
        }
        for closer in current.reversed() { await closer() }
    }
}

extension StepContext {
    /// Registers cleanup for a shared service at the end of the run.
    public func onClose(_ closer: @escaping @Sendable () async -> Void) {
        services.onClose(closer)
    }
}

extension StepContext {
    /// False for a value that refers to a step output not known before apply (plan only).
    public func isKnown(_ value: String) -> Bool { !Interpolation.containsStepReference(value) }
}
