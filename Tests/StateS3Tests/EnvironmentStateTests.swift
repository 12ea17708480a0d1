import AWS
import Foundation
import LDEdgeCore
import LDEdgeTestSupport
import XCTest

/// Environments with shared S3 state: each has its own objects and lock under
/// `PREFIX/WORKFLOW/env/NAME/`, different environments deploy at once, one environment stays
/// exclusive, and `envs`/`gc` find them through the bucket.
final class EnvironmentStateTests: S3StateTestCase {
    func testEnvironmentsHaveTheirOwnStateAndLockInS3() async throws {
        let a = try folder("env-a")
        try a.write("markers.yaml", markersWorkflow(state: "s3://\(bucket)/team", slow: true))

        // Two environments at once: both proceed (separate locks).
        let first = try start(["deploy", "markers.yaml", "--env", "pr-1", "--ttl", "1h", "--yes", "--allow-dirty"], in: a)
        let second = try start(["deploy", "markers.yaml", "--env", "pr-2", "--ttl", "5h", "--yes", "--allow-dirty"], in: a)
        // The same environment as a running deploy: refused with exit 4 while the first holds its lock.
        try await Task.sleep(nanoseconds: 1_000_000_000)
        let same = try ldedge(["deploy", "markers.yaml", "--env", "pr-1", "--yes", "--allow-dirty"], in: a)
        let results = [first.wait(), second.wait()]
        XCTAssertEqual(results.map(\.status), [0, 0], results.map(\.stderr).joined(separator: "\n"))
        XCTAssertEqual(same.status, 4, same.stderr)
        XCTAssertTrue(same.stderr.contains("locked"), same.stderr)

        let objects = try await keys("team/markers/")
        XCTAssertTrue(objects.contains("team/markers/env/pr-1/state.json"), "\(objects)")
        XCTAssertTrue(objects.contains("team/markers/env/pr-2/state.json"), "\(objects)")
        XCTAssertFalse(objects.contains("team/markers/state.json"), "nothing was deployed without --env: \(objects)")
        XCTAssertFalse(objects.contains { $0.hasSuffix("lock.json") }, "both locks were released: \(objects)")

        let later = ISO8601DateFormatter().string(from: Date().addingTimeInterval(2 * 3600))
        let envs = try ldedge(["envs", "markers.yaml", "--json"], in: a, environment: ["LDEDGE_NOW": later])
        XCTAssertEqual(envs.status, 0, envs.stderr)
        let listed = (try JSONSerialization.jsonObject(with: Data(envs.stdout.utf8)) as? [String: Any])?["environments"] as? [[String: Any]] ?? []
        XCTAssertEqual(listed.compactMap { $0["environment"] as? String }, ["pr-1", "pr-2"], envs.stdout)
        XCTAssertEqual(listed.compactMap { $0["expired"] as? Bool }, [true, false], envs.stdout)

        let gc = try ldedge(["gc", "markers.yaml", "--json"], in: a, environment: ["LDEDGE_NOW": later])
        XCTAssertEqual(gc.status, 0, gc.stderr)
        let summary = gc.stdout.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(summary.contains("\"environment\":\"pr-1\"") && summary.contains("\"result\":\"torn-down\""), summary)
        XCTAssertFalse(summary.contains("pr-2"), "pr-2 has not expired: \(summary)")
        let state = try await JSONDecoder.iso8601.decode(WorkflowState.self, from: s3.getObject(bucket: bucket, key: "team/markers/env/pr-1/state.json").body)
        XCTAssertTrue(state.isEmpty, "pr-1 is torn down")
        XCTAssertEqual(state.environment, "pr-1")
        let kept = try await JSONDecoder.iso8601.decode(WorkflowState.self, from: s3.getObject(bucket: bucket, key: "team/markers/env/pr-2/state.json").body)
        XCTAssertFalse(kept.isEmpty, "pr-2 is left alone")
    }

    /// A saved plan is applied to the environment it was made for, and refused for another one.
    func testSavedPlanKeepsItsEnvironment() async throws {
        let a = try folder("env-plan")
        try a.write("markers.yaml", markersWorkflow(state: "s3://\(bucket)/team"))
        let plan = try ldedge(["plan", "markers.yaml", "--env", "pr-5", "--out", "pr5.plan"], in: a)
        XCTAssertEqual(plan.status, 0, plan.stderr)
        let wrong = try ldedge(["deploy", "pr5.plan", "--env", "pr-6", "--yes", "--allow-dirty"], in: a)
        XCTAssertEqual(wrong.status, 1, wrong.stderr)
        XCTAssertTrue(wrong.stderr.contains("the plan was made for environment pr-5, but this run asks for environment pr-6"), wrong.stderr)
        let applied = try ldedge(["deploy", "pr5.plan", "--yes", "--allow-dirty"], in: a)
        XCTAssertEqual(applied.status, 0, applied.stderr)
        let objects = try await keys("team/markers/")
        XCTAssertTrue(objects.contains("team/markers/env/pr-5/state.json"), "\(objects)")
        XCTAssertFalse(objects.contains { $0.contains("pr-6") } || objects.contains("team/markers/state.json"), "\(objects)")
        let ttl = try ldedge(["deploy", "markers.yaml", "--ttl", "1h", "--yes", "--allow-dirty"], in: a)
        XCTAssertEqual(ttl.status, 64, "a usage error")
        XCTAssertTrue(ttl.stderr.contains("--ttl needs --env NAME"), ttl.stderr)
    }
}
