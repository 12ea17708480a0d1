import LDEdgeKit

/// What the deploying principal needs for `attach-trigger` (docs/iam.md): the function and its
/// versions in us-east-1, the execution role it creates (or passes), the distribution it attaches
/// to, and what Lambda@Edge checks on the caller when CloudFront associates or releases a version
/// (AWS: "Set up IAM permissions and roles for Lambda@Edge"). Operating the rollout reads the
/// function's versions, its CloudWatch metrics and its logs in every region.
extension AttachTriggerStep {
    static let replicatorService = "replicator.lambda.amazonaws.com"

    public func permissions(_ context: PermissionContext) -> [Permission] {
        let function = context.arn("lambda", region: EdgeLimits.region, "function:\(context.scopedName(input.functionName, limit: 64))")
        let functions = [function, function + ":*"]
        let distribution = context.arn("cloudfront", "distribution/\(context.isKnown(input.distribution) ? input.distribution : "*")")
        let role = input.role ?? context.arn("iam", "role/\(context.scopedName(Self.roleName(workflow: context.workflowName, step: id), limit: 64))")
        let replicator = context.arn("iam", "role/aws-service-role/\(Self.replicatorService)/AWSServiceRoleForLambdaReplicator")
        var statements: [Permission] = []
        switch context.phase {
        case .deploy:
            statements.append(Permission([
                "lambda:CreateFunction", "lambda:DeleteFunction", "lambda:GetFunction", "lambda:GetFunctionConfiguration",
                "lambda:ListVersionsByFunction", "lambda:PublishVersion", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
                "lambda:EnableReplication*", "lambda:DisableReplication*",
            ], on: functions))
            statements.append(Permission(["cloudfront:GetDistribution", "cloudfront:GetDistributionConfig", "cloudfront:UpdateDistribution"], on: [distribution]))
            // Pruning old versions (keepVersions) looks for every distribution that still references one.
            statements.append(.anyResource(["cloudfront:ListDistributions"], because: "CloudFront authorizes listing distributions only on \"*\""))
            statements.append(Permission(["iam:CreateServiceLinkedRole"], on: [replicator],
                                         condition: ["StringEquals": ["iam:AWSServiceName": [Self.replicatorService]]]))
            statements.append(Permission(["iam:PassRole"], on: [role], condition: ["StringEquals": ["iam:PassedToService": ["lambda.amazonaws.com"]]]))
            if input.role == nil {
                var actions = ["iam:AttachRolePolicy", "iam:CreateRole", "iam:DeleteRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy",
                               "iam:GetRole", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies"]
                if input.tableArn != nil { actions += ["iam:GetRolePolicy", "iam:PutRolePolicy"] }
                statements.append(Permission(actions.sorted(), on: [role]))
            } else {
                var actions = ["iam:GetRole"]
                if input.tableArn != nil { actions += ["iam:DeleteRolePolicy", "iam:GetRolePolicy", "iam:PutRolePolicy"] }
                statements.append(Permission(actions, on: [role]))
            }
        case .teardown:
            statements.append(Permission(["lambda:DeleteFunction", "lambda:DisableReplication*", "lambda:GetFunction",
                                          "lambda:GetFunctionConfiguration", "lambda:ListVersionsByFunction"], on: functions))
            statements.append(Permission(["cloudfront:GetDistribution", "cloudfront:GetDistributionConfig", "cloudfront:UpdateDistribution"], on: [distribution]))
            if input.role == nil {
                statements.append(Permission(["iam:DeleteRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy",
                                              "iam:ListAttachedRolePolicies", "iam:ListRolePolicies"], on: [role]))
            } else if input.tableArn != nil {
                statements.append(Permission(["iam:DeleteRolePolicy"], on: [role]))
            }
        case .operate:
            // status --live and --drift; logs reads the log group Lambda@Edge writes in each region that served a viewer.
            statements.append(Permission(["lambda:GetFunctionConfiguration", "lambda:ListVersionsByFunction"], on: functions))
            statements.append(Permission(["cloudfront:GetDistribution"], on: [distribution]))
            statements.append(Permission(["logs:FilterLogEvents"],
                                         on: [context.arn("logs", region: "*", "log-group:/aws/lambda/\(EdgeLimits.region).\(context.scopedName(input.functionName, limit: 64)):*")]))
            statements.append(.anyResource(["cloudwatch:GetMetricData"], because: "CloudWatch authorizes GetMetricData only on \"*\""))
            statements.append(.anyResource(["ec2:DescribeRegions", "logs:DescribeLogGroups"],
                                           because: "EC2 DescribeRegions and CloudWatch Logs DescribeLogGroups are authorized only on \"*\""))
        }
        return statements
    }
}
