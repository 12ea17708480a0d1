import LDEdgeKit

/// What the deploying principal needs in AWS for `flip-flag` (docs/iam.md): nothing, unless a
/// stage hold reads a CloudWatch metric (`guard.metric`). The flag itself lives in LaunchDarkly,
/// authorized by the access token, not by IAM.
extension FlipFlagStep {
    public func permissions(_ context: PermissionContext) -> [Permission] {
        guard input.guard?.metric != nil, context.phase != .teardown else { return [] }
        return [.anyResource(["cloudwatch:GetMetricData"], because: "CloudWatch authorizes GetMetricData only on \"*\"")]
    }
}
