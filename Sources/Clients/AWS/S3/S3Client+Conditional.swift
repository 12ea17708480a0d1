import Crypto
import Foundation

/// Conditional deletes, listing from a key, and the bucket facts a shared state backend checks.
extension S3Client {
    /// Deletes an object only while its entity tag is `ifMatch` (412 `PreconditionFailed` otherwise),
    /// so a lock is released only by the run that took it.
    public func deleteObject(bucket: String, key: String, ifMatch: String) async throws {
        _ = try await client.send(request("DeleteObject", bucket: bucket, key: key, method: .DELETE, headers: [("If-Match", ifMatch)], mutating: true))
    }

    /// Every object under `prefix` whose key sorts after `startAfter`, following all pages.
    public func listAllObjects(bucket: String, prefix: String, startAfter: String?) async throws -> [S3ObjectSummary] {
        var all: [S3ObjectSummary] = []
        var token: String?
        repeat {
            let page = try await listObjectsV2Page(bucket: bucket, prefix: prefix, continuationToken: token, startAfter: token == nil ? startAfter : nil)
            all += page.objects
            token = page.isTruncated ? page.nextContinuationToken : nil
        } while token != nil
        return all
    }

    /// The region a bucket lives in, from HeadBucket's `x-amz-bucket-region` (nil when not reported).
    /// Throws `isNotFound` for a missing bucket.
    public func bucketRegion(_ bucket: String) async throws -> String? {
        var head = request("HeadBucket", bucket: bucket, method: .HEAD)
        // A bucket in another region answers 301 with its region in the header.
        head.expectedStatus = 200...301
        let response = try await client.send(head)
        return response.header("x-amz-bucket-region")
    }

    /// The bucket's versioning status: "Enabled", "Suspended", or nil when it was never enabled.
    public func bucketVersioning(_ bucket: String) async throws -> String? {
        let response = try await client.send(request("GetBucketVersioning", bucket: bucket, method: .GET, query: [("versioning", "")]))
        let root = try parseXML(response, "GetBucketVersioning")
        return root.optionalText("Status")
    }

    /// Turns versioning on (tests and `docs/ci.md` set-up; ldedge never changes the user's bucket).
    public func enableVersioning(_ bucket: String) async throws {
        let body = XMLTreeNode(name: "VersioningConfiguration", attributes: [.init(name: "xmlns", value: Self.namespace)], children: [
            .element(XMLTreeNode(name: "Status", text: "Enabled")),
        ]).xmlData()
        let headers = [("Content-MD5", Data(Insecure.MD5.hash(data: body)).base64EncodedString()), ("Content-Type", "application/xml")]
        _ = try await client.send(request("PutBucketVersioning", bucket: bucket, method: .PUT, query: [("versioning", "")], headers: headers, body: body, mutating: true))
    }
}
