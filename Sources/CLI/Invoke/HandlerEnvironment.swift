import Foundation

/// The environment of a handler process: the caller's (so AWS credentials and `AWS_ENDPOINT_URL`
/// reach the handler's AWS SDK, as Lambda gives a function its role's credentials), plus the
/// variables Lambda always sets. A handler in DynamoDB daemon mode reads the table through these.
enum HandlerEnvironment {
    static func make(_ environment: [String: String], package: HandlerPackage) -> [String: String] {
        var result = environment
        if result["AWS_ENDPOINT_URL"] == nil, let endpoint = package.awsEndpoint { result["AWS_ENDPOINT_URL"] = endpoint }
        let region = nonEmpty(result["AWS_REGION"]) ?? nonEmpty(result["AWS_DEFAULT_REGION"]) ?? package.awsRegion ?? "us-east-1"
        result["AWS_REGION"] = region
        result["AWS_DEFAULT_REGION"] = result["AWS_DEFAULT_REGION"] ?? region
        result["AWS_LAMBDA_FUNCTION_NAME"] = result["AWS_LAMBDA_FUNCTION_NAME"] ?? "ldedge-invoke"
        result["AWS_EXECUTION_ENV"] = result["AWS_EXECUTION_ENV"] ?? "AWS_Lambda_\(package.runtime)"
        return result
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }
}
