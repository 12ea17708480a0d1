import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// IAM enforcement in the emulator (scripts/aws-emulator/iam_enforcement.py): a non-administrator
/// user holding exactly one policy, every authorization decision made for it, and which statements
/// of a policy those decisions needed.
extension AWSEmulator {
    /// An IAM user with only `policy` (created once per name; later calls replace its policy).
    public struct IAMUser: Decodable, Sendable {
        public var user: String
        public var arn: String
        public var accessKeyId: String
        public var secretAccessKey: String
    }

    /// One authorization decision for a user.
    public struct IAMDecision: Decodable, Sendable {
        public var operation: String
        public var action: String
        public var resource: String
        public var allowed: Bool
    }

    /// What removing one statement of a policy would have refused.
    public struct NecessaryStatement: Decodable, Sendable {
        public struct Refused: Decodable, Sendable {
            public var action: String
            public var resource: String
        }
        public var sid: String?
        public var deniedWithout: [Refused]
    }

    /// Creates (or updates) `name` with `policy` (a policy document as JSON text) as its only policy.
    public func iamUser(_ name: String, policy: String) async throws -> IAMUser {
        let document = try JSONSerialization.jsonObject(with: Data(policy.utf8))
        return try JSONDecoder().decode(IAMUser.self, from: try await iamControl("POST", ["user": name, "policy": document]))
    }

    /// `environment` with the user's access key instead of the administrator's.
    public func environment(as user: IAMUser) -> [String: String] {
        environment.merging(["AWS_ACCESS_KEY_ID": user.accessKeyId, "AWS_SECRET_ACCESS_KEY": user.secretAccessKey]) { _, new in new }
    }

    /// Every decision made for a user since the last `clearIAMDecisions()`.
    public func iamDecisions() async throws -> [IAMDecision] {
        struct Log: Decodable { var decisions: [IAMDecision] }
        return try JSONDecoder().decode(Log.self, from: try await iamControl("GET", nil)).decisions
    }

    public func clearIAMDecisions() async throws {
        _ = try await iamControl("DELETE", nil)
    }

    /// For each statement of `policy`, the allowed decisions the policy without it would refuse.
    public func necessaryStatements(of policy: String) async throws -> [NecessaryStatement] {
        struct Answer: Decodable { var statements: [NecessaryStatement] }
        let document = try JSONSerialization.jsonObject(with: Data(policy.utf8))
        return try JSONDecoder().decode(Answer.self, from: try await iamControl("POST", ["necessary": document])).statements
    }

    private func iamControl(_ method: String, _ body: [String: Any]?) async throws -> Data {
        var request = URLRequest(url: endpoint.appendingPathComponent("ldedge-emulator/iam"))
        request.httpMethod = method
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        guard (response as? HTTPURLResponse)?.statusCode == 200 else {
            throw Failure(description: "emulator IAM control \(method) failed: \(String(decoding: data, as: UTF8.self))")
        }
        return data
    }
}
