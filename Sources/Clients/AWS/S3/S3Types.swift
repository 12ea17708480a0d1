import Foundation

/// What PutObject/CopyObject/CompleteMultipartUpload report.
public struct S3PutObjectResult: Sendable, Equatable {
    /// The entity tag, with its quotes as S3 sends it.
    public var eTag: String?
    public var versionId: String?
}

/// Headers of an object (HeadObject, GetObject).
public struct S3ObjectMetadata: Sendable, Equatable {
    public var contentLength: Int?
    public var contentType: String?
    public var cacheControl: String?
    public var eTag: String?
    public var lastModified: Date?
    public var versionId: String?
    /// `x-amz-meta-*` headers without the prefix.
    public var metadata: [String: String]
}

/// An object as returned by ListObjectsV2.
public struct S3ObjectSummary: Sendable, Equatable {
    public var key: String
    public var size: Int
    public var eTag: String
    public var lastModified: Date?
}

/// One page of ListObjectsV2.
public struct S3ListObjectsPage: Sendable {
    public var objects: [S3ObjectSummary]
    public var commonPrefixes: [String]
    public var nextContinuationToken: String?
    public var isTruncated: Bool
}

/// The outcome of DeleteObjects over all batches.
public struct S3DeleteObjectsResult: Sendable, Equatable {
    public struct Failure: Sendable, Equatable {
        public var key: String
        public var code: String
        public var message: String
    }
    public var deleted: [String]
    public var failures: [Failure]
}

/// A bucket's public access block settings.
public struct S3PublicAccessBlock: Sendable, Equatable {
    public var blockPublicAcls: Bool
    public var ignorePublicAcls: Bool
    public var blockPublicPolicy: Bool
    public var restrictPublicBuckets: Bool

    public init(blockPublicAcls: Bool = true, ignorePublicAcls: Bool = true, blockPublicPolicy: Bool = true, restrictPublicBuckets: Bool = true) {
        self.blockPublicAcls = blockPublicAcls
        self.ignorePublicAcls = ignorePublicAcls
        self.blockPublicPolicy = blockPublicPolicy
        self.restrictPublicBuckets = restrictPublicBuckets
    }

    /// Everything blocked: the right setting for a bucket served only through CloudFront OAC.
    public static let blockAll = S3PublicAccessBlock()
}

/// Options for PutObject.
public struct S3PutObjectOptions: Sendable {
    public var contentType: String?
    public var cacheControl: String?
    /// Send `Content-MD5` so S3 rejects a corrupted upload (default on).
    public var contentMD5: Bool
    /// `If-None-Match: *`: fail with 412 PreconditionFailed if the key exists (locks).
    public var ifNoneMatchAny: Bool
    /// `If-Match: ETAG`: replace only the version with this entity tag (412 otherwise): compare-and-swap.
    public var ifMatch: String?
    /// Server-side encryption: `x-amz-server-side-encryption` (and the KMS key for `aws:kms`).
    public var serverSideEncryption: S3ServerSideEncryption?
    public var metadata: [String: String]

    public init(contentType: String? = nil, cacheControl: String? = nil, contentMD5: Bool = true, ifNoneMatchAny: Bool = false, metadata: [String: String] = [:]) {
        self.contentType = contentType
        self.cacheControl = cacheControl
        self.contentMD5 = contentMD5
        self.ifNoneMatchAny = ifNoneMatchAny
        self.metadata = metadata
    }
}

/// How S3 encrypts an object at rest.
public enum S3ServerSideEncryption: Sendable, Equatable {
    case aes256
    /// `aws:kms` with a key id, ARN or alias (nil: the account's default `aws/s3` key).
    case kms(keyID: String?)

    var headers: [(String, String)] {
        switch self {
        case .aes256:
            return [("x-amz-server-side-encryption", "AES256")]
        case .kms(let keyID):
            return [("x-amz-server-side-encryption", "aws:kms")] + (keyID.map { [("x-amz-server-side-encryption-aws-kms-key-id", $0)] } ?? [])
        }
    }
}
