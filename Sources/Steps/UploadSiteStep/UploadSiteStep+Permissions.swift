import LDEdgeKit

/// What the deploying principal needs for `upload-site` (docs/iam.md): the bucket, and the objects
/// under the prefix (the whole bucket at teardown, which empties a bucket the workflow created).
extension UploadSiteStep {
    public func permissions(_ context: PermissionContext) -> [Permission] {
        let bucket = "arn:\(context.partition):s3:::\(context.scopedName(input.bucket, limit: 63))"
        let objects = "\(bucket)/\(input.normalizedPrefix)*"
        var statements: [Permission] = []
        switch context.phase {
        case .deploy:
            // HeadBucket and ListObjectsV2 are authorized as s3:ListBucket.
            var bucketActions = ["s3:ListBucket", "s3:CreateBucket", "s3:DeleteBucket"]
            bucketActions += input.public == true ? ["s3:PutBucketPublicAccessBlock", "s3:PutBucketPolicy"] : ["s3:PutBucketPublicAccessBlock"]
            statements.append(Permission(bucketActions, on: [bucket]))
            // GetObject keeps the bytes of what an upload overwrites, for rollback.
            statements.append(Permission(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], on: [objects]))
            if let distribution = input.distribution {
                statements.append(Permission(["cloudfront:CreateInvalidation"], on: [Self.distributionArn(distribution, context)]))
            }
        case .teardown:
            statements.append(Permission(["s3:ListBucket", "s3:DeleteBucket"], on: [bucket]))
            statements.append(Permission(["s3:PutObject", "s3:DeleteObject"], on: ["\(bucket)/*"]))
        case .operate:
            break  // no drift check, no rollout: nothing to read
        }
        return statements
    }

    public func knownOutputs(_ context: PermissionContext) -> [String: String] {
        ["bucket": context.scopedName(input.bucket, limit: 63), "prefix": input.normalizedPrefix]
    }

    /// A distribution's ARN; its id is known only once CloudFront has created it.
    static func distributionArn(_ id: String, _ context: PermissionContext) -> String {
        context.arn("cloudfront", "distribution/\(context.isKnown(id) ? id : "*")")
    }
}
