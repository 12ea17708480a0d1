import Foundation

extension AWSClient {
    public var ecs: ECSClient { ECSClient(self) }
}

/// ECS operations (JSON 1.1, API 2014-11-13): clusters, Fargate task definitions and services.
public struct ECSClient: Sendable {
    public let client: AWSClient
    static let target = JSONProtocolTarget(prefix: "AmazonEC2ContainerServiceV20141113", version: "1.1")

    public init(_ client: AWSClient) { self.client = client }

    // MARK: Clusters

    @discardableResult
    public func createCluster(name: String, tags: [String: String] = [:]) async throws -> ECSCluster {
        var body: [String: Any] = ["clusterName": name]
        if !tags.isEmpty { body["tags"] = ecsTags(tags) }
        return try await call("CreateCluster", body, resource: "cluster \(name)", mutating: true, ClusterAnswer.self).cluster
    }

    /// The cluster, or nil when it does not exist or is INACTIVE (deleted).
    public func clusterIfPresent(name: String) async throws -> ECSCluster? {
        struct Answer: Decodable { let clusters: [ECSCluster]? }
        let answer = try await call("DescribeClusters", ["clusters": [name]], resource: "cluster \(name)", mutating: false, Answer.self)
        return answer.clusters?.first { $0.status != "INACTIVE" }
    }

    public func deleteCluster(name: String) async throws {
        _ = try await call("DeleteCluster", ["cluster": name], resource: "cluster \(name)", mutating: true, ClusterAnswer.self)
    }

    // MARK: Task definitions

    /// Registers a new revision of a Fargate (`awsvpc`) task definition family.
    @discardableResult
    public func registerTaskDefinition(_ request: ECSFargateTaskDefinitionRequest) async throws -> ECSTaskDefinition {
        var body: [String: Any] = [
            "family": request.family, "taskRoleArn": request.taskRoleArn, "executionRoleArn": request.executionRoleArn,
            "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": String(request.cpu), "memory": String(request.memory),
            "containerDefinitions": request.containers.map(\.json),
        ]
        if !request.tags.isEmpty { body["tags"] = ecsTags(request.tags) }
        return try await call("RegisterTaskDefinition", body, resource: "task definition \(request.family)", mutating: true, TaskDefinitionAnswer.self).taskDefinition
    }

    /// Deregisters one revision (`family:revision` or its ARN); it becomes INACTIVE.
    public func deregisterTaskDefinition(_ taskDefinition: String) async throws {
        _ = try await call("DeregisterTaskDefinition", ["taskDefinition": taskDefinition], resource: "task definition \(taskDefinition)",
                           mutating: true, TaskDefinitionAnswer.self)
    }

    public func describeTaskDefinition(_ taskDefinition: String) async throws -> ECSTaskDefinition {
        try await call("DescribeTaskDefinition", ["taskDefinition": taskDefinition], resource: "task definition \(taskDefinition)",
                       mutating: false, TaskDefinitionAnswer.self).taskDefinition
    }

    /// ARNs of the family's revisions with `status` (`ACTIVE` or `INACTIVE`), all pages.
    public func listTaskDefinitions(familyPrefix: String, status: String = "ACTIVE") async throws -> [String] {
        struct Page: Decodable {
            let taskDefinitionArns: [String]?
            let nextToken: String?
        }
        var arns: [String] = []
        var token: String?
        repeat {
            var body: [String: Any] = ["familyPrefix": familyPrefix, "status": status]
            if let token { body["nextToken"] = token }
            let page = try await call("ListTaskDefinitions", body, resource: "task definition \(familyPrefix)", mutating: false, Page.self)
            arns += page.taskDefinitionArns ?? []
            token = nonEmpty(page.nextToken)
        } while token != nil
        return arns.filter { Self.family(ofTaskDefinitionArn: $0) == familyPrefix }
    }

    /// `arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REV` -> FAMILY.
    static func family(ofTaskDefinitionArn arn: String) -> String {
        let tail = arn.split(separator: "/").last.map(String.init) ?? arn
        return tail.split(separator: ":").first.map(String.init) ?? tail
    }

    // MARK: Services

    @discardableResult
    public func createService(_ request: ECSFargateServiceRequest) async throws -> ECSService {
        var vpc: [String: Any] = ["subnets": request.subnets, "assignPublicIp": request.assignPublicIp ? "ENABLED" : "DISABLED"]
        if !request.securityGroups.isEmpty { vpc["securityGroups"] = request.securityGroups }
        var body: [String: Any] = [
            "cluster": request.cluster, "serviceName": request.serviceName, "taskDefinition": request.taskDefinition,
            "desiredCount": request.desiredCount, "launchType": "FARGATE", "networkConfiguration": ["awsvpcConfiguration": vpc],
        ]
        if !request.tags.isEmpty { body["tags"] = ecsTags(request.tags) }
        return try await call("CreateService", body, resource: "service \(request.serviceName)", mutating: true, ServiceAnswer.self).service
    }

    /// Sets the service's desired task count (0 stops its tasks before DeleteService) and/or its task definition.
    @discardableResult
    public func updateService(cluster: String, service: String, desiredCount: Int?, taskDefinition: String? = nil) async throws -> ECSService {
        var body: [String: Any] = ["cluster": cluster, "service": service]
        if let desiredCount { body["desiredCount"] = desiredCount }
        if let taskDefinition { body["taskDefinition"] = taskDefinition }
        return try await call("UpdateService", body, resource: "service \(service)", mutating: true, ServiceAnswer.self).service
    }

    public func deleteService(cluster: String, service: String) async throws {
        _ = try await call("DeleteService", ["cluster": cluster, "service": service], resource: "service \(service)", mutating: true, ServiceAnswer.self)
    }

    /// The service, or nil when it does not exist or is INACTIVE (deleted). A missing cluster also answers nil.
    public func serviceIfPresent(cluster: String, service: String) async throws -> ECSService? {
        struct Answer: Decodable { let services: [ECSService]? }
        do {
            let answer = try await call("DescribeServices", ["cluster": cluster, "services": [service]], resource: "service \(service)",
                                        mutating: false, Answer.self)
            return answer.services?.first { $0.status != "INACTIVE" }
        } catch let error as AWSError where error.isNotFound {
            return nil
        }
    }

    private func call<R: Decodable>(_ operation: String, _ body: [String: Any], resource: String, mutating: Bool, _ type: R.Type) async throws -> R {
        try await client.jsonCall(.ecs, Self.target, operation: operation, body: body, resource: resource, mutating: mutating, result: type)
    }
}

struct ClusterAnswer: Decodable { let cluster: ECSCluster }
struct TaskDefinitionAnswer: Decodable { let taskDefinition: ECSTaskDefinition }
struct ServiceAnswer: Decodable { let service: ECSService }
