import Foundation

/// The AWS services ldedge talks to, with their signing names and default endpoints.
public enum AWSService: String, Sendable, CaseIterable, Hashable {
    case s3
    case iam
    case lambda
    case cloudFront = "cloudfront"
    case sts
    case ec2
    case dynamoDB = "dynamodb"
    case secretsManager = "secretsmanager"
    case ecs
    case logs
    case cloudWatch = "monitoring"
    /// Systems Manager (Parameter Store), used by steps outside ldedge (Examples/custom-step).
    case ssm
    /// The CloudFront KeyValueStore data plane (keys and values); signed with SigV4A only.
    case cloudFrontKeyValueStore = "cloudfront-keyvaluestore"
    /// EventBridge (schedules for the edge-function reconciler).
    case events

    /// The name used in the SigV4 credential scope.
    public var signingName: String { rawValue }

    /// The suffix of `AWS_ENDPOINT_URL_<SERVICE>` (the service id, upper-cased, spaces as underscores).
    public var endpointEnvironmentSuffix: String {
        switch self {
        case .s3: return "S3"
        case .iam: return "IAM"
        case .lambda: return "LAMBDA"
        case .cloudFront: return "CLOUDFRONT"
        case .sts: return "STS"
        case .ec2: return "EC2"
        case .dynamoDB: return "DYNAMODB"
        case .secretsManager: return "SECRETS_MANAGER"
        case .ecs: return "ECS"
        case .logs: return "CLOUDWATCH_LOGS"
        case .cloudWatch: return "CLOUDWATCH"
        case .ssm: return "SSM"
        case .cloudFrontKeyValueStore: return "CLOUDFRONT_KEYVALUESTORE"
        case .events: return "EVENTBRIDGE"
        }
    }

    public var displayName: String {
        switch self {
        case .s3: return "S3"
        case .iam: return "IAM"
        case .lambda: return "Lambda"
        case .cloudFront: return "CloudFront"
        case .sts: return "STS"
        case .ec2: return "EC2"
        case .dynamoDB: return "DynamoDB"
        case .secretsManager: return "Secrets Manager"
        case .ecs: return "ECS"
        case .logs: return "CloudWatch Logs"
        case .cloudWatch: return "CloudWatch"
        case .ssm: return "SSM"
        case .cloudFrontKeyValueStore: return "CloudFront KeyValueStore"
        case .events: return "EventBridge"
        }
    }

    /// Services whose errors are JSON (`__type`, `message`) rather than XML.
    public var answersInJSON: Bool { self == .lambda || self == .dynamoDB || self == .secretsManager || self == .ecs || self == .logs || self == .ssm || self == .cloudFrontKeyValueStore || self == .events }

    /// Global services are signed for us-east-1 whatever the configured region.
    public var isGlobal: Bool { self == .iam || self == .cloudFront }

    /// Signed with SigV4A (ECDSA P-256, region set `*`) instead of SigV4.
    public var signsWithSigV4A: Bool { self == .cloudFrontKeyValueStore }

    public func signingRegion(for region: String) -> String { isGlobal ? "us-east-1" : region }

    /// The public AWS endpoint for `region`.
    public func defaultEndpoint(region: String) -> URL? {
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        switch self {
        case .s3: return URL(string: "https://s3.\(region).\(suffix)")
        case .iam: return URL(string: "https://iam.amazonaws.com")
        case .cloudFront: return URL(string: "https://cloudfront.amazonaws.com")
        case .lambda: return URL(string: "https://lambda.\(region).\(suffix)")
        case .sts: return URL(string: "https://sts.\(region).\(suffix)")
        case .ec2: return URL(string: "https://ec2.\(region).\(suffix)")
        case .dynamoDB: return URL(string: "https://dynamodb.\(region).\(suffix)")
        case .secretsManager: return URL(string: "https://secretsmanager.\(region).\(suffix)")
        case .ecs: return URL(string: "https://ecs.\(region).\(suffix)")
        case .logs: return URL(string: "https://logs.\(region).\(suffix)")
        case .cloudWatch: return URL(string: "https://monitoring.\(region).\(suffix)")
        case .ssm: return URL(string: "https://ssm.\(region).\(suffix)")
        // Global; each request goes to `{account}.cloudfront-kvs.global.api.aws` (AWSHTTPRequest.hostPrefix).
        case .cloudFrontKeyValueStore: return URL(string: "https://cloudfront-kvs.global.api.aws")
        case .events: return URL(string: "https://events.\(region).\(suffix)")
        }
    }
}
