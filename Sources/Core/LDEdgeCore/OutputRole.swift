import Foundation

/// A well-known output, read by commands that do not know which step kind published it.
///
/// A kind declares one of its outputs with a role (`OutputField("zip", "...", role: .handlerPackage)`);
/// `ldedge invoke`, `logs` and `status --live` then find the handler package, its runtime, the
/// function version and the distribution through the role, never through a kind or output name.
/// A kind that renames an output keeps its role, and nothing else breaks.
public enum OutputRole: String, Sendable, Codable, CaseIterable {
    /// Outputs that name something on the machine that ran (a path under its work folder): they
    /// differ between machines without anything having changed, so a run does not record them
    /// when they are all that differs.
    public var isMachineLocal: Bool { self == .handlerPackage || self == .handlerBuild }

    /// Path of a Lambda deployment package (a zip) on this machine.
    case handlerPackage
    /// The folder a handler was built in (the package's source).
    case handlerBuild
    /// Lambda runtime identifier of the handler (`python3.12`, `nodejs20.x`).
    case handlerRuntime
    /// Lambda handler setting (`handler.handler`, `index.handler`).
    case handlerEntryPoint
    /// Path prefix of the new site, to tell a visitor sent to the new site from one left on the old.
    case newSitePrefix
    /// The published Lambda version the edge runs.
    case functionVersion
    /// Id of the CloudFront distribution.
    case distributionID
    /// What a flag serves as ldedge last set it (`on: rollout true 50% / false 50%`), to compare
    /// with what it serves now.
    case flagTargeting
}

/// One recorded output found by its role.
public struct RoleOutput: Sendable, Equatable {
    public var step: String
    public var value: String
}

extension WorkflowState {
    /// The applied steps' outputs that their kinds declare with `role`, in step order. Kinds the
    /// registry does not know (an external plugin not resolved here) declare no roles.
    public func outputs(withRole role: OutputRole, registry: StepRegistry) -> [RoleOutput] {
        order.compactMap { steps[$0] }.filter { $0.status == .applied }.compactMap { step in
            guard let field = registry[step.kind]?.outputs.first(where: { $0.role == role }), let value = step.outputs[field.name] else { return nil }
            return RoleOutput(step: step.id, value: value)
        }
    }

    /// The output `step` recorded for `role`, when its kind declares one.
    public func output(of step: String, role: OutputRole, registry: StepRegistry) -> String? {
        guard let recorded = steps[step], let field = registry[recorded.kind]?.outputs.first(where: { $0.role == role }) else { return nil }
        return recorded.outputs[field.name]
    }
}
