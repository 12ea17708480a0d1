import Foundation

/// SSM Parameter Store operations (JSON 1.1: `POST /`, `X-Amz-Target: AmazonSSM.<Operation>`).
public struct SSMClient: Sendable {
    public let client: AWSClient

    public init(_ client: AWSClient) { self.client = client }

    /// The parameter, or nil when it does not exist.
    public func parameterIfPresent(name: String) async throws -> SSMParameter? {
        do {
            let result = try await call("GetParameter", name: name, body: ["Name": name], mutating: false, GetParameterResult.self)
            return result.parameter
        } catch let error as AWSError where error.isNotFound {
            return nil
        }
    }

    /// Creates or (with `overwrite`) replaces a parameter; returns its new version.
    @discardableResult
    public func putParameter(name: String, value: String, type: SSMParameterType = .string, description: String? = nil, overwrite: Bool) async throws -> Int {
        var body: [String: Any] = ["Name": name, "Value": value, "Type": type.rawValue, "Overwrite": overwrite]
        if let description { body["Description"] = description }
        return try await call("PutParameter", name: name, body: body, mutating: true, PutParameterResult.self).version
    }

    /// Deletes a parameter; a missing one is not an error (the goal is that it is gone).
    public func deleteParameter(name: String) async throws {
        do {
            _ = try await call("DeleteParameter", name: name, body: ["Name": name], mutating: true, EmptyResult.self)
        } catch let error as AWSError where error.isNotFound {
            return
        }
    }

    func call<Result: Decodable>(_ operation: String, name: String, body: [String: Any], mutating: Bool, _ type: Result.Type) async throws -> Result {
        let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        let response = try await client.send(AWSHTTPRequest(
            service: .ssm, operation: operation, resource: name, method: .POST,
            headers: [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "AmazonSSM.\(operation)")],
            body: data, isMutating: mutating))
        return try ResponseDecoding.json(Result.self, from: response.body.isEmpty ? Data("{}".utf8) : response.body, service: .ssm, operation: operation)
    }
}

/// The kinds of Parameter Store values.
public enum SSMParameterType: String, Codable, Sendable {
    case string = "String"
    case stringList = "StringList"
    case secureString = "SecureString"
}

/// A parameter as `GetParameter` returns it.
public struct SSMParameter: Codable, Sendable, Equatable {
    public var name: String
    public var value: String
    public var type: SSMParameterType
    public var version: Int

    enum CodingKeys: String, CodingKey {
        case name = "Name", value = "Value", type = "Type", version = "Version"
    }
}

struct GetParameterResult: Decodable {
    var parameter: SSMParameter
    enum CodingKeys: String, CodingKey { case parameter = "Parameter" }
}

struct PutParameterResult: Decodable {
    var version: Int
    enum CodingKeys: String, CodingKey { case version = "Version" }
}
