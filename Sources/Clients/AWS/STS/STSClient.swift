import Foundation

/// Who the credentials belong to.
public struct CallerIdentity: Sendable, Equatable, Decodable {
    public var account: String
    public var arn: String
    public var userId: String
    enum CodingKeys: String, CodingKey { case account = "Account", arn = "Arn", userId = "UserId" }
}

/// Temporary credentials from AssumeRole / AssumeRoleWithWebIdentity.
public struct AssumedRole: Sendable {
    public var credentials: AWSCredentials
    public var assumedRoleArn: String?
}

/// STS operations (query API 2011-06-15).
public struct STSClient: Sendable {
    public let client: AWSClient
    static let version = "2011-06-15"

    public init(_ client: AWSClient) { self.client = client }

    public func getCallerIdentity() async throws -> CallerIdentity {
        try await client.queryCall(.sts, operation: "GetCallerIdentity", version: Self.version, parameters: [], resource: nil, mutating: false, result: CallerIdentity.self)
    }

    /// Assumes `roleArn` with the client's credentials.
    public func assumeRole(roleArn: String, sessionName: String, externalId: String? = nil, durationSeconds: Int? = nil) async throws -> AssumedRole {
        var parameters = [("RoleArn", roleArn), ("RoleSessionName", sessionName)]
        if let externalId { parameters.append(("ExternalId", externalId)) }
        if let durationSeconds { parameters.append(("DurationSeconds", String(durationSeconds))) }
        let result = try await client.queryCall(.sts, operation: "AssumeRole", version: Self.version, parameters: parameters,
                                                resource: "role \(roleArn)", mutating: false, result: AssumeRoleResult.self)
        return try result.assumedRole(operation: "AssumeRole")
    }

    /// Exchanges an OIDC token for credentials; the request is unsigned.
    public func assumeRoleWithWebIdentity(roleArn: String, sessionName: String, webIdentityToken: String, durationSeconds: Int? = nil) async throws -> AssumedRole {
        var parameters = [("RoleArn", roleArn), ("RoleSessionName", sessionName), ("WebIdentityToken", webIdentityToken)]
        if let durationSeconds { parameters.append(("DurationSeconds", String(durationSeconds))) }
        let result = try await client.queryCall(.sts, operation: "AssumeRoleWithWebIdentity", version: Self.version, parameters: parameters,
                                                resource: "role \(roleArn)", mutating: false, signed: false, result: AssumeRoleResult.self)
        return try result.assumedRole(operation: "AssumeRoleWithWebIdentity")
    }
}

struct AssumeRoleResult: Decodable {
    struct Credentials: Decodable {
        let accessKeyId: String
        let secretAccessKey: String
        let sessionToken: String
        let expiration: String
        enum CodingKeys: String, CodingKey {
            case accessKeyId = "AccessKeyId", secretAccessKey = "SecretAccessKey", sessionToken = "SessionToken", expiration = "Expiration"
        }
    }
    struct User: Decodable {
        let arn: String?
        enum CodingKeys: String, CodingKey { case arn = "Arn" }
    }
    let credentials: Credentials
    let assumedRoleUser: User?
    enum CodingKeys: String, CodingKey { case credentials = "Credentials", assumedRoleUser = "AssumedRoleUser" }

    func assumedRole(operation: String) throws -> AssumedRole {
        guard let expiration = AWSTimestamp.parse(credentials.expiration) else {
            throw AWSError.decoding(service: .sts, operation: operation, field: "Credentials.Expiration", detail: "not a timestamp")
        }
        return AssumedRole(
            credentials: AWSCredentials(accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey,
                                        sessionToken: credentials.sessionToken, expiration: expiration, source: operation),
            assumedRoleArn: assumedRoleUser?.arn
        )
    }
}
