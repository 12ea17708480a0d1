import Foundation

/// A distribution as returned by Create/Get/UpdateDistribution.
public struct Distribution: Sendable, Equatable {
    public var id: String
    public var arn: String?
    /// "InProgress" or "Deployed".
    public var status: String
    public var domainName: String
    public var lastModifiedTime: Date?
    public var inProgressInvalidationBatches: Int
    /// The ETag to pass as If-Match to the next update or delete.
    public var eTag: String?
    public var config: DistributionConfig

    public var isDeployed: Bool { status == "Deployed" }
}

/// An Origin Access Control (S3 origin signing).
public struct OriginAccessControl: Sendable, Equatable {
    public var id: String
    public var name: String
    public var description: String
    public var signingProtocol: String
    public var signingBehavior: String
    public var originType: String
    public var eTag: String?
}

/// An invalidation batch.
public struct Invalidation: Sendable, Equatable {
    public var id: String
    /// "InProgress" or "Completed".
    public var status: String
    public var createTime: Date?
    public var paths: [String]
    public var callerReference: String?
}

/// One entry of ListDistributions.
public struct DistributionSummary: Sendable, Equatable {
    public var id: String
    public var arn: String?
    public var status: String
    public var domainName: String
    public var comment: String
    public var enabled: Bool
}

/// One entry of ListOriginAccessControls.
public struct OriginAccessControlSummary: Sendable, Equatable {
    public var id: String
    public var name: String
}
