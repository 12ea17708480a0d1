import Foundation

/// The result of `Step.plan`: the change list, findings, and private data for `apply`.
public struct StepPlan: Codable, Sendable {
    public var changes: [PlannedChange]
    public var findings: [Diagnostic]
    /// Outputs already known at plan time (all of them when nothing changes).
    public var outputs: [String: String]
    /// Step-private data `apply` needs (what exactly to upload, for example).
    public var data: JSONValue

    public init(changes: [PlannedChange] = [], findings: [Diagnostic] = [], outputs: [String: String] = [:], data: JSONValue = .null) {
        self.changes = changes
        self.findings = findings
        self.outputs = outputs
        self.data = data
    }

    /// True when applying would change something.
    public var hasChanges: Bool { changes.contains { $0.action != .none } }
}
