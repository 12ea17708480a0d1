import Foundation

/// What `ldedge rollout` asks of a deployed step: a new percentage, one variation, or resuming stages.
public enum RolloutChange: Sendable, Equatable {
    case percent(Double)
    case serve(Bool)
    case resume
}

/// A step kind `ldedge rollout` can drive (flip-flag): it says how its own inputs change for a
/// rollout change, and the command applies that like a deploy of this one step.
public protocol RolloutStep: Step {
    /// The step's `with:` after `change`; throws `RolloutError` when the change does not apply.
    static func rolloutInput(_ input: [String: JSONValue], for change: RolloutChange) throws -> [String: JSONValue]
}

/// A step kind whose world copies the flag (edge-function writes the flag's record to its store):
/// `ldedge rollout` applies each deployed step of such a kind again, after the flag step.
public protocol RolloutFollowerStep: Step {}

/// A rollout change a step cannot make, with what to do instead.
public struct RolloutError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
