import Foundation

/// Which commands an IAM policy for a workflow covers (`ldedge iam-policy --phase`).
public enum PermissionPhase: String, CaseIterable, Codable, Sendable {
    /// `plan` and `deploy`, with rollback and the recovery of an interrupted run.
    case deploy
    /// `teardown`, with `--wait`.
    case teardown
    /// `status --live`, `status --drift`, `logs` and `rollout`.
    case operate
}

/// One IAM statement the deploying principal needs: these actions on these resources.
public struct Permission: Codable, Hashable, Sendable {
    public var actions: [String]
    public var resources: [String]
    /// IAM condition: operator -> key -> values (`StringEquals` -> `iam:PassedToService` -> [...]).
    public var condition: [String: [String: [String]]]?
    /// Why the resource is `*`: the actions take no resource-level permission, or the name is known
    /// only once AWS has created the resource. Required when `resources` is `["*"]`.
    public var wildcardReason: String?

    public init(_ actions: [String], on resources: [String], condition: [String: [String: [String]]]? = nil, wildcard reason: String? = nil) {
        self.actions = actions
        self.resources = resources
        self.condition = condition
        self.wildcardReason = reason
    }

    /// Actions that AWS authorizes only on `"Resource": "*"`.
    public static func anyResource(_ actions: [String], because reason: String) -> Permission {
        Permission(actions, on: ["*"], wildcard: reason)
    }
}

/// What a step's `permissions` may use to name the ARNs it touches.
public struct PermissionContext: Sendable {
    public var workflowName: String
    /// The environment (`iam-policy --env`): names of created resources carry it (`scopedName`).
    public var environmentName: String?
    public var stepID: String
    /// The AWS account the workflow deploys to (STS `GetCallerIdentity`, or `--account`).
    public var account: String
    /// The region of the workflow's AWS clients when a step names none (`aws.region`, `AWS_REGION`).
    public var region: String
    public var phase: PermissionPhase
    public var settings: WorkflowSettings
    public var partition = "aws"

    public init(workflowName: String, stepID: String, account: String, region: String, phase: PermissionPhase, settings: WorkflowSettings) {
        self.workflowName = workflowName
        self.stepID = stepID
        self.account = account
        self.region = region
        self.phase = phase
        self.settings = settings
    }

    /// The name a step gives something it creates, as `StepContext.scopedName` makes it.
    public func scopedName(_ name: String, limit: Int) -> String {
        Deployment(workflow: workflowName, environment: environmentName).scoped(name, limit: limit).value
    }

    /// `arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE` in this context's partition and account.
    public func arn(_ service: String, region: String = "", _ resource: String) -> String {
        "arn:\(partition):\(service):\(region):\(account):\(resource)"
    }

    /// True when `value` is a literal: no `${…}` reference left and not the placeholder for an output
    /// known only after a deploy (`*`).
    public func isKnown(_ value: String?) -> Bool {
        guard let value, !value.isEmpty else { return false }
        return !value.contains("${") && !value.contains("*")
    }
}
