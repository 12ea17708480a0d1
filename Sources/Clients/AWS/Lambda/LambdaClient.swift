import Foundation
import NIOHTTP1

/// Lambda operations (REST JSON, `/2015-03-31/functions`).
public struct LambdaClient: Sendable {
    public let client: AWSClient
    static let base = "/2015-03-31/functions"

    public init(_ client: AWSClient) { self.client = client }

    /// Creates a function from a zip package.
    ///
    /// A role created seconds earlier may not be assumable by Lambda yet (IAM is
    /// eventually consistent); that answer is retried every `rolePropagationPollInterval`
    /// seconds for up to `rolePropagationTimeout` seconds.
    @discardableResult
    public func createFunction(_ request: LambdaCreateFunctionRequest, rolePropagationTimeout: TimeInterval = 30,
                               rolePropagationPollInterval: TimeInterval = 2) async throws -> LambdaFunctionConfiguration {
        let start = Date()
        while true {
            do {
                return try await createFunctionOnce(request)
            } catch let error as AWSError where error.isRoleNotYetAssumable
                && Date().timeIntervalSince(start) + rolePropagationPollInterval <= rolePropagationTimeout {
                client.configuration.logger.debug("role \(request.role) not yet assumable by Lambda; retrying")
                try await Task.sleep(nanoseconds: UInt64(rolePropagationPollInterval * 1e9))
            }
        }
    }

    private func createFunctionOnce(_ request: LambdaCreateFunctionRequest) async throws -> LambdaFunctionConfiguration {
        var body: [String: Any] = [
            "FunctionName": request.functionName, "Runtime": request.runtime, "Role": request.role, "Handler": request.handler,
            "Code": ["ZipFile": request.zipFile.base64EncodedString()], "Publish": request.publish, "PackageType": "Zip",
        ]
        if let description = request.description { body["Description"] = description }
        if let timeout = request.timeout { body["Timeout"] = timeout }
        if let memorySize = request.memorySize { body["MemorySize"] = memorySize }
        if let architectures = request.architectures { body["Architectures"] = architectures }
        if !request.tags.isEmpty { body["Tags"] = request.tags }
        return try await call("CreateFunction", function: request.functionName, method: .POST, path: Self.base, json: body, mutating: true,
                              expect: 201, LambdaFunctionConfiguration.self)
    }

    /// Configuration, code location and tags; `qualifier` selects a version.
    public func getFunction(name: String, qualifier: String? = nil) async throws -> LambdaFunction {
        try await call("GetFunction", function: name, method: .GET, path: "\(Self.base)/\(URIEncoding.encode(name))",
                       query: qualifier.map { [("Qualifier", $0)] } ?? [], LambdaFunction.self)
    }

    /// The function, or nil when it does not exist.
    public func functionIfPresent(name: String) async throws -> LambdaFunction? {
        do {
            return try await getFunction(name: name)
        } catch let error as AWSError where error.isNotFound {
            return nil
        }
    }

    public func getFunctionConfiguration(name: String, qualifier: String? = nil) async throws -> LambdaFunctionConfiguration {
        try await call("GetFunctionConfiguration", function: name, method: .GET, path: "\(Self.base)/\(URIEncoding.encode(name))/configuration",
                       query: qualifier.map { [("Qualifier", $0)] } ?? [], LambdaFunctionConfiguration.self)
    }

    /// Replaces `$LATEST`'s code with a new zip.
    @discardableResult
    public func updateFunctionCode(name: String, zipFile: Data, publish: Bool = false, revisionId: String? = nil) async throws -> LambdaFunctionConfiguration {
        var body: [String: Any] = ["ZipFile": zipFile.base64EncodedString(), "Publish": publish]
        if let revisionId { body["RevisionId"] = revisionId }
        return try await call("UpdateFunctionCode", function: name, method: .PUT, path: "\(Self.base)/\(URIEncoding.encode(name))/code",
                              json: body, mutating: true, LambdaFunctionConfiguration.self)
    }

    @discardableResult
    public func updateFunctionConfiguration(name: String, _ update: LambdaFunctionConfigurationUpdate) async throws -> LambdaFunctionConfiguration {
        var body: [String: Any] = [:]
        if let runtime = update.runtime { body["Runtime"] = runtime }
        if let role = update.role { body["Role"] = role }
        if let handler = update.handler { body["Handler"] = handler }
        if let description = update.description { body["Description"] = description }
        if let timeout = update.timeout { body["Timeout"] = timeout }
        if let memorySize = update.memorySize { body["MemorySize"] = memorySize }
        if let revisionId = update.revisionId { body["RevisionId"] = revisionId }
        return try await call("UpdateFunctionConfiguration", function: name, method: .PUT, path: "\(Self.base)/\(URIEncoding.encode(name))/configuration",
                              json: body, mutating: true, LambdaFunctionConfiguration.self)
    }

    /// Publishes `$LATEST` as a numbered version. With `codeSha256`, Lambda refuses
    /// (PreconditionFailedException / InvalidParameterValueException) if the code changed meanwhile.
    @discardableResult
    public func publishVersion(name: String, codeSha256: String? = nil, description: String? = nil, revisionId: String? = nil) async throws -> LambdaFunctionConfiguration {
        var body: [String: Any] = [:]
        if let codeSha256 { body["CodeSha256"] = codeSha256 }
        if let description { body["Description"] = description }
        if let revisionId { body["RevisionId"] = revisionId }
        return try await call("PublishVersion", function: name, method: .POST, path: "\(Self.base)/\(URIEncoding.encode(name))/versions",
                              json: body, mutating: true, expect: 201, LambdaFunctionConfiguration.self)
    }

    /// Every version (including `$LATEST`), following all pages.
    public func listVersionsByFunction(name: String, pageSize: Int? = nil) async throws -> [LambdaFunctionConfiguration] {
        struct Page: Decodable {
            let Versions: [LambdaFunctionConfiguration]?
            let NextMarker: String?
        }
        var versions: [LambdaFunctionConfiguration] = []
        var marker: String?
        repeat {
            var query: [(String, String)] = []
            if let marker { query.append(("Marker", marker)) }
            if let pageSize { query.append(("MaxItems", String(pageSize))) }
            let page = try await call("ListVersionsByFunction", function: name, method: .GET, path: "\(Self.base)/\(URIEncoding.encode(name))/versions",
                                      query: query, Page.self)
            versions += page.Versions ?? []
            marker = nonEmpty(page.NextMarker)
        } while marker != nil
        return versions
    }

    /// Deletes the function (all versions), or only version `qualifier`.
    /// A function CloudFront still replicates fails with InvalidParameterValueException
    /// ("replicated function") until CloudFront has removed the replicas.
    public func deleteFunction(name: String, qualifier: String? = nil) async throws {
        _ = try await client.send(AWSHTTPRequest(
            service: .lambda, operation: "DeleteFunction", resource: Self.resource(name, qualifier), method: .DELETE,
            encodedPath: "\(Self.base)/\(URIEncoding.encode(name))", query: qualifier.map { [("Qualifier", $0)] } ?? [], isMutating: true
        ))
    }

    // MARK: Helpers

    static func resource(_ name: String, _ qualifier: String? = nil) -> String {
        "function \(name)" + (qualifier.map { " version \($0)" } ?? "")
    }

    private func call<T: Decodable>(_ operation: String, function: String, method: HTTPMethod, path: String, query: [(String, String)] = [],
                                    json: [String: Any]? = nil, mutating: Bool = false, expect: Int? = nil, _ type: T.Type) async throws -> T {
        var body = Data()
        var headers: [(String, String)] = []
        if let json {
            body = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
            headers.append(("Content-Type", "application/json"))
        }
        let response = try await client.send(AWSHTTPRequest(
            service: .lambda, operation: operation, resource: Self.resource(function), method: method,
            encodedPath: path, query: query, headers: headers, body: body, isMutating: mutating
        ))
        return try ResponseDecoding.json(T.self, from: response.body, service: .lambda, operation: operation)
    }
}
