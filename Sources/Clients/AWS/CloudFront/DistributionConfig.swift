import Foundation

/// When a Lambda@Edge function runs.
public enum CloudFrontEventType: String, Sendable, CaseIterable {
    case viewerRequest = "viewer-request"
    case viewerResponse = "viewer-response"
    case originRequest = "origin-request"
    case originResponse = "origin-response"
}

/// One `<LambdaFunctionAssociation>` of a cache behavior.
public struct LambdaFunctionAssociation: Sendable, Equatable {
    /// A numbered version ARN (`arn:aws:lambda:us-east-1:123456789012:function:NAME:7`).
    public var lambdaFunctionARN: String
    public var eventType: CloudFrontEventType
    public var includeBody: Bool

    public init(lambdaFunctionARN: String, eventType: CloudFrontEventType, includeBody: Bool = false) {
        self.lambdaFunctionARN = lambdaFunctionARN
        self.eventType = eventType
        self.includeBody = includeBody
    }
}

/// A CloudFront `DistributionConfig` kept as its XML tree.
///
/// UpdateDistribution replaces the whole configuration, so anything ldedge does
/// not model (origins' custom headers, geo restrictions, certificates, fields
/// added by AWS next year) must be sent back exactly as read. This type keeps the
/// document and edits only the elements its mutators touch.
public struct DistributionConfig: Sendable, Equatable {
    public static let namespace = "http://cloudfront.amazonaws.com/doc/2020-05-31/"

    /// The `<DistributionConfig>` element.
    public private(set) var xml: XMLTreeNode

    public init(xml: XMLTreeNode) throws {
        guard xml.name == "DistributionConfig" else {
            throw AWSError.decoding(service: .cloudFront, operation: "DistributionConfig", field: xml.name, detail: "expected a <DistributionConfig> element")
        }
        var xml = xml
        if xml.attribute("xmlns") == nil {
            xml.attributes.insert(.init(name: "xmlns", value: Self.namespace), at: 0)
        }
        self.xml = xml
    }

    public init(xmlData: Data) throws {
        try self.init(xml: XMLTreeNode(parsing: xmlData))
    }

    /// The document to send in CreateDistribution / UpdateDistribution.
    public func xmlData() -> Data { xml.xmlData() }

    // MARK: Typed views

    public var callerReference: String { xml.optionalText("CallerReference") ?? "" }

    public var comment: String {
        get { xml.optionalText("Comment") ?? "" }
        set { xml.setChildText("Comment", newValue, insertBefore: ["Logging", "PriceClass", "Enabled", "ViewerCertificate", "Restrictions", "WebACLId", "HttpVersion", "IsIPV6Enabled"]) }
    }

    public var enabled: Bool {
        get { xml.optionalText("Enabled") == "true" }
        set { xml.setChildText("Enabled", newValue ? "true" : "false", insertBefore: ["ViewerCertificate", "Restrictions", "WebACLId", "HttpVersion", "IsIPV6Enabled"]) }
    }

    public var defaultRootObject: String? { xml.optionalText("DefaultRootObject") }

    /// `(Id, DomainName, OriginAccessControlId)` of each origin.
    public var origins: [(id: String, domainName: String, originAccessControlId: String?)] {
        (xml.child(path: ["Origins", "Items"])?.elements ?? []).filter { $0.name == "Origin" }.map {
            ($0.optionalText("Id") ?? "", $0.optionalText("DomainName") ?? "", nonEmpty($0.optionalText("OriginAccessControlId")))
        }
    }

    /// Path patterns of the extra cache behaviors, in order.
    public var cacheBehaviorPathPatterns: [String] {
        (xml.child(path: ["CacheBehaviors", "Items"])?.elements ?? []).compactMap { $0.optionalText("PathPattern") }
    }

    /// The Lambda@Edge associations of the default behavior, or of the behavior with `pathPattern`.
    public func lambdaFunctionAssociations(pathPattern: String? = nil) -> [LambdaFunctionAssociation] {
        guard let behavior = behavior(pathPattern: pathPattern) else { return [] }
        return (behavior.child(path: ["LambdaFunctionAssociations", "Items"])?.elements ?? []).compactMap { element in
            guard let arn = element.optionalText("LambdaFunctionARN"),
                  let event = element.optionalText("EventType").flatMap(CloudFrontEventType.init(rawValue:)) else { return nil }
            return LambdaFunctionAssociation(lambdaFunctionARN: arn, eventType: event, includeBody: element.optionalText("IncludeBody") == "true")
        }
    }

    /// Replaces the associations of one behavior, leaving every other element untouched.
    public mutating func setLambdaFunctionAssociations(_ associations: [LambdaFunctionAssociation], pathPattern: String? = nil) throws {
        var items: [XMLTreeNode.Child] = [.element(XMLTreeNode(name: "Quantity", text: String(associations.count)))]
        if !associations.isEmpty {
            items.append(.element(XMLTreeNode(name: "Items", children: associations.map { association in
                .element(XMLTreeNode(name: "LambdaFunctionAssociation", children: [
                    .element(XMLTreeNode(name: "LambdaFunctionARN", text: association.lambdaFunctionARN)),
                    .element(XMLTreeNode(name: "EventType", text: association.eventType.rawValue)),
                    .element(XMLTreeNode(name: "IncludeBody", text: association.includeBody ? "true" : "false")),
                ]))
            })))
        }
        let element = XMLTreeNode(name: "LambdaFunctionAssociations", children: items)
        // Schema order of a cache behavior: the associations come before these.
        let after = ["FunctionAssociations", "FieldLevelEncryptionId", "RealtimeLogConfigArn", "CachePolicyId", "OriginRequestPolicyId",
                     "ResponseHeadersPolicyId", "GrpcConfig", "ForwardedValues", "MinTTL", "DefaultTTL", "MaxTTL"]
        try modifyBehavior(pathPattern: pathPattern) { $0.setChild(element, insertBefore: after) }
    }

    /// Points an origin at an Origin Access Control (S3 origins served privately).
    public mutating func setOriginAccessControlId(_ id: String, originId: String) throws {
        var found = false
        xml.modifyChild("Origins") { origins in
            origins.modifyChild("Items") { items in
                for index in items.children.indices {
                    if case var .element(origin) = items.children[index], origin.optionalText("Id") == originId {
                        origin.setChildText("OriginAccessControlId", id, insertBefore: ["VpcOriginConfig"])
                        items.children[index] = .element(origin)
                        found = true
                    }
                }
            }
        }
        if !found {
            throw AWSError.invalidRequest(service: .cloudFront, operation: "UpdateDistribution", reason: "the distribution has no origin with Id \(originId)")
        }
    }

    func behavior(pathPattern: String?) -> XMLTreeNode? {
        guard let pathPattern else { return xml.child("DefaultCacheBehavior") }
        return xml.child(path: ["CacheBehaviors", "Items"])?.elements.first { $0.optionalText("PathPattern") == pathPattern }
    }

    mutating func modifyBehavior(pathPattern: String?, _ body: (inout XMLTreeNode) -> Void) throws {
        guard let pathPattern else {
            guard xml.modifyChild("DefaultCacheBehavior", body) else {
                throw AWSError.invalidRequest(service: .cloudFront, operation: "UpdateDistribution", reason: "the distribution config has no DefaultCacheBehavior")
            }
            return
        }
        var found = false
        xml.modifyChild("CacheBehaviors") { behaviors in
            behaviors.modifyChild("Items") { items in
                for index in items.children.indices {
                    if case var .element(behavior) = items.children[index], behavior.optionalText("PathPattern") == pathPattern {
                        body(&behavior)
                        items.children[index] = .element(behavior)
                        found = true
                    }
                }
            }
        }
        if !found {
            throw AWSError.invalidRequest(service: .cloudFront, operation: "UpdateDistribution", reason: "the distribution has no cache behavior for path pattern \(pathPattern)")
        }
    }
}

extension DistributionConfig {
    /// The managed "CachingOptimized" cache policy.
    public static let cachingOptimizedPolicyId = "658327ea-f89d-4fab-a63d-7e88639e58f6"

    /// A distribution in front of a private S3 bucket reached through an Origin Access Control.
    public static func s3Origin(
        callerReference: String, comment: String, bucketDomainName: String, originId: String? = nil,
        originAccessControlId: String?, defaultRootObject: String? = "index.html", priceClass: String = "PriceClass_100",
        enabled: Bool = true, associations: [LambdaFunctionAssociation] = []
    ) throws -> DistributionConfig {
        func t(_ name: String, _ value: String) -> XMLTreeNode.Child { .element(XMLTreeNode(name: name, text: value)) }
        func e(_ name: String, _ children: [XMLTreeNode.Child]) -> XMLTreeNode.Child { .element(XMLTreeNode(name: name, children: children)) }
        let originId = originId ?? "s3-\(bucketDomainName)"
        var origin: [XMLTreeNode.Child] = [
            t("Id", originId), t("DomainName", bucketDomainName), t("OriginPath", ""),
            e("CustomHeaders", [t("Quantity", "0")]),
            e("S3OriginConfig", [t("OriginAccessIdentity", "")]),
            t("ConnectionAttempts", "3"), t("ConnectionTimeout", "10"),
        ]
        if let originAccessControlId { origin.append(t("OriginAccessControlId", originAccessControlId)) }
        let methods: [XMLTreeNode.Child] = [t("Quantity", "2"), e("Items", [t("Method", "HEAD"), t("Method", "GET")])]
        var children: [XMLTreeNode.Child] = [t("CallerReference", callerReference), e("Aliases", [t("Quantity", "0")])]
        if let defaultRootObject { children.append(t("DefaultRootObject", defaultRootObject)) }
        children += [
            e("Origins", [t("Quantity", "1"), e("Items", [e("Origin", origin)])]),
            e("DefaultCacheBehavior", [
                t("TargetOriginId", originId),
                e("TrustedSigners", [t("Enabled", "false"), t("Quantity", "0")]),
                e("TrustedKeyGroups", [t("Enabled", "false"), t("Quantity", "0")]),
                t("ViewerProtocolPolicy", "redirect-to-https"),
                e("AllowedMethods", methods + [e("CachedMethods", methods)]),
                t("SmoothStreaming", "false"), t("Compress", "true"),
                e("LambdaFunctionAssociations", [t("Quantity", "0")]),
                e("FunctionAssociations", [t("Quantity", "0")]),
                t("FieldLevelEncryptionId", ""),
                t("CachePolicyId", cachingOptimizedPolicyId),
            ]),
            e("CacheBehaviors", [t("Quantity", "0")]),
            e("CustomErrorResponses", [t("Quantity", "0")]),
            t("Comment", comment),
            t("PriceClass", priceClass),
            t("Enabled", enabled ? "true" : "false"),
            e("ViewerCertificate", [t("CloudFrontDefaultCertificate", "true")]),
            e("Restrictions", [e("GeoRestriction", [t("RestrictionType", "none"), t("Quantity", "0")])]),
            t("HttpVersion", "http2"),
            t("IsIPV6Enabled", "true"),
        ]
        var config = try DistributionConfig(xml: XMLTreeNode(name: "DistributionConfig", attributes: [.init(name: "xmlns", value: namespace)], children: children))
        if !associations.isEmpty { try config.setLambdaFunctionAssociations(associations) }
        return config
    }
}
