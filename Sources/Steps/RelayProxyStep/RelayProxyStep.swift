import AWS
import AWSStepSupport
import Foundation
import LDEdgeKit

/// The guide's Relay Proxy stack as a step: a DynamoDB table in the Relay Proxy's persistent-store
/// layout, a Secrets Manager copy of the SDK key, and an ECS Fargate service running the official
/// `launchdarkly/ld-relay` image that keeps the table in sync with LaunchDarkly.
///
/// Dry run: reads the table, secret, roles, cluster, task definition and service, finds the subnets
/// (the given ones, or every subnet of the given or default VPC), and lists every resource it would
/// create; nothing when all of them exist and are ldedge's. The SDK key never appears in the plan.
///
/// Rollback: scales the service this run created to 0 and deletes it, deregisters the task definition
/// revisions it registered, deletes the cluster, both roles (with their inline policies), the secret
/// (without recovery window) and the table, in reverse order of creation.
///
/// Teardown: the same for everything the step owns, releasing each resource as soon as it is gone, so
/// an interrupted teardown resumes where it stopped. A table that existed before is kept.
public struct RelayProxyStep: Step {
    public struct Input: Decodable, Sendable {
        public var table: String
        public var prefix: String?
        public var sdkKey: String?
        public var environment: String?
        public var name: String?
        public var region: String?
        public var vpc: String?
        public var subnets: [String]?
        public var securityGroups: [String]?
        public var assignPublicIp: Bool?
        public var image: String?
        public var cpu: Int?
        public var memory: Int?
        public var desiredCount: Int?
        public var cacheTtl: String?
        public var streamUri: String?
        public var baseUri: String?
        public var pollInterval: Double?
        public var waitTimeout: Int?
    }

    public static let kind = "relay-proxy"
    public static let summary = "Run the LaunchDarkly Relay Proxy on ECS Fargate, keeping a DynamoDB table in sync for SDKs in daemon mode"
    public static let documentation = """
        Dry run: lists the table, secret, roles, cluster, task definition and service it would create (never the SDK key). \
        Rollback: deletes what this run created, in reverse order (service scaled to 0 first, secret without recovery window). \
        Teardown: the same for everything the step owns, resumable; a table that existed before is kept.
        """
    public static let inputs: [InputField] = [
        InputField("table", .string, required: true, "DynamoDB table the Relay Proxy writes (partition key namespace, sort key key, on demand)"),
        InputField("prefix", .string, "key prefix of this environment's items in the table (LD_PREFIX_<environment>)"),
        InputField("sdkKey", .string, secret: true, "LaunchDarkly SDK key; ${secret:LD_SDK_KEY} (else LD_SDK_KEY, else read from the LaunchDarkly environment)"),
        InputField("environment", .string, default: "production", "the Relay Proxy's name for the environment (LD_ENV_<environment>): letters, digits, '_'"),
        InputField("name", .string, "base name of the cluster, service, task definition and roles (default ldedge-<workflow>-<id>)"),
        InputField("region", .string, "AWS region of the table and the service (default: aws.region)"),
        InputField("vpc", .string, "VPC whose subnets the tasks run in (default: the region's default VPC)"),
        InputField("subnets", .list(.string), "subnets for the tasks (default: every subnet of the VPC)"),
        InputField("securityGroups", .list(.string), "security groups for the tasks (default: the VPC's default group)"),
        InputField("assignPublicIp", .boolean, default: "true", "give tasks a public IP (needed in public subnets to reach LaunchDarkly and Docker Hub)"),
        InputField("image", .string, default: RelayProxyStep.defaultImage, "the Relay Proxy image"),
        InputField("cpu", .integer, default: "512", "Fargate CPU units (256 = 0.25 vCPU)"),
        InputField("memory", .integer, default: "1024", "Fargate memory in MiB (a valid pair with cpu)"),
        InputField("desiredCount", .integer, default: "1", "number of Relay Proxy tasks"),
        InputField("cacheTtl", .string, default: "30s", "the Relay Proxy's local cache TTL for store items (CACHE_TTL)"),
        InputField("streamUri", .string, "LaunchDarkly streaming URI (STREAM_URI; default LaunchDarkly's)"),
        InputField("baseUri", .string, "LaunchDarkly polling URI (BASE_URI; default LaunchDarkly's)"),
        InputField("pollInterval", .number, default: "5", "seconds between status checks while waiting"),
        InputField("waitTimeout", .integer, default: "600", "seconds to wait for the table or the service to settle"),
    ]
    public static let outputs: [OutputField] = [
        OutputField("table", "the DynamoDB table name"),
        OutputField("tableArn", "the DynamoDB table ARN (attach-trigger's tableArn grants the edge function read access)"),
        OutputField("service", "the ECS service name"),
        OutputField("cluster", "the ECS cluster name"),
        OutputField("secretArn", "the ARN of the secret holding the SDK key"),
    ]

    /// The official image, major version 8 (the current one).
    public static let defaultImage = "launchdarkly/ld-relay:8"
    /// Fargate's valid memory sizes (MiB) for each CPU size.
    static let fargateSizes: [Int: ClosedRange<Int>] = [256: 512...2048, 512: 1024...4096, 1024: 2048...8192, 2048: 4096...16384, 4096: 8192...30720]

    public let id: String
    public let input: Input

    public init(id: String, input: Input) {
        self.id = id
        self.input = input
    }

    var cpu: Int { input.cpu ?? 512 }
    var memory: Int { input.memory ?? Self.defaultMemory(cpu: cpu) }

    /// 1024 MiB, or the smallest size Fargate allows with `cpu`.
    static func defaultMemory(cpu: Int) -> Int { max(1024, fargateSizes[cpu]?.lowerBound ?? 1024) }
    var desiredCount: Int { input.desiredCount ?? 1 }
    var environmentName: String { input.environment ?? "production" }
    var pollInterval: Double { max(0.05, input.pollInterval ?? 5) }
    var waitTimeout: Double { Double(input.waitTimeout ?? 600) }

    public static func validate(_ input: Input) -> [InputIssue] {
        var issues: [InputIssue] = []
        let table = input.table
        if !table.contains("${"), !(3...255).contains(table.count) || !table.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }) {
            issues.append(InputIssue(["table"], "DynamoDB table names are 3-255 letters, digits, '_', '-' and '.' (got '\(table)')"))
        }
        if let environment = input.environment, !environment.contains("${"),
           environment.isEmpty || !environment.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) {
            issues.append(InputIssue(["environment"], "the environment name becomes the variable LD_ENV_\(environment): use letters, digits and '_' only"))
        }
        let cpu = input.cpu ?? 512
        if let range = fargateSizes[cpu] {
            let memory = input.memory ?? defaultMemory(cpu: cpu)
            if !range.contains(memory) || (memory > 512 && memory % 1024 != 0) {
                issues.append(InputIssue(["memory"], "Fargate runs \(cpu) CPU units with \(range.lowerBound)-\(range.upperBound) MiB in 1024 MiB steps (got \(memory))"))
            }
        } else {
            issues.append(InputIssue(["cpu"], "Fargate CPU units are one of \(fargateSizes.keys.sorted().map(String.init).joined(separator: ", ")) (got \(cpu))"))
        }
        if let count = input.desiredCount, count < 0 {
            issues.append(InputIssue(["desiredCount"], "desiredCount must be 0 or more (got \(count))"))
        }
        if let ttl = input.cacheTtl, !ttl.contains("${"), ttl.range(of: #"^([0-9]+(ms|s|m|h))+$"#, options: .regularExpression) == nil {
            issues.append(InputIssue(["cacheTtl"], "cacheTtl is a Relay Proxy duration such as 30s, 1m or 1m30s (got '\(ttl)')"))
        }
        if let name = input.name, !name.contains("${"), name.isEmpty || name.count > 57
            || !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
            issues.append(InputIssue(["name"], "the base name is 1-57 letters, digits, '-' and '_' (roles add -exec and -task)"))
        }
        return issues
    }

    /// Names of the resources, derived from `name` or the workflow and step id.
    struct Names: Codable, Sendable {
        var base: String
        var cluster: String { base }
        var service: String { base }
        var family: String { base }
        var executionRole: String { base + "-exec" }
        var taskRole: String { base + "-task" }
        var secret: String
    }

    /// The DynamoDB table: `table`, with the environment in it under `--env`.
    func tableName(_ context: StepContext) -> String { context.scopedName(input.table, limit: 255) }
    func tableName(_ context: PermissionContext) -> String { context.scopedName(input.table, limit: 255) }

    func names(_ context: StepContext) -> Names { names(workflow: context.workflowName, scoped: context.scopedName) }
    func names(_ context: PermissionContext) -> Names { names(workflow: context.workflowName, scoped: context.scopedName) }

    /// Cluster, service, task family and roles share one base name (at most 57 characters, so
    /// `-exec` and `-task` roles fit IAM's 64); under `--env` every name carries the environment.
    func names(workflow: String, scoped: (String, Int) -> String) -> Names {
        let raw = input.name ?? "ldedge-\(workflow)-\(id)"
        let base = String(String(raw.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") ? $0 : "-" }).prefix(57))
        return Names(base: scoped(base, 57), secret: scoped("ldedge/\(workflow)/\(id)/sdk-key", 512))
    }

    func client(_ context: StepContext) throws -> AWSClient {
        try context.awsClient(region: input.region)
    }
}

public enum RelayProxyError: Error, CustomStringConvertible {
    case noSDKKey
    case sdkKeyUnavailable(project: String, environment: String, reason: String)
    case noSubnets(vpc: String?)

    public var description: String {
        switch self {
        case .noSDKKey:
            return "no LaunchDarkly SDK key for the Relay Proxy: write 'sdkKey: ${secret:LD_SDK_KEY}' in the step and export LD_SDK_KEY, or export LD_ACCESS_TOKEN so ldedge reads it from the environment"
        case .sdkKeyUnavailable(let project, let environment, let reason):
            return "could not read the SDK key of LaunchDarkly environment \(project)/\(environment): \(reason); check launchdarkly.project/environment and the access token, or give 'sdkKey: ${secret:LD_SDK_KEY}'"
        case .noSubnets(let vpc):
            return vpc.map { "VPC \($0) has no subnets; give 'subnets' or another 'vpc'" }
                ?? "the region has no default VPC; give 'vpc' or 'subnets' for the Relay Proxy tasks"
        }
    }
}
