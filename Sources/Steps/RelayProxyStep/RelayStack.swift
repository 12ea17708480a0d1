import AWS
import Crypto
import Foundation
import LDEdgeKit

/// The IAM documents and the container configuration of the Relay Proxy stack.
enum RelayStack {
    /// ECS tasks (and their execution agent) assume both roles.
    static let ecsTasksTrustPolicy = """
        {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}
        """
    static let executionPolicyName = "ldedge-read-sdk-key"
    static let taskPolicyName = "ldedge-write-relay-table"

    /// The execution role may read only the secret (ECS injects it as LD_ENV_<name> at start).
    static func executionPolicy(secretArn: String) -> String {
        document([["Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": secretArn]])
    }

    /// What the Relay Proxy's DynamoDB store calls, on that table only.
    static let tableWriteActions = [
        "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem", "dynamodb:DescribeTable",
        "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem",
    ]

    static func taskPolicy(tableArn: String) -> String {
        document([["Effect": "Allow", "Action": tableWriteActions, "Resource": tableArn]])
    }

    static func document(_ statements: [[String: Any]]) -> String {
        let object: [String: Any] = ["Version": "2012-10-17", "Statement": statements]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// The Relay Proxy's environment configuration (docs/configuration.md of ld-relay): the DynamoDB
    /// store for every environment, one environment named `environment` whose SDK key ECS reads from
    /// the secret, and its key prefix.
    static func container(_ step: RelayProxyStep, region: String, tableName: String, secretArn: String) -> ECSContainerDefinition {
        var variables: [String: String] = [
            "USE_DYNAMODB": "true",
            "DYNAMODB_TABLE": tableName,
            "CACHE_TTL": step.input.cacheTtl ?? "30s",
            "AWS_REGION": region,
        ]
        if let prefix = step.input.prefix, !prefix.isEmpty { variables["LD_PREFIX_\(step.environmentName)"] = prefix }
        if let stream = step.input.streamUri { variables["STREAM_URI"] = stream }
        if let base = step.input.baseUri { variables["BASE_URI"] = base }
        return ECSContainerDefinition(
            name: "ld-relay", image: step.input.image ?? RelayProxyStep.defaultImage, portMappings: [8030],
            environment: variables, secrets: ["LD_ENV_\(step.environmentName)": secretArn]
        )
    }

    /// A digest of everything in the task definition, to tell whether a redeploy needs a new revision.
    static func fingerprint(_ step: RelayProxyStep, region: String, tableName: String) -> String {
        let container = container(step, region: region, tableName: tableName, secretArn: "")
        let text = [container.image, "\(step.cpu)", "\(step.memory)"] + container.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            + container.secrets.keys.sorted()
        return SHA256.hash(data: Data(text.joined(separator: "\n").utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
