import AWS
import AWSStepSupport
import Foundation
import LDEdgeKit

/// The read policy as it was before this run (nil: there was none).
public struct TableAccessUndo: Codable, Sendable {
    var policy: String
    var previous: String?
}

/// Read access to the Relay Proxy's DynamoDB table for a handler in daemon mode (`tableArn`):
/// one inline policy on the execution role allowing only GetItem, Query and BatchGetItem on it.
extension AttachTriggerStep {
    static let tableReadPolicyName = "ldedge-dynamodb-read"

    static func tableReadPolicy(_ tableArn: String) -> String {
        let object: [String: Any] = ["Version": "2012-10-17", "Statement": [[
            "Effect": "Allow", "Action": ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query"], "Resource": tableArn,
        ]]]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    static func roleName(fromArn arn: String) -> String { String(arn.split(separator: "/").last ?? "") }

    /// The plan line, when the policy is missing or reads differently.
    func planTableAccess(roleArn: String?, _ context: StepContext) async throws -> PlannedChange? {
        guard let tableArn = input.tableArn else { return nil }
        let role = roleArn.map(Self.roleName(fromArn:)) ?? roleName(context)
        if context.isKnown(tableArn), roleArn != nil,
           let current = try? await clients(context).iam.getRolePolicy(roleName: role, policyName: Self.tableReadPolicyName),
           Self.sameDocument(current, Self.tableReadPolicy(tableArn)) {
            return nil
        }
        return PlannedChange(.update, "role \(role) inline policy \(Self.tableReadPolicyName)", detail: "dynamodb:GetItem, Query, BatchGetItem on \(tableArn) only")
    }

    /// Puts the policy on the execution role (undone by `delete-role-policy`).
    func applyTableAccess(roleArn: String, _ context: StepContext) async throws {
        guard let tableArn = input.tableArn, !roleArn.isEmpty else { return }
        let iam = try clients(context).iam
        let role = Self.roleName(fromArn: roleArn)
        let document = Self.tableReadPolicy(tableArn)
        let current = try? await iam.getRolePolicy(roleName: role, policyName: Self.tableReadPolicyName)
        if let current, Self.sameDocument(current, document) { return }
        let undo = TableAccessUndo(policy: Self.tableReadPolicyName, previous: current)
        try await context.perform("allow role \(role) to read dynamodb table \(tableArn)",
                                  undo: AttachTriggerUndo.restoreRolePolicy(role: role, undo)) {
            try await iam.putRolePolicy(roleName: role, policyName: Self.tableReadPolicyName, policyDocument: document)
        }
        let id = "\(role)/\(Self.tableReadPolicyName)"
        if !context.ownedResources.contains(where: { $0.type == "role-policy" && $0.id == id }) {
            try context.own(Resource(type: "role-policy", id: id, attributes: ["role": role, "policy": Self.tableReadPolicyName]))
        }
    }

    /// Rollback: puts back the document the policy had before this run, or deletes it.
    func restoreTableAccess(role: String, _ undo: TableAccessUndo, _ context: StepContext) async throws {
        guard let previous = undo.previous else { return try await removeTableAccess(role: role, policy: undo.policy, context) }
        let iam = try clients(context).iam
        try await context.perform("put back inline policy \(undo.policy) of role \(role)") {
            do { try await iam.putRolePolicy(roleName: role, policyName: undo.policy, policyDocument: previous) } catch where error.isAWSNotFound {}
        }
    }

    /// Deletes the policy (rollback and teardown); a missing role or policy is fine.
    func removeTableAccess(role: String, policy: String, _ context: StepContext) async throws {
        let iam = try clients(context).iam
        try await context.perform("delete inline policy \(policy) of role \(role)") {
            do { try await iam.deleteRolePolicy(roleName: role, policyName: policy) } catch where error.isAWSNotFound {}
        }
        for resource in context.ownedResources where resource.type == "role-policy" && resource.id == "\(role)/\(policy)" {
            try context.release(resource)
        }
    }

    static func sameDocument(_ a: String, _ b: String) -> Bool {
        guard let x = try? JSONSerialization.jsonObject(with: Data(a.utf8)) as? NSDictionary,
              let y = try? JSONSerialization.jsonObject(with: Data(b.utf8)) as? NSDictionary else { return a == b }
        return x == y
    }
}
