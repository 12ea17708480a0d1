import AWS
import Foundation
import LDEdgeCore
import LDEdgeTestSupport
import XCTest

/// attach-trigger's `tableArn`: the execution role may read (only) the Relay Proxy's table; the policy
/// goes away on rollback and teardown, also on a role ldedge did not create.
final class AttachTriggerTableAccessTests: AWSStepsTestCase {
    let tableArn = "arn:aws:dynamodb:us-east-1:\(AWSEmulator.accountId):table/ldedge-relay"
    let trust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["lambda.amazonaws.com","edgelambda.amazonaws.com"]},"Action":"sts:AssumeRole"}]}"#

    func testReadPolicyOnAGivenRoleIsAddedAndRemovedOnRollbackAndTeardown() async throws {
        try writeSite()
        try writeZip()
        let role = try await emulator.client().iam.createRole(name: "given-edge", assumeRolePolicyDocument: trust)
        let yaml = rolloutWorkflow(extraTrigger: "\n      role: \(role.arn)\n      tableArn: \(tableArn)")

        // A fault after the policy was put: rollback deletes it and leaves the given role alone.
        try await emulator.injectFault(service: "lambda", operation: "PublishVersion", skip: 0)
        do {
            _ = try await engine().deploy(try load(yaml))
            XCTFail("the deploy should fail at PublishVersion")
        } catch {}
        try await emulator.clearFaults()
        var roles = try await emulator.inventory().roles
        XCTAssertEqual(roles["given-edge"]?.inlinePolicies, [:], "rollback removed the read policy")

        _ = try await engine().deploy(try load(yaml))
        roles = try await emulator.inventory().roles
        let document = try XCTUnwrap(roles["given-edge"]?.inlinePolicies["ldedge-dynamodb-read"])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(document.utf8)) as? [String: Any])
        let statements = try XCTUnwrap(object["Statement"] as? [[String: Any]])
        XCTAssertEqual(statements.count, 1)
        XCTAssertEqual(statements.first?["Resource"] as? String, tableArn)
        XCTAssertEqual(Set(statements.first?["Action"] as? [String] ?? []), ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem"])

        let again = try await engine().plan(try load(yaml))
        XCTAssertFalse(again.steps.flatMap { $0.plan?.changes ?? [] }.contains { $0.resource.contains("ldedge-dynamodb-read") && $0.action != .none },
                       "an unchanged policy is not put again")

        try await teardownUntilDone()
        roles = try await emulator.inventory().roles
        XCTAssertNotNil(roles["given-edge"], "the given role is kept")
        XCTAssertEqual(roles["given-edge"]?.inlinePolicies, [:], "teardown removed the read policy")
    }

    func testCreatedRoleGetsThePolicyAndTeardownRemovesRoleAndPolicy() async throws {
        try writeSite()
        try writeZip()
        let plan = try await engine().plan(try load(rolloutWorkflow(extraTrigger: "\n      tableArn: \(tableArn)")))
        XCTAssertTrue(plan.steps.flatMap { $0.plan?.changes ?? [] }.contains { $0.resource.contains("ldedge-dynamodb-read") }, "the plan shows the policy")
        _ = try await engine().deploy(try load(rolloutWorkflow(extraTrigger: "\n      tableArn: \(tableArn)")))
        let roles = try await emulator.inventory().roles
        let edge = try XCTUnwrap(roles.first { $0.key.hasSuffix("-edge") })
        XCTAssertNotNil(edge.value.inlinePolicies["ldedge-dynamodb-read"])
        try await teardownUntilDone()
        let after = try await emulator.inventory().roles
        XCTAssertTrue(after.isEmpty, "\(after.keys)")
    }

    func teardownUntilDone() async throws {
        for _ in 1...20 {
            do {
                _ = try await engine().teardown(workflow: "rollout")
                return
            } catch EngineError.teardownIncomplete {
                try await Task.sleep(nanoseconds: 300_000_000)
            }
        }
        XCTFail("teardown did not finish")
    }
}
