import Foundation

/// A kind of workflow step: one module each (`RunStep`, `UploadSiteStep`, ...).
///
/// The engine calls `plan` for every step before anything changes, then `apply` one step at a
/// time with a fresh plan, `rollback` in reverse order when a later step fails, and `teardown`
/// in reverse order of the recorded state. Steps never call each other and never touch the
/// network or disk outside their clients and the `StepContext`: every change goes through
/// `context.perform`, which journals it first and refuses it during a dry run.
public protocol Step: Sendable {
    /// Inputs, decoded from the step's `with:` mapping after checking and interpolation.
    associatedtype Input: Decodable & Sendable
    /// What this kind can undo (`StepUndo`): journaled with each change, handed back to `rollback`.
    associatedtype Undo: StepUndo = NothingToUndo

    /// The name used in `uses:`, e.g. `upload-site`.
    static var kind: String { get }
    /// One line for `ldedge steps`.
    static var summary: String { get }
    /// Dry run, rollback and teardown behaviour in a sentence each, for `ldedge steps`.
    static var documentation: String { get }
    static var inputs: [InputField] { get }
    static var outputs: [OutputField] { get }

    init(id: String, input: Input)

    /// Checks the decoded input beyond its shape (limits, ranges). Paths point into `with:`.
    static func validate(_ input: Input) -> [InputIssue]

    /// Ids of other steps the input names (the steps `cleanup` tears down), each with the input
    /// path that names it: the step runs after them.
    static func stepReferences(_ input: Input) -> [(step: String, path: [String])]

    /// Reads the world and returns the changes `apply` would make. Changes nothing.
    func plan(_ context: StepContext) async throws -> StepPlan

    /// Makes exactly the planned changes through `context.perform` and returns the outputs.
    func apply(_ plan: StepPlan, _ context: StepContext) async throws -> [String: String]

    /// Undoes this run's changes; `changes` are the undo values this run journaled, newest
    /// first. Undo must tolerate a change that never happened (the journal may hold an intent
    /// whose call did not complete).
    func rollback(_ changes: [Undo], _ context: StepContext) async throws

    /// `rollback` with whether each change is known to have happened; the default calls
    /// `rollback(_:_:)`. External plugins get the flag.
    func rollback(changes: [UndoChange<Undo>], _ context: StepContext) async throws

    /// What a flag change by `ldedge rollout` does not reach in this step (a handler with a
    /// baked flag snapshot, say), as a warning the command prints; nil when there is none.
    static func rolloutNotice(_ input: Input) -> String?

    /// Removes what the step created and owns (`state.resources`), restoring what it adopted.
    /// Must be resumable: release each resource as soon as it is gone.
    func teardown(_ state: StepState, _ context: StepContext) async throws

    /// Compares what the last run recorded (`context.previous`) with the world and returns what
    /// changed out of band. Changes nothing. Default: no drift is checked.
    func drift(_ context: StepContext) async throws -> [DriftItem]

    /// The IAM statements the deploying principal needs for this step in `context.phase`, scoped to
    /// the names the step creates or is given (`ldedge iam-policy`, docs/iam.md). Default: none.
    func permissions(_ context: PermissionContext) -> [Permission]

    /// Outputs whose value the input decides before anything is applied (a bucket's name), so the
    /// permissions of later steps can name them. Default: none.
    func knownOutputs(_ context: PermissionContext) -> [String: String]

    /// What the step changes outside the names `scopedName` makes, that no two environments of a
    /// workflow may share (a LaunchDarkly flag in one project and environment). A plan claiming
    /// what another environment's recorded state claims is refused. Default: nothing.
    func claims(_ context: StepContext) -> [Claim]
}

extension Step {
    public func rollback(changes: [UndoChange<Undo>], _ context: StepContext) async throws {
        try await rollback(changes.map(\.undo), context)
    }
    public func drift(_ context: StepContext) async throws -> [DriftItem] { [] }
    public static func validate(_ input: Input) -> [InputIssue] { [] }
    public static func stepReferences(_ input: Input) -> [(step: String, path: [String])] { [] }
    public static var documentation: String { "" }
    public static func rolloutNotice(_ input: Input) -> String? { nil }
    public func permissions(_ context: PermissionContext) -> [Permission] { [] }
    public func knownOutputs(_ context: PermissionContext) -> [String: String] { [:] }
    public func claims(_ context: StepContext) -> [Claim] { [] }
}
