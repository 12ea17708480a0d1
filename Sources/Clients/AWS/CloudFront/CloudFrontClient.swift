import Foundation
import NIOHTTP1

/// CloudFront operations (REST XML, API 2020-05-31; global, signed for us-east-1).
public struct CloudFrontClient: Sendable {
    public let client: AWSClient
    static let base = "/2020-05-31"
    static let namespace = DistributionConfig.namespace

    public init(_ client: AWSClient) { self.client = client }

    // MARK: Distributions

    public func createDistribution(_ config: DistributionConfig) async throws -> Distribution {
        let response = try await send("CreateDistribution", resource: "distribution \(config.callerReference)", method: .POST,
                                      path: "\(Self.base)/distribution", body: config.xmlData(), mutating: true)
        return try parseDistribution(response, operation: "CreateDistribution")
    }

    public func getDistribution(id: String) async throws -> Distribution {
        let response = try await send("GetDistribution", resource: "distribution \(id)", method: .GET, path: "\(Self.base)/distribution/\(URIEncoding.encode(id))")
        return try parseDistribution(response, operation: "GetDistribution")
    }

    /// The distribution, or nil when it does not exist.
    public func distributionIfPresent(id: String) async throws -> Distribution? {
        do {
            return try await getDistribution(id: id)
        } catch let error as AWSError where error.isNotFound {
            return nil
        }
    }

    /// The configuration and the ETag to update it with.
    public func getDistributionConfig(id: String) async throws -> (config: DistributionConfig, eTag: String) {
        let response = try await send("GetDistributionConfig", resource: "distribution \(id)", method: .GET, path: "\(Self.base)/distribution/\(URIEncoding.encode(id))/config")
        guard let eTag = response.header("ETag") else {
            throw AWSError.decoding(service: .cloudFront, operation: "GetDistributionConfig", field: "ETag", detail: "the answer has no ETag header")
        }
        return (try parseConfig(response.body, operation: "GetDistributionConfig"), eTag)
    }

    /// Replaces the configuration; fails with 412 PreconditionFailed when `ifMatch` is stale.
    public func updateDistribution(id: String, config: DistributionConfig, ifMatch: String) async throws -> Distribution {
        let response = try await send("UpdateDistribution", resource: "distribution \(id)", method: .PUT,
                                      path: "\(Self.base)/distribution/\(URIEncoding.encode(id))/config",
                                      headers: [("If-Match", ifMatch)], body: config.xmlData(), mutating: true)
        return try parseDistribution(response, operation: "UpdateDistribution")
    }

    /// Reads the configuration, applies `change`, and writes it back with If-Match.
    ///
    /// When someone else updated the distribution in between (412), the configuration
    /// is read again and `change` re-applied, up to `maxAttempts` times. When `change`
    /// leaves the configuration as it was, nothing is sent and nil is returned.
    @discardableResult
    public func updateDistribution(id: String, maxAttempts: Int = 3, _ change: (inout DistributionConfig) throws -> Void) async throws -> Distribution? {
        var attempt = 0
        while true {
            attempt += 1
            let (current, eTag) = try await getDistributionConfig(id: id)
            var updated = current
            try change(&updated)
            if updated == current { return nil }
            do {
                return try await updateDistribution(id: id, config: updated, ifMatch: eTag)
            } catch let error as AWSError where error.code == "PreconditionFailed" && attempt < maxAttempts {
                client.configuration.logger.debug("distribution \(id) changed meanwhile; re-reading (attempt \(attempt))")
            }
        }
    }

    /// Deletes a disabled, deployed distribution.
    public func deleteDistribution(id: String, ifMatch: String) async throws {
        _ = try await send("DeleteDistribution", resource: "distribution \(id)", method: .DELETE,
                           path: "\(Self.base)/distribution/\(URIEncoding.encode(id))", headers: [("If-Match", ifMatch)], mutating: true)
    }

    /// Polls until the distribution's status is `Deployed`, reporting elapsed seconds and status.
    @discardableResult
    public func waitUntilDeployed(id: String, timeout: TimeInterval = 1800, pollInterval: TimeInterval = 20,
                                  progress: (@Sendable (TimeInterval, String) -> Void)? = nil) async throws -> Distribution {
        let start = Date()
        while true {
            let distribution = try await getDistribution(id: id)
            let waited = Date().timeIntervalSince(start)
            progress?(waited, distribution.status)
            if distribution.isDeployed { return distribution }
            if waited + pollInterval > timeout {
                throw AWSError.waiterTimeout(service: .cloudFront, what: "Deployed", resource: "distribution \(id)", waited: waited, lastState: distribution.status)
            }
            try await Task.sleep(nanoseconds: UInt64(pollInterval * 1e9))
        }
    }

    /// Every distribution in the account, following all pages.
    public func listDistributions() async throws -> [DistributionSummary] {
        var result: [DistributionSummary] = []
        var marker: String?
        repeat {
            let path = "\(Self.base)/distribution" + (marker.map { "?Marker=\(URIEncoding.encode($0))" } ?? "")
            let response = try await send("ListDistributions", resource: "distributions", method: .GET, path: path)
            let list = try root(response.body, operation: "ListDistributions")
            for item in list.child("Items")?.elements ?? [] {
                result.append(DistributionSummary(
                    id: try item.requiredText("Id", service: .cloudFront, operation: "ListDistributions", context: "DistributionSummary"),
                    arn: item.optionalText("ARN"), status: item.optionalText("Status") ?? "",
                    domainName: item.optionalText("DomainName") ?? "", comment: item.optionalText("Comment") ?? "",
                    enabled: item.optionalText("Enabled") == "true"))
            }
            marker = list.optionalText("IsTruncated") == "true" ? nonEmpty(list.optionalText("NextMarker")) : nil
        } while marker != nil
        return result
    }

    // MARK: Origin Access Control

    public func createOriginAccessControl(name: String, description: String = "", originType: String = "s3",
                                          signingBehavior: String = "always", signingProtocol: String = "sigv4") async throws -> OriginAccessControl {
        let body = XMLTreeNode(name: "OriginAccessControlConfig", attributes: [.init(name: "xmlns", value: Self.namespace)], children: [
            .element(XMLTreeNode(name: "Name", text: name)),
            .element(XMLTreeNode(name: "Description", text: description)),
            .element(XMLTreeNode(name: "SigningProtocol", text: signingProtocol)),
            .element(XMLTreeNode(name: "SigningBehavior", text: signingBehavior)),
            .element(XMLTreeNode(name: "OriginAccessControlOriginType", text: originType)),
        ]).xmlData()
        let response = try await send("CreateOriginAccessControl", resource: "origin access control \(name)", method: .POST,
                                      path: "\(Self.base)/origin-access-control", body: body, mutating: true)
        return try parseOAC(response, operation: "CreateOriginAccessControl")
    }

    public func getOriginAccessControl(id: String) async throws -> OriginAccessControl {
        let response = try await send("GetOriginAccessControl", resource: "origin access control \(id)", method: .GET,
                                      path: "\(Self.base)/origin-access-control/\(URIEncoding.encode(id))")
        return try parseOAC(response, operation: "GetOriginAccessControl")
    }

    /// Every Origin Access Control, following all pages (to adopt one by name).
    public func listOriginAccessControls() async throws -> [OriginAccessControlSummary] {
        var result: [OriginAccessControlSummary] = []
        var marker: String?
        repeat {
            let path = "\(Self.base)/origin-access-control" + (marker.map { "?Marker=\(URIEncoding.encode($0))" } ?? "")
            let response = try await send("ListOriginAccessControls", resource: "origin access controls", method: .GET, path: path)
            let list = try root(response.body, operation: "ListOriginAccessControls")
            for item in list.child("Items")?.elements ?? [] {
                result.append(OriginAccessControlSummary(
                    id: try item.requiredText("Id", service: .cloudFront, operation: "ListOriginAccessControls", context: "OriginAccessControlSummary"),
                    name: item.optionalText("Name") ?? ""))
            }
            marker = list.optionalText("IsTruncated") == "true" ? nonEmpty(list.optionalText("NextMarker")) : nil
        } while marker != nil
        return result
    }

    public func deleteOriginAccessControl(id: String, ifMatch: String) async throws {
        _ = try await send("DeleteOriginAccessControl", resource: "origin access control \(id)", method: .DELETE,
                           path: "\(Self.base)/origin-access-control/\(URIEncoding.encode(id))", headers: [("If-Match", ifMatch)], mutating: true)
    }

    // MARK: Invalidations

    public func createInvalidation(distributionId: String, paths: [String], callerReference: String = UUID().uuidString) async throws -> Invalidation {
        let body = XMLTreeNode(name: "InvalidationBatch", attributes: [.init(name: "xmlns", value: Self.namespace)], children: [
            .element(XMLTreeNode(name: "Paths", children: [
                .element(XMLTreeNode(name: "Quantity", text: String(paths.count))),
                .element(XMLTreeNode(name: "Items", children: paths.map { .element(XMLTreeNode(name: "Path", text: $0)) })),
            ])),
            .element(XMLTreeNode(name: "CallerReference", text: callerReference)),
        ]).xmlData()
        let response = try await send("CreateInvalidation", resource: "distribution \(distributionId)", method: .POST,
                                      path: "\(Self.base)/distribution/\(URIEncoding.encode(distributionId))/invalidation", body: body, mutating: true)
        return try parseInvalidation(response, operation: "CreateInvalidation")
    }

    public func getInvalidation(distributionId: String, id: String) async throws -> Invalidation {
        let response = try await send("GetInvalidation", resource: "invalidation \(id) of distribution \(distributionId)", method: .GET,
                                      path: "\(Self.base)/distribution/\(URIEncoding.encode(distributionId))/invalidation/\(URIEncoding.encode(id))")
        return try parseInvalidation(response, operation: "GetInvalidation")
    }

    // MARK: Helpers

    func send(_ operation: String, resource: String, method: HTTPMethod, path: String, headers: [(String, String)] = [],
                      body: Data = Data(), mutating: Bool = false) async throws -> AWSHTTPResponse {
        var headers = headers
        if !body.isEmpty { headers.append(("Content-Type", "application/xml")) }
        return try await client.send(AWSHTTPRequest(service: .cloudFront, operation: operation, resource: resource, method: method,
                                                    encodedPath: path, headers: headers, body: body, isMutating: mutating))
    }

    func root(_ data: Data, operation: String) throws -> XMLTreeNode {
        do {
            return try XMLTreeNode(parsing: data)
        } catch {
            throw AWSError.decoding(service: .cloudFront, operation: operation, field: "(document)", detail: "\(error)")
        }
    }

    private func parseConfig(_ data: Data, operation: String) throws -> DistributionConfig {
        try DistributionConfig(xml: root(data, operation: operation))
    }

    private func parseDistribution(_ response: AWSHTTPResponse, operation: String) throws -> Distribution {
        let node = try root(response.body, operation: operation)
        guard let configNode = node.child("DistributionConfig") else {
            throw AWSError.decoding(service: .cloudFront, operation: operation, field: "Distribution.DistributionConfig", detail: "required field is missing")
        }
        return Distribution(
            id: try node.requiredText("Id", service: .cloudFront, operation: operation),
            arn: node.optionalText("ARN"),
            status: try node.requiredText("Status", service: .cloudFront, operation: operation),
            domainName: try node.requiredText("DomainName", service: .cloudFront, operation: operation),
            lastModifiedTime: node.optionalText("LastModifiedTime").flatMap(AWSTimestamp.parse),
            inProgressInvalidationBatches: Int(node.optionalText("InProgressInvalidationBatches") ?? "") ?? 0,
            eTag: response.header("ETag"),
            config: try DistributionConfig(xml: configNode)
        )
    }

    private func parseOAC(_ response: AWSHTTPResponse, operation: String) throws -> OriginAccessControl {
        let node = try root(response.body, operation: operation)
        guard let config = node.child("OriginAccessControlConfig") else {
            throw AWSError.decoding(service: .cloudFront, operation: operation, field: "OriginAccessControl.OriginAccessControlConfig", detail: "required field is missing")
        }
        return OriginAccessControl(
            id: try node.requiredText("Id", service: .cloudFront, operation: operation),
            name: try config.requiredText("Name", service: .cloudFront, operation: operation, context: "OriginAccessControl.OriginAccessControlConfig"),
            description: config.optionalText("Description") ?? "",
            signingProtocol: config.optionalText("SigningProtocol") ?? "",
            signingBehavior: config.optionalText("SigningBehavior") ?? "",
            originType: config.optionalText("OriginAccessControlOriginType") ?? "",
            eTag: response.header("ETag")
        )
    }

    private func parseInvalidation(_ response: AWSHTTPResponse, operation: String) throws -> Invalidation {
        let node = try root(response.body, operation: operation)
        let batch = node.child("InvalidationBatch")
        return Invalidation(
            id: try node.requiredText("Id", service: .cloudFront, operation: operation),
            status: try node.requiredText("Status", service: .cloudFront, operation: operation),
            createTime: node.optionalText("CreateTime").flatMap(AWSTimestamp.parse),
            paths: (batch?.child(path: ["Paths", "Items"])?.elements ?? []).map(\.text),
            callerReference: batch?.optionalText("CallerReference")
        )
    }
}
