import Foundation

/// Reads error answers in each protocol: S3 `<Error>`, query/REST-XML `<ErrorResponse>`, Lambda and SSM JSON.
enum AWSErrorParser {
    static let retryableStatuses: Set<Int> = [429, 500, 502, 503, 504]
    static let retryableCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "SlowDown", "RequestLimitExceeded", "RequestThrottled",
        "ProvisionedThroughputExceededException", "BandwidthLimitExceeded", "EC2ThrottledException",
        "PriorRequestNotComplete", "RequestTimeout", "RequestTimeoutException", "InternalError",
        "InternalFailure", "ServiceUnavailable", "TransactionInProgressException",
    ]

    static func isRetryable(_ error: AWSServiceError) -> Bool {
        retryableStatuses.contains(error.status) || retryableCodes.contains(error.code)
    }

    static func parse(_ response: AWSHTTPResponse, request: AWSHTTPRequest) -> AWSServiceError {
        var code: String?
        var message: String?
        var requestId = response.requestId
        if request.service.answersInJSON {
            if let header = response.header("x-amzn-ErrorType") {
                code = header.split(separator: ":").first.map(String.init)
            }
            if let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any] {
                message = (object["message"] ?? object["Message"]) as? String
                if code == nil { code = (object["__type"] as? String ?? object["code"] as? String)?.split(separator: "#").last.map(String.init) }
            }
        } else if !response.body.isEmpty, let root = try? XMLTreeNode(parsing: response.body) {
            code = root.descendant("Code")?.text ?? (root.name == "Code" ? root.text : nil)
            message = root.descendant("Message")?.text
            requestId = requestId ?? (root.descendant("RequestId") ?? root.descendant("RequestID"))?.text
        }
        if response.status == 301, let region = response.header("x-amz-bucket-region") {
            message = "the bucket is in region \(region); set AWS_REGION=\(region) or choose another bucket name"
        }
        return AWSServiceError(
            service: request.service,
            operation: request.operation,
            resource: request.resource,
            status: response.status,
            code: code ?? defaultCode(status: response.status),
            message: message ?? (response.body.isEmpty ? "" : String(decoding: response.body.prefix(300), as: UTF8.self)),
            requestId: requestId
        )
    }

    /// Bodiless answers (HEAD) carry only a status.
    static func defaultCode(status: Int) -> String {
        switch status {
        case 301: return "PermanentRedirect"
        case 304: return "NotModified"
        case 400: return "BadRequest"
        case 403: return "Forbidden"
        case 404: return "NotFound"
        case 409: return "Conflict"
        case 412: return "PreconditionFailed"
        case 429: return "TooManyRequests"
        case 500: return "InternalError"
        case 503: return "ServiceUnavailable"
        default: return "HTTP\(status)"
        }
    }
}
