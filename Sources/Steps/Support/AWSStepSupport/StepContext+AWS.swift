import AWS
import Foundation
import LDEdgeCore

/// What the AWS step kinds share (they never depend on each other): one AWS client per run,
/// configured from the workflow's `aws:` settings and the environment like the AWS CLI.
extension StepContext {
    public func awsClient(region: String? = nil) throws -> AWSClient {
        let region = region ?? settings.aws?.region
        return try shared("aws-\(region ?? "default")") {
            var environment = self.environment
            if let endpoint = settings.aws?.endpoint { environment["AWS_ENDPOINT_URL"] = endpoint }
            let configuration = try AWSConfiguration.fromEnvironment(environment, profile: settings.aws?.profile, region: region)
            return AWSClient(configuration: configuration)
        }
    }
}

/// Missing credentials, region or profile are the machine's setup, not the workflow: exit 78.
extension AWSError: ConfigurationProblem {
    public var isConfigurationProblem: Bool {
        switch self {
        case .credentials, .configuration: return true
        default: return false
        }
    }
}

extension Error {
    public var awsCode: String? { (self as? AWSError)?.code }
    public var isAWSNotFound: Bool { (self as? AWSError)?.isNotFound ?? false }
}

extension StepContext {
    /// Deletes an IAM role a step created: its managed policies are detached and its inline
    /// policies deleted first, each journaled; a role (or policy) already gone is not an error.
    public func deleteRole(_ name: String, iam: IAMClient) async throws {
        let attached: [IAMAttachedPolicy]
        let inline: [String]
        do {
            attached = try await iam.listAttachedRolePolicies(roleName: name)
            inline = try await iam.listRolePolicies(roleName: name)
        } catch where error.isAWSNotFound {
            return
        }
        for policy in attached {
            try await perform("detach \(policy.policyName) from role \(name)") {
                do { try await iam.detachRolePolicy(roleName: name, policyArn: policy.policyArn) } catch where error.isAWSNotFound {}
            }
        }
        for policy in inline {
            try await perform("delete inline policy \(policy) of role \(name)") {
                do { try await iam.deleteRolePolicy(roleName: name, policyName: policy) } catch where error.isAWSNotFound {}
            }
        }
        try await perform("delete role \(name)") {
            do { try await iam.deleteRole(name: name) } catch where error.isAWSNotFound {}
        }
    }
}
