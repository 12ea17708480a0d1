import Foundation

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
