import Foundation

/// The AWS JSON 1.0 / 1.1 protocols (DynamoDB, Secrets Manager, ECS): POST `/`,
/// the operation in `X-Amz-Target`, JSON request and answer, errors as `{"__type", "message"}`.
struct JSONProtocolTarget: Sendable {
    /// The `X-Amz-Target` prefix (`DynamoDB_20120810`, `secretsmanager`, `AmazonEC2ContainerServiceV20141113`).
    var prefix: String
    /// `1.0` or `1.1`.
    var version: String
}

extension AWSClient {
    /// Sends one JSON-protocol call and decodes the answer as `Result`.
    func jsonCall<Result: Decodable>(
        _ service: AWSService, _ target: JSONProtocolTarget, operation: String, body: [String: Any],
        resource: String?, mutating: Bool, result: Result.Type
    ) async throws -> Result {
        let response = try await jsonCall(service, target, operation: operation, body: body, resource: resource, mutating: mutating)
        let data = response.body.isEmpty ? Data("{}".utf8) : response.body
        return try ResponseDecoding.json(Result.self, from: data, service: service, operation: operation)
    }

    /// Sends one JSON-protocol call and returns the raw answer.
    @discardableResult
    func jsonCall(
        _ service: AWSService, _ target: JSONProtocolTarget, operation: String, body: [String: Any],
        resource: String?, mutating: Bool
    ) async throws -> AWSHTTPResponse {
        guard JSONSerialization.isValidJSONObject(body) else {
            throw AWSError.invalidRequest(service: service, operation: operation, reason: "the request body is not representable as JSON")
        }
        let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        return try await send(AWSHTTPRequest(
            service: service, operation: operation, resource: resource, method: .POST,
            headers: [("Content-Type", "application/x-amz-json-\(target.version)"), ("X-Amz-Target", "\(target.prefix).\(operation)")],
            body: data, isMutating: mutating
        ))
    }
}
