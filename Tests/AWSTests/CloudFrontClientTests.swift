@testable import AWS
import Foundation
import LDEdgeTestSupport
import XCTest

final class CloudFrontClientTests: EmulatorTestCase {
    func makeDistribution(associations: [LambdaFunctionAssociation] = []) async throws -> (Distribution, OriginAccessControl) {
        try await client.s3.createBucket("site")
        let oac = try await client.cloudFront.createOriginAccessControl(name: "site-oac", description: "ldedge")
        let config = try DistributionConfig.s3Origin(callerReference: "ldedge-test-1", comment: "rebrand", bucketDomainName: "site.s3.us-east-1.amazonaws.com",
                                                     originAccessControlId: oac.id, associations: associations)
        return (try await client.cloudFront.createDistribution(config), oac)
    }

    func testCreateGetAndDeployedWaiter() async throws {
        try await emulator.configure(cloudFrontDeploySeconds: 1)  // long enough to see InProgress on a loaded machine
        let (created, oac) = try await makeDistribution()
        XCTAssertEqual(created.status, "InProgress")
        XCTAssertNotNil(created.eTag)
        XCTAssertTrue(created.domainName.hasSuffix(".cloudfront.net"))
        XCTAssertEqual(created.config.origins.first?.originAccessControlId, oac.id, "the OAC id must survive")
        let progress = ProgressLog()
        let deployed = try await client.cloudFront.waitUntilDeployed(id: created.id, timeout: 10, pollInterval: 0.1) { elapsed, status in
            progress.append(elapsed, status)
        }
        XCTAssertEqual(deployed.status, "Deployed")
        XCTAssertGreaterThanOrEqual(progress.count, 2)
        let fetchedOAC = try await client.cloudFront.getOriginAccessControl(id: oac.id)
        XCTAssertEqual(fetchedOAC.name, "site-oac")
        XCTAssertEqual(fetchedOAC.signingBehavior, "always")
    }

    func testDeployedWaiterTimesOutWithAnActionableError() async throws {
        try await emulator.configure(cloudFrontDeploySeconds: 30)
        let (created, _) = try await makeDistribution()
        do {
            try await client.cloudFront.waitUntilDeployed(id: created.id, timeout: 0.3, pollInterval: 0.1)
            XCTFail("expected a timeout")
        } catch let error as AWSError {
            guard case .waiterTimeout = error else { return XCTFail("\(error)") }
            XCTAssertTrue(error.description.contains(created.id), error.description)
        }
    }

    func testUpdateKeepsUnknownFieldsAndAssociations() async throws {
        let function = try await createEdgeFunction()
        let version = try await client.lambda.publishVersion(name: function.functionName)
        let arn = try XCTUnwrap(version.versionArn)
        let (created, _) = try await makeDistribution()

        let updated = try await client.cloudFront.updateDistribution(id: created.id) { config in
            try config.setLambdaFunctionAssociations([LambdaFunctionAssociation(lambdaFunctionARN: arn, eventType: .viewerRequest)])
        }
        XCTAssertNotNil(updated)
        XCTAssertNotEqual(updated?.eTag, created.eTag, "every update gets a new ETag")
        let (config, _) = try await client.cloudFront.getDistributionConfig(id: created.id)
        XCTAssertEqual(config.lambdaFunctionAssociations(), [LambdaFunctionAssociation(lambdaFunctionARN: arn, eventType: .viewerRequest)])

        // Everything except the associations is byte-for-byte what was created.
        var withoutAssociations = config
        try withoutAssociations.setLambdaFunctionAssociations([])
        XCTAssertEqual(withoutAssociations, created.config)

        // A no-op change sends nothing.
        recorder.reset()
        let unchanged = try await client.cloudFront.updateDistribution(id: created.id) { config in
            try config.setLambdaFunctionAssociations([LambdaFunctionAssociation(lambdaFunctionARN: arn, eventType: .viewerRequest)])
        }
        XCTAssertNil(unchanged)
        XCTAssertEqual(recorder.mutatingCount, 0)
    }

    func testUnknownElementsRoundTripThroughTheEmulator() async throws {
        try await client.s3.createBucket("site")
        let xml = """
        <?xml version="1.0" encoding="UTF-8"?>
        <DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">
          <CallerReference>hand-written</CallerReference>
          <Aliases><Quantity>0</Quantity></Aliases>
          <DefaultRootObject>index.html</DefaultRootObject>
          <Origins><Quantity>1</Quantity><Items><Origin><Id>o1</Id><DomainName>site.s3.us-east-1.amazonaws.com</DomainName><OriginPath></OriginPath>
            <CustomHeaders><Quantity>1</Quantity><Items><OriginCustomHeader><HeaderName>X-Keep</HeaderName><HeaderValue>a &amp; b &lt;c&gt;</HeaderValue></OriginCustomHeader></Items></CustomHeaders>
            <S3OriginConfig><OriginAccessIdentity></OriginAccessIdentity></S3OriginConfig><FutureOriginSetting>kept</FutureOriginSetting></Origin></Items></Origins>
          <DefaultCacheBehavior><TargetOriginId>o1</TargetOriginId><ViewerProtocolPolicy>https-only</ViewerProtocolPolicy><Compress>true</Compress>
            <FieldLevelEncryptionId></FieldLevelEncryptionId><CachePolicyId>658327ea-f89d-4fab-a63d-7e88639e58f6</CachePolicyId></DefaultCacheBehavior>
          <Comment>  spaces kept  </Comment>
          <PriceClass>PriceClass_All</PriceClass>
          <Enabled>true</Enabled>
          <Restrictions><GeoRestriction><RestrictionType>whitelist</RestrictionType><Quantity>2</Quantity><Items><Location>DE</Location><Location>FR</Location></Items></GeoRestriction></Restrictions>
        </DistributionConfig>
        """
        let original = try DistributionConfig(xmlData: Data(xml.utf8))
        let created = try await client.cloudFront.createDistribution(original)
        XCTAssertEqual(created.config, original)
        XCTAssertEqual(created.config.comment, "  spaces kept  ")
        let function = try await createEdgeFunction()
        let published = try await client.lambda.publishVersion(name: function.functionName)
        let arn = try XCTUnwrap(published.versionArn)
        try await client.cloudFront.updateDistribution(id: created.id) { try $0.setLambdaFunctionAssociations([.init(lambdaFunctionARN: arn, eventType: .viewerRequest)]) }
        let (after, _) = try await client.cloudFront.getDistributionConfig(id: created.id)
        let behavior = try XCTUnwrap(after.xml.child("DefaultCacheBehavior"))
        XCTAssertEqual(behavior.elements.map(\.name), ["TargetOriginId", "ViewerProtocolPolicy", "Compress", "LambdaFunctionAssociations", "FieldLevelEncryptionId", "CachePolicyId"],
                       "associations are inserted in schema order")
        XCTAssertEqual(after.xml.child(path: ["Origins", "Items", "Origin", "FutureOriginSetting"])?.text, "kept")
        XCTAssertEqual(after.xml.child(path: ["Origins", "Items", "Origin", "CustomHeaders", "Items", "OriginCustomHeader", "HeaderValue"])?.text, "a & b <c>")
        XCTAssertEqual(after.xml.child(path: ["Restrictions", "GeoRestriction", "Items"])?.elements.map(\.text), ["DE", "FR"])
    }

    func testStaleIfMatchIsRetriedByReReading() async throws {
        let function = try await createEdgeFunction()
        let published = try await client.lambda.publishVersion(name: function.functionName)
        let arn = try XCTUnwrap(published.versionArn)
        let (created, _) = try await makeDistribution()
        let cloudFront = client.cloudFront
        // A direct update with a stale ETag fails with 412.
        let (config, eTag) = try await cloudFront.getDistributionConfig(id: created.id)
        var renamed = config
        renamed.comment = "someone else"
        _ = try await cloudFront.updateDistribution(id: created.id, config: renamed, ifMatch: eTag)
        do {
            _ = try await cloudFront.updateDistribution(id: created.id, config: config, ifMatch: eTag)
            XCTFail("stale If-Match must fail")
        } catch let error as AWSError {
            XCTAssertEqual(error.code, "PreconditionFailed")
            XCTAssertEqual(error.serviceError?.status, 412)
        }
        // The change-closure form re-reads and re-applies after a 412.
        try await emulator.injectFault(service: "cloudfront", operation: "UpdateDistribution", status: 412, code: "PreconditionFailed", count: 1)
        recorder.reset()
        let updated = try await cloudFront.updateDistribution(id: created.id) { config in
            try config.setLambdaFunctionAssociations([.init(lambdaFunctionARN: arn, eventType: .viewerRequest)])
        }
        XCTAssertEqual(updated?.config.lambdaFunctionAssociations().first?.lambdaFunctionARN, arn)
        XCTAssertEqual(updated?.config.comment, "someone else", "the other writer's change is kept")
        XCTAssertEqual(recorder.count(of: "GetDistributionConfig"), 2)
        XCTAssertEqual(recorder.count(of: "UpdateDistribution"), 2)
    }

    func testInvalidAssociationsAreRejected() async throws {
        let function = try await createEdgeFunction()
        let published = try await client.lambda.publishVersion(name: function.functionName)
        let version = try XCTUnwrap(published.versionArn)
        let unqualified = function.functionArn.replacingOccurrences(of: ":$LATEST", with: "")
        let (created, _) = try await makeDistribution()
        for bad in [unqualified, unqualified + ":$LATEST", version.replacingOccurrences(of: "us-east-1", with: "eu-west-1"), unqualified + ":live"] {
            do {
                try await client.cloudFront.updateDistribution(id: created.id) { try $0.setLambdaFunctionAssociations([.init(lambdaFunctionARN: bad, eventType: .viewerRequest)]) }
                XCTFail("\(bad) must be rejected")
            } catch let error as AWSError {
                XCTAssertEqual(error.code, "InvalidLambdaFunctionAssociation", "\(bad): \(error)")
                XCTAssertTrue(error.description.contains("numbered version ARN"), error.description)
            }
        }
    }

    func testLambdaEdgeLimitsAreEnforcedOnAssociation() async throws {
        let (created, _) = try await makeDistribution()
        // 256 MB is fine for Lambda but not for a viewer-request trigger.
        let big = try await createEdgeFunction(name: "too-big", memory: 256)
        let bigVersion = try await client.lambda.publishVersion(name: big.functionName)
        // A role only Lambda may assume cannot run at the edge.
        let roleArn = try await client.iam.createRole(name: "lambda-only", assumeRolePolicyDocument:
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#).arn
        try await client.lambda.createFunction(LambdaCreateFunctionRequest(functionName: "no-edge-trust", runtime: "nodejs20.x", role: roleArn,
                                                                           handler: "index.handler", zipFile: Self.handlerZip(), timeout: 5, memorySize: 128))
        try await client.lambda.waitUntilActive(name: "no-edge-trust", pollInterval: 0.05)
        let untrusted = try await client.lambda.publishVersion(name: "no-edge-trust")
        for (version, expected) in [(bigVersion, "memory size"), (untrusted, "edgelambda.amazonaws.com")] {
            let arn = try XCTUnwrap(version.versionArn)
            do {
                try await client.cloudFront.updateDistribution(id: created.id) { try $0.setLambdaFunctionAssociations([.init(lambdaFunctionARN: arn, eventType: .viewerRequest)]) }
                XCTFail("\(arn) must be rejected")
            } catch let error as AWSError {
                XCTAssertEqual(error.code, "InvalidLambdaFunctionAssociation")
                XCTAssertTrue(error.serviceError?.message.contains(expected) ?? false, error.description)
            }
        }
    }

    func testDeleteRequiresDisabledAndDeployed() async throws {
        let (created, oac) = try await makeDistribution()
        let cloudFront = client.cloudFront
        let current = try await cloudFront.getDistribution(id: created.id)
        do {
            try await cloudFront.deleteDistribution(id: created.id, ifMatch: current.eTag ?? "")
            XCTFail("enabled distributions cannot be deleted")
        } catch let error as AWSError {
            XCTAssertEqual(error.code, "DistributionNotDisabled")
            XCTAssertTrue(error.description.contains("Disable the distribution"), error.description)
        }
        let disabled = try await cloudFront.updateDistribution(id: created.id) { $0.enabled = false }
        XCTAssertEqual(disabled?.config.enabled, false)
        let deployed = try await cloudFront.waitUntilDeployed(id: created.id, timeout: 10, pollInterval: 0.1)
        try await cloudFront.deleteDistribution(id: created.id, ifMatch: deployed.eTag ?? "")
        let gone = try await cloudFront.distributionIfPresent(id: created.id)
        XCTAssertNil(gone)
        let fetchedOAC = try await cloudFront.getOriginAccessControl(id: oac.id)
        try await cloudFront.deleteOriginAccessControl(id: oac.id, ifMatch: fetchedOAC.eTag ?? "")
        do {
            _ = try await cloudFront.getOriginAccessControl(id: oac.id)
            XCTFail("deleted OAC must be gone")
        } catch let error as AWSError {
            XCTAssertTrue(error.isNotFound)
        }
    }

    func testReplicatedFunctionCannotBeDeletedUntilReplicasAreGone() async throws {
        try await emulator.configure(replicaReleaseSeconds: 0.5)
        let function = try await createEdgeFunction()
        let published = try await client.lambda.publishVersion(name: function.functionName)
        let arn = try XCTUnwrap(published.versionArn)
        let (created, _) = try await makeDistribution(associations: [.init(lambdaFunctionARN: arn, eventType: .viewerRequest)])
        do {
            try await client.lambda.deleteFunction(name: function.functionName)
            XCTFail("a replicated function cannot be deleted")
        } catch let error as AWSError {
            XCTAssertEqual(error.code, "InvalidParameterValueException")
            XCTAssertTrue(error.serviceError?.message.contains("replicated function") ?? false)
        }
        try await client.cloudFront.updateDistribution(id: created.id) { try $0.setLambdaFunctionAssociations([]) }
        try await Task.sleep(nanoseconds: 700_000_000)
        try await client.lambda.deleteFunction(name: function.functionName)
    }

    func testListingDistributionsAndOriginAccessControls() async throws {
        let (created, oac) = try await makeDistribution()
        let distributions = try await client.cloudFront.listDistributions()
        XCTAssertEqual(distributions.map(\.id), [created.id])
        XCTAssertEqual(distributions.first?.comment, "rebrand")
        XCTAssertEqual(distributions.first?.enabled, true)
        let controls = try await client.cloudFront.listOriginAccessControls()
        XCTAssertEqual(controls, [OriginAccessControlSummary(id: oac.id, name: "site-oac")])
    }

    func testRepeated412GivesUpAfterTheBound() async throws {
        let (created, _) = try await makeDistribution()
        try await emulator.injectFault(service: "cloudfront", operation: "UpdateDistribution", status: 412, code: "PreconditionFailed", count: 5)
        recorder.reset()
        do {
            try await client.cloudFront.updateDistribution(id: created.id, maxAttempts: 3) { $0.comment = "changed" }
            XCTFail("expected PreconditionFailed after 3 attempts")
        } catch let error as AWSError {
            XCTAssertEqual(error.code, "PreconditionFailed")
            XCTAssertTrue(error.description.contains("re-read it"), error.description)
        }
        XCTAssertEqual(recorder.count(of: "UpdateDistribution"), 3)
        try await emulator.clearFaults()
    }

    func testInvalidations() async throws {
        let (created, _) = try await makeDistribution()
        let invalidation = try await client.cloudFront.createInvalidation(distributionId: created.id, paths: ["/site/index.html", "/site/beta/*"])
        XCTAssertEqual(invalidation.status, "InProgress")
        XCTAssertEqual(invalidation.paths, ["/site/index.html", "/site/beta/*"])
        try await Task.sleep(nanoseconds: 400_000_000)
        let fetched = try await client.cloudFront.getInvalidation(distributionId: created.id, id: invalidation.id)
        XCTAssertEqual(fetched.status, "Completed")
    }
}

final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(TimeInterval, String)] = []
    func append(_ elapsed: TimeInterval, _ status: String) {
        lock.lock()
        entries.append((elapsed, status))
        lock.unlock()
    }
    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return entries.count
    }
}
