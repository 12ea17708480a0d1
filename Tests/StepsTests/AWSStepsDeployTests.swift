import AWS
import Foundation
import LDEdgeApp
import LDEdgeCore
import LDEdgeTestSupport
import XCTest

/// Deploy, no-change redeploy, change, teardown and replica-aware teardown of the three AWS steps.
final class AWSStepsDeployTests: AWSStepsTestCase {
    func testDeployThenNoChangeRedeployMakesNoMutatingCall() async throws {
        try writeSite()
        try writeZip()
        let workflow = try load(rolloutWorkflow())

        let plan = try await engine().plan(workflow)
        XCTAssertFalse(plan.hasErrors, plan.allFindings.map(\.description).joined(separator: "\n"))
        let rendered = PlanRenderer(colors: false).render(plan)
        XCTAssertTrue(rendered.contains("create bucket ldedge-test-site"), rendered)
        XCTAssertTrue(rendered.contains("(known after apply)"), rendered)
        let calls1 = try await emulator.mutatingCalls()
        XCTAssertEqual(calls1, [], "plan changes nothing")

        let report = try await engine().deploy(workflow)
        XCTAssertEqual(report.applied, ["site", "cdn", "edge"])
        let outputs = try XCTUnwrap(report.outputs["edge"])
        XCTAssertEqual(outputs["version"], "1")
        XCTAssertEqual(outputs["versionArn"], "arn:aws:lambda:us-east-1:\(AWSEmulator.accountId):function:rollout-edge:1")
        XCTAssertEqual(report.outputs["site"]?["uploaded"], "3")

        let inventory = try await emulator.inventory()
        let bucket = try XCTUnwrap(inventory.buckets["ldedge-test-site"])
        XCTAssertEqual(Set(bucket.objects.keys), ["index.html", "beta/index.html", "style.css"])
        XCTAssertEqual(bucket.objects["index.html"]?.contentType, "text/html; charset=utf-8")
        XCTAssertEqual(bucket.objects["style.css"]?.contentType, "text/css; charset=utf-8")
        XCTAssertTrue(bucket.publicAccessBlock)
        XCTAssertTrue(bucket.policy?.contains("cloudfront.amazonaws.com") ?? false, bucket.policy ?? "no policy")
        let distributionID = try XCTUnwrap(report.outputs["cdn"]?["id"])
        let distribution = try XCTUnwrap(inventory.distributions[distributionID])
        XCTAssertEqual(distribution.lambdaAssociations.map(\.arn), [outputs["versionArn"] ?? ""])
        XCTAssertEqual(distribution.lambdaAssociations.map(\.eventType), ["viewer-request"])
        XCTAssertTrue(distribution.config.contains("<OriginAccessControlId>"), distribution.config)
        XCTAssertEqual(inventory.functions["rollout-edge"]?.region, "us-east-1")
        XCTAssertEqual(inventory.originAccessControls.count, 1)
        XCTAssertEqual(inventory.roles.count, 1)

        try await emulator.clearCalls()
        let again = try await engine().deploy(try load(rolloutWorkflow()))
        XCTAssertEqual(again.applied, [])
        XCTAssertEqual(again.unchanged, ["site", "cdn", "edge"])
        let calls2 = try await emulator.mutatingCalls()
        XCTAssertEqual(calls2, [], "a no-change redeploy makes zero mutating calls")
        XCTAssertEqual(again.outputs["edge"]?["version"], "1")
        let after = try await emulator.inventory()
        XCTAssertEqual(after.functions["rollout-edge"]?.versions, inventory.functions["rollout-edge"]?.versions, "no version published")
    }

    func testChangedFileAndCodeUploadOneFileAndPublishOneVersion() async throws {
        try writeSite()
        try writeZip()
        _ = try await engine().deploy(try load(rolloutWorkflow()))

        try directory.write("site/beta/index.html", "<h1>new site v2</h1>")
        try writeZip(body: "return request  # v2")
        try await emulator.clearCalls()
        let report = try await engine().deploy(try load(rolloutWorkflow()))
        XCTAssertEqual(report.applied, ["site", "edge"])
        XCTAssertEqual(report.outputs["site"]?["uploaded"], "1")
        XCTAssertEqual(report.outputs["site"]?["unchanged"], "2")
        XCTAssertEqual(report.outputs["edge"]?["version"], "2")
        let operations = try await emulator.mutatingCalls().map(\.operation)
        XCTAssertEqual(operations.filter { $0 == "PutObject" }.count, 1)
        XCTAssertEqual(operations.filter { $0 == "PublishVersion" }.count, 1)
        XCTAssertEqual(operations.filter { $0 == "UpdateDistribution" }.count, 1)
        let distribution = try await emulator.inventory().distributions[report.outputs["cdn"]?["id"] ?? ""]
        XCTAssertEqual(distribution?.lambdaAssociations.map(\.arn), [report.outputs["edge"]?["versionArn"] ?? ""])
    }

    func testTeardownLeavesNothingTheWorkflowCreated() async throws {
        // The emulator releases replicas at once here; the next test covers the hours-long case.
        try await emulator.configure(replicaReleaseSeconds: 0)
        try writeSite()
        try writeZip()
        _ = try await engine().deploy(try load(rolloutWorkflow()))
        let report = try await engine().teardown(workflow: "rollout")
        XCTAssertEqual(report.steps, ["edge", "cdn", "site"])
        let inventory = try await emulator.inventory()
        XCTAssertTrue(inventory.isEmpty, "left behind: \(inventory)")
        XCTAssertTrue(try state().isEmpty)
    }

    func testTeardownStoppedByReplicatedFunctionResumesOnTheNextRun() async throws {
        try writeSite()
        try writeZip()
        _ = try await engine().deploy(try load(rolloutWorkflow()))
        try await emulator.configure(replicaReleaseSeconds: 4)
        do {
            _ = try await engine().teardown(workflow: "rollout")
            XCTFail("the replicated function should stop the first teardown")
        } catch let error as EngineError {
            guard case .teardownIncomplete(let failed, let pending) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(failed, [:])
            XCTAssertEqual(Array(pending.keys), ["edge"])
            XCTAssertTrue(pending["edge"]?.contains("run 'ldedge teardown' again later") ?? false, "\(error)")
        }
        var inventory = try await emulator.inventory()
        XCTAssertEqual(Array(inventory.functions.keys), ["rollout-edge"], "only the replicated function is left")
        XCTAssertTrue(inventory.distributions.isEmpty && inventory.buckets.isEmpty)
        XCTAssertEqual(try state().steps["edge"]?.status, .pendingTeardown)
        XCTAssertEqual(try state().steps["edge"]?.resources.map(\.type).sorted(), ["function", "role"])

        try await Task.sleep(nanoseconds: 4_500_000_000)
        try await emulator.clearCalls()
        _ = try await engine().teardown(workflow: "rollout")
        inventory = try await emulator.inventory()
        XCTAssertTrue(inventory.isEmpty, "left behind: \(inventory)")
        let operations = try await emulator.mutatingCalls().map(\.operation)
        XCTAssertFalse(operations.contains("UpdateDistribution"), "the resumed teardown starts at the function: \(operations)")
        XCTAssertTrue(try state().isEmpty)
    }

    func testRetainFunctionKeepsTheFunction() async throws {
        // The emulator releases replicas at once here; the next test covers the hours-long case.
        try await emulator.configure(replicaReleaseSeconds: 0)
        try writeSite()
        try writeZip()
        _ = try await engine().deploy(try load(rolloutWorkflow()))
        _ = try await engine(options: ["retain-function": "true"]).teardown(workflow: "rollout")
        let inventory = try await emulator.inventory()
        XCTAssertEqual(Array(inventory.functions.keys), ["rollout-edge"])
        XCTAssertTrue(inventory.distributions.isEmpty && inventory.buckets.isEmpty)
        XCTAssertTrue(try state().isEmpty)
    }
}
