import Foundation

/// The CloudWatch metrics of a CloudFront distribution and its Lambda@Edge function, as AWS publishes them
/// in us-east-1: `AWS/CloudFront` with `DistributionId` and `Region=Global`, `AWS/Lambda` with `FunctionName`.
public enum EdgeMetric: String, Sendable, CaseIterable, Codable {
    case requests = "Requests"
    case errorRate4xx = "4xxErrorRate"
    case errorRate5xx = "5xxErrorRate"
    case lambdaErrors = "Errors"
    case lambdaThrottles = "Throttles"
    case lambdaInvocations = "Invocations"

    /// The region CloudFront and Lambda@Edge publish these metrics in.
    public static let region = "us-east-1"

    public var namespace: String {
        switch self {
        case .requests, .errorRate4xx, .errorRate5xx: return "AWS/CloudFront"
        case .lambdaErrors, .lambdaThrottles, .lambdaInvocations: return "AWS/Lambda"
        }
    }

    /// Rates are averaged per period; counts are summed.
    public var stat: String { isPercentage ? "Average" : "Sum" }

    /// True for the error rates, which CloudFront publishes in percent.
    public var isPercentage: Bool { self == .errorRate4xx || self == .errorRate5xx }

    /// A GetMetricData query for this metric of `distribution` / `function`, or nil when the needed id is missing.
    public func query(distribution: String?, function: String?, period: Int) -> MetricQuery? {
        let dimensions: [MetricDimension]
        switch namespace {
        case "AWS/CloudFront":
            guard let distribution else { return nil }
            dimensions = [MetricDimension("DistributionId", distribution), MetricDimension("Region", "Global")]
        default:
            guard let function else { return nil }
            dimensions = [MetricDimension("FunctionName", function)]
        }
        return MetricQuery(id: queryId, namespace: namespace, metricName: rawValue, dimensions: dimensions, period: period, stat: stat)
    }

    /// GetMetricData ids start with a lower-case letter.
    public var queryId: String {
        switch self {
        case .requests: return "requests"
        case .errorRate4xx: return "rate4xx"
        case .errorRate5xx: return "rate5xx"
        case .lambdaErrors: return "errors"
        case .lambdaThrottles: return "throttles"
        case .lambdaInvocations: return "invocations"
        }
    }

    /// `7.25%` for rates, `120` for counts (as measured, up to two decimals).
    public func format(_ value: Double) -> String {
        var number = String(format: "%.2f", value)
        if number.contains(".") { number = number.replacingOccurrences(of: #"\.?0+$"#, with: "", options: .regularExpression) }
        return isPercentage ? "\(number)%" : number
    }
}
