import Foundation
import NIOHTTP1

extension LambdaClient {
    /// Lets `principal` (say `events.amazonaws.com`, from `sourceArn`) invoke the function.
    public func addPermission(function: String, statementId: String, principal: String, sourceArn: String?,
                              action: String = "lambda:InvokeFunction") async throws {
        var body: [String: Any] = ["StatementId": statementId, "Action": action, "Principal": principal]
        if let sourceArn { body["SourceArn"] = sourceArn }
        let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        _ = try await client.send(AWSHTTPRequest(
            service: .lambda, operation: "AddPermission", resource: "function \(function)", method: .POST,
            encodedPath: "/2015-03-31/functions/\(URIEncoding.encode(function))/policy",
            headers: [("Content-Type", "application/json")], body: data, isMutating: true))
    }
}
