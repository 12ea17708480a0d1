import Foundation
import LaunchDarkly
import LDEdgeKit

extension FlipFlagStep {
    /// Drift: the flag's targeting in LaunchDarkly against what the last run left it serving (the
    /// `targeting` output), so a rollout someone changed in LaunchDarkly shows up in `plan` and
    /// `status --drift`; a deleted flag is drift too.
    public func drift(_ context: StepContext) async throws -> [DriftItem] {
        guard let previous = context.previous, previous.status == .applied,
              let recorded = previous.outputs["targeting"], !recorded.isEmpty
        else { return [] }
        let target = FlagTarget(self, context)
        let client = try LaunchDarklyAccess.client(context)
        let resource = "flag \(target.project)/\(input.flag) in \(target.environment)"
        guard let flag = try await client.flagIfExists(project: target.project, key: input.flag, environment: target.environment) else {
            return [DriftItem(resource: resource, field: "existence", recorded: "exists", actual: "deleted")]
        }
        let current = TargetingSnapshot(try flag.configuration(for: target.environment), of: flag).summary
        guard current != recorded else { return [] }
        return [DriftItem(resource: resource, field: "targeting", recorded: recorded, actual: current)]
    }
}
