import Foundation

/// One line of `journal.jsonl`. The journal is the source of truth: state is the fold of it.
public struct JournalRecord: Codable, Sendable {
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

    public var seq: Int
    public var run: String
    public var time: Date
    public var type: Kind
    public var step: String?
    public var kind: String?
    public var action: String?
    public var resource: Resource?
    /// `intent`: the step kind's undo value (its `StepUndo`, as JSON), or nil for a change with nothing to undo.
    public var undo: JSONValue?
    public var intent: Int?
    public var ok: Bool?
    public var error: String?
    public var key: String?
    public var value: JSONValue?
    public var outputs: [String: String]?
    public var input: JSONValue?
    public var digest: String?
    public var command: String?
    public var workflowFile: String?
    public var settings: WorkflowSettings?
    public var git: GitStamp?
    /// `step-torn-down`: what the step removed or restored, for the teardown summary.
    public var removed: [String]?

    public init(type: Kind, step: String? = nil) {
        seq = 0
        run = ""
        time = Date()
        self.type = type
        self.step = step
    }
}

extension WorkflowState {
    /// Folds one journal record into the state.
    public mutating func apply(_ record: JournalRecord) {
        guard record.seq > seq else { return }
        seq = record.seq
        switch record.type {
        case .runBegin:
            runs.append(RunInfo(id: record.run, command: record.command ?? "", startedAt: record.time, git: record.git))
            if runs.count > 50 { runs.removeFirst(runs.count - 50) }
            if let file = record.workflowFile { workflowFile = file }
            if let settings = record.settings { self.settings = settings }
        case .runEnd:
            if let index = runs.lastIndex(where: { $0.id == record.run }) {
                runs[index].finishedAt = record.time
                runs[index].outcome = record.error ?? "succeeded"
            }
            // A run that finished settles its changes: nothing is left to undo, only to tear down.
            if record.error == nil {
                for (id, step) in steps where step.run == record.run && step.status == .applied {
                    steps[id]?.undo = []
                }
            }
        case .stepBegin:
            guard let id = record.step else { return }
            var step = steps[id] ?? StepState(id: id, kind: record.kind ?? "")
            if !order.contains(id) { order.append(id) }
            // A new run's undo list starts empty; the previous run's changes are settled.
            if step.run != record.run {
                step.undo = []
                step.previous = step.status == .applied
                    ? AppliedSnapshot(input: step.input, inputDigest: step.inputDigest, outputs: step.outputs) : nil
            }
            step.kind = record.kind ?? step.kind
            step.status = .applying
            step.run = record.run
            step.error = nil
            if let input = record.input { step.input = input }
            if let digest = record.digest { step.inputDigest = digest }
            step.updatedAt = record.time
            steps[id] = step
        case .intent:
            update(record) { step in
                if let undo = record.undo, undo != .null {
                    step.undo.append(JournaledUndo(seq: record.seq, run: record.run, undo: Self.withoutUncertainFlag(undo), uncertain: true))
                }
            }
        case .result:
            update(record) { step in
                guard let intent = record.intent, let index = step.undo.firstIndex(where: { $0.seq == intent }) else { return }
                // A failed call most likely changed nothing, but undo stays (idempotent) to be safe.
                step.undo[index].uncertain = record.ok != true
            }
        case .own:
            update(record) { step in
                guard let resource = record.resource else { return }
                step.resources.removeAll { $0.type == resource.type && $0.id == resource.id }
                step.resources.append(resource)
            }
        case .release:
            update(record) { step in
                guard let resource = record.resource else { return }
                step.resources.removeAll { $0.type == resource.type && $0.id == resource.id }
            }
        case .remember:
            update(record) { step in
                guard let key = record.key else { return }
                if let value = record.value, value != .null { step.memory[key] = value } else { step.memory[key] = nil }
            }
        case .outputs:
            update(record) { step in step.outputs = record.outputs ?? [:] }
        case .stepApplied:
            update(record) { step in step.status = .applied }
        case .stepFailed:
            update(record) { step in
                step.status = .failed
                step.error = record.error
            }
        case .undoDone:
            update(record) { step in step.undo.removeAll { $0.seq == record.intent } }
        case .stepRolledBack:
            update(record) { step in
                step.undo = []
                if let error = record.error {
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
        case .teardownBegin:
            update(record) { step in step.status = .tearingDown }
        case .teardownPending:
            update(record) { step in
                step.status = .pendingTeardown
                step.error = record.error
            }
        case .stepTornDown:
            update(record) { step in
                step.status = .tornDown
                step.error = nil
                step.run = record.run
                step.removedOnTeardown = record.removed
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

    private mutating func update(_ record: JournalRecord, _ change: (inout StepState) -> Void) {
        guard let id = record.step, var step = steps[id] else { return }
        change(&step)
        step.updatedAt = record.time
        steps[id] = step
    }
}
