import Foundation

extension AWSClient {
    public var secretsManager: SecretsManagerClient { SecretsManagerClient(self) }
}

/// A secret's metadata (never its value).
public struct SecretDescription: Sendable, Equatable, Decodable {
    public var arn: String
    public var name: String
    public var description: String?
    /// Set when the secret is scheduled for deletion (within its recovery window).
    public var deletedDate: Double?
    enum CodingKeys: String, CodingKey { case arn = "ARN", name = "Name", description = "Description", deletedDate = "DeletedDate" }
}

/// Secrets Manager operations (JSON 1.1, API 2017-10-17). Secret values are sent, never logged or returned.
public struct SecretsManagerClient: Sendable {
    public let client: AWSClient
    static let target = JSONProtocolTarget(prefix: "secretsmanager", version: "1.1")

    public init(_ client: AWSClient) { self.client = client }

    /// Creates a secret holding `secretString`; returns its ARN and name.
    @discardableResult
    public func createSecret(name: String, secretString: String, description: String? = nil, tags: [String: String] = [:]) async throws -> SecretDescription {
        var body: [String: Any] = ["Name": name, "SecretString": secretString]
        if let description { body["Description"] = description }
        if !tags.isEmpty { body["Tags"] = tags.sorted { $0.key < $1.key }.map { ["Key": $0.key, "Value": $0.value] } }
        struct Answer: Decodable {
            let ARN: String
            let Name: String
        }
        let answer = try await call("CreateSecret", body, secret: name, mutating: true, Answer.self)
        return SecretDescription(arn: answer.ARN, name: answer.Name, description: description)
    }

    public func describeSecret(id: String) async throws -> SecretDescription {
        try await call("DescribeSecret", ["SecretId": id], secret: id, mutating: false, SecretDescription.self)
    }

    /// The secret, or nil when it does not exist.
    public func secretIfPresent(id: String) async throws -> SecretDescription? {
        do {
            return try await describeSecret(id: id)
        } catch let error as AWSError where error.isNotFound {
            return nil
        }
    }

    /// Deletes the secret; with `forceDeleteWithoutRecovery` at once, otherwise after the recovery window (7–30 days).
    public func deleteSecret(id: String, forceDeleteWithoutRecovery: Bool, recoveryWindowInDays: Int? = nil) async throws {
        var body: [String: Any] = ["SecretId": id]
        if forceDeleteWithoutRecovery {
            body["ForceDeleteWithoutRecovery"] = true
        } else if let recoveryWindowInDays {
            body["RecoveryWindowInDays"] = recoveryWindowInDays
        }
        try await client.jsonCall(.secretsManager, Self.target, operation: "DeleteSecret", body: body, resource: "secret \(id)", mutating: true)
    }

    private func call<R: Decodable>(_ operation: String, _ body: [String: Any], secret: String, mutating: Bool, _ type: R.Type) async throws -> R {
        try await client.jsonCall(.secretsManager, Self.target, operation: operation, body: body, resource: "secret \(secret)", mutating: mutating, result: type)
    }
}
