import Foundation

/// Where a step stands in the recorded state.
public enum StepStatus: String, Codable, Sendable {
    /// Changes were started and not finished (a crash or a failure before rollback ended).
    case applying
    case applied
    /// Apply failed and rollback was not run (`--no-rollback`) or did not finish.
    case failed
    case rolledBack = "rolled-back"
    case tearingDown = "tearing-down"
    /// Teardown could not finish yet (a replicated Lambda@Edge function, say); run teardown again later.
    case pendingTeardown = "pending-teardown"
    case tornDown = "torn-down"

    /// True when the step may have left something in the world.
    public var mayOwnResources: Bool {
        switch self {
        case .applying, .applied, .failed, .tearingDown, .pendingTeardown: return true
        case .rolledBack, .tornDown: return false
        }
    }
}

/// A step's undo value (opaque JSON: the kind's `StepUndo`) with the journal sequence number of
/// the change it undoes.
public struct JournaledUndo: Codable, Hashable, Sendable {
    public var seq: Int
    public var run: String
    public var undo: JSONValue
    /// True while the change's call has not reported success.
    public var uncertain: Bool

    public init(seq: Int, run: String, undo: JSONValue, uncertain: Bool) {
        self.seq = seq
        self.run = run
        self.undo = undo
        self.uncertain = uncertain
    }

    enum CodingKeys: String, CodingKey { case seq, run, undo, uncertain, record }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        seq = try container.decode(Int.self, forKey: .seq)
        run = try container.decode(String.self, forKey: .run)
        if let undo = try container.decodeIfPresent(JSONValue.self, forKey: .undo) {
            self.undo = undo
            uncertain = try container.decodeIfPresent(Bool.self, forKey: .uncertain) ?? false
        } else {
            // States written before undo was typed: `record` is `{action, resource, data, uncertain}`.
            let record = try container.decode(JSONValue.self, forKey: .record)
            uncertain = record["uncertain"]?.boolValue ?? false
            guard case .object(var fields) = record else { undo = record; return }
            fields["uncertain"] = nil
            undo = .object(fields)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(seq, forKey: .seq)
        try container.encode(run, forKey: .run)
        try container.encode(undo, forKey: .undo)
        try container.encode(uncertain, forKey: .uncertain)
    }
}

/// The applied state of a step before a run changed it.
public struct AppliedSnapshot: Codable, Sendable {
    public var input: JSONValue
    public var inputDigest: String
    public var outputs: [String: String]
}

/// Everything recorded about one step.
public struct StepState: Codable, Sendable {
    public var id: String
    public var kind: String
    public var status: StepStatus
    /// The resolved input of the last apply (secrets masked), so teardown works without the file.
    public var input: JSONValue
    public var inputDigest: String
    public var outputs: [String: String]
    public var resources: [Resource]
    /// Step-private data kept across runs (a flag snapshot, the current rollout stage).
    public var memory: [String: JSONValue]
    /// Undo records of the changes made by the run that last applied this step.
    public var undo: [JournaledUndo]
    public var run: String
    public var error: String?
    public var updatedAt: Date
    /// What an earlier run left applied, restored when this run's changes are rolled back.
    public var previous: AppliedSnapshot?
    /// What the teardown of this step removed or restored (set when it is torn down).
    public var removedOnTeardown: [String]?

    public init(id: String, kind: String) {
        self.id = id
        self.kind = kind
        status = .applying
        input = .null
        inputDigest = ""
        outputs = [:]
        resources = []
        memory = [:]
        undo = []
        run = ""
        updatedAt = Date()
    }
}

/// The git commit a deploy was made from.
public struct GitStamp: Codable, Hashable, Sendable {
    public var commit: String?
    public var branch: String?
    public var dirty: Bool
    public var changedPaths: [String]

    public init(commit: String?, branch: String?, dirty: Bool, changedPaths: [String]) {
        self.commit = commit
        self.branch = branch
        self.dirty = dirty
        self.changedPaths = changedPaths
    }

    public var summary: String {
        guard let commit else { return "not a git repository" }
        return "\(String(commit.prefix(12)))\(branch.map { " on \($0)" } ?? "")\(dirty ? " (dirty)" : "")"
    }
}

/// One run (deploy, rollback, teardown) as recorded.
public struct RunInfo: Codable, Sendable {
    public var id: String
    public var command: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var outcome: String?
    public var git: GitStamp?
    /// Who ran it (`USER`); absent in states written before environments.
    public var user: String? = nil
}

/// The state of one workflow: what ldedge applied, owns and remembers.
public struct WorkflowState: Codable, Sendable {
    public static let formatVersion = 1
    public var version: Int = WorkflowState.formatVersion
    public var workflow: String
    public var workflowFile: String?
    public var settings: WorkflowSettings
    /// Step ids in the order they were first applied; teardown walks it backwards.
    public var order: [String]
    public var steps: [String: StepState]
    public var runs: [RunInfo]
    /// The last journal record folded into this snapshot.
    public var seq: Int
    /// The environment (`--env`) this state belongs to; nil for the workflow without one.
    public var environment: String?
    /// `deploy --ttl`: the time to live in seconds, and when the environment expires (`ldedge gc`).
    public var ttl: Double?
    public var expires: Date?

    /// `workflow` is a workflow name or a state key (`rebrand/env/pr-42`).
    public init(workflow: String) {
        let deployment = Deployment(stateKey: workflow)
        self.workflow = deployment.workflow
        environment = deployment.environment
        settings = WorkflowSettings()
        order = []
        steps = [:]
        runs = []
        seq = 0
    }

    public var lastRun: RunInfo? { runs.last }

    /// The workflow and environment this state belongs to.
    public var deployment: Deployment { Deployment(workflow: workflow, environment: environment) }

    /// True when the last run did not record its end (the process was killed).
    public var interrupted: Bool {
        guard let last = runs.last else { return false }
        return last.finishedAt == nil
    }

    /// Steps that may still own something, in teardown order (reverse of application).
    public var teardownOrder: [StepState] {
        order.reversed().compactMap { steps[$0] }.filter { $0.status.mayOwnResources || !$0.resources.isEmpty }
    }

    public var isEmpty: Bool { teardownOrder.isEmpty }

    /// Steps torn down by the earlier runs of one teardown: the teardown runs just before
    /// `runID` that ended waiting on AWS (`teardown incomplete`), newest step first.
    public func stepsTornDownByEarlierRuns(ofTeardownRun runID: String) -> [StepState] {
        guard let index = runs.lastIndex(where: { $0.id == runID }) else { return [] }
        var earlier: Set<String> = []
        for run in runs[..<index].reversed() {
            guard run.command == "teardown", run.outcome == "teardown incomplete" else { break }
            earlier.insert(run.id)
        }
        return order.reversed().compactMap { steps[$0] }.filter { $0.status == .tornDown && earlier.contains($0.run) }
    }
}
