import Crypto
import Foundation

/// Content digests the site sync and the Lambda@Edge step compare against what AWS reports.
public enum ContentDigest {
    /// Lowercase hex MD5: what S3 reports as the ETag of an object uploaded in one part.
    public static func md5Hex(_ data: Data) -> String {
        Insecure.MD5.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// Base64 SHA-256: what Lambda reports as `CodeSha256` of a zip package.
    public static func lambdaCodeSha256(_ data: Data) -> String {
        Data(SHA256.hash(data: data)).base64EncodedString()
    }
}

extension S3ObjectSummary {
    /// The ETag without quotes; nil for multipart uploads (whose ETag is not an MD5).
    public var md5Hex: String? {
        let trimmed = eTag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        return trimmed.contains("-") ? nil : trimmed.lowercased()
    }
}
