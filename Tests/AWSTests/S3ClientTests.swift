import AWS
import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LDEdgeTestSupport
import XCTest

final class S3ClientTests: EmulatorTestCase {
    func testBucketLifecycle() async throws {
        let s3 = client.s3
        let before = try await s3.bucketExists("site-bucket")
        XCTAssertFalse(before)
        try await s3.createBucket("site-bucket")
        try await s3.headBucket("site-bucket")
        let after = try await s3.bucketExists("site-bucket")
        XCTAssertTrue(after)
        try await s3.deleteBucket("site-bucket")
        do {
            try await s3.headBucket("site-bucket")
            XCTFail("HeadBucket after delete should fail")
        } catch let error as AWSError {
            XCTAssertTrue(error.isNotFound, "\(error)")
            XCTAssertEqual(error.serviceError?.status, 404)
            XCTAssertTrue(error.description.contains("bucket site-bucket"), error.description)
        }
    }

    func testCreateBucketOutsideUsEast1() async throws {
        let euClient = emulator.client(region: "eu-west-1")
        try await euClient.s3.createBucket("eu-bucket")
        let exists = try await euClient.s3.bucketExists("eu-bucket")
        XCTAssertTrue(exists)
    }

    func testObjectRoundTripWithAwkwardKeys() async throws {
        let s3 = client.s3
        try await s3.createBucket("keys")
        let keys = ["site/index.html", "a b+c~%.txt", "dir//double/slash", "unicode/ሴ-ü-€.html", "semi;colon=eq&amp", "trailing/"]
        for (index, key) in keys.enumerated() {
            let body = Data("body \(index)".utf8)
            let result = try await s3.putObject(bucket: "keys", key: key, body: body,
                                                options: S3PutObjectOptions(contentType: "text/html; charset=utf-8", cacheControl: "max-age=60", metadata: ["commit": "abc\(index)"]))
            XCTAssertEqual(result.eTag, "\"\(Insecure.MD5.hash(data: body).map { String(format: "%02x", $0) }.joined())\"")
            let head = try await s3.headObject(bucket: "keys", key: key)
            XCTAssertEqual(head.contentLength, body.count)
            XCTAssertEqual(head.contentType, "text/html; charset=utf-8")
            XCTAssertEqual(head.cacheControl, "max-age=60")
            XCTAssertEqual(head.metadata["commit"], "abc\(index)")
            let got = try await s3.getObject(bucket: "keys", key: key)
            XCTAssertEqual(got.body, body, key)
        }
        let listed = try await s3.listAllObjects(bucket: "keys").map(\.key)
        XCTAssertEqual(Set(listed), Set(keys))
    }

    func testMissingObjectIsNotFound() async throws {
        try await client.s3.createBucket("missing-keys")
        let missing = try await client.s3.objectMetadataIfPresent(bucket: "missing-keys", key: "nope")
        XCTAssertNil(missing)
        do {
            _ = try await client.s3.getObject(bucket: "missing-keys", key: "nope")
            XCTFail("expected NoSuchKey")
        } catch let error as AWSError {
            XCTAssertEqual(error.code, "NoSuchKey")
            XCTAssertTrue(error.description.contains("s3://missing-keys/nope"), error.description)
        }
    }

    func testCopyObjectReplacingMetadata() async throws {
        let s3 = client.s3
        try await s3.createBucket("copy")
        try await s3.putObject(bucket: "copy", key: "src file.txt", body: Data("hello".utf8), options: S3PutObjectOptions(contentType: "text/plain"))
        try await s3.copyObject(sourceBucket: "copy", sourceKey: "src file.txt", bucket: "copy", key: "dst/file.txt", contentType: "text/html", cacheControl: "no-cache")
        let copied = try await s3.getObject(bucket: "copy", key: "dst/file.txt")
        XCTAssertEqual(copied.body, Data("hello".utf8))
        XCTAssertEqual(copied.metadata.contentType, "text/html")
        XCTAssertEqual(copied.metadata.cacheControl, "no-cache")
    }

    func testPaginationOver1500ObjectsAndBatchedDelete() async throws {
        let s3 = client.s3
        try await s3.createBucket("many")
        let keys = (0..<1500).map { String(format: "obj/%05d.txt", $0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var iterator = keys.makeIterator()
            for _ in 0..<16 {
                guard let key = iterator.next() else { break }
                group.addTask { try await s3.putObject(bucket: "many", key: key, body: Data(key.utf8)) }
            }
            while try await group.next() != nil {
                if let key = iterator.next() {
                    group.addTask { try await s3.putObject(bucket: "many", key: key, body: Data(key.utf8)) }
                }
            }
        }
        recorder.reset()
        let listed = try await s3.listAllObjects(bucket: "many")
        XCTAssertEqual(listed.map(\.key), keys)
        XCTAssertEqual(recorder.count(of: "ListObjectsV2"), 2, "1,500 keys take two pages of 1,000")
        recorder.reset()
        let small = try await s3.listAllObjects(bucket: "many", prefix: "obj/0001", pageSize: 7)
        XCTAssertEqual(small.map(\.key), (10..<20).map { String(format: "obj/%05d.txt", $0) })
        XCTAssertEqual(recorder.count(of: "ListObjectsV2"), 2, "10 keys in pages of 7")

        recorder.reset()
        let deleted = try await s3.deleteObjects(bucket: "many", keys: keys)
        XCTAssertEqual(deleted.deleted.count, 1500)
        XCTAssertEqual(deleted.failures, [])
        XCTAssertEqual(recorder.count(of: "DeleteObjects"), 2, "batches of at most 1,000")
        let remaining = try await s3.listAllObjects(bucket: "many")
        XCTAssertEqual(remaining, [])
    }

    func testBucketPolicyAndPublicAccessBlock() async throws {
        let s3 = client.s3
        try await s3.createBucket("policy-bucket")
        let none = try await s3.getBucketPolicy(bucket: "policy-bucket")
        XCTAssertNil(none)
        let policy = """
        {"Version":"2012-10-17","Statement":[{"Sid":"AllowCloudFront","Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::policy-bucket/*"}]}
        """
        try await s3.putBucketPolicy(bucket: "policy-bucket", policy: policy)
        let read = try await s3.getBucketPolicy(bucket: "policy-bucket")
        let readJSON = try JSONSerialization.jsonObject(with: Data((read ?? "").utf8)) as? NSDictionary
        let expectedJSON = try JSONSerialization.jsonObject(with: Data(policy.utf8)) as? NSDictionary
        XCTAssertEqual(readJSON, expectedJSON)
        try await s3.deleteBucketPolicy(bucket: "policy-bucket")
        let deleted = try await s3.getBucketPolicy(bucket: "policy-bucket")
        XCTAssertNil(deleted)

        try await s3.putPublicAccessBlock(bucket: "policy-bucket")
        let block = try await s3.getPublicAccessBlock(bucket: "policy-bucket")
        XCTAssertEqual(block, .blockAll)
        try await s3.deletePublicAccessBlock(bucket: "policy-bucket")
        let cleared = try await s3.getPublicAccessBlock(bucket: "policy-bucket")
        XCTAssertNil(cleared)
    }

    func testConditionalPutForLocks() async throws {
        let s3 = client.s3
        try await s3.createBucket("locks")
        let lock = S3PutObjectOptions(contentType: "application/json", ifNoneMatchAny: true)
        try await s3.putObject(bucket: "locks", key: "state/lock", body: Data("{\"owner\":\"a\"}".utf8), options: lock)
        do {
            try await s3.putObject(bucket: "locks", key: "state/lock", body: Data("{\"owner\":\"b\"}".utf8), options: lock)
            XCTFail("second conditional put must fail")
        } catch let error as AWSError {
            XCTAssertEqual(error.serviceError?.status, 412, "\(error)")
            XCTAssertEqual(error.code, "PreconditionFailed")
        }
        let holder = try await s3.getObject(bucket: "locks", key: "state/lock")
        XCTAssertEqual(String(decoding: holder.body, as: UTF8.self), "{\"owner\":\"a\"}")
    }

    func testMultipartUploadOver16MiB() async throws {
        let s3 = client.s3
        try await s3.createBucket("big")
        var body = Data(count: 17 * 1024 * 1024 + 123)
        for index in stride(from: 0, to: body.count, by: 4096) { body[index] = UInt8(truncatingIfNeeded: index / 4096) }
        let result = try await s3.putObject(bucket: "big", key: "media/big.bin", body: body, options: S3PutObjectOptions(contentType: "application/octet-stream"))
        XCTAssertEqual(recorder.count(of: "CreateMultipartUpload"), 1)
        XCTAssertEqual(recorder.count(of: "UploadPart"), 3)
        XCTAssertEqual(recorder.count(of: "CompleteMultipartUpload"), 1)
        XCTAssertTrue(result.eTag?.hasSuffix("-3\"") ?? false, "multipart ETag: \(String(describing: result.eTag))")
        let head = try await s3.headObject(bucket: "big", key: "media/big.bin")
        XCTAssertEqual(head.contentLength, body.count)
        let downloaded = try await s3.getObject(bucket: "big", key: "media/big.bin")
        XCTAssertEqual(downloaded.body, body)
    }

    func testPresignedGetURLWorks() async throws {
        try await client.s3.createBucket("presign")
        try await client.s3.putObject(bucket: "presign", key: "a b.txt", body: Data("presigned".utf8))
        let url = try await client.s3.presignedGetURL(bucket: "presign", key: "a b.txt")
        XCTAssertTrue(url.absoluteString.contains("X-Amz-Signature="))
        let (data, response) = try await URLSession.shared.data(from: url)
        XCTAssertEqual((response as? HTTPURLResponse)?.statusCode, 200)
        XCTAssertEqual(data, Data("presigned".utf8))
    }
}
