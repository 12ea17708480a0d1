import Foundation

/// The IAM action AWS authorizes a call as: `service:Operation`, except where AWS documents another
/// name (S3's ListObjectsV2 is s3:ListBucket, HeadObject is s3:GetObject, ...).
public enum IAMActionName {
    static let exceptions: [String: String] = [
        "s3:ListObjectsV2": "s3:ListBucket", "s3:ListObjects": "s3:ListBucket", "s3:HeadBucket": "s3:ListBucket",
        "s3:HeadObject": "s3:GetObject", "s3:ListBuckets": "s3:ListAllMyBuckets", "s3:DeleteObjects": "s3:DeleteObject",
        "s3:CreateMultipartUpload": "s3:PutObject", "s3:UploadPart": "s3:PutObject", "s3:CompleteMultipartUpload": "s3:PutObject",
        "s3:PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock", "s3:DeletePublicAccessBlock": "s3:PutBucketPublicAccessBlock",
        "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock", "lambda:Invoke": "lambda:InvokeFunction",
    ]

    /// The IAM action of `operation` on `service`.
    public static func action(service: AWSService, operation: String) -> String {
        let prefix = service == .cloudWatch ? "cloudwatch" : service.signingName
        let name = "\(prefix):\(operation)"
        return exceptions[name] ?? name
    }

    /// The action and resource AWS refused: from its message ("... is not authorized to perform:
    /// lambda:EnableReplication on resource: arn:...") when it names them, else from the call.
    public static func denied(_ error: AWSServiceError) -> (action: String, resource: String) {
        let message = error.message
        if let perform = message.range(of: "not authorized to perform: ") {
            let rest = message[perform.upperBound...]
            let action = String(rest.prefix { !$0.isWhitespace })
            var resource = error.resource ?? "its resource"
            if let on = rest.range(of: " on resource: ") {
                resource = String(rest[on.upperBound...].prefix { !$0.isWhitespace })
            }
            if !action.isEmpty { return (action, resource) }
        }
        return (action(service: error.service, operation: error.operation), error.resource ?? "its resource")
    }
}
