import Foundation
import LDEdgeApp
import LDEdgeCore
import LDEdgeTestSupport
import XCTest

/// `ldedge teardown --wait`: the real binary against a function CloudFront keeps replicating for a while.
final class TeardownWaitTests: OperationsTestCase {
    func testWaitsOutReplicasAndLeavesNothing() async throws {
        try await deploy()
        // The first delete attempts fail as "replicated function" until 4 s after the association is removed.
        try await emulator.configure(replicaReleaseSeconds: 4)
        let result = try ldedge(["teardown", "ops", "--yes", "--wait", "--poll", "1s", "--timeout", "2m"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("waiting on AWS for edge"), result.stderr)
        XCTAssertTrue(result.stderr.contains("so far, next attempt in 1s"), result.stderr)
        XCTAssertTrue(result.stderr.contains("within 1 to 3 hours"), result.stderr)
        let inventory = try await emulator.inventory()
        XCTAssertEqual(inventory.functions.count, 0, "\(inventory.functions)")
        XCTAssertEqual(inventory.distributions.count, 0)
        XCTAssertEqual(inventory.buckets.count, 0)
        XCTAssertEqual(inventory.roles.count, 0)
        XCTAssertTrue(inventory.isEmpty, "\(inventory)")
        let state = try StateStore(root: directory.file(".ldedge"), workflow: "ops").load()
        XCTAssertTrue(state.isEmpty)
    }

    func testTimeoutExitsThreeAndALaterTeardownResumes() async throws {
        try await deploy()
        try await emulator.configure(replicaReleaseSeconds: 8)
        let result = try ldedge(["teardown", "ops", "--yes", "--wait", "--poll", "1s", "--timeout", "2s"])
        XCTAssertEqual(result.status, 3, result.stderr)
        XCTAssertTrue(result.stderr.contains("gave up waiting after"), result.stderr)
        let functions = try await emulator.inventory().functions
        XCTAssertEqual(functions.count, 1)

        // A later run resumes where this one stopped and finishes once the replicas are gone.
        let resumed = try ldedge(["teardown", "ops", "--yes", "--wait", "--poll", "1s", "--timeout", "1m"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("edge"), resumed.stdout)
        let left = try await emulator.inventory()
        XCTAssertEqual(left.functions.count, 0)

        let bad = try ldedge(["teardown", "ops", "--wait", "--poll", "soon"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("--poll 'soon' is not a duration"), bad.stderr)
    }

    func testBackoffDoublesAndIsCapped() {
        let wait = TeardownWait(poll: 30, timeout: 8 * 3600)
        XCTAssertEqual((1...6).map { wait.delay(afterAttempt: $0) }, [30, 60, 120, 240, 300, 300])
    }
}
