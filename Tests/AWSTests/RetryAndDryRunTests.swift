import AWS
import Foundation
import LDEdgeTestSupport
import XCTest

final class RetryAndDryRunTests: EmulatorTestCase {
    func testThrottlingIsRetriedToSuccess() async throws {
        let patient = emulator.client(retry: RetryPolicy(maxAttempts: 5, baseDelay: 0.01, maxDelay: 0.05), observer: recorder)
        try await patient.s3.createBucket("throttled")
        for (service, operation, status, code) in [("s3", "PutObject", 503, "SlowDown"), ("iam", "CreateRole", 400, "Throttling"),
                                                   ("lambda", "ListVersionsByFunction", 429, "TooManyRequestsException"),
                                                   ("sts", "GetCallerIdentity", 500, "InternalError")] {
            try await emulator.injectFault(service: service, operation: operation, status: status, code: code, count: 3)
        }
        recorder.reset()
        try await patient.s3.putObject(bucket: "throttled", key: "k", body: Data("v".utf8))
        XCTAssertEqual(recorder.count(of: "PutObject"), 4)
        try await patient.iam.createRole(name: "r", assumeRolePolicyDocument: Self.edgeTrustPolicy)
        XCTAssertEqual(recorder.count(of: "CreateRole"), 4)
        _ = try await patient.sts.getCallerIdentity()
        XCTAssertEqual(recorder.count(of: "GetCallerIdentity"), 4)
        do {
            _ = try await patient.lambda.listVersionsByFunction(name: "nothing")
        } catch let error as AWSError {
            XCTAssertEqual(error.code, "ResourceNotFoundException", "after the throttles the real answer comes through")
        }
        XCTAssertEqual(recorder.count(of: "ListVersionsByFunction"), 4)
    }

    func testRetriesGiveUpAfterMaxAttemptsWithATypedError() async throws {
        try await client.s3.createBucket("retry-bucket")
        try await emulator.injectFault(service: "s3", operation: "PutObject", status: 503, code: "SlowDown", message: "Please reduce your request rate.", count: 10)
        recorder.reset()
        do {
            try await client.s3.putObject(bucket: "retry-bucket", key: "k", body: Data())
            XCTFail("expected SlowDown")
        } catch let error as AWSError {
            let detail = try XCTUnwrap(error.serviceError)
            XCTAssertEqual(detail.service, .s3)
            XCTAssertEqual(detail.operation, "PutObject")
            XCTAssertEqual(detail.status, 503)
            XCTAssertEqual(detail.code, "SlowDown")
            XCTAssertEqual(detail.message, "Please reduce your request rate.")
            XCTAssertNotNil(detail.requestId)
            XCTAssertTrue(error.description.contains("s3://retry-bucket/k"), error.description)
        }
        XCTAssertEqual(recorder.count(of: "PutObject"), 3)
        try await emulator.clearFaults()
    }

    func testRetryAfterIsHonoured() async throws {
        try await client.s3.createBucket("retry-bucket")
        try await emulator.injectFault(service: "s3", operation: "HeadBucket", status: 503, code: "SlowDown", count: 1, retryAfter: 1)
        let start = Date()
        try await client.s3.headBucket("retry-bucket")
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start), 0.9)
    }

    func testNonRetryableErrorsSurfaceAtOnce() async throws {
        try await emulator.injectFault(service: "iam", operation: "GetRole", status: 403, code: "AccessDenied", message: "not allowed", count: 5)
        recorder.reset()
        do {
            _ = try await client.iam.getRole(name: "x")
            XCTFail("expected AccessDenied")
        } catch let error as AWSError {
            XCTAssertEqual(error.code, "AccessDenied")
            XCTAssertTrue(error.description.contains("IAM does not allow iam:GetRole on "), error.description)
            XCTAssertTrue(error.description.contains("`ldedge iam-policy WORKFLOW` prints the policy this workflow needs"), error.description)
        }
        XCTAssertEqual(recorder.count(of: "GetRole"), 1)
        try await emulator.clearFaults()
    }

    func testConnectionFailuresAreRetriedThenReported() async throws {
        let unreachable = AWSClient(configuration: AWSConfiguration(region: "us-east-1", credentials: AWSEmulator.credentials,
                                                                    endpointURL: URL(string: "http://127.0.0.1:1"),
                                                                    retry: RetryPolicy(maxAttempts: 2, baseDelay: 0.01), observer: recorder))
        // AsyncHTTPClient keeps retrying a refused connection until the request deadline; keep it short here.
        var configuration = unreachable.configuration
        configuration.requestTimeout = 1
        let shortTimeout = AWSClient(configuration: configuration)
        recorder.reset()
        do {
            _ = try await shortTimeout.sts.getCallerIdentity()
            XCTFail("expected a transport error")
        } catch let error as AWSError {
            guard case .transport = error else { return XCTFail("\(error)") }
            XCTAssertTrue(error.description.contains("AWS_ENDPOINT_URL"), error.description)
        }
        XCTAssertEqual(recorder.events.count, 2)
    }

    func testDryRunRefusesEveryMutatingCallButAllowsReads() async throws {
        try await client.s3.createBucket("existing")
        let dry = client.withDryRun(true)
        try await emulator.clearCalls()
        let exists = try await dry.s3.bucketExists("existing")
        XCTAssertTrue(exists)
        _ = try await dry.sts.getCallerIdentity()
        let attempts: [(String, () async throws -> Void)] = [
            ("CreateBucket", { try await dry.s3.createBucket("new") }),
            ("PutObject", { try await dry.s3.putObject(bucket: "existing", key: "k", body: Data()) }),
            ("DeleteObjects", { _ = try await dry.s3.deleteObjects(bucket: "existing", keys: ["k"]) }),
            ("CreateRole", { try await dry.iam.createRole(name: "r", assumeRolePolicyDocument: "{}") }),
            ("CreateFunction", { try await dry.lambda.createFunction(LambdaCreateFunctionRequest(functionName: "f", runtime: "python3.12", role: "arn", handler: "h", zipFile: Data())) }),
            ("PublishVersion", { try await dry.lambda.publishVersion(name: "f") }),
            ("CreateOriginAccessControl", { _ = try await dry.cloudFront.createOriginAccessControl(name: "o") }),
            ("DeleteDistribution", { try await dry.cloudFront.deleteDistribution(id: "E1", ifMatch: "x") }),
        ]
        for (operation, attempt) in attempts {
            do {
                try await attempt()
                XCTFail("\(operation) must be refused in dry run")
            } catch let error as AWSError {
                guard case let .dryRun(_, refused, _) = error else { return XCTFail("\(operation): \(error)") }
                XCTAssertEqual(refused, operation)
                XCTAssertTrue(error.description.contains("nothing was changed"))
            }
        }
        let mutating = try await emulator.mutatingCalls()
        XCTAssertEqual(mutating, [], "no mutating call reached the emulator")
        let calls = try await emulator.calls()
        XCTAssertEqual(calls.map(\.operation), ["HeadBucket", "GetCallerIdentity"])
    }

    func testRecorderCountsMutatingCalls() async throws {
        try await client.s3.createBucket("count")
        try await client.s3.putObject(bucket: "count", key: "a", body: Data("1".utf8))
        _ = try await client.s3.headObject(bucket: "count", key: "a")
        XCTAssertEqual(recorder.mutatingCalls.map(\.operation), ["CreateBucket", "PutObject"])
        XCTAssertEqual(recorder.events.count, 3)
        let emulatorView = try await emulator.mutatingCalls().map(\.operation)
        XCTAssertEqual(emulatorView, ["CreateBucket", "PutObject"])
    }

    func testInventorySnapshotsEverything() async throws {
        let empty = try await emulator.inventory()
        XCTAssertTrue(empty.isEmpty, "\(empty)")
        try await client.s3.createBucket("inv")
        try await client.s3.putObject(bucket: "inv", key: "index.html", body: Data("<h1>".utf8), options: S3PutObjectOptions(contentType: "text/html"))
        _ = try await createEdgeFunction()
        let inventory = try await emulator.inventory()
        XCTAssertEqual(inventory.buckets["inv"]?.objects["index.html"]?.size, 4)
        XCTAssertEqual(inventory.roles["edge-role"]?.arn, "arn:aws:iam::123456789012:role/edge-role")
        XCTAssertEqual(inventory.functions["edge-router"]?.versions, ["$LATEST"])
    }
}
