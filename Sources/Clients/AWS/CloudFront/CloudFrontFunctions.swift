import Foundation
import NIOHTTP1

/// Which copy of a CloudFront Function: the one being edited, or the one CloudFront runs.
public enum CloudFrontFunctionStage: String, Sendable {
    case development = "DEVELOPMENT"
    case live = "LIVE"
}

/// A CloudFront Function as Create/Describe/Update/PublishFunction answer it.
public struct CloudFrontFunctionSummary: Sendable, Equatable {
    public var name: String
    public var arn: String
    /// UNPUBLISHED, UNASSOCIATED or DEPLOYED.
    public var status: String
    public var stage: String
    public var comment: String
    public var runtime: String
    public var keyValueStoreARNs: [String]
    public var lastModifiedTime: Date?
    /// The ETag to pass as If-Match to the next update, publish, test or delete.
    public var eTag: String?
}

/// What TestFunction reports.
public struct CloudFrontFunctionTestResult: Sendable, Equatable {
    /// The function's answer (a request or response object) as JSON text.
    public var output: String?
    public var errorMessage: String?
    public var logs: [String]
    public var computeUtilization: String?
}

/// A KeyValueStore as the CloudFront control plane describes it.
public struct KeyValueStoreSummary: Sendable, Equatable {
    public var name: String
    public var id: String
    public var arn: String
    public var comment: String
    /// PROVISIONING, READY or PROVISIONING_FAILED.
    public var status: String
    public var eTag: String?
}

/// One `<FunctionAssociation>` of a cache behavior (CloudFront Functions, not Lambda@Edge).
public struct FunctionAssociation: Sendable, Equatable {
    public var functionARN: String
    /// `viewer-request` or `viewer-response`.
    public var eventType: String

    public init(functionARN: String, eventType: String) {
        self.functionARN = functionARN
        self.eventType = eventType
    }
}

// MARK: CloudFront Functions and KeyValueStores (control plane, API 2020-05-31)

extension CloudFrontClient {
    public func createFunction(name: String, comment: String, runtime: String = "cloudfront-js-2.0", keyValueStoreARNs: [String] = [],
                               code: Data) async throws -> CloudFrontFunctionSummary {
        let body = functionRequest("CreateFunctionRequest", name: name, comment: comment, runtime: runtime, keyValueStoreARNs: keyValueStoreARNs, code: code)
        let response = try await send("CreateFunction", resource: "function \(name)", method: .POST, path: "\(Self.base)/function", body: body, mutating: true)
        return try parseFunction(response, operation: "CreateFunction")
    }

    public func describeFunction(name: String, stage: CloudFrontFunctionStage = .development) async throws -> CloudFrontFunctionSummary {
        let response = try await get("DescribeFunction", resource: "function \(name)",
                                     path: "\(Self.base)/function/\(URIEncoding.encode(name))/describe", query: [("Stage", stage.rawValue)])
        return try parseFunction(response, operation: "DescribeFunction")
    }

    /// The function, or nil when it does not exist (or has no such stage).
    public func functionIfPresent(name: String, stage: CloudFrontFunctionStage = .development) async throws -> CloudFrontFunctionSummary? {
        do {
            return try await describeFunction(name: name, stage: stage)
        } catch let error as AWSError where error.isNotFound || error.code == "NoSuchFunctionExists" {
            return nil
        }
    }

    /// The function's code and the stage's ETag.
    public func getFunction(name: String, stage: CloudFrontFunctionStage = .development) async throws -> (code: Data, eTag: String?) {
        let response = try await get("GetFunction", resource: "function \(name)",
                                     path: "\(Self.base)/function/\(URIEncoding.encode(name))", query: [("Stage", stage.rawValue)])
        return (response.body, response.header("ETag"))
    }

    public func updateFunction(name: String, ifMatch: String, comment: String, runtime: String = "cloudfront-js-2.0",
                               keyValueStoreARNs: [String] = [], code: Data) async throws -> CloudFrontFunctionSummary {
        let body = functionRequest("UpdateFunctionRequest", name: nil, comment: comment, runtime: runtime, keyValueStoreARNs: keyValueStoreARNs, code: code)
        let response = try await send("UpdateFunction", resource: "function \(name)", method: .PUT, path: "\(Self.base)/function/\(URIEncoding.encode(name))",
                                      headers: [("If-Match", ifMatch)], body: body, mutating: true)
        return try parseFunction(response, operation: "UpdateFunction")
    }

    /// Copies DEVELOPMENT to LIVE (what distributions run).
    public func publishFunction(name: String, ifMatch: String) async throws -> CloudFrontFunctionSummary {
        let response = try await send("PublishFunction", resource: "function \(name)", method: .POST,
                                      path: "\(Self.base)/function/\(URIEncoding.encode(name))/publish", headers: [("If-Match", ifMatch)], mutating: true)
        return try parseFunction(response, operation: "PublishFunction")
    }

    /// Runs the function on `event` (a CloudFront Functions event object as JSON).
    public func testFunction(name: String, ifMatch: String, stage: CloudFrontFunctionStage = .development, event: Data) async throws -> CloudFrontFunctionTestResult {
        let body = XMLTreeNode(name: "TestFunctionRequest", attributes: [.init(name: "xmlns", value: Self.namespace)], children: [
            .element(XMLTreeNode(name: "Stage", text: stage.rawValue)),
            .element(XMLTreeNode(name: "EventObject", text: event.base64EncodedString())),
        ]).xmlData()
        let response = try await send("TestFunction", resource: "function \(name)", method: .POST,
                                      path: "\(Self.base)/function/\(URIEncoding.encode(name))/test", headers: [("If-Match", ifMatch)], body: body)
        let result = try root(response.body, operation: "TestFunction")
        return CloudFrontFunctionTestResult(
            output: result.optionalText("FunctionOutput"), errorMessage: result.optionalText("FunctionErrorMessage"),
            logs: (result.child("FunctionExecutionLogs")?.elements ?? []).map(\.text), computeUtilization: result.optionalText("ComputeUtilization"))
    }

    /// Deletes a function no distribution uses (409 FunctionInUse otherwise).
    public func deleteFunction(name: String, ifMatch: String) async throws {
        _ = try await send("DeleteFunction", resource: "function \(name)", method: .DELETE,
                           path: "\(Self.base)/function/\(URIEncoding.encode(name))", headers: [("If-Match", ifMatch)], mutating: true)
    }

    /// Every function (of one stage, when given), following all pages.
    public func listFunctions(stage: CloudFrontFunctionStage? = nil) async throws -> [CloudFrontFunctionSummary] {
        var result: [CloudFrontFunctionSummary] = []
        var marker: String?
        repeat {
            var query: [(String, String)] = []
            if let stage { query.append(("Stage", stage.rawValue)) }
            if let marker { query.append(("Marker", marker)) }
            let response = try await get("ListFunctions", resource: "functions", path: "\(Self.base)/function", query: query)
            let list = try root(response.body, operation: "ListFunctions")
            for item in list.child("Items")?.elements ?? [] { result.append(try functionSummary(item, eTag: nil, operation: "ListFunctions")) }
            marker = nonEmpty(list.optionalText("NextMarker"))
        } while marker != nil
        return result
    }

    public func createKeyValueStore(name: String, comment: String = "") async throws -> KeyValueStoreSummary {
        let body = XMLTreeNode(name: "CreateKeyValueStoreRequest", attributes: [.init(name: "xmlns", value: Self.namespace)], children: [
            .element(XMLTreeNode(name: "Name", text: name)), .element(XMLTreeNode(name: "Comment", text: comment)),
        ]).xmlData()
        let response = try await send("CreateKeyValueStore", resource: "key value store \(name)", method: .POST,
                                      path: "\(Self.base)/key-value-store", body: body, mutating: true)
        return try keyValueStore(try root(response.body, operation: "CreateKeyValueStore"), eTag: response.header("ETag"), operation: "CreateKeyValueStore")
    }

    public func describeKeyValueStore(name: String) async throws -> KeyValueStoreSummary {
        let response = try await send("DescribeKeyValueStore", resource: "key value store \(name)", method: .GET,
                                      path: "\(Self.base)/key-value-store/\(URIEncoding.encode(name))")
        return try keyValueStore(try root(response.body, operation: "DescribeKeyValueStore"), eTag: response.header("ETag"), operation: "DescribeKeyValueStore")
    }

    /// The store, or nil when it does not exist.
    public func keyValueStoreIfPresent(name: String) async throws -> KeyValueStoreSummary? {
        do {
            return try await describeKeyValueStore(name: name)
        } catch let error as AWSError where error.isNotFound || error.code == "EntityNotFound" {
            return nil
        }
    }

    public func listKeyValueStores() async throws -> [KeyValueStoreSummary] {
        var result: [KeyValueStoreSummary] = []
        var marker: String?
        repeat {
            let response = try await get("ListKeyValueStores", resource: "key value stores", path: "\(Self.base)/key-value-store",
                                         query: marker.map { [("Marker", $0)] } ?? [])
            let list = try root(response.body, operation: "ListKeyValueStores")
            for item in list.child("Items")?.elements ?? [] { result.append(try keyValueStore(item, eTag: nil, operation: "ListKeyValueStores")) }
            marker = nonEmpty(list.optionalText("NextMarker"))
        } while marker != nil
        return result
    }

    /// Deletes a store no function uses (409 CannotDeleteEntityWhileInUse otherwise).
    public func deleteKeyValueStore(name: String, ifMatch: String) async throws {
        _ = try await send("DeleteKeyValueStore", resource: "key value store \(name)", method: .DELETE,
                           path: "\(Self.base)/key-value-store/\(URIEncoding.encode(name))", headers: [("If-Match", ifMatch)], mutating: true)
    }

    // MARK: Shapes

    /// A read with its query signed as a query (not folded into the path).
    private func get(_ operation: String, resource: String, path: String, query: [(String, String)]) async throws -> AWSHTTPResponse {
        try await client.send(AWSHTTPRequest(service: .cloudFront, operation: operation, resource: resource, method: .GET,
                                             encodedPath: path, query: query, isMutating: false))
    }

    private func functionRequest(_ element: String, name: String?, comment: String, runtime: String, keyValueStoreARNs: [String], code: Data) -> Data {
        var config: [XMLTreeNode.Child] = [.element(XMLTreeNode(name: "Comment", text: comment)), .element(XMLTreeNode(name: "Runtime", text: runtime))]
        if !keyValueStoreARNs.isEmpty {
            config.append(.element(XMLTreeNode(name: "KeyValueStoreAssociations", children: [
                .element(XMLTreeNode(name: "Quantity", text: String(keyValueStoreARNs.count))),
                .element(XMLTreeNode(name: "Items", children: keyValueStoreARNs.map {
                    .element(XMLTreeNode(name: "KeyValueStoreAssociation", children: [.element(XMLTreeNode(name: "KeyValueStoreARN", text: $0))]))
                })),
            ])))
        }
        var children: [XMLTreeNode.Child] = []
        if let name { children.append(.element(XMLTreeNode(name: "Name", text: name))) }
        children.append(.element(XMLTreeNode(name: "FunctionConfig", children: config)))
        children.append(.element(XMLTreeNode(name: "FunctionCode", text: code.base64EncodedString())))
        return XMLTreeNode(name: element, attributes: [.init(name: "xmlns", value: Self.namespace)], children: children).xmlData()
    }

    private func parseFunction(_ response: AWSHTTPResponse, operation: String) throws -> CloudFrontFunctionSummary {
        // UpdateFunction's model names its header "ETtag"; AWS sends ETag.
        try functionSummary(try root(response.body, operation: operation), eTag: response.header("ETag") ?? response.header("ETtag"), operation: operation)
    }

    private func functionSummary(_ node: XMLTreeNode, eTag: String?, operation: String) throws -> CloudFrontFunctionSummary {
        let config = node.child("FunctionConfig")
        let metadata = node.child("FunctionMetadata")
        return CloudFrontFunctionSummary(
            name: try node.requiredText("Name", service: .cloudFront, operation: operation, context: "FunctionSummary"),
            arn: metadata?.optionalText("FunctionARN") ?? "",
            status: node.optionalText("Status") ?? "",
            stage: metadata?.optionalText("Stage") ?? "",
            comment: config?.optionalText("Comment") ?? "",
            runtime: config?.optionalText("Runtime") ?? "",
            keyValueStoreARNs: (config?.child(path: ["KeyValueStoreAssociations", "Items"])?.elements ?? []).compactMap { $0.optionalText("KeyValueStoreARN") },
            lastModifiedTime: metadata?.optionalText("LastModifiedTime").flatMap(AWSTimestamp.parse),
            eTag: eTag)
    }

    private func keyValueStore(_ node: XMLTreeNode, eTag: String?, operation: String) throws -> KeyValueStoreSummary {
        KeyValueStoreSummary(
            name: try node.requiredText("Name", service: .cloudFront, operation: operation, context: "KeyValueStore"),
            id: node.optionalText("Id") ?? "",
            arn: try node.requiredText("ARN", service: .cloudFront, operation: operation, context: "KeyValueStore"),
            comment: node.optionalText("Comment") ?? "", status: node.optionalText("Status") ?? "", eTag: eTag)
    }
}

// MARK: Function associations of a cache behavior

extension DistributionConfig {
    /// The CloudFront Functions associated with the default behavior, or the behavior with `pathPattern`.
    public func functionAssociations(pathPattern: String? = nil) -> [FunctionAssociation] {
        guard let behavior = behavior(pathPattern: pathPattern) else { return [] }
        return (behavior.child(path: ["FunctionAssociations", "Items"])?.elements ?? []).compactMap { element in
            guard let arn = element.optionalText("FunctionARN"), let event = element.optionalText("EventType") else { return nil }
            return FunctionAssociation(functionARN: arn, eventType: event)
        }
    }

    /// Sets (or with nil removes) the function of one event type on a behavior, leaving every other element untouched.
    public mutating func setFunctionAssociation(_ arn: String?, eventType: String, pathPattern: String? = nil) throws {
        var associations = functionAssociations(pathPattern: pathPattern).filter { $0.eventType != eventType }
        if let arn { associations.append(FunctionAssociation(functionARN: arn, eventType: eventType)) }
        var items: [XMLTreeNode.Child] = [.element(XMLTreeNode(name: "Quantity", text: String(associations.count)))]
        if !associations.isEmpty {
            items.append(.element(XMLTreeNode(name: "Items", children: associations.map { association in
                .element(XMLTreeNode(name: "FunctionAssociation", children: [
                    .element(XMLTreeNode(name: "FunctionARN", text: association.functionARN)),
                    .element(XMLTreeNode(name: "EventType", text: association.eventType)),
                ]))
            })))
        }
        let element = XMLTreeNode(name: "FunctionAssociations", children: items)
        // Schema order of a cache behavior: the function associations come before these.
        let after = ["FieldLevelEncryptionId", "RealtimeLogConfigArn", "CachePolicyId", "OriginRequestPolicyId",
                     "ResponseHeadersPolicyId", "GrpcConfig", "ForwardedValues", "MinTTL", "DefaultTTL", "MaxTTL"]
        try modifyBehavior(pathPattern: pathPattern) { $0.setChild(element, insertBefore: after) }
    }
}
