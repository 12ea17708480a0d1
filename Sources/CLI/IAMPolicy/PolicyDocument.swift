import Foundation
import LDEdgeCore

/// An IAM policy document, as `aws iam create-policy --policy-document` takes it.
public struct PolicyDocument: Codable, Equatable, Sendable {
    public struct Statement: Codable, Equatable, Sendable {
        public var sid: String
        public var effect: String
        public var action: [String]
        public var resource: [String]
        public var condition: [String: [String: [String]]]?

        enum CodingKeys: String, CodingKey {
            case sid = "Sid", effect = "Effect", action = "Action", resource = "Resource", condition = "Condition"
        }
    }

    public var version = "2012-10-17"
    public var statements: [Statement]

    enum CodingKeys: String, CodingKey {
        case version = "Version", statements = "Statement"
    }

    /// One statement per set of resources and condition, the actions of every permission on them
    /// merged, in a stable order (so the same workflow always prints the same policy).
    public init(merging permissions: [Permission]) {
        struct Key: Hashable {
            var resources: [String]
            var condition: [String: [String: [String]]]?
        }
        var actions: [Key: Set<String>] = [:]
        var order: [Key] = []
        for permission in permissions where !permission.actions.isEmpty && !permission.resources.isEmpty {
            let key = Key(resources: Array(Set(permission.resources)).sorted(), condition: permission.condition)
            if actions[key] == nil { order.append(key) }
            actions[key, default: []].formUnion(permission.actions)
        }
        let sorted = order.sorted { a, b in
            let left = (actions[a]?.sorted().first ?? "", a.resources.joined(separator: ","))
            let right = (actions[b]?.sorted().first ?? "", b.resources.joined(separator: ","))
            return left < right
        }
        var counts: [String: Int] = [:]
        statements = sorted.map { key in
            let list = (actions[key] ?? []).sorted()
            let service = Self.sidPrefix(list)
            counts[service, default: 0] += 1
            return .init(sid: "\(service)\(counts[service] ?? 1)", effect: "Allow", action: list, resource: key.resources, condition: key.condition)
        }
    }

    /// `S3`, `Lambda`, `CloudFrontIAM` ...: the services of the actions, for a readable Sid.
    static func sidPrefix(_ actions: [String]) -> String {
        let names = ["s3": "S3", "lambda": "Lambda", "cloudfront": "CloudFront", "iam": "IAM", "logs": "Logs", "ec2": "EC2", "ecs": "ECS",
                     "dynamodb": "DynamoDB", "secretsmanager": "SecretsManager", "cloudwatch": "CloudWatch", "kms": "KMS", "sts": "STS"]
        var seen: [String] = []
        for action in actions {
            let service = String(action.split(separator: ":").first ?? "")
            let name = names[service] ?? service.filter { $0.isLetter || $0.isNumber }.capitalized
            if !seen.contains(name) { seen.append(name) }
        }
        return seen.joined()
    }

    /// Pretty JSON in the order AWS's own examples use (Version, then each statement's Sid, Effect,
    /// Action, Resource, Condition); JSONEncoder's key order is not stable across platforms.
    public var json: String {
        func string(_ text: String) -> String {
            let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
            return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\\/", with: "/")
        }
        func list(_ values: [String], indent: String) -> String {
            "[\n" + values.map { indent + "  " + string($0) }.joined(separator: ",\n") + "\n\(indent)]"
        }
        let rendered = statements.map { statement in
            var lines = [
                "      \"Sid\": \(string(statement.sid))",
                "      \"Effect\": \(string(statement.effect))",
                "      \"Action\": \(list(statement.action, indent: "      "))",
                "      \"Resource\": \(list(statement.resource, indent: "      "))",
            ]
            if let condition = statement.condition {
                let operators = condition.keys.sorted().map { name in
                    let keys = (condition[name] ?? [:]).keys.sorted().map { key in
                        "          \(string(key)): \(list(condition[name]?[key] ?? [], indent: "          "))"
                    }
                    return "        \(string(name)): {\n" + keys.joined(separator: ",\n") + "\n        }"
                }
                lines.append("      \"Condition\": {\n" + operators.joined(separator: ",\n") + "\n      }")
            }
            return "    {\n" + lines.joined(separator: ",\n") + "\n    }"
        }
        return "{\n  \"Version\": \(string(version)),\n  \"Statement\": [\n" + rendered.joined(separator: ",\n") + "\n  ]\n}"
    }

    /// The same document without the statement at `index` (the test that proves each one is needed).
    public func removing(statement index: Int) -> PolicyDocument {
        var copy = self
        if copy.statements.indices.contains(index) { copy.statements.remove(at: index) }
        return copy
    }
}

/// An action that is granted on `"Resource": "*"`, and why.
public struct WildcardAction: Codable, Equatable, Sendable {
    public var action: String
    public var reason: String
}
