import AWS
import Foundation
import LDEdgeCore
import LDEdgeTestSupport
import XCTest

/// attach-trigger's `keepVersions`: old versions are deleted after a successful deploy, never one a
/// distribution runs, and a replicated one is kept until a later deploy.
final class KeepVersionsTests: AWSStepsTestCase {
    func versions() async throws -> [String] {
        try await emulator.client().lambda.listVersionsByFunction(name: "rollout-edge").compactMap(\.version).filter { $0 != "$LATEST" }
            .sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }
    }

    func associated() async throws -> [String] {
        try await emulator.inventory().distributions.values.flatMap(\.lambdaAssociations).map(\.arn)
    }

    func testThreeDeploysWithKeepVersionsOneLeaveOnlyTheAssociatedVersion() async throws {
        try await emulator.configure(replicaReleaseSeconds: 0)
        try writeSite()
        let workflow = try load(rolloutWorkflow(extraTrigger: "\n      keepVersions: 1"))
        for deploy in 1...3 {
            try writeZip(body: "return request  # build \(deploy)")
            _ = try await engine().deploy(workflow)
            let left = try await versions()
            XCTAssertEqual(left, [String(deploy)], "after deploy \(deploy)")
            let arns = try await associated()
            XCTAssertEqual(arns.count, 1)
            XCTAssertTrue(arns.first?.hasSuffix(":rollout-edge:\(deploy)") ?? false, "\(arns)")
        }
        XCTAssertEqual(try state().steps["edge"]?.outputs["version"], "3")
    }

    func testReplicatedVersionIsKeptAndDeletedByALaterDeploy() async throws {
        try await emulator.configure(replicaReleaseSeconds: 3)
        try writeSite()
        let workflow = try load(rolloutWorkflow(extraTrigger: "\n      keepVersions: 1"))
        try writeZip(body: "return request  # one")
        _ = try await engine().deploy(workflow)
        try writeZip(body: "return request  # two")
        _ = try await engine().deploy(workflow)
        let afterTwo = try await versions()
        XCTAssertEqual(afterTwo, ["1", "2"], "version 1 is still replicated, kept without an error")

        try await Task.sleep(nanoseconds: 3_500_000_000)
        _ = try await engine().deploy(workflow)  // unchanged code: only the tidy-up runs
        let afterThree = try await versions()
        XCTAssertEqual(afterThree, ["2"])
    }

    func testDefaultKeepsThreeAndAVersionAnotherDistributionRunsIsKept() async throws {
        try await emulator.configure(replicaReleaseSeconds: 0)
        try writeSite()
        let workflow = try load(rolloutWorkflow())
        try writeZip(body: "return request  # 1")
        _ = try await engine().deploy(workflow)
        // Another distribution (not ldedge's) runs version 1.
        let cdn = try XCTUnwrap(try state().steps["cdn"]?.outputs["id"])
        let cloudFront = emulator.client().cloudFront
        var tree = try await cloudFront.getDistributionConfig(id: cdn).config.xml
        tree.setChildText("CallerReference", "other-\(UUID().uuidString)")
        let other = try await cloudFront.createDistribution(try DistributionConfig(xml: tree))
        for build in 2...5 {
            try writeZip(body: "return request  # \(build)")
            _ = try await engine().deploy(workflow)
        }
        let left = try await versions()
        XCTAssertEqual(left, ["1", "3", "4", "5"], "newest three plus the one the other distribution \(other.id) runs")
    }
}
