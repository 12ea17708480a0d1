import Foundation

extension AWSClient {
    public var eventBridge: EventBridgeClient { EventBridgeClient(self) }
}

/// A scheduled EventBridge rule.
public struct EventBridgeRule: Sendable, Equatable, Decodable {
    public var name: String
    public var arn: String
    public var scheduleExpression: String?
    public var state: String?
    enum CodingKeys: String, CodingKey { case name = "Name", arn = "Arn", scheduleExpression = "ScheduleExpression", state = "State" }
}

/// EventBridge operations (JSON 1.1, API 2015-10-07): a schedule that invokes a Lambda function.
public struct EventBridgeClient: Sendable {
    public let client: AWSClient
    static let target = JSONProtocolTarget(prefix: "AWSEvents", version: "1.1")

    public init(_ client: AWSClient) { self.client = client }

    /// Creates or updates a scheduled rule (`rate(1 minute)`, `cron(...)`); returns its ARN.
    @discardableResult
    public func putRule(name: String, scheduleExpression: String, description: String = "") async throws -> String {
        struct Answer: Decodable { let RuleArn: String }
        let body: [String: Any] = ["Name": name, "ScheduleExpression": scheduleExpression, "State": "ENABLED", "Description": description]
        return try await client.jsonCall(.events, Self.target, operation: "PutRule", body: body, resource: "rule \(name)", mutating: true, result: Answer.self).RuleArn
    }

    public func describeRule(name: String) async throws -> EventBridgeRule {
        try await client.jsonCall(.events, Self.target, operation: "DescribeRule", body: ["Name": name], resource: "rule \(name)", mutating: false, result: EventBridgeRule.self)
    }

    /// The rule, or nil when it does not exist.
    public func ruleIfPresent(name: String) async throws -> EventBridgeRule? {
        do {
            return try await describeRule(name: name)
        } catch let error as AWSError where error.isNotFound {
            return nil
        }
    }

    /// Points the rule at `arn` (one target, `id`).
    public func putTargets(rule: String, id: String, arn: String) async throws {
        try await client.jsonCall(.events, Self.target, operation: "PutTargets", body: ["Rule": rule, "Targets": [["Id": id, "Arn": arn]]],
                                  resource: "rule \(rule)", mutating: true)
    }

    public func removeTargets(rule: String, ids: [String]) async throws {
        try await client.jsonCall(.events, Self.target, operation: "RemoveTargets", body: ["Rule": rule, "Ids": ids], resource: "rule \(rule)", mutating: true)
    }

    /// Deletes a rule that has no targets left.
    public func deleteRule(name: String) async throws {
        try await client.jsonCall(.events, Self.target, operation: "DeleteRule", body: ["Name": name], resource: "rule \(name)", mutating: true)
    }
}
