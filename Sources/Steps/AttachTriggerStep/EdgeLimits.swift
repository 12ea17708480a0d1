import AWS
import Foundation

/// Lambda@Edge limits per event type (docs/architecture.md, "Lambda@Edge facts").
struct EdgeLimits {
    var maxZipBytes: Int
    var memory: ClosedRange<Int>
    var timeout: ClosedRange<Int>

    static func of(_ eventType: CloudFrontEventType) -> EdgeLimits {
        switch eventType {
        case .viewerRequest, .viewerResponse:
            return EdgeLimits(maxZipBytes: 1_048_576, memory: 128...128, timeout: 1...5)
        case .originRequest, .originResponse:
            return EdgeLimits(maxZipBytes: 50 * 1_048_576, memory: 128...10240, timeout: 1...30)
        }
    }

    /// Runtimes Lambda@Edge accepts (Node.js and Python only).
    static let runtimes = ["python3.9", "python3.10", "python3.11", "python3.12", "python3.13", "nodejs18.x", "nodejs20.x", "nodejs22.x"]

    static let region = "us-east-1"

    /// The role trust both services must have for Lambda@Edge.
    static let trustPolicy = """
        {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["lambda.amazonaws.com","edgelambda.amazonaws.com"]},"Action":"sts:AssumeRole"}]}
        """
    static let basicExecutionPolicy = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"

    /// True when a trust policy lets both `lambda.amazonaws.com` and `edgelambda.amazonaws.com` assume the role.
    static func trusts(_ document: String?) -> Bool {
        guard let document else { return false }
        return document.contains("\"edgelambda.amazonaws.com\"") && document.contains("\"lambda.amazonaws.com\"")
    }
}
