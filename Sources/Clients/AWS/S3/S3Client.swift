import Crypto
import Foundation
import NIOHTTP1

/// S3 operations ldedge needs: buckets, objects, listing, policies, public access blocks.
public struct S3Client: Sendable {
    public let client: AWSClient
    static let namespace = "http://s3.amazonaws.com/doc/2006-03-01/"
    /// Objects larger than this are uploaded in parts.
    public static let multipartThreshold = 16 * 1024 * 1024
    public static let partSize = 8 * 1024 * 1024

    public init(_ client: AWSClient) { self.client = client }

    // MARK: Buckets

    /// Creates a bucket in the configured region.
    public func createBucket(_ bucket: String) async throws {
        var body = Data()
        let region = client.configuration.region
        if region != "us-east-1" {
            body = XMLTreeNode(name: "CreateBucketConfiguration", attributes: [.init(name: "xmlns", value: Self.namespace)], children: [
                .element(XMLTreeNode(name: "LocationConstraint", text: region)),
            ]).xmlData()
        }
        _ = try await client.send(request("CreateBucket", bucket: bucket, method: .PUT, body: body, mutating: true))
    }

    /// Succeeds when the bucket exists and is accessible; throws `isNotFound` otherwise.
    public func headBucket(_ bucket: String) async throws {
        _ = try await client.send(request("HeadBucket", bucket: bucket, method: .HEAD))
    }

    /// True when the bucket exists (false on 404; other errors are thrown).
    public func bucketExists(_ bucket: String) async throws -> Bool {
        do {
            try await headBucket(bucket)
            return true
        } catch let error as AWSError where error.isNotFound {
            return false
        }
    }

    /// Deletes an empty bucket.
    public func deleteBucket(_ bucket: String) async throws {
        _ = try await client.send(request("DeleteBucket", bucket: bucket, method: .DELETE, mutating: true))
    }

    // MARK: Objects

    /// Uploads an object; bodies over 16 MiB go through multipart upload.
    @discardableResult
    public func putObject(bucket: String, key: String, body: Data, options: S3PutObjectOptions = S3PutObjectOptions()) async throws -> S3PutObjectResult {
        if body.count > Self.multipartThreshold && !options.ifNoneMatchAny && options.ifMatch == nil {
            return try await multipartUpload(bucket: bucket, key: key, body: body, options: options)
        }
        var headers = objectHeaders(options)
        if options.contentMD5 {
            headers.append(("Content-MD5", Data(Insecure.MD5.hash(data: body)).base64EncodedString()))
        }
        if options.ifNoneMatchAny { headers.append(("If-None-Match", "*")) }
        if let ifMatch = options.ifMatch { headers.append(("If-Match", ifMatch)) }
        if let encryption = options.serverSideEncryption { headers += encryption.headers }
        let response = try await client.send(request("PutObject", bucket: bucket, key: key, method: .PUT, headers: headers, body: body, mutating: true))
        return S3PutObjectResult(eTag: response.header("ETag"), versionId: response.header("x-amz-version-id"))
    }

    /// Object headers, or `isNotFound` when there is no such key.
    public func headObject(bucket: String, key: String) async throws -> S3ObjectMetadata {
        let response = try await client.send(request("HeadObject", bucket: bucket, key: key, method: .HEAD))
        return Self.metadata(response)
    }

    /// Object headers, or nil when there is no such key.
    public func objectMetadataIfPresent(bucket: String, key: String) async throws -> S3ObjectMetadata? {
        do {
            return try await headObject(bucket: bucket, key: key)
        } catch let error as AWSError where error.isNotFound {
            return nil
        }
    }

    /// Downloads an object into memory.
    public func getObject(bucket: String, key: String) async throws -> (body: Data, metadata: S3ObjectMetadata) {
        let response = try await client.send(request("GetObject", bucket: bucket, key: key, method: .GET))
        return (response.body, Self.metadata(response))
    }

    /// Server-side copy. Pass `contentType`/`cacheControl` to replace the metadata instead of copying it.
    @discardableResult
    public func copyObject(sourceBucket: String, sourceKey: String, bucket: String, key: String, contentType: String? = nil, cacheControl: String? = nil) async throws -> S3PutObjectResult {
        var headers = [("x-amz-copy-source", "/" + URIEncoding.encode(sourceBucket) + "/" + URIEncoding.encodeKey(sourceKey))]
        if contentType != nil || cacheControl != nil {
            headers.append(("x-amz-metadata-directive", "REPLACE"))
            if let contentType { headers.append(("Content-Type", contentType)) }
            if let cacheControl { headers.append(("Cache-Control", cacheControl)) }
        }
        let response = try await client.send(request("CopyObject", bucket: bucket, key: key, method: .PUT, headers: headers, mutating: true))
        // CopyObject can answer 200 with an <Error> body.
        let root = try parseXML(response, "CopyObject")
        if root.name == "Error" {
            throw AWSError.service(AWSServiceError(service: .s3, operation: "CopyObject", resource: "s3://\(bucket)/\(key)", status: response.status,
                                                   code: root.optionalText("Code") ?? "InternalError", message: root.optionalText("Message") ?? "", requestId: response.requestId))
        }
        return S3PutObjectResult(eTag: root.optionalText("ETag"), versionId: response.header("x-amz-version-id"))
    }

    /// Deletes a single object (no error when it does not exist).
    public func deleteObject(bucket: String, key: String) async throws {
        _ = try await client.send(request("DeleteObject", bucket: bucket, key: key, method: .DELETE, mutating: true))
    }

    /// Deletes keys in batches of at most 1,000; per-key failures are returned, not thrown.
    public func deleteObjects(bucket: String, keys: [String]) async throws -> S3DeleteObjectsResult {
        var result = S3DeleteObjectsResult(deleted: [], failures: [])
        var start = 0
        while start < keys.count {
            let batch = keys[start..<min(start + 1000, keys.count)]
            start += batch.count
            let document = XMLTreeNode(name: "Delete", attributes: [.init(name: "xmlns", value: Self.namespace)], children:
                [.element(XMLTreeNode(name: "Quiet", text: "false"))] + batch.map { key in
                    .element(XMLTreeNode(name: "Object", children: [.element(XMLTreeNode(name: "Key", text: key))]))
                })
            let body = document.xmlData()
            let headers = [("Content-MD5", Data(Insecure.MD5.hash(data: body)).base64EncodedString()), ("Content-Type", "application/xml")]
            let response = try await client.send(request("DeleteObjects", bucket: bucket, method: .POST, query: [("delete", "")], headers: headers, body: body, mutating: true))
            let root = try parseXML(response, "DeleteObjects")
            for element in root.elements {
                if element.name == "Deleted", let key = element.optionalText("Key") {
                    result.deleted.append(key)
                } else if element.name == "Error" {
                    result.failures.append(.init(key: element.optionalText("Key") ?? "", code: element.optionalText("Code") ?? "", message: element.optionalText("Message") ?? ""))
                }
            }
        }
        return result
    }

    /// One page of ListObjectsV2.
    public func listObjectsV2Page(
        bucket: String, prefix: String? = nil, continuationToken: String? = nil, maxKeys: Int? = nil, delimiter: String? = nil, startAfter: String? = nil
    ) async throws -> S3ListObjectsPage {
        var query: [(String, String)] = [("list-type", "2")]
        if let prefix { query.append(("prefix", prefix)) }
        if let startAfter { query.append(("start-after", startAfter)) }
        if let continuationToken { query.append(("continuation-token", continuationToken)) }
        if let maxKeys { query.append(("max-keys", String(maxKeys))) }
        if let delimiter { query.append(("delimiter", delimiter)) }
        let response = try await client.send(request("ListObjectsV2", bucket: bucket, method: .GET, query: query))
        let root = try parseXML(response, "ListObjectsV2")
        var objects: [S3ObjectSummary] = []
        var prefixes: [String] = []
        for element in root.elements {
            if element.name == "Contents" {
                let key = try element.requiredText("Key", service: .s3, operation: "ListObjectsV2", context: "Contents")
                objects.append(S3ObjectSummary(
                    key: key,
                    size: Int(element.optionalText("Size") ?? "") ?? 0,
                    eTag: element.optionalText("ETag") ?? "",
                    lastModified: element.optionalText("LastModified").flatMap(AWSTimestamp.parse)
                ))
            } else if element.name == "CommonPrefixes", let prefix = element.optionalText("Prefix") {
                prefixes.append(prefix)
            }
        }
        let truncated = root.optionalText("IsTruncated") == "true"
        let token = root.optionalText("NextContinuationToken")
        if truncated && token == nil {
            throw AWSError.decoding(service: .s3, operation: "ListObjectsV2", field: "ListBucketResult.NextContinuationToken", detail: "missing although IsTruncated is true")
        }
        return S3ListObjectsPage(objects: objects, commonPrefixes: prefixes, nextContinuationToken: token, isTruncated: truncated)
    }

    /// Every object under `prefix`, following all pages.
    public func listAllObjects(bucket: String, prefix: String? = nil, pageSize: Int? = nil) async throws -> [S3ObjectSummary] {
        var all: [S3ObjectSummary] = []
        var token: String?
        repeat {
            let page = try await listObjectsV2Page(bucket: bucket, prefix: prefix, continuationToken: token, maxKeys: pageSize)
            all += page.objects
            token = page.isTruncated ? page.nextContinuationToken : nil
        } while token != nil
        return all
    }

    // MARK: Policies and public access

    /// Sets the bucket policy (a JSON document).
    public func putBucketPolicy(bucket: String, policy: String) async throws {
        _ = try await client.send(request("PutBucketPolicy", bucket: bucket, method: .PUT, query: [("policy", "")],
                                          headers: [("Content-Type", "application/json")], body: Data(policy.utf8), mutating: true))
    }

    /// The bucket policy, or nil when the bucket has none.
    public func getBucketPolicy(bucket: String) async throws -> String? {
        do {
            let response = try await client.send(request("GetBucketPolicy", bucket: bucket, method: .GET, query: [("policy", "")]))
            return String(decoding: response.body, as: UTF8.self)
        } catch let error as AWSError where error.code == "NoSuchBucketPolicy" {
            return nil
        }
    }

    public func deleteBucketPolicy(bucket: String) async throws {
        _ = try await client.send(request("DeleteBucketPolicy", bucket: bucket, method: .DELETE, query: [("policy", "")], mutating: true))
    }

    public func putPublicAccessBlock(bucket: String, configuration: S3PublicAccessBlock = .blockAll) async throws {
        func flag(_ name: String, _ value: Bool) -> XMLTreeNode.Child { .element(XMLTreeNode(name: name, text: value ? "true" : "false")) }
        let body = XMLTreeNode(name: "PublicAccessBlockConfiguration", attributes: [.init(name: "xmlns", value: Self.namespace)], children: [
            flag("BlockPublicAcls", configuration.blockPublicAcls),
            flag("IgnorePublicAcls", configuration.ignorePublicAcls),
            flag("BlockPublicPolicy", configuration.blockPublicPolicy),
            flag("RestrictPublicBuckets", configuration.restrictPublicBuckets),
        ]).xmlData()
        let headers = [("Content-MD5", Data(Insecure.MD5.hash(data: body)).base64EncodedString()), ("Content-Type", "application/xml")]
        _ = try await client.send(request("PutPublicAccessBlock", bucket: bucket, method: .PUT, query: [("publicAccessBlock", "")], headers: headers, body: body, mutating: true))
    }

    /// The public access block, or nil when none is set.
    public func getPublicAccessBlock(bucket: String) async throws -> S3PublicAccessBlock? {
        do {
            let response = try await client.send(request("GetPublicAccessBlock", bucket: bucket, method: .GET, query: [("publicAccessBlock", "")]))
            let root = try parseXML(response, "GetPublicAccessBlock")
            return S3PublicAccessBlock(
                blockPublicAcls: root.optionalText("BlockPublicAcls") == "true",
                ignorePublicAcls: root.optionalText("IgnorePublicAcls") == "true",
                blockPublicPolicy: root.optionalText("BlockPublicPolicy") == "true",
                restrictPublicBuckets: root.optionalText("RestrictPublicBuckets") == "true"
            )
        } catch let error as AWSError where error.code == "NoSuchPublicAccessBlockConfiguration" {
            return nil
        }
    }

    public func deletePublicAccessBlock(bucket: String) async throws {
        _ = try await client.send(request("DeletePublicAccessBlock", bucket: bucket, method: .DELETE, query: [("publicAccessBlock", "")], mutating: true))
    }

    /// A presigned GET URL valid for `expires` seconds.
    public func presignedGetURL(bucket: String, key: String, expires: Int = 900, date: Date = Date()) async throws -> URL {
        let endpoint = try client.configuration.endpoint(for: .s3)
        let target = try client.resolveTarget(request("GetObject", bucket: bucket, key: key, method: .GET), endpoint: endpoint)
        let credentials = try await client.configuration.credentialProvider.credentials()
        let signer = SigV4Signer(service: "s3", region: client.configuration.region)
        let query = signer.presignedQuery(SignableRequest(method: "GET", host: target.hostHeader, encodedPath: target.path), credentials: credentials, date: date, expires: expires)
        guard let url = URL(string: target.baseURL + target.path + AWSClient.queryString(query)) else {
            throw AWSError.invalidRequest(service: .s3, operation: "GetObject", reason: "cannot form a URL for s3://\(bucket)/\(key)")
        }
        return url
    }

    // MARK: Helpers

    func request(_ operation: String, bucket: String, key: String? = nil, method: HTTPMethod, query: [(String, String)] = [],
                 headers: [(String, String)] = [], body: Data = Data(), mutating: Bool = false) -> AWSHTTPRequest {
        AWSHTTPRequest(
            service: .s3, operation: operation,
            resource: key.map { "s3://\(bucket)/\($0)" } ?? "bucket \(bucket)",
            method: method,
            encodedPath: key.map { "/" + URIEncoding.encodeKey($0) } ?? "/",
            query: query, headers: headers, body: body, isMutating: mutating, bucket: bucket
        )
    }

    func objectHeaders(_ options: S3PutObjectOptions) -> [(String, String)] {
        var headers: [(String, String)] = []
        if let contentType = options.contentType { headers.append(("Content-Type", contentType)) }
        if let cacheControl = options.cacheControl { headers.append(("Cache-Control", cacheControl)) }
        for (name, value) in options.metadata.sorted(by: { $0.key < $1.key }) {
            headers.append(("x-amz-meta-\(name.lowercased())", value))
        }
        return headers
    }

    func parseXML(_ response: AWSHTTPResponse, _ operation: String) throws -> XMLTreeNode {
        do {
            return try XMLTreeNode(parsing: response.body)
        } catch {
            throw AWSError.decoding(service: .s3, operation: operation, field: "(document)", detail: "\(error)")
        }
    }

    static func metadata(_ response: AWSHTTPResponse) -> S3ObjectMetadata {
        var metadata: [String: String] = [:]
        for header in response.headers where header.name.lowercased().hasPrefix("x-amz-meta-") {
            metadata[String(header.name.lowercased().dropFirst("x-amz-meta-".count))] = header.value
        }
        return S3ObjectMetadata(
            contentLength: response.header("Content-Length").flatMap { Int($0) },
            contentType: response.header("Content-Type"),
            cacheControl: response.header("Cache-Control"),
            eTag: response.header("ETag"),
            lastModified: response.header("Last-Modified").flatMap(AWSTimestamp.parse),
            versionId: response.header("x-amz-version-id"),
            metadata: metadata
        )
    }
}
