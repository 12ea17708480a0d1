import AWS
import Foundation
import LDEdgeCore
import LDEdgeTestSupport
import XCTest

/// edge-distribution on its own: adopting by id, settings updates, bucket policies it shares.
final class EdgeDistributionTests: AWSStepsTestCase {
    func cdnWorkflow(_ with: String) -> String {
        "name: cdn\nsteps:\n  - id: cdn\n    uses: edge-distribution\n    with:\n" + with.split(separator: "\n").map { "      \($0)" }.joined(separator: "\n") + "\n"
    }

    func testAdoptingAMissingDistributionIsAPlanError() async throws {
        let plan = try await engine().plan(try load(cdnWorkflow("distribution: EDOESNOTEXIST")))
        let findings = plan.allFindings.map(\.description).joined(separator: "\n")
        XCTAssertTrue(findings.contains("distribution EDOESNOTEXIST does not exist"), findings)
        XCTAssertTrue(findings.hasPrefix("\(directory.file("workflow.yaml").path):"), "findings carry the file location: \(findings)")
    }

    func testAdoptedDistributionIsNeverDeleted() async throws {
        try writeSite()
        try writeZip()
        _ = try await engine(stateRoot: ".ldedge-setup").deploy(try load(rolloutWorkflow(), file: "setup.yaml"))
        let id = try XCTUnwrap(try state("rollout", stateRoot: ".ldedge-setup").steps["cdn"]?.outputs["id"])
        let before = try await emulator.inventory().ignoringVolatileFields
        try await emulator.clearCalls()
        let report = try await engine().deploy(try load(cdnWorkflow("distribution: \(id)")))
        XCTAssertEqual(report.outputs["cdn"]?["id"], id)
        let calls = try await emulator.mutatingCalls()
        XCTAssertEqual(calls.filter { $0.service == "cloudfront" }.map(\.operation), [], "adopting changes nothing")
        _ = try await engine().teardown(workflow: "cdn")
        let after = try await emulator.inventory().ignoringVolatileFields
        XCTAssertEqual(after, before)
    }

    func testChangedSettingsUpdateTheDistributionInPlace() async throws {
        try writeSite()
        _ = try await engine().deploy(try load("""
            name: cdn
            steps:
              - id: site
                uses: upload-site
                with: {source: site, bucket: cdn-site}
              - id: cdn
                uses: edge-distribution
                with: {bucket: cdn-site, pollInterval: 0.1}

            """))
        try await emulator.clearCalls()
        let report = try await engine().deploy(try load("""
            name: cdn
            steps:
              - id: site
                uses: upload-site
                with: {source: site, bucket: cdn-site}
              - id: cdn
                uses: edge-distribution
                with: {bucket: cdn-site, pollInterval: 0.1, priceClass: PriceClass_All, comment: rebrand}

            """))
        XCTAssertEqual(report.applied, ["cdn"])
        let operations = try await emulator.mutatingCalls().map(\.operation)
        XCTAssertEqual(operations, ["UpdateDistribution"])
        let config = try await emulator.inventory().distributions[report.outputs["cdn"]?["id"] ?? ""]?.config ?? ""
        XCTAssertTrue(config.contains("<PriceClass>PriceClass_All</PriceClass>") && config.contains("<Comment>rebrand</Comment>"), config)
    }
}
