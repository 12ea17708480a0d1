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

extension S3Client {
    /// Key -> ETag (quotes removed) of every object under `prefix`, following all pages.
    ///
    /// A sync compares thousands of keys; this skips the per-object timestamp parsing of
    /// `listAllObjects`, which costs more than the request itself for a 1,000-key page.
    public func listETags(bucket: String, prefix: String? = nil) async throws -> [String: String] {
        var result: [String: String] = [:]
        var token: String?
        repeat {
            var query: [(String, String)] = [("list-type", "2")]
            if let prefix, !prefix.isEmpty { query.append(("prefix", prefix)) }
            if let token { query.append(("continuation-token", token)) }
            let response = try await client.send(request("ListObjectsV2", bucket: bucket, method: .GET, query: query))
            let root = try parseXML(response, "ListObjectsV2")
            for element in root.elements where element.name == "Contents" {
                let key = try element.requiredText("Key", service: .s3, operation: "ListObjectsV2", context: "Contents")
                result[key] = (element.optionalText("ETag") ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
            let truncated = root.optionalText("IsTruncated") == "true"
            token = truncated ? root.optionalText("NextContinuationToken") : nil
            if truncated && token == nil {
                throw AWSError.decoding(service: .s3, operation: "ListObjectsV2", field: "ListBucketResult.NextContinuationToken", detail: "missing although IsTruncated is true")
            }
        } while token != nil
        return result
    }
}
