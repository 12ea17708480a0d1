import Foundation

/// An ECS cluster.
public struct ECSCluster: Sendable, Equatable, Decodable {
    public var clusterArn: String
    public var clusterName: String
    /// `ACTIVE`, `INACTIVE` (deleted), `PROVISIONING` ...
    public var status: String?
}

/// A registered task definition revision.
public struct ECSTaskDefinition: Sendable, Equatable, Decodable {
    public var taskDefinitionArn: String
    public var family: String
    public var revision: Int
    /// `ACTIVE` or `INACTIVE` (deregistered).
    public var status: String?
}

/// An ECS service.
public struct ECSService: Sendable, Equatable, Decodable {
    public var serviceArn: String
    public var serviceName: String
    public var clusterArn: String?
    /// `ACTIVE`, `DRAINING` or `INACTIVE` (deleted).
    public var status: String?
    public var desiredCount: Int?
    public var runningCount: Int?
    public var taskDefinition: String?
    public var launchType: String?
}

/// One container of a task definition.
public struct ECSContainerDefinition: Sendable, Equatable {
    public var name: String
    public var image: String
    public var essential: Bool
    public var portMappings: [Int]
    /// Plain environment variables.
    public var environment: [String: String]
    /// Environment variables read by ECS from Secrets Manager or SSM at start: name to secret ARN.
    public var secrets: [String: String]

    public init(name: String, image: String, essential: Bool = true, portMappings: [Int] = [], environment: [String: String] = [:], secrets: [String: String] = [:]) {
        self.name = name
        self.image = image
        self.essential = essential
        self.portMappings = portMappings
        self.environment = environment
        self.secrets = secrets
    }

    var json: [String: Any] {
        [
            "name": name, "image": image, "essential": essential,
            "portMappings": portMappings.map { ["containerPort": $0, "protocol": "tcp"] },
            "environment": environment.sorted { $0.key < $1.key }.map { ["name": $0.key, "value": $0.value] },
            "secrets": secrets.sorted { $0.key < $1.key }.map { ["name": $0.key, "valueFrom": $0.value] },
        ]
    }
}

/// RegisterTaskDefinition for a Fargate task in `awsvpc` mode.
public struct ECSFargateTaskDefinitionRequest: Sendable, Equatable {
    public var family: String
    public var taskRoleArn: String
    public var executionRoleArn: String
    /// CPU units (`256` = 0.25 vCPU) and memory in MiB, as Fargate's valid pairs allow.
    public var cpu: Int
    public var memory: Int
    public var containers: [ECSContainerDefinition]
    public var tags: [String: String]

    public init(family: String, taskRoleArn: String, executionRoleArn: String, cpu: Int, memory: Int, containers: [ECSContainerDefinition], tags: [String: String] = [:]) {
        self.family = family
        self.taskRoleArn = taskRoleArn
        self.executionRoleArn = executionRoleArn
        self.cpu = cpu
        self.memory = memory
        self.containers = containers
        self.tags = tags
    }
}

/// CreateService for Fargate tasks in the given subnets.
public struct ECSFargateServiceRequest: Sendable, Equatable {
    public var cluster: String
    public var serviceName: String
    public var taskDefinition: String
    public var desiredCount: Int
    public var subnets: [String]
    public var securityGroups: [String]
    public var assignPublicIp: Bool
    public var tags: [String: String]

    public init(cluster: String, serviceName: String, taskDefinition: String, desiredCount: Int, subnets: [String],
                securityGroups: [String] = [], assignPublicIp: Bool, tags: [String: String] = [:]) {
        self.cluster = cluster
        self.serviceName = serviceName
        self.taskDefinition = taskDefinition
        self.desiredCount = desiredCount
        self.subnets = subnets
        self.securityGroups = securityGroups
        self.assignPublicIp = assignPublicIp
        self.tags = tags
    }
}

/// ECS tags are lower-case `key` / `value`.
func ecsTags(_ tags: [String: String]) -> [[String: String]] {
    tags.sorted { $0.key < $1.key }.map { ["key": $0.key, "value": $0.value] }
}
