import AWS
import AWSStepSupport
import Foundation
import LDEdgeKit

extension RelayProxyStep {
    // MARK: Rollback

    public func rollback(_ changes: [RelayProxyUndo], _ context: StepContext) async throws {
        for change in changes {
            switch change {
            case .deleteService(let undo):
                try await deleteService(cluster: undo.cluster, service: undo.service, context)
            case .restoreService(let undo):
                let ecs = try client(context).ecs
                try await context.perform("put ecs service \(undo.service) back to \(undo.desiredCount ?? 0) task(s) of \(undo.taskDefinition ?? "-")") {
                    do {
                        try await ecs.updateService(cluster: undo.cluster, service: undo.service, desiredCount: undo.desiredCount, taskDefinition: undo.taskDefinition)
                    } catch where error.isAWSNotFound {}
                }
            case .deregisterTaskDefinitions(let undo):
                let active = try await client(context).ecs.listTaskDefinitions(familyPrefix: undo.family)
                for arn in active where !undo.keep.contains(arn) { try await deregister(arn, context) }
            case .deleteCluster(let cluster):
                try await deleteCluster(cluster, context)
            case .deleteRolePolicy(let role, let policy):
                let iam = try client(context).iam
                try await context.perform("delete inline policy \(policy) of role \(role)") {
                    do { try await iam.deleteRolePolicy(roleName: role, policyName: policy) } catch where error.isAWSNotFound {}
                }
            case .deleteRole(let role):
                try await deleteRole(role, context)
            case .deleteSecret(let secret):
                try await deleteSecret(secret, context)
            case .deleteTable(let table):
                try await deleteTable(table, context)
            }
        }
        // A first run that failed adopted nothing worth keeping.
        if context.phase == .rollback, context.previous?.previous == nil {
            for resource in context.ownedResources where resource.adopted { try context.release(resource) }
        }
    }

    // MARK: Teardown

    /// Removes in dependency order: service, task definitions, cluster, roles, secret, table.
    public func teardown(_ state: StepState, _ context: StepContext) async throws {
        let order = ["service", "task-definition", "cluster", "role", "secret", "table"]
        for type in order {
            for resource in state.resources where resource.type == type {
                guard !resource.adopted else {
                    try context.release(resource)
                    continue
                }
                switch type {
                case "service": try await deleteService(cluster: resource.attributes["cluster"] ?? names(context).cluster, service: resource.id, context)
                case "task-definition": try await deregister(resource.id, context)
                case "cluster": try await deleteCluster(resource.id, context)
                case "role": try await deleteRole(resource.id, context)
                case "secret": try await deleteSecret(resource.id, context)
                default: try await deleteTable(resource.id, context)
                }
            }
        }
        try? context.forget("fingerprint")
    }

    // MARK: Removing one resource (each tolerates a resource that is already gone, then releases it)

    func release(_ type: String, _ id: String, _ context: StepContext) throws {
        for resource in context.ownedResources where resource.type == type && resource.id == id { try context.release(resource) }
    }

    /// Scales the service to 0, deletes it and waits until ECS reports it INACTIVE (a cluster with a
    /// draining service cannot be deleted).
    func deleteService(cluster: String, service: String, _ context: StepContext) async throws {
        let ecs = try client(context).ecs
        if let current = try await ecs.serviceIfPresent(cluster: cluster, service: service) {
            if (current.desiredCount ?? 0) > 0 {
                try await context.perform("scale ecs service \(service) to 0 tasks") {
                    do { try await ecs.updateService(cluster: cluster, service: service, desiredCount: 0) } catch where error.isAWSNotFound {}
                }
            }
            try await context.perform("delete ecs service \(service)") {
                do { try await ecs.deleteService(cluster: cluster, service: service) } catch where error.isAWSNotFound {}
            }
            let start = Date()
            while let draining = try await ecs.serviceIfPresent(cluster: cluster, service: service) {
                let waited = Date().timeIntervalSince(start)
                if waited + pollInterval > waitTimeout {
                    throw AWSError.waiterTimeout(service: .ecs, what: "INACTIVE", resource: "service \(service)", waited: waited, lastState: draining.status ?? "unknown")
                }
                context.status("ECS service \(service): \(draining.status ?? "draining"), \(Elapsed.format(waited))")
                try context.checkInterrupted()
                try await Task.sleep(nanoseconds: UInt64(pollInterval * 1e9))
            }
        }
        try release("service", service, context)
    }

    func deregister(_ arn: String, _ context: StepContext) async throws {
        let ecs = try client(context).ecs
        try await context.perform("deregister task definition \(arn)") {
            do {
                try await ecs.deregisterTaskDefinition(arn)
            } catch let error as AWSError where error.isNotFound || error.serviceError?.code == "ClientException" {
                // ECS answers ClientException for a revision it does not know.
            }
        }
        try release("task-definition", arn, context)
    }

    func deleteCluster(_ name: String, _ context: StepContext) async throws {
        let ecs = try client(context).ecs
        if try await ecs.clusterIfPresent(name: name) != nil {
            try await context.perform("delete ecs cluster \(name)") {
                do { try await ecs.deleteCluster(name: name) } catch where error.isAWSNotFound {}
            }
        }
        try release("cluster", name, context)
    }

    func deleteSecret(_ name: String, _ context: StepContext) async throws {
        let secrets = try client(context).secretsManager
        try await context.perform("delete secret \(name) without recovery window") {
            do { try await secrets.deleteSecret(id: name, forceDeleteWithoutRecovery: true) } catch where error.isAWSNotFound {}
        }
        try release("secret", name, context)
    }

    func deleteTable(_ name: String, _ context: StepContext) async throws {
        let dynamoDB = try client(context).dynamoDB
        if let table = try await dynamoDB.tableIfPresent(name: name) {
            if table.tableStatus != "DELETING" {
                try await context.perform("delete dynamodb table \(name)") {
                    do { try await dynamoDB.deleteTable(name: name) } catch where error.isAWSNotFound {}
                }
            }
            try await dynamoDB.waitUntilTableDeleted(name: name, timeout: waitTimeout, pollInterval: pollInterval)
        }
        try release("table", name, context)
    }

    /// Deletes the role (its policies first, in AWSStepSupport) and releases it.
    func deleteRole(_ name: String, _ context: StepContext) async throws {
        try await context.deleteRole(name, iam: try client(context).iam)
        try release("role", name, context)
    }
}
