import Foundation

/// An IAM role.
public struct IAMRole: Sendable, Equatable, Decodable {
    public var roleName: String
    public var roleId: String
    public var arn: String
    public var path: String?
    public var createDate: String?
    public var description: String?
    /// The trust policy JSON, URL-decoded.
    public var assumeRolePolicyDocument: String?

    enum CodingKeys: String, CodingKey {
        case roleName = "RoleName", roleId = "RoleId", arn = "Arn", path = "Path", createDate = "CreateDate"
        case description = "Description", assumeRolePolicyDocument = "AssumeRolePolicyDocument"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        roleName = try c.decode(String.self, forKey: .roleName)
        roleId = try c.decode(String.self, forKey: .roleId)
        arn = try c.decode(String.self, forKey: .arn)
        path = try c.decodeIfPresent(String.self, forKey: .path)
        createDate = try c.decodeIfPresent(String.self, forKey: .createDate)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        assumeRolePolicyDocument = try c.decodeIfPresent(String.self, forKey: .assumeRolePolicyDocument).map(IAMClient.decodePolicy)
    }
}

/// A managed policy attached to a role.
public struct IAMAttachedPolicy: Sendable, Equatable, Hashable, Decodable {
    public var policyName: String
    public var policyArn: String
    enum CodingKeys: String, CodingKey { case policyName = "PolicyName", policyArn = "PolicyArn" }
}

/// IAM operations on roles (query API 2010-05-08; global, signed for us-east-1).
public struct IAMClient: Sendable {
    public let client: AWSClient
    static let version = "2010-05-08"

    public init(_ client: AWSClient) { self.client = client }

    /// Creates a role with a trust policy (for Lambda@Edge: lambda and edgelambda principals).
    @discardableResult
    public func createRole(name: String, assumeRolePolicyDocument: String, path: String = "/", description: String? = nil, tags: [String: String] = [:]) async throws -> IAMRole {
        var parameters = [("RoleName", name), ("AssumeRolePolicyDocument", assumeRolePolicyDocument), ("Path", path)]
        if let description { parameters.append(("Description", description)) }
        for (index, tag) in tags.sorted(by: { $0.key < $1.key }).enumerated() {
            parameters.append(("Tags.member.\(index + 1).Key", tag.key))
            parameters.append(("Tags.member.\(index + 1).Value", tag.value))
        }
        return try await call("CreateRole", parameters, role: name, mutating: true, RoleResult.self).role
    }

    public func getRole(name: String) async throws -> IAMRole {
        try await call("GetRole", [("RoleName", name)], role: name, mutating: false, RoleResult.self).role
    }

    /// The role, or nil when it does not exist.
    public func roleIfPresent(name: String) async throws -> IAMRole? {
        do {
            return try await getRole(name: name)
        } catch let error as AWSError where error.isNotFound {
            return nil
        }
    }

    public func updateAssumeRolePolicy(roleName: String, policyDocument: String) async throws {
        try await callVoid("UpdateAssumeRolePolicy", [("RoleName", roleName), ("PolicyDocument", policyDocument)], role: roleName)
    }

    public func attachRolePolicy(roleName: String, policyArn: String) async throws {
        try await callVoid("AttachRolePolicy", [("RoleName", roleName), ("PolicyArn", policyArn)], role: roleName)
    }

    public func detachRolePolicy(roleName: String, policyArn: String) async throws {
        try await callVoid("DetachRolePolicy", [("RoleName", roleName), ("PolicyArn", policyArn)], role: roleName)
    }

    public func putRolePolicy(roleName: String, policyName: String, policyDocument: String) async throws {
        try await callVoid("PutRolePolicy", [("RoleName", roleName), ("PolicyName", policyName), ("PolicyDocument", policyDocument)], role: roleName)
    }

    public func deleteRolePolicy(roleName: String, policyName: String) async throws {
        try await callVoid("DeleteRolePolicy", [("RoleName", roleName), ("PolicyName", policyName)], role: roleName)
    }

    /// The inline policy document (URL-decoded).
    public func getRolePolicy(roleName: String, policyName: String) async throws -> String {
        try await call("GetRolePolicy", [("RoleName", roleName), ("PolicyName", policyName)], role: roleName, mutating: false, RolePolicyResult.self).policyDocument
    }

    /// Names of all inline policies, all pages.
    public func listRolePolicies(roleName: String) async throws -> [String] {
        var names: [String] = []
        var marker: String?
        repeat {
            var parameters = [("RoleName", roleName)]
            if let marker { parameters.append(("Marker", marker)) }
            let page = try await call("ListRolePolicies", parameters, role: roleName, mutating: false, ListRolePoliciesResult.self)
            names += page.policyNames?.member ?? []
            marker = page.isTruncated == true ? page.marker : nil
        } while marker != nil
        return names
    }

    /// All managed policies attached to the role, all pages.
    public func listAttachedRolePolicies(roleName: String) async throws -> [IAMAttachedPolicy] {
        var policies: [IAMAttachedPolicy] = []
        var marker: String?
        repeat {
            var parameters = [("RoleName", roleName)]
            if let marker { parameters.append(("Marker", marker)) }
            let page = try await call("ListAttachedRolePolicies", parameters, role: roleName, mutating: false, ListAttachedResult.self)
            policies += page.attachedPolicies?.member ?? []
            marker = page.isTruncated == true ? page.marker : nil
        } while marker != nil
        return policies
    }

    /// Deletes the role (detach managed and delete inline policies first).
    public func deleteRole(name: String) async throws {
        try await callVoid("DeleteRole", [("RoleName", name)], role: name)
    }

    // MARK: Helpers

    private func call<R: Decodable>(_ operation: String, _ parameters: [(String, String)], role: String, mutating: Bool, _ type: R.Type) async throws -> R {
        try await client.queryCall(.iam, operation: operation, version: Self.version, parameters: parameters, resource: "role \(role)", mutating: mutating, result: type)
    }

    private func callVoid(_ operation: String, _ parameters: [(String, String)], role: String) async throws {
        try await client.queryCall(.iam, operation: operation, version: Self.version, parameters: parameters, resource: "role \(role)", mutating: true)
    }

    /// IAM returns policy documents URL-encoded.
    static func decodePolicy(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("%") { return trimmed.removingPercentEncoding ?? trimmed }
        return trimmed
    }
}

struct RoleResult: Decodable {
    let role: IAMRole
    enum CodingKeys: String, CodingKey { case role = "Role" }
}

struct MemberList<T: Decodable>: Decodable {
    let member: [T]?
}

struct ListAttachedResult: Decodable {
    let attachedPolicies: MemberList<IAMAttachedPolicy>?
    let isTruncated: Bool?
    let marker: String?
    enum CodingKeys: String, CodingKey { case attachedPolicies = "AttachedPolicies", isTruncated = "IsTruncated", marker = "Marker" }
}

struct ListRolePoliciesResult: Decodable {
    let policyNames: MemberList<String>?
    let isTruncated: Bool?
    let marker: String?
    enum CodingKeys: String, CodingKey { case policyNames = "PolicyNames", isTruncated = "IsTruncated", marker = "Marker" }
}

struct RolePolicyResult: Decodable {
    let policyDocument: String
    enum CodingKeys: String, CodingKey { case policyDocument = "PolicyDocument" }
    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        policyDocument = IAMClient.decodePolicy(try c.decode(String.self, forKey: .policyDocument))
    }
}
