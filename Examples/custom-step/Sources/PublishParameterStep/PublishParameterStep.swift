import AWS
import AWSStepSupport
import Foundation
import LDEdgeKit

/// Publishes a value (the distribution's domain name, say) as an SSM Parameter Store parameter,
/// so other systems find the rollout without reading ldedge's state.
///
/// Dry run: reads the parameter and shows whether it would be created or changed (old and new
/// value); writes nothing.
///
/// Rollback: puts back the value the parameter had before this run, or deletes it when this run
/// created it.
///
/// Teardown: deletes a parameter the step created; a parameter that existed before ldedge first
/// wrote it is restored to its original value, never deleted.
public struct PublishParameterStep: Step {
    public struct Input: Decodable, Sendable {
        public var name: String
        public var value: String
        public var description: String?
    }

    public static let kind = "publish-parameter"
    public static let summary = "Publish a value (a distribution's domain, say) to SSM Parameter Store"
    public static let documentation = """
        Dry run: shows whether the parameter would be created or changed. Rollback: restores the \
        previous value, or deletes a parameter this run created. Teardown: deletes what it created, \
        restores the original value of a parameter that existed before.
        """
    public static let inputs: [InputField] = [
        InputField("name", .string, required: true, "parameter name, e.g. /rebrand/domain (a leading '/' for a hierarchy)"),
        InputField("value", .string, required: true, "the value, e.g. ${steps.distribution.outputs.domainName}"),
        InputField("description", .string, "the parameter's description in Parameter Store"),
    ]
    public static let outputs: [OutputField] = [
        OutputField("name", "the parameter's name"),
        OutputField("version", "the parameter's version after the write"),
    ]

    /// The resource type in ldedge's state.
    static let resourceType = "ssm-parameter"

    public let id: String
    public let input: Input

    public init(id: String, input: Input) {
        self.id = id
        self.input = input
    }

    public static func validate(_ input: Input) -> [InputIssue] {
        var issues: [InputIssue] = []
        let name = input.name
        if name.isEmpty || name.count > 2048 || name.range(of: "^[A-Za-z0-9_./-]+$", options: .regularExpression) == nil {
            issues.append(InputIssue(["name"], "'name' must be 1-2048 letters, digits and _ . / - (for example /rebrand/domain), found '\(name)'"))
        }
        if name.lowercased().hasPrefix("/aws") || name.lowercased().hasPrefix("/ssm") || name.lowercased().hasPrefix("aws") || name.lowercased().hasPrefix("ssm") {
            issues.append(InputIssue(["name"], "'name' must not start with aws or ssm (reserved by AWS); use a prefix of your own like /rebrand/"))
        }
        if input.value.isEmpty { issues.append(InputIssue(["value"], "'value' is empty; Parameter Store does not store empty values")) }
        if input.value.utf8.count > 4096 { issues.append(InputIssue(["value"], "'value' is longer than 4 KB, the Standard tier limit")) }
        return issues
    }

    /// What apply needs from the plan: the value before this run (nil: no such parameter).
    struct PlanData: Codable {
        var previous: String?
    }

    /// The undo payload of one write: the value to put back (nil: delete the parameter).
    public func plan(_ context: StepContext) async throws -> StepPlan {
        guard context.isKnown(input.value) else {
            return StepPlan(changes: [PlannedChange(.update, "parameter \(input.name)", detail: "value known after earlier steps apply")])
        }
        let current = try await context.awsClient().ssm.parameterIfPresent(name: input.name)
        let data = try JSONValue(encoding: PlanData(previous: current?.value))
        guard let current else {
            return StepPlan(changes: [PlannedChange(.create, "parameter \(input.name)", after: input.value)], data: data)
        }
        if current.value == input.value {
            return StepPlan(
                changes: [PlannedChange(.none, "parameter \(input.name)", detail: "already \(input.value)")],
                outputs: ["name": input.name, "version": String(current.version)], data: data)
        }
        return StepPlan(changes: [PlannedChange(.update, "parameter \(input.name)", before: current.value, after: input.value)], data: data)
    }

    public func apply(_ plan: StepPlan, _ context: StepContext) async throws -> [String: String] {
        let ssm = try context.awsClient().ssm
        let previous = try plan.data.decode(PlanData.self).previous
        let undo = ParameterUndo.restoreParameter(name: input.name, previous: previous)
        let version = try await context.perform("put parameter \(input.name)", undo: undo) {
            try await ssm.putParameter(name: input.name, value: input.value, description: input.description, overwrite: true)
        }
        if !context.ownedResources.contains(where: { $0.type == Self.resourceType && $0.id == input.name }) {
            // Adopted: it existed before ldedge first wrote it; teardown restores that value.
            var attributes: [String: String] = [:]
            if let previous { attributes["original"] = previous }
            try context.own(Resource(type: Self.resourceType, id: input.name, attributes: attributes, adopted: previous != nil))
        }
        return ["name": input.name, "version": String(version)]
    }

    public func rollback(_ changes: [ParameterUndo], _ context: StepContext) async throws {
        let ssm = try context.awsClient().ssm
        for change in changes {
            switch change {
            case .restoreParameter(let name, let previous):
                try await restore(name, to: previous, ssm, context)
            }
        }
        // First applied in this run: nothing it owns predates the run.
        if context.previous?.previous == nil {
            for resource in context.ownedResources { try context.release(resource) }
        }
    }

    public func teardown(_ state: StepState, _ context: StepContext) async throws {
        let ssm = try context.awsClient().ssm
        for resource in state.resources where resource.type == Self.resourceType {
            try await restore(resource.id, to: resource.adopted ? resource.attributes["original"] : nil, ssm, context)
            try context.release(resource)
        }
    }

    func restore(_ name: String, to value: String?, _ ssm: SSMClient, _ context: StepContext) async throws {
        if let value {
            try await context.perform("restore parameter \(name)") {
                try await ssm.putParameter(name: name, value: value, overwrite: true)
            }
        } else {
            try await context.perform("delete parameter \(name)") { try await ssm.deleteParameter(name: name) }
        }
    }
}

/// What a publish-parameter step undoes: put a parameter back to its value before the run (nil: delete it).
public enum ParameterUndo: StepUndo {
    case restoreParameter(name: String, previous: String?)
}
