import Foundation

/// What happened to one step during rollback.
public struct RollbackOutcome: Codable, Sendable {
    public var step: String
    public var undone: Int
    public var error: String?
}

/// The outcome of a deploy.
public struct DeployReport: Codable, Sendable {
    public var workflow: String
    public var applied: [String]
    public var unchanged: [String]
    public var outputs: [String: [String: String]]
    public var recovered: [String]
    /// The environment (`--env`) deployed; absent without one.
    public var environment: String? = nil
}

/// The outcome of a teardown: what was removed, per step.
public struct TeardownReport: Codable, Sendable {
    public var workflow: String
    public var removed: [String: [String]]
    public var steps: [String]

    public init(workflow: String, removed: [String: [String]], steps: [String]) {
        self.workflow = workflow
        self.removed = removed
        self.steps = steps
    }
}
