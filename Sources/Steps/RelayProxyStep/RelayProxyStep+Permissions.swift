import LDEdgeKit

/// What the deploying principal needs for `relay-proxy` (docs/iam.md): the table, the secret, both
/// roles (passed only to ECS tasks), the cluster, the service and the task definition family, by the
/// names the step derives. Creating with tags also needs each service's TagResource.
extension RelayProxyStep {
    public func permissions(_ context: PermissionContext) -> [Permission] {
        let region = input.region ?? context.region
        let names = names(context)
        let table = context.arn("dynamodb", region: region, "table/\(tableName(context))")
        // Secrets Manager appends six random characters to a secret's name in its ARN.
        let secret = context.arn("secretsmanager", region: region, "secret:\(names.secret)-??????")
        let roles = [names.executionRole, names.taskRole].map { context.arn("iam", "role/\($0)") }
        let cluster = context.arn("ecs", region: region, "cluster/\(names.cluster)")
        let service = context.arn("ecs", region: region, "service/\(names.cluster)/\(names.service)")
        let family = context.arn("ecs", region: region, "task-definition/\(names.family):*")
        let roleCleanup = ["iam:DeleteRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies"]
        switch context.phase {
        case .deploy:
            return [
                Permission(["dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:DescribeTable", "dynamodb:TagResource"], on: [table]),
                Permission(["secretsmanager:CreateSecret", "secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret",
                            "secretsmanager:TagResource"], on: [secret]),
                Permission((["iam:CreateRole", "iam:GetRole", "iam:GetRolePolicy", "iam:PutRolePolicy"] + roleCleanup).sorted(), on: roles),
                Permission(["iam:PassRole"], on: roles, condition: ["StringEquals": ["iam:PassedToService": ["ecs-tasks.amazonaws.com"]]]),
                Permission(["ecs:CreateCluster", "ecs:DeleteCluster", "ecs:DescribeClusters", "ecs:TagResource"], on: [cluster]),
                Permission(["ecs:CreateService", "ecs:DeleteService", "ecs:DescribeServices", "ecs:TagResource", "ecs:UpdateService"], on: [service]),
                Permission(["ecs:RegisterTaskDefinition", "ecs:TagResource"], on: [family]),
                .anyResource(["ec2:DescribeSubnets", "ec2:DescribeVpcs", "ecs:DeregisterTaskDefinition", "ecs:ListTaskDefinitions"],
                             because: "EC2 Describe* and ECS ListTaskDefinitions/DeregisterTaskDefinition are authorized only on \"*\""),
            ]
        case .teardown:
            return [
                Permission(["dynamodb:DeleteTable", "dynamodb:DescribeTable"], on: [table]),
                Permission(["secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret"], on: [secret]),
                Permission(roleCleanup, on: roles),
                Permission(["ecs:DeleteCluster", "ecs:DescribeClusters"], on: [cluster]),
                Permission(["ecs:DeleteService", "ecs:DescribeServices", "ecs:UpdateService"], on: [service]),
                .anyResource(["ecs:DeregisterTaskDefinition"], because: "ECS authorizes DeregisterTaskDefinition only on \"*\""),
            ]
        case .operate:
            return []
        }
    }

    public func knownOutputs(_ context: PermissionContext) -> [String: String] {
        let names = names(context)
        let region = input.region ?? context.region
        return ["table": tableName(context), "tableArn": context.arn("dynamodb", region: region, "table/\(tableName(context))"),
                "cluster": names.cluster, "service": names.service]
    }
}
