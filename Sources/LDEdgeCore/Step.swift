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

    /// Reads the world and returns the changes `apply` would make. Changes nothing.
    func plan(_ context: StepContext) async throws -> StepPlan

    /// Makes exactly the planned changes through `context.perform` and returns the outputs.
    func apply(_ plan: StepPlan, _ context: StepContext) async throws -> [String: String]

    /// Undoes this run's changes; `records` are the undo records of this run, newest first.
    /// Undo must tolerate a change that never happened (the journal may hold an intent whose
    /// call did not complete).
    func rollback(_ records: [UndoRecord], _ context: StepContext) async throws

    /// Removes what the step created and owns (`state.resources`), restoring what it adopted.
    /// Must be resumable: release each resource as soon as it is gone.
    func teardown(_ state: StepState, _ context: StepContext) async throws

    /// Compares what the last run recorded (`context.previous`) with the world and returns what
    /// changed out of band. Changes nothing. Default: no drift is checked.
    func drift(_ context: StepContext) async throws -> [DriftItem]
}

extension Step {
    public func drift(_ context: StepContext) async throws -> [DriftItem] { [] }
    public static func validate(_ input: Input) -> [InputIssue] { [] }
    public static var documentation: String { "" }
}

/// A problem with an input value found by `Step.validate`; `path` is relative to `with:`.
public struct InputIssue: Sendable, Equatable {
    public var path: [String]
    public var message: String

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

/// How to undo one journaled change. `data` is the step's own payload.
public struct UndoRecord: Codable, Hashable, Sendable {
    public var action: String
    public var resource: String
    public var data: JSONValue
    /// True when the change's call did not report success: it may or may not have happened.
    public var uncertain: Bool

    public init(_ action: String, resource: String, data: JSONValue = .null, uncertain: Bool = false) {
        self.action = action
        self.resource = resource
        self.data = data
        self.uncertain = uncertain
    }

    public func payload<T: Decodable>(_ type: T.Type) throws -> T { try data.decode(type) }
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
    let decode: @Sendable (_ id: String, _ input: JSONValue) throws -> any Step
    let validate: @Sendable (_ input: JSONValue) -> [InputIssue]

    public init<S: Step>(_ type: S.Type) {
        kind = S.kind
        summary = S.summary
        documentation = S.documentation
        inputs = S.inputs
        outputs = S.outputs
        decode = { id, input in S(id: id, input: try input.decode(S.Input.self)) }
        validate = { input in
            guard let decoded = try? input.decode(S.Input.self) else { return [] }
            return S.validate(decoded)
        }
    }

    /// Builds a step from its checked input.
    public func makeStep(id: String, input: JSONValue) throws -> any Step {
        try decode(id, input)
    }

    public func validate(input: JSONValue) -> [InputIssue] { validate(input) }
}

/// The step kinds a workflow may use, by `uses:` name.
public struct StepRegistry: Sendable {
    public private(set) var kinds: [String: StepKind] = [:]

    public init(_ kinds: [StepKind] = []) {
        for kind in kinds { register(kind) }
    }

    public mutating func register(_ kind: StepKind) {
        kinds[kind.kind] = kind
    }

    public subscript(kind: String) -> StepKind? { kinds[kind] }

    public var sorted: [StepKind] { kinds.values.sorted { $0.kind < $1.kind } }
}
