import AWS
import AWSStepSupport
import Foundation
import LDEdgeKit

/// What `plan` found, handed to `apply`. Holds names and ARNs, never the SDK key.
struct RelayPlan: Codable, Sendable {
    var names: RelayProxyStep.Names
    var region: String
    var createTable = false
    var adoptTable = false
    var tableArn: String?
    var createSecret = false
    var secretArn: String?
    var createExecutionRole = false
    var executionRoleArn: String?
    var createTaskRole = false
    var taskRoleArn: String?
    var createCluster = false
    var registerTaskDefinition = false
    var taskDefinitionArn: String?
    var createService = false
    var updateService = false
    var subnets: [String] = []
    var fingerprint: String
}

extension RelayProxyStep {
    public func plan(_ context: StepContext) async throws -> StepPlan {
        let client = try client(context)
        let names = names(context)
        let region = client.configuration.region
        var findings: [Diagnostic] = Self.validate(input).map { .error($0.message) }
        var changes: [PlannedChange] = []
        var data = RelayPlan(names: names, region: region, fingerprint: RelayStack.fingerprint(self, region: region, tableName: tableName(context)))
        func foreign(_ what: String) -> Diagnostic {
            .error("\(what) already exists and was not created by this step; delete it, or set 'name' (or 'table') to names of your own")
        }

        // The table: created on demand, or an existing one in the Relay Proxy's layout adopted (kept on teardown).
        if let table = try await client.dynamoDB.tableIfPresent(name: tableName(context)) {
            data.tableArn = table.tableArn
            if table.partitionKey != "namespace" || table.sortKey != "key" {
                findings.append(.error("table \(tableName(context)) exists with keys \(table.partitionKey ?? "-")/\(table.sortKey ?? "-"); the Relay Proxy needs partition key 'namespace' and sort key 'key' (both strings): choose another 'table'"))
            }
            if !owns("table", tableName(context), context) {
                data.adoptTable = true
                changes.append(PlannedChange(.none, "dynamodb table \(tableName(context))", detail: "exists; used as the Relay Proxy's store and kept on teardown"))
            }
        } else {
            data.createTable = true
            changes.append(PlannedChange(.create, "dynamodb table \(tableName(context))", detail: "partition key namespace (S), sort key key (S), on demand, \(region)"))
        }

        // The secret: a copy of the SDK key, read by ECS into the container's environment.
        if let secret = try await client.secretsManager.secretIfPresent(id: names.secret) {
            data.secretArn = secret.arn
            if secret.deletedDate != nil {
                findings.append(.error("secret \(names.secret) is scheduled for deletion; restore it (aws secretsmanager restore-secret) or delete it for good, then deploy again"))
            } else if !owns("secret", names.secret, context) {
                findings.append(foreign("secret \(names.secret)"))
            }
        } else {
            data.createSecret = true
            changes.append(PlannedChange(.create, "secret \(names.secret)", detail: "a copy of the SDK key for the Relay Proxy (deleted without recovery window on teardown)"))
            do {
                _ = try await sdkKey(context)
            } catch let error as RelayProxyError {
                findings.append(.error(error.description))
            }
        }

        // The roles: the execution role reads only the secret, the task role writes only the table.
        for (role, isExecution) in [(names.executionRole, true), (names.taskRole, false)] {
            if let existing = try await client.iam.roleIfPresent(name: role) {
                if isExecution { data.executionRoleArn = existing.arn } else { data.taskRoleArn = existing.arn }
                if !owns("role", role, context) { findings.append(foreign("role \(role)")) }
            } else {
                if isExecution { data.createExecutionRole = true } else { data.createTaskRole = true }
                changes.append(PlannedChange(.create, "role \(role)", detail: isExecution
                    ? "ECS task execution role, trusted by ecs-tasks.amazonaws.com; may read only secret \(names.secret)"
                    : "Relay Proxy task role, trusted by ecs-tasks.amazonaws.com; may read and write only table \(tableName(context))"))
            }
        }

        // The cluster, the task definition and the service.
        if try await client.ecs.clusterIfPresent(name: names.cluster) != nil {
            if !owns("cluster", names.cluster, context) { findings.append(foreign("ECS cluster \(names.cluster)")) }
        } else {
            data.createCluster = true
            changes.append(PlannedChange(.create, "ecs cluster \(names.cluster)"))
        }
        let registered = context.ownedResources.filter { $0.type == "task-definition" }.last
        if let registered, context.recall("fingerprint", as: String.self) == data.fingerprint {
            data.taskDefinitionArn = registered.id
        } else {
            data.registerTaskDefinition = true
            changes.append(PlannedChange(registered == nil ? .create : .replace, "task definition \(names.family)",
                                         detail: "\(input.image ?? Self.defaultImage), \(cpu) CPU units, \(memory) MiB, Fargate awsvpc, DynamoDB store \(tableName(context))"
                                            + (input.prefix.map { " prefix \($0)" } ?? "") + ", cache TTL \(input.cacheTtl ?? "30s")"))
        }
        if let service = try await client.ecs.serviceIfPresent(cluster: names.cluster, service: names.service) {
            if !owns("service", names.service, context) {
                findings.append(foreign("ECS service \(names.service)"))
            } else if data.registerTaskDefinition || service.desiredCount != desiredCount {
                data.updateService = true
                changes.append(PlannedChange(.update, "ecs service \(names.service)", before: "\(service.desiredCount ?? 0) task(s) of \(service.taskDefinition ?? "-")",
                                             after: "\(desiredCount) task(s) of \(data.registerTaskDefinition ? "the new revision" : data.taskDefinitionArn ?? "-")"))
            }
        } else {
            data.createService = true
            do {
                data.subnets = try await subnets(client)
            } catch let error as RelayProxyError {
                findings.append(.error(error.description))
            }
            changes.append(PlannedChange(.create, "ecs service \(names.service)",
                                         detail: "\(desiredCount) Fargate task(s) in subnets \(data.subnets.joined(separator: ", ")), public IP \(input.assignPublicIp ?? true ? "on" : "off")"))
        }

        let complete = !changes.contains { $0.action != .none }
        let known = complete ? outputs(names, tableArn: data.tableArn ?? "", secretArn: data.secretArn ?? "", context) : [:]
        return StepPlan(changes: changes, findings: findings, outputs: known, data: try JSONValue(encoding: data))
    }

    func outputs(_ names: Names, tableArn: String, secretArn: String, _ context: StepContext) -> [String: String] {
        ["table": tableName(context), "tableArn": tableArn, "service": names.service, "cluster": names.cluster, "secretArn": secretArn]
    }

    func owns(_ type: String, _ id: String, _ context: StepContext) -> Bool {
        context.ownedResources.contains { $0.type == type && $0.id == id }
    }

    /// The given subnets, else every subnet of the given or the default VPC.
    func subnets(_ client: AWSClient) async throws -> [String] {
        if let subnets = input.subnets, !subnets.isEmpty { return subnets }
        let vpc: String
        if let given = input.vpc {
            vpc = given
        } else if let found = try await client.ec2.defaultVpc() {
            vpc = found.vpcId
        } else {
            throw RelayProxyError.noSubnets(vpc: nil)
        }
        let subnets = try await client.ec2.describeSubnets(vpcId: vpc).map(\.subnetId)
        if subnets.isEmpty { throw RelayProxyError.noSubnets(vpc: vpc) }
        return subnets
    }
}
