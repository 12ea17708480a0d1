import LDEdgeKit

/// What the deploying principal needs for `edge-distribution` (docs/iam.md). The distribution's and
/// the Origin Access Control's ids are known only once CloudFront has created them: their ARNs end
/// in `*` within the account.
extension EdgeDistributionStep {
    public func permissions(_ context: PermissionContext) -> [Permission] {
        let distribution = context.arn("cloudfront", "distribution/\(input.distribution.flatMap { context.isKnown($0) ? $0 : nil } ?? "*")")
        let oac = context.arn("cloudfront", "origin-access-control/*")
        let bucket = input.bucket.map { "arn:\(context.partition):s3:::\($0)" }
        if input.distribution != nil {
            // An adopted distribution is only read.
            return [Permission(["cloudfront:GetDistribution"], on: [distribution])]
        }
        var statements: [Permission] = []
        switch context.phase {
        case .deploy:
            // CreateDistribution is authorized on the new distribution's ARN, whose id CloudFront picks.
            statements.append(Permission(["cloudfront:CreateDistribution", "cloudfront:GetDistribution", "cloudfront:GetDistributionConfig",
                                          "cloudfront:UpdateDistribution", "cloudfront:DeleteDistribution"], on: [distribution]))
            statements.append(Permission(["cloudfront:GetOriginAccessControl", "cloudfront:DeleteOriginAccessControl"], on: [oac]))
            statements.append(.anyResource(["cloudfront:ListDistributions", "cloudfront:CreateOriginAccessControl", "cloudfront:ListOriginAccessControls"],
                                           because: "CloudFront authorizes listing distributions and creating or listing origin access controls only on \"*\""))
            if let bucket {
                statements.append(Permission(["s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"], on: [bucket]))
            }
        case .teardown:
            statements.append(Permission(["cloudfront:GetDistribution", "cloudfront:GetDistributionConfig", "cloudfront:UpdateDistribution",
                                          "cloudfront:DeleteDistribution"], on: [distribution]))
            statements.append(Permission(["cloudfront:GetOriginAccessControl", "cloudfront:DeleteOriginAccessControl"], on: [oac]))
            if let bucket {
                statements.append(Permission(["s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"], on: [bucket]))
            }
        case .operate:
            statements.append(Permission(["cloudfront:GetDistribution"], on: [distribution]))
        }
        return statements
    }
}
