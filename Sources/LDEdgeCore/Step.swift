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
}

/// A problem with an input value found by `Step.validate`; `path` is relative to `with:`.
public struct InputIssue: Sendable, Equatable {
    /// Where the issue is located: at the input's key (`memory:`, the default for a step's rules)
    /// or at its value (a JSON Schema violation of a plugin's input, at the offending node).
    public enum Anchor: Sendable, Equatable {
        case key, value
    }

    public var path: [String]
    public var message: String
    public var anchor: Anchor = .key

    public init(_ path: [String], _ message: String) {
        self.path = path
        self.message = message
    }
}

/// What kind of change a plan line is.
public enum ChangeAction: String, Codable, Sendable {
    case create, update, replace, delete, run, restore, none

    public var symbol: String {
        switch self {
        case .create: return "+"
        case .update: return "~"
        case .replace: return "-/+"
        case .delete: return "-"
        case .run: return ">"
        case .restore: return "<"
        case .none: return "="
        }
    }
}

/// One concrete change a step would make: "create bucket ldedge-rebrand-site".
public struct PlannedChange: Codable, Hashable, Sendable {
    public var action: ChangeAction
    public var resource: String
    public var detail: String?
    public var before: String?
    public var after: String?

    public init(_ action: ChangeAction, _ resource: String, detail: String? = nil, before: String? = nil, after: String? = nil) {
        self.action = action
        self.resource = resource
        self.detail = detail
        self.before = before
        self.after = after
    }
}

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

/// Something a step created (or adopted) and teardown must remove (or restore).
public struct Resource: Codable, Hashable, Sendable {
    public var type: String
    public var id: String
    public var attributes: [String: String]
    /// Adopted resources existed before ldedge; teardown restores them and never deletes them.
    public var adopted: Bool

    public init(type: String, id: String, attributes: [String: String] = [:], adopted: Bool = false) {
        self.type = type
        self.id = id
        self.attributes = attributes
        self.adopted = adopted
    }

    public var label: String { "\(type) \(id)" }
}

/// A type-erased step kind for the registry.
public struct StepKind: Sendable {
    public let kind: String
    public let summary: String
    public let documentation: String
    public let inputs: [InputField]
    public let outputs: [OutputField]
    /// The JSON Schema of `with:` when the kind declares one itself (an external plugin's
    /// `describe`); nil means the schema is generated from `inputs`.
    public let inputSchema: JSONValue?
    let decode: @Sendable (_ id: String, _ input: JSONValue) throws -> any Step
    let validate: @Sendable (_ input: JSONValue) -> [InputIssue]
    let references: @Sendable (_ input: JSONValue) -> [(step: String, path: [String])]
    /// How `ldedge rollout` rewrites this kind's `with:` (nil: the kind has no rollout).
    public let rollout: (@Sendable (_ input: [String: JSONValue], _ change: RolloutChange) throws -> [String: JSONValue])?
    /// What `ldedge rollout` should warn about this step (`Step.rolloutNotice`).
    let notice: @Sendable (_ input: JSONValue) -> String?
    /// `ldedge rollout` applies this step again after the flag changes (`RolloutFollowerStep`).
    public let followsRollout: Bool

    public init<S: Step>(_ type: S.Type) {
        kind = S.kind
        summary = S.summary
        documentation = S.documentation
        inputs = S.inputs
        outputs = S.outputs
        inputSchema = nil
        if let rolloutType = S.self as? any RolloutStep.Type {
            rollout = { input, change in try rolloutType.rolloutInput(input, for: change) }
        } else {
            rollout = nil
        }
        followsRollout = S.self is any RolloutFollowerStep.Type
        decode = { id, input in S(id: id, input: try input.decode(S.Input.self)) }
        notice = { input in (try? input.decode(S.Input.self)).flatMap(S.rolloutNotice) }
        validate = { input in
            guard let decoded = try? input.decode(S.Input.self) else { return [] }
            return S.validate(decoded)
        }
        references = { input in
            guard let decoded = try? input.decode(S.Input.self) else { return [] }
            return S.stepReferences(decoded)
        }
    }

    /// A kind known only at run time (an external plugin): its description and how to make a step.
    public init(
        kind: String, summary: String, documentation: String = "", inputs: [InputField], outputs: [OutputField],
        inputSchema: JSONValue? = nil,
        validate: @escaping @Sendable (_ input: JSONValue) -> [InputIssue] = { _ in [] },
        make: @escaping @Sendable (_ id: String, _ input: JSONValue) throws -> any Step
    ) {
        self.kind = kind
        self.summary = summary
        self.documentation = documentation
        self.inputs = inputs
        self.outputs = outputs
        self.inputSchema = inputSchema
        self.rollout = nil
        self.followsRollout = false
        self.notice = { _ in nil }
        self.references = { _ in [] }
        self.decode = make
        self.validate = validate
    }

    /// The warning `ldedge rollout` prints for a step of this kind with `input`, if any.
    public func rolloutNotice(input: JSONValue) -> String? { notice(input) }

    /// Builds a step from its checked input.
    public func makeStep(id: String, input: JSONValue) throws -> any Step {
        try decode(id, input)
    }

    public func validate(input: JSONValue) -> [InputIssue] { validate(input) }

    /// The issues that literal inputs decide: `validate` on an input that may still hold
    /// `${steps.…}` references, without the issues at a path whose value is such a reference
    /// (those are checked again once the referenced output is known).
    public func literalIssues(input: JSONValue) -> [InputIssue] {
        validate(input).filter { issue in
            var value: JSONValue? = input
            for key in issue.path {
                guard let next = value?[key] else { break }
                value = next
            }
            return !(value?.hasStepReferences ?? false)
        }
    }

    /// The other steps this input names, with where (`Step.stepReferences`).
    public func stepReferences(input: JSONValue) -> [(step: String, path: [String])] { references(input) }
}

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

/// Where a `uses:` value is resolved: the workflow file's folder and the environment (`PATH`).
public struct StepResolutionContext: Sendable {
    public var directory: URL
    public var environment: [String: String]

    public init(directory: URL, environment: [String: String]) {
        self.directory = directory
        self.environment = environment
    }
}

/// Turns a `uses:` value that names no registered kind into a step kind (an external plugin, say).
/// The core knows no resolver; the command line installs them.
public protocol StepKindResolver: Sendable {
    /// Nil when `uses` is not this resolver's syntax; throws `StepResolutionError` when it is but
    /// the kind cannot be used (a missing or non-executable plugin).
    func resolve(_ uses: String, in context: StepResolutionContext) throws -> StepKind?

    /// Does the slow part of resolving `uses` (starting a plugin to ask it) asynchronously, so the
    /// synchronous `resolve` during loading finds the answer ready and never waits on a thread.
    func prepare(_ uses: String, in context: StepResolutionContext) async
}

extension StepKindResolver {
    public func prepare(_ uses: String, in context: StepResolutionContext) async {}
}

/// Why a `uses:` value names no usable step kind; the message says what to do.
public struct StepResolutionError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The step kinds a workflow may use, by `uses:` name, and the resolvers for other `uses:` values.
public struct StepRegistry: Sendable {
    public private(set) var kinds: [String: StepKind] = [:]
    public private(set) var resolvers: [any StepKindResolver] = []

    public init(_ kinds: [StepKind] = [], resolvers: [any StepKindResolver] = []) {
        for kind in kinds { register(kind) }
        self.resolvers = resolvers
    }

    public mutating func register(_ kind: StepKind) {
        kinds[kind.kind] = kind
    }

    public mutating func register(resolver: any StepKindResolver) {
        resolvers.append(resolver)
    }

    public subscript(kind: String) -> StepKind? { kinds[kind] }

    /// A registered kind, or the first resolver's answer; nil when nothing knows `uses`.
    public func resolve(_ uses: String, in context: StepResolutionContext) throws -> StepKind? {
        if let kind = kinds[uses] { return kind }
        for resolver in resolvers {
            if let kind = try resolver.resolve(uses, in: context) { return kind }
        }
        return nil
    }

    /// Lets every resolver prepare the `uses:` values that name no registered kind (see
    /// `StepKindResolver.prepare`).
    public func prepare(_ uses: [String], in context: StepResolutionContext) async {
        for value in Set(uses) where kinds[value] == nil {
            for resolver in resolvers { await resolver.prepare(value, in: context) }
        }
    }

    public var sorted: [StepKind] { kinds.values.sorted { $0.kind < $1.kind } }
}
