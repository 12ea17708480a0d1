import Foundation

/// The plan of one step as shown to the user.
public struct StepPlanEntry: Codable, Sendable {
    public var id: String
    public var kind: String
    public var plan: StepPlan?
    /// Set when the step's inputs depend on outputs known only after earlier steps apply.
    public var pending: String?

    public var hasChanges: Bool { plan?.hasChanges ?? true }
}

/// `ldedge plan`: every step's changes and findings, before anything is touched.
public struct WorkflowPlan: Codable, Sendable {
    public var workflow: String
    public var file: String
    public var git: GitStamp?
    public var steps: [StepPlanEntry]
    public var findings: [Diagnostic]
    /// The state serial (last journal record) the plan was made against.
    public var serial: Int? = nil
    /// Out-of-band changes since the last run, per owned or adopted resource.
    public var drift: [DriftItem] = []
    public var hasDrift: Bool { !drift.isEmpty }

    public var hasChanges: Bool { steps.contains { $0.hasChanges } }
    public var hasErrors: Bool { findings.hasErrors || steps.contains { $0.plan?.findings.hasErrors ?? false } }
    public var allFindings: [Diagnostic] { findings + steps.flatMap { $0.plan?.findings ?? [] } }
}
