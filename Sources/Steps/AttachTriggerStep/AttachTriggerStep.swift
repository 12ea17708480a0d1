import AWS
import AWSStepSupport
import Foundation
import LDEdgeKit

/// Publishes a Lambda@Edge function version from a zip and attaches it to a CloudFront behavior.
///
/// Dry run: checks every Lambda@Edge rule (us-east-1, memory, timeout and zip size for the event type,
/// no environment variables, layers or arm64, Node.js/Python only, numbered versions only, the
/// distribution and behavior exist, the role trusts edgelambda) and lists the role, function, version
/// and association changes; nothing when the code (CodeSha256) and settings already match.
///
/// Rollback: points the behavior back at the previous version (or none), deletes the versions this run
/// published once CloudFront releases them, puts back the previous code and settings, and deletes the
/// function and role when this run created them.
///
/// Teardown: removes the association, waits for `Deployed`, deletes the function (a replicated function
/// is recorded as pending: run teardown again later; `--retain-function` keeps it) and the role it created.
public struct AttachTriggerStep: Step {
    public struct Input: Decodable, Sendable {
        public var zip: String
        public var sha256: String?
        public var functionName: String
        public var runtime: String?
        public var handler: String?
        public var memory: Int?
        public var timeout: Int?
        public var eventType: String?
        public var distribution: String
        public var pathPattern: String?
        public var role: String?
        public var region: String?
        public var includeBody: Bool?
        public var environment: [String: String]?
        public var layers: [String]?
        public var architecture: String?
        public var waitTimeout: Int?
        public var pollInterval: Double?
        public var replicaWait: Int?
        public var tableArn: String?
        public var keepVersions: Int?
    }

    public static let kind = "attach-trigger"
    public static let summary = "Publish a Lambda@Edge version from a zip and attach it to a CloudFront behavior (viewer-request by default)"
    public static let documentation = """
        Dry run: checks the Lambda@Edge rules and lists role, function, version and association changes. \
        Rollback: restores the previous association, deletes versions this run published, restores code and settings. \
        Teardown: removes the association, waits for Deployed, deletes the function (pending while replicated) and its role.
        """
    public static let inputs: [InputField] = [
        InputField("zip", .string, required: true, "the function package (package-zip's zip output)"),
        InputField("sha256", .string, "the package's CodeSha256 (base64 SHA-256), to skip publishing unchanged code"),
        InputField("functionName", .string, required: true, "function name (no version or alias suffix)"),
        InputField("runtime", .choice(EdgeLimits.runtimes), default: "python3.12", "Node.js or Python runtime"),
        InputField("handler", .string, "entry point (default handler.handler for Python, index.handler for Node.js)"),
        InputField("memory", .integer, default: "128", "MB; viewer events allow 128 only, origin events up to 10240"),
        InputField("timeout", .integer, default: "5", "seconds; viewer events allow up to 5, origin events up to 30"),
        InputField("eventType", .choice(CloudFrontEventType.allCases.map(\.rawValue)), default: "viewer-request", "when the function runs"),
        InputField("distribution", .string, required: true, "CloudFront distribution id"),
        InputField("pathPattern", .string, "cache behavior path pattern (default: the default behavior)"),
        InputField("role", .string, "existing execution role ARN (default: a role ldedge creates and deletes)"),
        InputField("region", .string, default: "us-east-1", "must be us-east-1: Lambda@Edge functions live there"),
        InputField("includeBody", .boolean, default: "false", "give the function the request body"),
        InputField("environment", .dictionary(.string), "not allowed by Lambda@Edge (bake values into the package)"),
        InputField("layers", .list(.string), "not allowed by Lambda@Edge (package dependencies into the zip)"),
        InputField("architecture", .string, default: "x86_64", "x86_64 only: Lambda@Edge does not run arm64"),
        InputField("waitTimeout", .integer, default: "1800", "seconds to wait for the distribution to deploy"),
        InputField("pollInterval", .number, default: "20", "seconds between status checks"),
        InputField("replicaWait", .integer, default: "120", "seconds rollback waits for CloudFront to release replicas before deleting versions"),
        InputField("tableArn", .string, "DynamoDB table the function may read in daemon mode (GetItem, Query, BatchGetItem only): relay-proxy's tableArn"),
        InputField("keepVersions", .integer, default: "3", "after a successful deploy, delete published versions beyond the newest N that no distribution runs"),
    ]
    public static let outputs: [OutputField] = [
        OutputField("functionArn", "the function ARN (unqualified)"),
        OutputField("version", "the published version number", role: .functionVersion),
        OutputField("versionArn", "the numbered version ARN CloudFront runs"),
        OutputField("roleArn", "the execution role ARN"),
    ]

    public let id: String
    public let input: Input

    public init(id: String, input: Input) {
        self.id = id
        self.input = input
    }

    var eventType: CloudFrontEventType { input.eventType.flatMap(CloudFrontEventType.init(rawValue:)) ?? .viewerRequest }
    var runtime: String { input.runtime ?? "python3.12" }
    var handler: String { input.handler ?? (runtime.hasPrefix("nodejs") ? "index.handler" : "handler.handler") }
    var memory: Int { input.memory ?? 128 }
    var timeout: Int { input.timeout ?? 5 }
    var pollInterval: Double { input.pollInterval ?? 20 }
    var waitTimeout: Double { Double(input.waitTimeout ?? 1800) }

    public static func validate(_ input: Input) -> [InputIssue] {
        var issues: [InputIssue] = []
        let event = input.eventType.flatMap(CloudFrontEventType.init(rawValue:)) ?? .viewerRequest
        let limits = EdgeLimits.of(event)
        if let region = input.region, region != EdgeLimits.region {
            issues.append(InputIssue(["region"], "the function is set to \(region); Lambda@Edge functions must live in us-east-1: set region to us-east-1 or remove it"))
        }
        if let memory = input.memory, !limits.memory.contains(memory) {
            issues.append(InputIssue(["memory"], limits.memory.count == 1
                ? "\(event.rawValue) functions must have exactly 128 MB (got \(memory)); set memory to 128 or use an origin event"
                : "\(event.rawValue) functions allow 128 to 10240 MB (got \(memory))"))
        }
        if let timeout = input.timeout, !limits.timeout.contains(timeout) {
            issues.append(InputIssue(["timeout"], "\(event.rawValue) functions may run at most \(limits.timeout.upperBound) s (got \(timeout)); lower timeout"
                + (limits.timeout.upperBound == 5 ? " or use an origin event (up to 30 s)" : "")))
        }
        if let environment = input.environment, !environment.isEmpty {
            issues.append(InputIssue(["environment"], "Lambda@Edge does not allow environment variables; bake the values into the package (build-handler writes them to a config file) and remove 'environment'"))
        }
        if let layers = input.layers, !layers.isEmpty {
            issues.append(InputIssue(["layers"], "Lambda@Edge does not allow layers; package the dependencies into the zip and remove 'layers'"))
        }
        if let architecture = input.architecture, architecture != "x86_64" {
            issues.append(InputIssue(["architecture"], "Lambda@Edge runs x86_64 only (got \(architecture)); remove 'architecture' or set it to x86_64"))
        }
        if let runtime = input.runtime, !Interpolation.containsStepReference(runtime), !EdgeLimits.runtimes.contains(runtime) {
            issues.append(InputIssue(["runtime"], "Lambda@Edge runs Node.js and Python only; use one of \(EdgeLimits.runtimes.joined(separator: ", "))"))
        }
        let name = input.functionName
        if name.hasSuffix(":$LATEST") || name.contains("$LATEST") {
            issues.append(InputIssue(["functionName"], "CloudFront cannot run $LATEST; give the bare function name and ldedge publishes a numbered version"))
        } else if name.contains(":") {
            issues.append(InputIssue(["functionName"], "give the bare function name, not an ARN, alias or version ('\(name)'): CloudFront needs a numbered version, which ldedge publishes"))
        } else if !name.contains("${"), name.isEmpty || name.count > 64 || !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
            issues.append(InputIssue(["functionName"], "function names are 1-64 letters, digits, '-' and '_'"))
        }
        if let keep = input.keepVersions, keep < 1 {
            issues.append(InputIssue(["keepVersions"], "keepVersions must be at least 1 (the associated version is always kept); got \(keep)"))
        }
        if let role = input.role, !role.contains("${"), !(role.hasPrefix("arn:aws:iam::") && role.contains(":role/")) {
            issues.append(InputIssue(["role"], "'role' must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)"))
        }
        return issues
    }

    /// The role ldedge creates when none is given.
    func roleName(_ context: StepContext) -> String { context.scopedName(Self.roleName(workflow: context.workflowName, step: id), limit: 64) }

    /// The function's name: `functionName`, with the environment in it under `--env`.
    func functionName(_ context: StepContext) -> String { context.scopedName(input.functionName, limit: 64) }

    static func roleName(workflow: String, step: String) -> String {
        let raw = "ldedge-\(workflow)-\(step)-edge"
        return String(String(raw.map { $0.isLetter || $0.isNumber || "+=,.@_-".contains($0) ? $0 : "-" }).prefix(64))
    }

    func clients(_ context: StepContext) throws -> AWSClient {
        try context.awsClient(region: EdgeLimits.region)
    }
}

public enum AttachTriggerError: Error, CustomStringConvertible {
    case zipMissing(String)
    case replicated(function: String, waited: Int)
    case codeNotKept(function: String)

    public var description: String {
        switch self {
        case .zipMissing(let path):
            return "the function package \(path) does not exist; run the package step first or fix 'zip'"
        case .replicated(let function, let waited):
            return "\(function) is still replicated by CloudFront after \(waited) s; CloudFront removes replicas hours after the association is removed: run 'ldedge teardown' later to delete it"
        case .codeNotKept(let function):
            return "the previous code of \(function) was not deployed by ldedge (no copy of it is kept in the state backend), so it cannot be put back; redeploy the previous package to restore it"
        }
    }
}
