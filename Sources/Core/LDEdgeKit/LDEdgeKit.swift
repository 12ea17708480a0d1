import LDEdgeCore
// JSONValue (undo payloads, plan data, remembered data) is the one type from LDEdgeJSON.
@_exported import LDEdgeJSON

// What a step author needs, and no more: the Step protocol, what a step sees of a run
// (StepContext), what it returns (plans, changes, diagnostics) and records (undo records,
// resources), how it declares its inputs and outputs, and StepKind to register it with
// `LDEdgeCLI.main(extraSteps:)`. The engine, state store and command services stay internal
// to ldedge; built-in steps are written against exactly these names.

/// A kind of workflow step (see `LDEdgeCore.Step`).
public typealias Step = LDEdgeCore.Step
/// A step's view of the run: identity, settings, recorded state and the journaled door to change.
public typealias StepContext = LDEdgeCore.StepContext
/// The phase a step is called in.
public typealias Phase = LDEdgeCore.Phase
/// What `plan` returns.
public typealias StepPlan = LDEdgeCore.StepPlan
/// One line of a plan.
public typealias PlannedChange = LDEdgeCore.PlannedChange
public typealias ChangeAction = LDEdgeCore.ChangeAction
/// What a step kind can undo: its own Codable type (usually an enum), journaled with each change.
public typealias StepUndo = LDEdgeCore.StepUndo
/// For kinds with nothing to undo.
public typealias NothingToUndo = LDEdgeCore.NothingToUndo
/// A journaled undo value and whether its change is known to have happened.
public typealias UndoChange = LDEdgeCore.UndoChange
/// The untyped undo record (external plugins; journals written before undo was typed).
public typealias UndoRecord = LDEdgeCore.UndoRecord
/// Something teardown must remove (or restore).
public typealias Resource = LDEdgeCore.Resource
/// What was recorded about a step (teardown gets it).
public typealias StepState = LDEdgeCore.StepState
public typealias StepStatus = LDEdgeCore.StepStatus
/// Input and output declarations.
public typealias InputField = LDEdgeCore.InputField
public typealias InputType = LDEdgeCore.InputType
public typealias InputIssue = LDEdgeCore.InputIssue
public typealias OutputField = LDEdgeCore.OutputField
/// Findings with locations.
public typealias Diagnostic = LDEdgeCore.Diagnostic
public typealias SourceLocation = LDEdgeCore.SourceLocation
/// The workflow's `aws:` and `launchdarkly:` settings, as `StepContext.settings`.
public typealias WorkflowSettings = LDEdgeCore.WorkflowSettings
/// Thrown by teardown that must wait (and resume later).
public typealias TeardownPending = LDEdgeCore.TeardownPending
/// What a step declares the deploying principal needs in AWS (`Step.permissions`, `ldedge iam-policy`).
public typealias Permission = LDEdgeCore.Permission
public typealias PermissionContext = LDEdgeCore.PermissionContext
public typealias PermissionPhase = LDEdgeCore.PermissionPhase
/// Thrown by `perform` during a dry run, and when a run is interrupted.
public typealias DryRunViolation = LDEdgeCore.DryRunViolation
public typealias Interrupted = LDEdgeCore.Interrupted
/// A step kind for the registry: `StepKind(MyStep.self)`.
public typealias StepKind = LDEdgeCore.StepKind
/// Secret redaction for anything a step prints or records outside `StepContext`.
public typealias Secrets = LDEdgeCore.Secrets
/// The digest of a JSON value in canonical form (to tell whether inputs changed).
public typealias InputDigest = LDEdgeCore.InputDigest
/// Optional protocols a kind adopts: tidy up after a whole deploy, be driven by `ldedge rollout`
/// (or follow it), have build outputs that are caches (rebuilt on the machine that needs them).
public typealias AfterDeployStep = LDEdgeCore.AfterDeployStep
public typealias RolloutStep = LDEdgeCore.RolloutStep
public typealias RolloutFollowerStep = LDEdgeCore.RolloutFollowerStep
public typealias RolloutChange = LDEdgeCore.RolloutChange
public typealias RolloutError = LDEdgeCore.RolloutError
public typealias BuildOutputStep = LDEdgeCore.BuildOutputStep
/// What changed out of band since the last run (`Step.drift`).
public typealias DriftItem = LDEdgeCore.DriftItem
/// Well-known outputs other commands read without knowing the kind (`OutputField(..., role:)`).
public typealias OutputRole = LDEdgeCore.OutputRole
/// An error that means "this machine is not set up" (exit 78) rather than a failure.
public typealias ConfigurationProblem = LDEdgeCore.ConfigurationProblem
/// Elapsed times as people read them ("2.4 s", "3 min 5 s").
public typealias Elapsed = LDEdgeCore.Elapsed
/// `${...}` references in input values.
public typealias Interpolation = LDEdgeCore.Interpolation
/// The recorded state of a whole workflow (read-only for steps).
public typealias WorkflowState = LDEdgeCore.WorkflowState

/// The workflow and its environment (`--env`); `Deployment.fit` shortens a name with a stable hash.
public typealias Deployment = LDEdgeCore.Deployment
/// What a step changes that no two environments of a workflow may share (`Step.claims`).
public typealias Claim = LDEdgeCore.Claim
