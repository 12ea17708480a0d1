import LDEdgeKit

extension FlipFlagStep {
    /// The flag's targeting in one LaunchDarkly project and environment: two environments of a
    /// workflow changing it would undo each other's rollout.
    public func claims(_ context: StepContext) -> [Claim] {
        let target = FlagTarget(self, context)
        return [Claim(
            key: "launchdarkly-flag/\(target.project)/\(target.environment)/\(input.flag)",
            description: "flag '\(input.flag)' in LaunchDarkly project \(target.project), environment \(target.environment)",
            input: ["flag"],
            advice: "give each environment its own flag key (for example 'flag: \(input.flag)-${workflow.environment}', or 'flag: ${workflow.vars.flag}' with a value per environment under 'environments:') or its own LaunchDarkly environment ('launchdarkly.environment: ${workflow.vars.ldEnvironment}')")]
    }
}
