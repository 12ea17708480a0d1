import AWS
import Foundation
import LDEdgeTestSupport
import XCTest

final class IAMClientTests: EmulatorTestCase {
    let basicExecution = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"

    func testRoleLifecycle() async throws {
        let iam = client.iam
        let created = try await iam.createRole(name: "edge-role", assumeRolePolicyDocument: Self.edgeTrustPolicy, description: "ldedge test", tags: ["owner": "ldedge"])
        XCTAssertEqual(created.arn, "arn:aws:iam::\(AWSEmulator.accountId):role/edge-role")
        let fetched = try await iam.getRole(name: "edge-role")
        XCTAssertEqual(fetched.roleName, "edge-role")
        let trust = try JSONSerialization.jsonObject(with: Data((fetched.assumeRolePolicyDocument ?? "").utf8)) as? NSDictionary
        XCTAssertEqual(trust, try JSONSerialization.jsonObject(with: Data(Self.edgeTrustPolicy.utf8)) as? NSDictionary)

        let lambdaOnly = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
        try await iam.updateAssumeRolePolicy(roleName: "edge-role", policyDocument: lambdaOnly)
        let updated = try await iam.getRole(name: "edge-role")
        XCTAssertFalse(updated.assumeRolePolicyDocument?.contains("edgelambda") ?? true)

        try await iam.attachRolePolicy(roleName: "edge-role", policyArn: basicExecution)
        let attached = try await iam.listAttachedRolePolicies(roleName: "edge-role")
        XCTAssertEqual(attached.map(\.policyArn), [basicExecution])
        XCTAssertEqual(attached.first?.policyName, "AWSLambdaBasicExecutionRole")

        let inline = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:CreateLogGroup","Resource":"*"}]}"#
        try await iam.putRolePolicy(roleName: "edge-role", policyName: "logs", policyDocument: inline)
        let inlineNames = try await iam.listRolePolicies(roleName: "edge-role")
        XCTAssertEqual(inlineNames, ["logs"])
        let inlineRead = try await iam.getRolePolicy(roleName: "edge-role", policyName: "logs")
        XCTAssertEqual(try JSONSerialization.jsonObject(with: Data(inlineRead.utf8)) as? NSDictionary,
                       try JSONSerialization.jsonObject(with: Data(inline.utf8)) as? NSDictionary)

        try await iam.deleteRolePolicy(roleName: "edge-role", policyName: "logs")
        try await iam.detachRolePolicy(roleName: "edge-role", policyArn: basicExecution)
        let afterDetach = try await iam.listAttachedRolePolicies(roleName: "edge-role")
        XCTAssertEqual(afterDetach, [])
        try await iam.deleteRole(name: "edge-role")
        let gone = try await iam.roleIfPresent(name: "edge-role")
        XCTAssertNil(gone)
    }

    func testDuplicateRoleIsATypedConflict() async throws {
        try await client.iam.createRole(name: "dup", assumeRolePolicyDocument: Self.edgeTrustPolicy)
        do {
            try await client.iam.createRole(name: "dup", assumeRolePolicyDocument: Self.edgeTrustPolicy)
            XCTFail("expected EntityAlreadyExists")
        } catch let error as AWSError {
            XCTAssertEqual(error.code, "EntityAlreadyExists")
            XCTAssertEqual(error.serviceError?.service, .iam)
            XCTAssertEqual(error.serviceError?.operation, "CreateRole")
            XCTAssertTrue(error.description.contains("role dup"), error.description)
        }
    }

    func testMissingRoleIsNotFound() async throws {
        do {
            _ = try await client.iam.getRole(name: "missing")
            XCTFail("expected NoSuchEntity")
        } catch let error as AWSError {
            XCTAssertEqual(error.code, "NoSuchEntity")
            XCTAssertTrue(error.isNotFound)
            XCTAssertEqual(error.serviceError?.status, 404)
        }
    }
}

final class STSClientTests: EmulatorTestCase {
    func testCallerIdentityAndAssumeRole() async throws {
        let identity = try await client.sts.getCallerIdentity()
        XCTAssertEqual(identity.account, AWSEmulator.accountId)
        XCTAssertFalse(identity.arn.isEmpty)

        let role = try await client.iam.createRole(name: "deployer", assumeRolePolicyDocument: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#)
        let assumed = try await client.sts.assumeRole(roleArn: role.arn, sessionName: "ldedge-test", durationSeconds: 900)
        XCTAssertNotNil(assumed.credentials.sessionToken)
        XCTAssertNotNil(assumed.credentials.expiration)
        XCTAssertTrue(assumed.assumedRoleArn?.contains("deployer") ?? false)
        XCTAssertFalse(assumed.credentials.description.contains(assumed.credentials.secretAccessKey))

        let web = try await client.sts.assumeRoleWithWebIdentity(roleArn: role.arn, sessionName: "gha", webIdentityToken: "eyJhbGciOiJSUzI1NiJ9.e30.sig")
        XCTAssertNotNil(web.credentials.sessionToken)
        let calls = try await emulator.calls()
        XCTAssertTrue(calls.contains { $0.operation == "AssumeRoleWithWebIdentity" && $0.service == "sts" })
    }
}
