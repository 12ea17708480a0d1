import AWS
import Foundation
import LDEdgeApp
import LDEdgeCore
import StateS3

/// `ldedge iam-policy`: the IAM policy a workflow's deploying principal needs, from what each step
/// says it calls (`Step.permissions`) on the names the workflow creates or is given, plus the state
/// backend's objects. Nothing is changed; the account id comes from STS unless given.
public struct IAMPolicyService: Sendable {
    public var registry: StepRegistry
    public var environment: [String: String]
    public var stateSelection: StateSelection
    /// `--env`: the environment whose resource names the policy covers.
    public var environmentName: String?

    public init(registry: StepRegistry, environment: [String: String] = ProcessInfo.processInfo.environment, stateSelection: StateSelection = StateSelection(), environmentName: String? = nil) {
        self.environmentName = environmentName
        self.registry = registry
        self.environment = environment
        self.stateSelection = stateSelection
    }

    /// What `iam-policy` prints.
    public struct Report: Codable, Sendable {
        public var workflow: String
        public var account: String
        public var phases: [PermissionPhase]
        public var policy: PolicyDocument
        /// Every action granted on `"Resource": "*"`, with why no narrower resource works.
        public var wildcards: [WildcardAction]
        /// With `--trust`: the role's trust policy for GitHub Actions' OIDC provider.
        public var trustPolicy: JSONValue?
    }

    /// Builds the report for `path` in `phases` (all of them when empty).
    public func report(_ path: String, phases: [PermissionPhase], account: String?, trust: GitHubTrust?) async throws -> Report {
        let loader = WorkflowLoader(registry: registry, environment: environment, environmentName: environmentName)
        await loader.prepare(path)
        let workflow = try loader.load(path: path)
        let region = workflow.settings.aws?.region ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1"
        let account = try await resolveAccount(account, settings: workflow.settings, region: region)
        let phases = phases.isEmpty ? PermissionPhase.allCases : phases
        var permissions: [Permission] = []
        for phase in phases {
            permissions += try stepPermissions(workflow, phase: phase, account: account, region: region)
        }
        permissions += stateBackendPermissions(workflow, account: account, region: region)
        permissions = Self.wideningObjectAccess(permissions)
        let policy = PolicyDocument(merging: permissions)
        var reasons: [String: String] = [:]
        for permission in permissions where permission.resources == ["*"] {
            for action in permission.actions where reasons[action] == nil {
                reasons[action] = permission.wildcardReason ?? "AWS authorizes this action only on \"*\""
            }
        }
        let wildcards = reasons.sorted { $0.key < $1.key }.map { WildcardAction(action: $0.key, reason: $0.value) }
        let trustPolicy = try trust.map { try JSONDecoder().decode(JSONValue.self, from: Data($0.document(account: account).utf8)) }
        return Report(workflow: workflow.name, account: account, phases: phases, policy: policy, wildcards: wildcards, trustPolicy: trustPolicy)
    }

    /// Each step's statements for `phase`, in workflow order. A step's input may name a later
    /// output (`${steps.cdn.outputs.id}`): outputs the input decides (`Step.knownOutputs`) are
    /// filled in, any other is `*` (known only after apply).
    func stepPermissions(_ workflow: Workflow, phase: PermissionPhase, account: String, region: String) throws -> [Permission] {
        let resolution = StepResolutionContext(directory: workflow.directory, environment: environment)
        var kinds: [String: StepKind] = [:]
        var outputs: [String: [String: String]] = [:]
        for step in workflow.steps {
            guard let kind = try registry.resolve(step.kind, in: resolution) else { throw IAMPolicyError.unknownKind(step: step.id, kind: step.kind) }
            kinds[step.id] = kind
            outputs[step.id] = Dictionary(kind.outputs.map { ($0.name, "*") }, uniquingKeysWith: { first, _ in first })
        }
        var permissions: [Permission] = []
        for step in workflow.steps {
            guard let kind = kinds[step.id] else { continue }
            var context = PermissionContext(workflowName: workflow.name, stepID: step.id, account: account, region: region, phase: phase, settings: workflow.settings)
            context.environmentName = workflow.environment
            guard let input = step.input.resolvingStepOutputs(outputs, as: .object(kind.inputs)) else {
                throw IAMPolicyError.unresolved(step: step.id)
            }
            let instance: any Step
            do {
                instance = try kind.makeStep(id: step.id, input: input)
            } catch {
                throw IAMPolicyError.input(step: step.id, detail: "\(error)")
            }
            outputs[step.id, default: [:]].merge(instance.knownOutputs(context)) { _, known in known }
            permissions += instance.permissions(context)
        }
        return permissions
    }

    /// Whoever may write a bucket's policy may grant themselves any access to its objects, so a key
    /// prefix would only pretend to restrict (parliament: RESOURCE_POLICY_PRIVILEGE_ESCALATION): the
    /// object statements of a bucket whose policy the workflow writes cover the whole bucket.
    static func wideningObjectAccess(_ permissions: [Permission]) -> [Permission] {
        let policyWriters: Set<String> = ["s3:PutBucketPolicy", "s3:PutBucketAcl"]
        let buckets = Set(permissions.filter { !policyWriters.isDisjoint(with: $0.actions) }.flatMap(\.resources)
            .filter { $0.hasPrefix("arn:aws:s3:::") && !$0.contains("/") })
        guard !buckets.isEmpty else { return permissions }
        var widened = permissions.map { permission in
            var permission = permission
            permission.resources = permission.resources.map { resource in
                buckets.first { resource.hasPrefix($0 + "/") }.map { $0 + "/*" } ?? resource
            }
            return permission
        }
        widened.append(Permission(["s3:DeleteObject", "s3:GetObject", "s3:PutObject"], on: buckets.sorted().map { $0 + "/*" }))
        return widened
    }

    /// The S3 backend's objects under its prefix (and the state key with `stateKmsKey`); nothing for local state.
    func stateBackendPermissions(_ workflow: Workflow, account: String, region: String) -> [Permission] {
        guard let url = stateSelection.url(workflow: workflow, environment: environment), url.lowercased().hasPrefix("s3://"),
              let location = try? S3StateProvider.parse(url) else { return [] }
        let (bucket, prefix) = (location.bucket, location.prefix)
        let bucketArn = "arn:aws:s3:::\(bucket)"
        var permissions = [
            // HeadBucket (the bucket's region) and ListObjectsV2 are authorized as s3:ListBucket.
            Permission(["s3:GetBucketVersioning", "s3:ListBucket"], on: [bucketArn]),
            Permission(["s3:DeleteObject", "s3:GetObject", "s3:PutObject"], on: ["\(bucketArn)/\(prefix.isEmpty ? "" : prefix + "/")*"]),
        ]
        if let key = environment["LDEDGE_STATE_KMS_KEY"] ?? workflow.stateKmsKey {
            let keyArn: String
            if key.hasPrefix("arn:") {
                keyArn = key
            } else if key.hasPrefix("alias/") || key.isEmpty {
                // An alias is resolved to its key by KMS; the key's id is not in the workflow.
                keyArn = "arn:aws:kms:\(region):\(account):key/*"
            } else {
                keyArn = "arn:aws:kms:\(region):\(account):key/\(key)"
            }
            permissions.append(Permission(["kms:Decrypt", "kms:GenerateDataKey"], on: [keyArn]))
        }
        return permissions
    }

    /// `--account`, else STS `GetCallerIdentity` with the workflow's AWS settings.
    func resolveAccount(_ given: String?, settings: WorkflowSettings, region: String) async throws -> String {
        if let given {
            guard given.count == 12, given.allSatisfy(\.isNumber) else { throw IAMPolicyError.badAccount(given) }
            return given
        }
        var environment = environment
        if let endpoint = settings.aws?.endpoint { environment["AWS_ENDPOINT_URL"] = endpoint }
        do {
            let client = AWSClient(configuration: try AWSConfiguration.fromEnvironment(environment, profile: settings.aws?.profile, region: region))
            return try await client.sts.getCallerIdentity().account
        } catch {
            throw IAMPolicyError.noAccount("\(error)")
        }
    }
}

/// Why `iam-policy` printed nothing, with what to do.
public enum IAMPolicyError: Error, CustomStringConvertible, Sendable {
    case unknownKind(step: String, kind: String)
    case unresolved(step: String)
    case input(step: String, detail: String)
    case badAccount(String)
    case noAccount(String)
    case badTrust(String)

    public var description: String {
        switch self {
        case .unknownKind(let step, let kind):
            return "step '\(step)': no step kind '\(kind)'; run 'ldedge steps' for the kinds this ldedge knows"
        case .unresolved(let step):
            return "step '\(step)': its input refers to an output no step declares; run 'ldedge validate'"
        case .input(let step, let detail):
            return "step '\(step)': cannot work out its permissions from its input (\(detail)); run 'ldedge validate'"
        case .badAccount(let value):
            return "'\(value)' is not an AWS account id (12 digits)"
        case .noAccount(let reason):
            return "could not read the account id from STS (\(reason)); pass --account ACCOUNT_ID"
        case .badTrust(let value):
            return "'\(value)' is not github:OWNER/REPO or github:OWNER/REPO:REF (a branch, refs/..., or environment:NAME)"
        }
    }
}

extension IAMPolicyService {
    /// Prints the report: the policy document on stdout (with `--trust`, the trust policy after it),
    /// the wildcard actions on stderr; with `json`, one JSON object holding all of it.
    public func run(_ path: String, phases: [PermissionPhase], account: String?, trust: String?, json: Bool) async -> ExitStatus {
        let workflows = WorkflowService(registry: registry, environment: environment, stateSelection: stateSelection)
        let console = workflows.console
        return await workflows.run {
            let report = try await report(path, phases: phases, account: account, trust: try trust.map(GitHubTrust.init))
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                console.out(String(decoding: try encoder.encode(report), as: UTF8.self))
                return .success
            }
            console.out(report.policy.json)
            if let trust = report.trustPolicy {
                let data = try JSONEncoder.pretty.encode(trust)
                console.out("")
                console.out(String(decoding: data, as: UTF8.self))
            }
            for wildcard in report.wildcards {
                console.err("note: \(wildcard.action) is granted on \"*\": \(wildcard.reason)")
            }
            return .success
        }
    }
}
