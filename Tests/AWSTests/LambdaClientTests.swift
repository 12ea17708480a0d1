import AWS
import Foundation
import LDEdgeTestSupport
import XCTest

final class LambdaClientTests: EmulatorTestCase {
    func testFunctionLifecycleWithWaitersAndVersions() async throws {
        try await emulator.configure(lambdaReadySeconds: 1.5)  // wide enough to hit the in-progress window on a loaded machine
        let lambda = client.lambda
        let roleArn = try await client.iam.createRole(name: "edge-role", assumeRolePolicyDocument: Self.edgeTrustPolicy).arn
        let zip = Self.handlerZip()
        let created = try await lambda.createFunction(LambdaCreateFunctionRequest(
            functionName: "edge-router", runtime: "python3.12", role: roleArn, handler: "index.handler", zipFile: zip,
            description: "viewer request router", timeout: 5, memorySize: 128, tags: ["ldedge": "test"]))
        XCTAssertEqual(created.state, "Pending", "the emulator, like AWS, creates functions Pending")
        let active = try await lambda.waitUntilActive(name: "edge-router", pollInterval: 0.05)
        XCTAssertEqual(active.state, "Active")
        XCTAssertEqual(active.memorySize, 128)
        XCTAssertEqual(active.timeout, 5)
        XCTAssertEqual(active.runtime, "python3.12")

        let function = try await lambda.getFunction(name: "edge-router")
        XCTAssertEqual(function.configuration.codeSha256, created.codeSha256)
        XCTAssertEqual(function.tags?["ldedge"], "test")

        let v1 = try await lambda.publishVersion(name: "edge-router", codeSha256: created.codeSha256, description: "first")
        XCTAssertEqual(v1.version, "1")
        XCTAssertEqual(v1.versionArn, "arn:aws:lambda:us-east-1:\(AWSEmulator.accountId):function:edge-router:1")

        let newZip = Self.handlerZip("def handler(event, context):\n    return {'status': '302'}\n")
        let updated = try await lambda.updateFunctionCode(name: "edge-router", zipFile: newZip)
        XCTAssertNotEqual(updated.codeSha256, created.codeSha256)
        do {
            try await lambda.publishVersion(name: "edge-router", codeSha256: updated.codeSha256)
            XCTFail("publishing during an update must conflict")
        } catch let error as AWSError {
            XCTAssertEqual(error.code, "ResourceConflictException", "\(error)")
        }
        try await lambda.waitUntilUpdated(name: "edge-router", pollInterval: 0.05)
        let v2 = try await lambda.publishVersion(name: "edge-router", codeSha256: updated.codeSha256)
        XCTAssertEqual(v2.version, "2")

        try await lambda.updateFunctionConfiguration(name: "edge-router", LambdaFunctionConfigurationUpdate(description: "changed", timeout: 3))
        let configured = try await lambda.waitUntilUpdated(name: "edge-router", pollInterval: 0.05)
        XCTAssertEqual(configured.timeout, 3)
        XCTAssertEqual(configured.description, "changed")
        let versionOne = try await lambda.getFunctionConfiguration(name: "edge-router", qualifier: "1")
        XCTAssertEqual(versionOne.timeout, 5, "published versions are immutable")

        let versions = try await lambda.listVersionsByFunction(name: "edge-router", pageSize: 1)
        XCTAssertEqual(versions.compactMap(\.version), ["$LATEST", "1", "2"])

        try await lambda.deleteFunction(name: "edge-router", qualifier: "1")
        let remaining = try await lambda.listVersionsByFunction(name: "edge-router")
        XCTAssertEqual(remaining.compactMap(\.version), ["$LATEST", "2"])
        try await lambda.deleteFunction(name: "edge-router")
        let gone = try await lambda.functionIfPresent(name: "edge-router")
        XCTAssertNil(gone)
    }

    func testPublishVersionWithStaleCodeShaIsRefused() async throws {
        _ = try await createEdgeFunction()
        do {
            try await client.lambda.publishVersion(name: "edge-router", codeSha256: "c3RhbGU=")
            XCTFail("stale CodeSha256 must be refused")
        } catch let error as AWSError {
            XCTAssertEqual(error.serviceError?.service, .lambda)
            XCTAssertTrue(["InvalidParameterValueException", "PreconditionFailedException"].contains(error.code ?? ""), "\(error)")
        }
    }

    func testUnknownRuntimeIsRejected() async throws {
        let roleArn = try await client.iam.createRole(name: "r", assumeRolePolicyDocument: Self.edgeTrustPolicy).arn
        do {
            try await client.lambda.createFunction(LambdaCreateFunctionRequest(functionName: "bad", runtime: "cobol85", role: roleArn, handler: "x", zipFile: Self.handlerZip()))
            XCTFail("unknown runtime must be rejected")
        } catch let error as AWSError {
            XCTAssertEqual(error.code, "InvalidParameterValueException")
            XCTAssertTrue(error.description.contains("runtime"), error.description)
        }
    }

    func testMissingFunctionIsNotFound() async throws {
        do {
            _ = try await client.lambda.getFunctionConfiguration(name: "ghost")
            XCTFail("expected ResourceNotFoundException")
        } catch let error as AWSError {
            XCTAssertEqual(error.code, "ResourceNotFoundException")
            XCTAssertTrue(error.isNotFound)
            XCTAssertTrue(error.description.contains("function ghost"), error.description)
        }
    }

    func testCreateFunctionWaitsForANewRoleToPropagate() async throws {
        try await emulator.configure(iamPropagationSeconds: 3)
        let roleArn = try await client.iam.createRole(name: "fresh-role", assumeRolePolicyDocument: Self.edgeTrustPolicy).arn
        let request = LambdaCreateFunctionRequest(functionName: "fresh", runtime: "nodejs20.x", role: roleArn, handler: "index.handler", zipFile: Self.handlerZip())
        let created = try await client.lambda.createFunction(request, rolePropagationPollInterval: 0.2)
        XCTAssertEqual(created.functionName, "fresh")
        XCTAssertGreaterThanOrEqual(recorder.count(of: "CreateFunction"), 2, "the first attempt saw the role not yet assumable")
    }

    func testReplicatedFunctionDeleteErrorIsSurfaced() async throws {
        _ = try await createEdgeFunction()
        try await emulator.injectFault(service: "lambda", operation: "DeleteFunction", status: 400, code: "InvalidParameterValueException",
                                       message: "Lambda was unable to delete arn:aws:lambda:us-east-1:123456789012:function:edge-router:1 because it is a replicated function.")
        do {
            try await client.lambda.deleteFunction(name: "edge-router")
            XCTFail("expected the replicated-function error")
        } catch let error as AWSError {
            XCTAssertEqual(error.code, "InvalidParameterValueException")
            XCTAssertTrue(error.isReplicatedFunction, "\(error)")
            XCTAssertEqual(recorder.count(of: "DeleteFunction"), 1, "a 400 is not retried")
        }
        try await client.lambda.deleteFunction(name: "edge-router")
    }
}
