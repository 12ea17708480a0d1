import Foundation

/// One line of `journal.jsonl`: its sequence number, the run that wrote it, when, and what it
/// says. The journal is the source of truth: state is the fold of it.
public struct JournalRecord: Sendable {
    public var seq: Int
    public var run: String
    public var time: Date
    public var entry: JournalEntry

    /// A record to append; the recorder sets its sequence number, run and time.
    public init(_ entry: JournalEntry) {
        seq = 0
        run = ""
        time = Date()
        self.entry = entry
    }

    public init(seq: Int, run: String, time: Date, entry: JournalEntry) {
        self.seq = seq
        self.run = run
        self.time = time
        self.entry = entry
    }

    /// The record's kind, as written in its `type` field.
    public var type: JournalEntry.Kind { entry.kind }
    /// The step the record is about, if any.
    public var step: String? { entry.step }
}

/// What a journal record says: one case per kind of record, each with only its own fields.
public enum JournalEntry: Sendable {
    /// A command started: what ran it, from which commit, with which workflow file and settings.
    case runBegin(RunBegin)
    /// The run finished; `error` says why it did not succeed.
    case runEnd(error: String?)
    /// A step starts applying with these resolved inputs.
    case stepBegin(step: String, kind: String, input: JSONValue, digest: String)
    /// A change is about to be made, with how to undo it (the step kind's `StepUndo` as JSON).
    case intent(step: String, action: String, undo: JSONValue?)
    /// How the change of intent `intent` ended.
    case result(step: String, intent: Int, ok: Bool, error: String?)
    /// The step now owns (or adopted) a resource.
    case own(step: String, resource: Resource)
    /// The resource is gone or handed back.
    case release(step: String, resource: Resource)
    /// Step-private data (nil forgets the key).
    case remember(step: String, key: String, value: JSONValue?)
    case outputs(step: String, outputs: [String: String])
    case stepApplied(step: String)
    case stepFailed(step: String, error: String?)
    /// The change of intent `intent` was undone.
    case undoDone(step: String, intent: Int)
    /// The step's changes of this run were undone; `error` when undoing failed.
    case stepRolledBack(step: String, error: String?)
    case teardownBegin(step: String)
    /// Teardown must wait (replicas); it resumes later.
    case teardownPending(step: String, reason: String)
    /// The step is gone; `removed` lists what it removed or restored, for the summary.
    case stepTornDown(step: String, removed: [String])

    /// What a `run-begin` record holds.
    public struct RunBegin: Sendable {
        public var command: String
        public var git: GitStamp?
        public var workflowFile: String?
        public var settings: WorkflowSettings?
        /// The deployment's environment (`--env`), nil without one.
        public var environment: String? = nil
        /// Who ran it (`USER`).
        public var user: String? = nil
        /// `deploy --ttl`: the time to live in seconds, and the expiry it sets (for `ldedge gc`).
        public var ttl: Double? = nil
        public var expires: Date? = nil

        public init(command: String, git: GitStamp? = nil, workflowFile: String? = nil, settings: WorkflowSettings? = nil) {
            self.command = command
            self.git = git
            self.workflowFile = workflowFile
            self.settings = settings
        }
    }

    /// The `type` field of each kind of record.
    public enum Kind: String, Codable, Sendable {
        case runBegin = "run-begin"
        case runEnd = "run-end"
        case stepBegin = "step-begin"
        case intent
        case result
        case own
        case release
        case remember
        case outputs
        case stepApplied = "step-applied"
        case stepFailed = "step-failed"
        case undoDone = "undo-done"
        case stepRolledBack = "step-rolled-back"
        case teardownBegin = "teardown-begin"
        case teardownPending = "teardown-pending"
        case stepTornDown = "step-torn-down"
    }

    public var kind: Kind {
        switch self {
        case .runBegin: return .runBegin
        case .runEnd: return .runEnd
        case .stepBegin: return .stepBegin
        case .intent: return .intent
        case .result: return .result
        case .own: return .own
        case .release: return .release
        case .remember: return .remember
        case .outputs: return .outputs
        case .stepApplied: return .stepApplied
        case .stepFailed: return .stepFailed
        case .undoDone: return .undoDone
        case .stepRolledBack: return .stepRolledBack
        case .teardownBegin: return .teardownBegin
        case .teardownPending: return .teardownPending
        case .stepTornDown: return .stepTornDown
        }
    }

    public var step: String? {
        switch self {
        case .runBegin, .runEnd: return nil
        case .stepBegin(let step, _, _, _), .intent(let step, _, _), .result(let step, _, _, _), .own(let step, _), .release(let step, _),
             .remember(let step, _, _), .outputs(let step, _), .stepApplied(let step), .stepFailed(let step, _), .undoDone(let step, _),
             .stepRolledBack(let step, _), .teardownBegin(let step), .teardownPending(let step, _), .stepTornDown(let step, _):
            return step
        }
    }
}

extension WorkflowState {
    /// Folds one journal record into the state.
    public mutating func apply(_ record: JournalRecord) {
        guard record.seq > seq else { return }
        seq = record.seq
        let (run, time) = (record.run, record.time)
        switch record.entry {
        case .runBegin(let begin):
            runs.append(RunInfo(id: run, command: begin.command, startedAt: time, git: begin.git, user: begin.user))
            if let environment = begin.environment { self.environment = environment }
            if let ttl = begin.ttl { self.ttl = ttl }
            if let expires = begin.expires { self.expires = expires }
            if runs.count > 50 { runs.removeFirst(runs.count - 50) }
            if let file = begin.workflowFile { workflowFile = file }
            if let settings = begin.settings { self.settings = settings }
        case .runEnd(let error):
            if let index = runs.lastIndex(where: { $0.id == run }) {
                runs[index].finishedAt = time
                runs[index].outcome = error ?? "succeeded"
            }
            // A run that finished settles its changes: nothing is left to undo, only to tear down.
            if error == nil {
                for (id, step) in steps where step.run == run && step.status == .applied {
                    steps[id]?.undo = []
                }
            }
        case .stepBegin(let id, let kind, let input, let digest):
            var step = steps[id] ?? StepState(id: id, kind: kind)
            if !order.contains(id) { order.append(id) }
            // A new run's undo list starts empty; the previous run's changes are settled.
            if step.run != run {
                step.undo = []
                step.previous = step.status == .applied
                    ? AppliedSnapshot(input: step.input, inputDigest: step.inputDigest, outputs: step.outputs) : nil
            }
            if !kind.isEmpty { step.kind = kind }
            step.status = .applying
            step.run = run
            step.error = nil
            if input != .null { step.input = input }
            if !digest.isEmpty { step.inputDigest = digest }
            step.updatedAt = time
            steps[id] = step
        case .intent(let id, _, let undo):
            update(id, time) { step in
                if let undo, undo != .null {
                    step.undo.append(JournaledUndo(seq: record.seq, run: run, undo: Self.withoutUncertainFlag(undo), uncertain: true))
                }
            }
        case .result(let id, let intent, let ok, _):
            update(id, time) { step in
                guard let index = step.undo.firstIndex(where: { $0.seq == intent }) else { return }
                // A failed call most likely changed nothing, but undo stays (idempotent) to be safe.
                step.undo[index].uncertain = !ok
            }
        case .own(let id, let resource):
            update(id, time) { step in
                step.resources.removeAll { $0.type == resource.type && $0.id == resource.id }
                step.resources.append(resource)
            }
        case .release(let id, let resource):
            update(id, time) { step in
                step.resources.removeAll { $0.type == resource.type && $0.id == resource.id }
            }
        case .remember(let id, let key, let value):
            update(id, time) { step in
                if let value, value != .null { step.memory[key] = value } else { step.memory[key] = nil }
            }
        case .outputs(let id, let outputs):
            update(id, time) { step in step.outputs = outputs }
        case .stepApplied(let id):
            update(id, time) { step in step.status = .applied }
        case .stepFailed(let id, let error):
            update(id, time) { step in
                step.status = .failed
                step.error = error
            }
        case .undoDone(let id, let intent):
            update(id, time) { step in step.undo.removeAll { $0.seq == intent } }
        case .stepRolledBack(let id, let error):
            update(id, time) { step in
                step.undo = []
                if let error {
                    step.status = .failed
                    step.error = error
                } else if let previous = step.previous {
                    step.status = .applied
                    step.input = previous.input
                    step.inputDigest = previous.inputDigest
                    step.outputs = previous.outputs
                } else {
                    step.status = step.resources.isEmpty ? .rolledBack : .applied
                    step.outputs = [:]
                }
            }
        case .teardownBegin(let id):
            update(id, time) { step in step.status = .tearingDown }
        case .teardownPending(let id, let reason):
            update(id, time) { step in
                step.status = .pendingTeardown
                step.error = reason
            }
        case .stepTornDown(let id, let removed):
            update(id, time) { step in
                step.status = .tornDown
                step.error = nil
                step.run = run
                step.removedOnTeardown = removed
                step.undo = []
                step.resources = []
                step.memory = [:]
                step.outputs = [:]
            }
        }
    }

    /// Journals written before undo was typed carry `uncertain` inside the record.
    static func withoutUncertainFlag(_ undo: JSONValue) -> JSONValue {
        guard case .object(var fields) = undo, fields["action"] != nil else { return undo }
        fields["uncertain"] = nil
        return .object(fields)
    }

    private mutating func update(_ id: String, _ time: Date, _ change: (inout StepState) -> Void) {
        guard var step = steps[id] else { return }
        change(&step)
        step.updatedAt = time
        steps[id] = step
    }
}
