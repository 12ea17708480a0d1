import AWS
import Foundation
import LDEdgeKit

/// What a relay-proxy step undoes.
public enum RelayProxyUndo: StepUndo {
    case deleteService(ServiceUndo)
    case restoreService(ServiceUndo)
    case deregisterTaskDefinitions(TaskDefinitionsUndo)
    case deleteCluster(String)
    case deleteRolePolicy(role: String, policy: String)
    case deleteRole(String)
    case deleteSecret(String)
    case deleteTable(String)

    public static let legacyActions: [String: @Sendable (UndoRecord) throws -> RelayProxyUndo] = [
        "delete-service": { .deleteService(try $0.payload(ServiceUndo.self)) },
        "restore-service": { .restoreService(try $0.payload(ServiceUndo.self)) },
        "deregister-task-definitions": { .deregisterTaskDefinitions(try $0.payload(TaskDefinitionsUndo.self)) },
        "delete-cluster": { .deleteCluster($0.resource) },
        "delete-role-policy": { .deleteRolePolicy(role: $0.resource, policy: $0.data.stringValue ?? "") },
        "delete-role": { .deleteRole($0.resource) },
        "delete-secret": { .deleteSecret($0.resource) },
        "delete-table": { .deleteTable($0.resource) },
    ]
}

public struct TaskDefinitionsUndo: Codable, Sendable {
    var family: String
    /// ACTIVE revisions before the registration; any other is this run's.
    var keep: [String]
}

public struct ServiceUndo: Codable, Sendable {
    var cluster: String
    var service: String
    var taskDefinition: String?
    var desiredCount: Int?
}

extension RelayProxyStep {
    public func apply(_ plan: StepPlan, _ context: StepContext) async throws -> [String: String] {
        let data = try plan.data.decode(RelayPlan.self)
        let client = try client(context)
        let names = data.names
        let iam = client.iam
        let ecs = client.ecs

        // 1. The table, ACTIVE before anything points at it.
        var tableArn = data.tableArn ?? ""
        if data.createTable {
            let table = try await context.perform("create dynamodb table \(tableName(context))", undo: RelayProxyUndo.deleteTable(tableName(context))) {
                try await client.dynamoDB.createTable(name: tableName(context), partitionKey: "namespace", sortKey: "key",
                                                      tags: ["ldedge:workflow": context.workflowName, "ldedge:step": id])
            }
            tableArn = table.tableArn ?? ""
            try context.own(Resource(type: "table", id: tableName(context), attributes: ["arn": tableArn, "region": data.region]))
            let active = try await context.waiting("DynamoDB table \(tableName(context)) becoming ACTIVE") {
                try await client.dynamoDB.waitUntilTableActive(name: tableName(context), timeout: waitTimeout, pollInterval: pollInterval)
            }
            tableArn = active.tableArn ?? tableArn
        } else if data.adoptTable {
            try context.own(Resource(type: "table", id: tableName(context), attributes: ["arn": tableArn, "region": data.region], adopted: true))
        }

        // 2. The secret (the key is registered as secret before it is sent).
        var secretArn = data.secretArn ?? ""
        if data.createSecret {
            let key = try await sdkKey(context)
            let secret = try await context.perform("create secret \(names.secret)", undo: RelayProxyUndo.deleteSecret(names.secret)) {
                try await client.secretsManager.createSecret(name: names.secret, secretString: key,
                                                             description: "LaunchDarkly SDK key for the Relay Proxy of ldedge workflow \(context.workflowName)",
                                                             tags: ["ldedge:workflow": context.workflowName, "ldedge:step": id])
            }
            secretArn = secret.arn
            try context.own(Resource(type: "secret", id: names.secret, attributes: ["arn": secretArn]))
        }

        // 3. The roles and their only permissions.
        var executionRoleArn = data.executionRoleArn ?? ""
        if data.createExecutionRole {
            executionRoleArn = try await createRole(names.executionRole, purpose: "ECS task execution role of the Relay Proxy", context, iam)
        }
        var taskRoleArn = data.taskRoleArn ?? ""
        if data.createTaskRole {
            taskRoleArn = try await createRole(names.taskRole, purpose: "task role of the Relay Proxy", context, iam)
        }
        try await putPolicy(RelayStack.executionPolicy(secretArn: secretArn), named: RelayStack.executionPolicyName, on: names.executionRole, context, iam)
        try await putPolicy(RelayStack.taskPolicy(tableArn: tableArn), named: RelayStack.taskPolicyName, on: names.taskRole, context, iam)

        // 4. Cluster, task definition, service.
        if data.createCluster {
            try await context.perform("create ecs cluster \(names.cluster)", undo: RelayProxyUndo.deleteCluster(names.cluster)) {
                try await ecs.createCluster(name: names.cluster, tags: ["ldedge:workflow": context.workflowName])
            }
            try context.own(Resource(type: "cluster", id: names.cluster, attributes: ["region": data.region]))
        }
        var taskDefinitionArn = data.taskDefinitionArn ?? ""
        if data.registerTaskDefinition {
            let keep = try await ecs.listTaskDefinitions(familyPrefix: names.family)
            let undo = RelayProxyUndo.deregisterTaskDefinitions(TaskDefinitionsUndo(family: names.family, keep: keep))
            let request = ECSFargateTaskDefinitionRequest(
                family: names.family, taskRoleArn: taskRoleArn, executionRoleArn: executionRoleArn, cpu: cpu, memory: memory,
                containers: [RelayStack.container(self, region: data.region, tableName: tableName(context), secretArn: secretArn)],
                tags: ["ldedge:workflow": context.workflowName])
            let registered = try await context.perform("register task definition \(names.family)",
                                                       undo: undo) {
                try await ecs.registerTaskDefinition(request)
            }
            taskDefinitionArn = registered.taskDefinitionArn
            try context.own(Resource(type: "task-definition", id: taskDefinitionArn, attributes: ["family": names.family]))
        }
        if data.createService {
            let request = ECSFargateServiceRequest(
                cluster: names.cluster, serviceName: names.service, taskDefinition: taskDefinitionArn, desiredCount: desiredCount,
                subnets: data.subnets, securityGroups: input.securityGroups ?? [], assignPublicIp: input.assignPublicIp ?? true,
                tags: ["ldedge:workflow": context.workflowName])
            let undo = RelayProxyUndo.deleteService(ServiceUndo(cluster: names.cluster, service: names.service))
            try await context.perform("create ecs service \(names.service)", undo: undo) {
                try await ecs.createService(request)
            }
            try context.own(Resource(type: "service", id: names.service, attributes: ["cluster": names.cluster]))
        } else if data.updateService {
            let current = try await ecs.serviceIfPresent(cluster: names.cluster, service: names.service)
            let undo = RelayProxyUndo.restoreService(ServiceUndo(cluster: names.cluster, service: names.service,
                                                                 taskDefinition: current?.taskDefinition, desiredCount: current?.desiredCount))
            try await context.perform("update ecs service \(names.service) to \(desiredCount) task(s) of \(taskDefinitionArn)",
                                      undo: undo) {
                try await ecs.updateService(cluster: names.cluster, service: names.service, desiredCount: desiredCount, taskDefinition: taskDefinitionArn)
            }
        }
        try context.remember("fingerprint", data.fingerprint)
        return outputs(names, tableArn: tableArn, secretArn: secretArn, context)
    }

    func createRole(_ name: String, purpose: String, _ context: StepContext, _ iam: IAMClient) async throws -> String {
        let role = try await context.perform("create role \(name)", undo: RelayProxyUndo.deleteRole(name)) {
            try await iam.createRole(name: name, assumeRolePolicyDocument: RelayStack.ecsTasksTrustPolicy,
                                     description: "\(purpose) (ldedge workflow \(context.workflowName))")
        }
        try context.own(Resource(type: "role", id: name, attributes: ["arn": role.arn]))
        return role.arn
    }

    /// Puts the role's only inline policy, unless it already reads exactly so.
    func putPolicy(_ document: String, named policy: String, on role: String, _ context: StepContext, _ iam: IAMClient) async throws {
        if let current = try? await iam.getRolePolicy(roleName: role, policyName: policy), Self.sameJSON(current, document) { return }
        try await context.perform("put inline policy \(policy) on role \(role)", undo: RelayProxyUndo.deleteRolePolicy(role: role, policy: policy)) {
            try await iam.putRolePolicy(roleName: role, policyName: policy, policyDocument: document)
        }
    }

    static func sameJSON(_ a: String, _ b: String) -> Bool {
        guard let x = try? JSONSerialization.jsonObject(with: Data(a.utf8)) as? NSDictionary,
              let y = try? JSONSerialization.jsonObject(with: Data(b.utf8)) as? NSDictionary else { return a == b }
        return x == y
    }
}
