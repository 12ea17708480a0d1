import LDEdgeKit

/// Tears down earlier steps of the same workflow within the run: deploy, check, clean up.
///
/// Dry run: lists the steps it would tear down, in the order it would.
///
/// Rollback: nothing; what was torn down stays torn down (a failed deploy rolls back the rest).
///
/// Teardown: nothing of its own.
public struct CleanupStep: Step {
    public struct Input: Decodable, Sendable {
        public var steps: [String]?
    }

    public static let kind = "cleanup"
    public static let summary = "Tear down earlier steps (all, or the named ones) in reverse order, for short-lived previews"
    public static let documentation = """
        Dry run: lists the steps it would tear down. Rollback: nothing (torn-down resources stay gone). \
        Teardown: nothing of its own.
        """
    public static let inputs: [InputField] = [
        InputField("steps", .list(.string), "ids of earlier steps to tear down; all earlier steps when absent")
    ]
    public static let outputs: [OutputField] = [OutputField("removed", "the resources removed, comma-separated")]

    public let id: String
    public let input: Input

    /// Runs after the steps it tears down.
    public static func stepReferences(_ input: Input) -> [(step: String, path: [String])] {
        (input.steps ?? []).map { ($0, ["steps"]) }
    }

    public init(id: String, input: Input) {
        self.id = id
        self.input = input
    }

    public func plan(_ context: StepContext) async throws -> StepPlan {
        let targets = input.steps.map { $0.joined(separator: ", ") } ?? "every earlier step"
        return StepPlan(changes: [PlannedChange(.delete, "steps", detail: "tear down \(targets), newest first")])
    }

    public func apply(_ plan: StepPlan, _ context: StepContext) async throws -> [String: String] {
        let removed = try await context.teardownSteps(input.steps ?? [])
        return ["removed": removed.joined(separator: ", ")]
    }


    public func teardown(_ state: StepState, _ context: StepContext) async throws {}
}
