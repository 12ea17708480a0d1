import AWS
import Foundation
import LDEdgeCore

/// What a deployed workflow runs at the edge, read from its recorded state by resource type
/// (`function`, `distribution`, `launchdarkly-flag`), never by step kind.
public struct DeployedEdge: Sendable {
    /// The step that owns the function, its name and the version it recorded.
    public var functionStep: String
    public var functionName: String
    public var functionVersion: String?
    /// The distribution the function is attached to, when the state names one.
    public var distributionId: String?
    public var settings: WorkflowSettings

    /// Finds the edge function of `state`; `step` picks one when several steps own a function.
    /// The version is the owner's output its kind declares as `OutputRole.functionVersion`.
    public static func find(in state: WorkflowState, step: String? = nil, registry: StepRegistry) throws -> DeployedEdge {
        let owners = state.order.compactMap { state.steps[$0] }.filter { step == nil || $0.id == step }
            .filter { $0.resources.contains { $0.type == "function" } }
        guard let owner = owners.first else {
            if let step {
                let known = state.steps[step] == nil ? "has no step '\(step)'" : "step '\(step)' owns no Lambda function"
                throw OperationsError.noFunction(workflow: state.workflow, detail: "\(known); name the attach-trigger step with --step")
            }
            throw OperationsError.noFunction(workflow: state.workflow, detail: "no step owns a Lambda function; deploy the workflow first")
        }
        guard owners.count == 1 else {
            throw OperationsError.noFunction(workflow: state.workflow, detail: "several steps own a function (\(owners.map(\.id).joined(separator: ", "))); choose one with --step")
        }
        let function = owner.resources.first { $0.type == "function" }
        let association = owner.resources.first { $0.type == "association" }?.attributes["distribution"]
        let owned = state.order.compactMap { state.steps[$0] }.flatMap(\.resources).first { $0.type == "distribution" }?.id
        return DeployedEdge(functionStep: owner.id, functionName: function?.id ?? "", functionVersion: nonEmpty(state.output(of: owner.id, role: .functionVersion, registry: registry)),
                            distributionId: association ?? owned, settings: state.settings)
    }

    /// The CloudWatch Logs group Lambda@Edge writes to in every region that served a viewer.
    public var logGroupName: String { "/aws/lambda/us-east-1.\(functionName)" }
}

extension WorkflowSettings {
    /// An AWS client for `region`, configured like the steps' clients: the workflow's `aws:` settings over the environment.
    public func awsClient(region: String, environment: [String: String]) throws -> AWSClient {
        var environment = environment
        if let endpoint = aws?.endpoint { environment["AWS_ENDPOINT_URL"] = endpoint }
        return AWSClient(configuration: try AWSConfiguration.fromEnvironment(environment, profile: aws?.profile, region: region))
    }
}

/// Failures of the operating commands (logs, live status, waiting teardown).
public enum OperationsError: Error, CustomStringConvertible {
    case noFunction(workflow: String, detail: String)
    case badTime(String)
    case everyRegionFailed(String)

    public var description: String {
        switch self {
        case .noFunction(let workflow, let detail):
            return "workflow '\(workflow)': \(detail)"
        case .badTime(let text):
            return "'\(text)' is neither a duration (30s, 15m, 2h, 1d) nor an ISO 8601 time (2026-12-01T09:30:00Z)"
        case .everyRegionFailed(let detail):
            return "no region could be read: \(detail)"
        }
    }
}

func nonEmpty(_ text: String?) -> String? {
    guard let text, !text.isEmpty else { return nil }
    return text
}
