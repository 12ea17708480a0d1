import AWS
import Foundation
import LDEdgeTestSupport
import XCTest

/// The CloudFront Functions and KeyValueStore clients against the AWS emulator, every data-plane
/// request signed with SigV4A and verified by awscrt in the emulator; botocore's own clients
/// against the same emulator; our SigV4A signatures verified by awscrt directly.
final class KeyValueStoreClientTests: XCTestCase {
    var emulator: AWSEmulator!

    override func setUp() async throws {
        emulator = try await AWSEmulator.shared()
        try await emulator.reset()
        try await EdgeFixtures.verifySigV4A(emulator)
    }

    func testStoreFunctionAndKeysRoundTripWithSigV4AVerifiedByTheEmulator() async throws {
        let client = emulator.client()
        let cloudFront = client.cloudFront
        let store = try await cloudFront.createKeyValueStore(name: "flags", comment: "test")
        XCTAssertTrue(store.arn.hasPrefix("arn:aws:cloudfront::"))
        let listed = try await cloudFront.listKeyValueStores().map(\.name)
        XCTAssertEqual(listed, ["flags"])

        let kvs = client.keyValueStore
        var eTag = try await kvs.describe(store: store.arn).eTag
        eTag = try await kvs.putKey(store: store.arn, key: "rebrand", value: #"{"v":1}"#, ifMatch: eTag)
        do {
            try await kvs.putKey(store: store.arn, key: "rebrand", value: "stale", ifMatch: "EWRONG")
            XCTFail("a stale If-Match must be refused")
        } catch let error as AWSError {
            XCTAssertEqual(error.code, "ConflictException")
        }
        do {
            try await kvs.putKey(store: store.arn, key: "big", value: String(repeating: "x", count: 1025), ifMatch: eTag)
            XCTFail("a value over 1 KB must be refused")
        } catch let error as AWSError {
            XCTAssertEqual(error.code, "ValidationException")
        }
        let puts = (0..<50).map { KeyValueStoreClient.KeyValue(key: "k\($0)", value: "v") }
        eTag = try await kvs.updateKeys(store: store.arn, ifMatch: eTag, puts: puts)
        let all = try await kvs.listKeys(store: store.arn)
        XCTAssertEqual(all.count, 51)
        let value = try await kvs.getKey(store: store.arn, key: "rebrand")
        XCTAssertEqual(value, #"{"v":1}"#)
        let missing = try await kvs.getKey(store: store.arn, key: "missing")
        XCTAssertNil(missing)
        eTag = try await kvs.updateKeys(store: store.arn, ifMatch: eTag, deletes: puts.map(\.key))
        _ = try await kvs.deleteKey(store: store.arn, key: "rebrand", ifMatch: eTag)

        let code = Data("import cf from 'cloudfront';\nconst s = cf.kvs();\nasync function handler(event) { return event.request; }\n".utf8)
        let created = try await cloudFront.createFunction(name: "fn", comment: "test", keyValueStoreARNs: [store.arn], code: code)
        XCTAssertEqual(created.keyValueStoreARNs, [store.arn])
        let fetched = try await cloudFront.getFunction(name: "fn").code
        XCTAssertEqual(fetched, code)
        let event = Data(#"{"version":"1.0","viewer":{"ip":"1.2.3.4"},"request":{"method":"GET","uri":"/x","querystring":{},"headers":{},"cookies":{}}}"#.utf8)
        let tested = try await cloudFront.testFunction(name: "fn", ifMatch: created.eTag ?? "", event: event)
        XCTAssertTrue(tested.output?.contains("\"/x\"") ?? false, "\(tested)")
        _ = try await cloudFront.publishFunction(name: "fn", ifMatch: created.eTag ?? "")
        let live = try await cloudFront.describeFunction(name: "fn", stage: .live)
        XCTAssertEqual(live.stage, "LIVE")
        let names = try await cloudFront.listFunctions().map(\.name)
        XCTAssertEqual(names, ["fn"])
        do {
            try await cloudFront.deleteKeyValueStore(name: "flags", ifMatch: try await cloudFront.describeKeyValueStore(name: "flags").eTag ?? "")
            XCTFail("a store a function uses cannot be deleted")
        } catch let error as AWSError {
            XCTAssertEqual(error.code, "CannotDeleteEntityWhileInUse")
        }
        try await cloudFront.deleteFunction(name: "fn", ifMatch: try await cloudFront.describeFunction(name: "fn").eTag ?? "")
        try await cloudFront.deleteKeyValueStore(name: "flags", ifMatch: try await cloudFront.describeKeyValueStore(name: "flags").eTag ?? "")

        let counts = try await EdgeFixtures.sigV4ACounts(emulator)
        print("SigV4A in the emulator (awscrt): \(counts)")
        XCTAssertEqual(counts["mismatches"], 0)
        XCTAssertEqual(counts["unchecked"], 0)
        XCTAssertGreaterThanOrEqual(counts["verified"] ?? 0, 10)
    }

    /// A function a distribution uses cannot be deleted; the association survives a config round trip verbatim.
    func testFunctionInUseCannotBeDeletedAndTheAssociationIsKeptVerbatim() async throws {
        let cloudFront = emulator.client().cloudFront
        let code = Data("async function handler(event) { return event.request; }\n".utf8)
        let created = try await cloudFront.createFunction(name: "in-use", comment: "t", code: code)
        _ = try await cloudFront.publishFunction(name: "in-use", ifMatch: created.eTag ?? "")
        var config = try DistributionConfig.s3Origin(callerReference: "ref-\(UUID().uuidString)", comment: "t", bucketDomainName: "b.s3.amazonaws.com", originAccessControlId: nil)
        try config.setFunctionAssociation(created.arn, eventType: "viewer-request")
        let distribution = try await cloudFront.createDistribution(config)
        XCTAssertEqual(distribution.config.functionAssociations(), [FunctionAssociation(functionARN: created.arn, eventType: "viewer-request")])
        let read = try await cloudFront.getDistributionConfig(id: distribution.id).config
        XCTAssertEqual(read.functionAssociations().map(\.functionARN), [created.arn])
        do {
            try await cloudFront.deleteFunction(name: "in-use", ifMatch: try await cloudFront.describeFunction(name: "in-use").eTag ?? "")
            XCTFail("a function in use cannot be deleted")
        } catch let error as AWSError {
            XCTAssertEqual(error.code, "FunctionInUse")
        }
        try await cloudFront.updateDistribution(id: distribution.id) { try $0.setFunctionAssociation(nil, eventType: "viewer-request") }
        try await cloudFront.deleteFunction(name: "in-use", ifMatch: try await cloudFront.describeFunction(name: "in-use").eTag ?? "")
    }

    /// botocore's own `cloudfront` and `cloudfront-keyvaluestore` clients (SigV4A through awscrt) against the emulator.
    func testBotocoreClientsWorkAgainstTheEmulatorUnchanged() async throws {
        let result = try EdgeFixtures.python([EdgeFixtures.fixtures.appendingPathComponent("botocore_clients.py").path, emulator.endpoint.absoluteString])
        print("botocore: \(result.stdout)")
        XCTAssertTrue(result.stdout.contains("\"ok\": true"), result.stdout + result.stderr)
    }

    /// 200 requests signed by SigV4ASigner, each verified by awscrt (EC.verify with the key awscrt's KDF derives).
    func testOurSigV4ASignaturesAreVerifiedByAwscrt() throws {
        let credentials = AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", source: "test")
        let signer = SigV4ASigner(service: "cloudfront-keyvaluestore")
        var cases: [[String: Any]] = []
        for index in 0..<200 {
            let path = "/key-value-stores/arn%3Aaws%3Acloudfront%3A%3A123456789012%3Akey-value-store%2Fabc/keys/key\(index)"
            let body = Data(#"{"Value":"v\#(index)"}"#.utf8)
            let query = index % 2 == 0 ? [("MaxResults", "50"), ("NextToken", "a b/\(index)")] : []
            let request = SignableRequest(method: index % 3 == 0 ? "GET" : "PUT", host: "123456789012.localhost:8080", encodedPath: path, query: query,
                                          headers: [("If-Match", "ETAG\(index)"), ("Content-Type", "application/json")], body: body)
            let signature = try signer.sign(request, credentials: credentials, date: Date(timeIntervalSince1970: 1_760_000_000 + Double(index)))
            var headers: [String: String] = ["host": request.host, "authorization": signature.authorization]
            for (name, value) in signature.headers { headers[name.lowercased()] = value }
            let queryString = query.map { "\(URIEncoding.encode($0.0))=\(URIEncoding.encode($0.1))" }.joined(separator: "&")
            cases.append(["method": request.method, "path": path, "query": queryString, "headers": headers, "body": body.base64EncodedString()])
        }
        let directory = try TemporaryDirectory("sigv4a")
        defer { directory.remove() }
        let file = directory.file("cases.json")
        try JSONSerialization.data(withJSONObject: ["accessKeyId": credentials.accessKeyId, "secret": credentials.secretAccessKey, "cases": cases]).write(to: file)
        let result = try EdgeFixtures.python([EdgeFixtures.fixtures.appendingPathComponent("sigv4a_verify.py").path, file.path])
        print("awscrt: \(result.stdout)")
        XCTAssertTrue(result.stdout.contains("\"verified\": 200, \"mismatches\": 0"), result.stdout + result.stderr)
    }
}
