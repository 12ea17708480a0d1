import AWS
import Foundation
import LaunchDarkly
import LDEdgeApp
import LDEdgeCore
import LDEdgeTestSupport
import LDSandbox
import XCTest

/// workflows/rebrand.yaml end to end, as the README's main command runs it: the real `ldedge`
/// binary against the patched moto emulator and `ldedge sandbox`, the real packaged Python handler
/// and the real LaunchDarkly SDK deciding each visitor.
final class RebrandTests: XCTestCase {
    var emulator: AWSEmulator!
    var sandbox: SandboxServer!
    var client: LaunchDarklyClient!
    var project: TemporaryDirectory!
    var binary: URL!

    override func setUp() async throws {
        binary = try ldedgeBinary()
        emulator = try await AWSEmulator.start(cloudFrontDeploySeconds: 0.3, lambdaReadySeconds: 0.1, replicaReleaseSeconds: 0.5)
        sandbox = try await LDSandboxFixture.start()
        client = LDSandboxFixture.client(for: sandbox)
        project = try TemporaryDirectory("rebrand")
        for folder in ["workflows", "templates"] {
            try FileManager.default.copyItem(at: packageRoot.appendingPathComponent(folder), to: project.file(folder))
        }
    }

    override func tearDown() async throws {
        emulator?.stop()
        await sandbox?.stop()
        project?.remove()
    }

    var environment: [String: String] {
        var environment = emulator.environment.merging(LDSandboxFixture.sdkEnvironment(for: sandbox)) { _, new in new }
        environment["LDEDGE_POLL_INTERVAL"] = "0.2"
        return environment
    }

    @discardableResult
    func ldedge(_ arguments: [String], extra: [String: String] = [:]) throws -> ProcessResult {
        try runProcess(binary, arguments, in: project.url, environment: environment.merging(extra) { _, new in new })
    }

    /// An existing flag the workflow adopts: targeting off, serving false, default rule true.
    func adoptedFlag() async throws -> FlagEnvironmentConfiguration {
        _ = try await client.createBooleanFlag(project: "default", key: "rebrand")
        return try await flagConfiguration()
    }

    func flagConfiguration() async throws -> FlagEnvironmentConfiguration {
        try await client.flag(project: "default", key: "rebrand", environment: "production").configuration(for: "production")
    }

    func split(_ count: Int) throws -> (old: Int, new: Int) {
        let result = try ldedge(["invoke", "workflows/rebrand.yaml", "--ips", String(count), "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let old = object?["oldSite"] as? Int ?? -1
        let new = object?["newSite"] as? Int ?? -1
        XCTAssertEqual(object?["inconsistent"] as? Int, 0, "the same IP always gets the same answer")
        return (old, new)
    }

    /// What the SDK itself receives from the sandbox (`/sdk/latest-all` with the SDK key).
    func sdkFlag() throws -> [String: Any] {
        let curl = try runProcess(
            URL(fileURLWithPath: "/usr/bin/env"),
            ["curl", "-sf", "-H", "Authorization: \(sandbox.sdkKey)", "\(sandbox.baseURI)/sdk/latest-all"], in: project.url)
        let all = try JSONSerialization.jsonObject(with: Data(curl.stdout.utf8)) as? [String: Any]
        return ((all?["flags"] as? [String: Any])?["rebrand"] as? [String: Any]) ?? [:]
    }

    func teardownUntilDone() throws {
        for attempt in 1...20 {
            let result = try ldedge(["teardown", "--yes"])
            if result.status == 0 { return }
            XCTAssertEqual(result.status, ExitStatus.teardownPending.rawValue, "teardown attempt \(attempt): \(result.stderr)")
            Thread.sleep(forTimeInterval: 0.5)
        }
        XCTFail("teardown did not finish")
    }

    func testDeployInvokeRolloutTeardown() async throws {
        let snapshot = try await adoptedFlag()
        let before = try await emulator.inventory().ignoringVolatileFields

        let deploy = try ldedge(["deploy", "workflows/rebrand.yaml", "--yes"])
        XCTAssertEqual(deploy.status, 0, deploy.stderr)

        let half = try split(10_000)
        XCTAssertEqual(half.old + half.new, 10_000)
        let share = Double(half.new) / 10_000
        XCTAssertTrue((0.48...0.52).contains(share), "50/50 rollout gave \(share * 100)% new site")

        let flag = try sdkFlag()
        XCTAssertEqual(flag["on"] as? Bool, true)
        let rollout = (flag["fallthrough"] as? [String: Any])?["rollout"] as? [String: Any]
        let weights = (rollout?["variations"] as? [[String: Any]])?.compactMap { $0["weight"] as? Int }
        XCTAssertEqual(weights, [50_000, 50_000])
        XCTAssertEqual(rollout?["bucketBy"] as? String, "key")

        // The flag step runs before the build, so the baked-in snapshot holds the targeting this
        // deploy left the flag in (it was created off, without a rollout), with its real salt.
        let enumerator = FileManager.default.enumerator(atPath: project.file(".ldedge").path)
        let snapshotPath = (enumerator?.allObjects as? [String] ?? []).first { $0.hasSuffix("/ldedge_snapshot.json") }
        let snapshotData = try Data(contentsOf: project.file(".ldedge/" + (try XCTUnwrap(snapshotPath))))
        let baked = ((try JSONSerialization.jsonObject(with: snapshotData) as? [String: Any])?["flags"] as? [String: Any])?["rebrand"] as? [String: Any]
        XCTAssertEqual(baked?["on"] as? Bool, true)
        XCTAssertEqual(baked?["salt"] as? String, flag["salt"] as? String)
        let bakedRollout = (baked?["fallthrough"] as? [String: Any])?["rollout"] as? [String: Any]
        XCTAssertEqual((bakedRollout?["variations"] as? [[String: Any]])?.compactMap { $0["weight"] as? Int }, [50_000, 50_000])

        let rolloutResult = try ldedge(["rollout", "workflows/rebrand.yaml", "--percent", "100", "--yes"])
        XCTAssertEqual(rolloutResult.status, 0, rolloutResult.stderr)
        XCTAssertTrue(rolloutResult.stderr.contains("deploy-time snapshot") || rolloutResult.stderr.contains("snapshot baked into the handler"), rolloutResult.stderr)
        let all = try split(1_000)
        XCTAssertEqual(all.new, 1_000, "100% rollout sends every visitor to the new site")

        // A no-change redeploy makes no mutating AWS call (rollout changed only the flag, which deploy resets).
        try await emulator.clearCalls()
        XCTAssertEqual(try ldedge(["rollout", "workflows/rebrand.yaml", "--percent", "50", "--yes"]).status, 0)
        let redeploy = try ldedge(["deploy", "workflows/rebrand.yaml", "--yes"])
        XCTAssertEqual(redeploy.status, 0, redeploy.stderr)
        let mutating = try await emulator.mutatingCalls()
        XCTAssertEqual(mutating.map(\.operation), [], "no-change redeploy must not change AWS")

        try teardownUntilDone()
        let after = try await emulator.inventory().ignoringVolatileFields
        XCTAssertEqual(after, before, "teardown leaves nothing the run created")
        let restored = try await flagConfiguration()
        XCTAssertEqual(restored.on, snapshot.on)
        XCTAssertEqual(restored.fallthrough, snapshot.fallthrough)
        XCTAssertEqual(restored.offVariation, snapshot.offVariation)
    }

    func testFailedFlipFlagRollsBackEverything() async throws {
        let snapshot = try await adoptedFlag()
        let before = try await emulator.inventory().ignoringVolatileFields
        await sandbox.injectFaults([SandboxFault(method: "PATCH", path: "/api/v2/flags/default/rebrand*", status: 500, count: 5)])
        let deploy = try ldedge(["deploy", "workflows/rebrand.yaml", "--yes"])
        XCTAssertEqual(deploy.status, 1, deploy.stderr)
        XCTAssertTrue(deploy.stderr.contains("step 'flag' failed"), deploy.stderr)
        let after = try await emulator.inventory().ignoringVolatileFields
        XCTAssertEqual(after, before, "rollback removed every AWS resource")
        let restored = try await flagConfiguration()
        XCTAssertEqual(restored.on, snapshot.on)
        XCTAssertEqual(restored.fallthrough, snapshot.fallthrough)
    }

    func testSigkillAtFivePointsThenDeployAndTeardown() async throws {
        _ = try await adoptedFlag()
        let before = try await emulator.inventory().ignoringVolatileFields
        // Count the journal records of a full deploy, then tear it down.
        XCTAssertEqual(try ldedge(["deploy", "workflows/rebrand.yaml", "--yes"]).status, 0)
        let records = try StateStore(root: project.file(".ldedge"), workflow: "rebrand").readJournal().count
        try teardownUntilDone()
        try FileManager.default.removeItem(at: project.file(".ldedge"))

        let points = [2, records / 5, records * 2 / 5, records * 3 / 5, records * 4 / 5, records - 2]
        for point in points {
            let crashed = try ldedge(["deploy", "workflows/rebrand.yaml", "--yes"], extra: ["LDEDGE_CRASH_AFTER_RECORD": String(point)])
            XCTAssertTrue(crashed.signaled, "crash after record \(point) of \(records): \(crashed.stderr)")
            let resumed = try ldedge(["deploy", "workflows/rebrand.yaml", "--yes"])
            XCTAssertEqual(resumed.status, 0, "deploy after crash at \(point): \(resumed.stderr)")
            try teardownUntilDone()
            let after = try await emulator.inventory().ignoringVolatileFields
            XCTAssertEqual(after, before, "crash at record \(point): teardown left something")
            try FileManager.default.removeItem(at: project.file(".ldedge"))
        }
    }

    /// While CloudFront holds the function's replicas, teardown says it is waiting (exit 3, no
    /// "error:"); the run that finishes reports everything removed by every run of the teardown,
    /// and `status` no longer carries the "still replicated" note.
    func testTeardownWaitingOnReplicasIsNotAFailure() async throws {
        _ = try await adoptedFlag()
        XCTAssertEqual(try ldedge(["deploy", "workflows/rebrand.yaml", "--yes"]).status, 0)
        try await emulator.configure(replicaReleaseSeconds: 4)
        let first = try ldedge(["teardown", "--yes"])
        XCTAssertEqual(first.status, ExitStatus.teardownPending.rawValue, first.stderr)
        XCTAssertTrue(first.stderr.contains("waiting"), first.stderr)
        XCTAssertFalse(first.stderr.contains("error:"), first.stderr)
        XCTAssertFalse(first.stderr.contains("teardown failed"), first.stderr)
        let waiting = try ldedge(["status"])
        XCTAssertTrue(waiting.stdout.contains("waiting: function"), waiting.stdout)

        try await Task.sleep(for: .milliseconds(4500))
        let last = try ldedge(["teardown", "--yes"])
        XCTAssertEqual(last.status, 0, last.stderr)
        for id in ["flag", "trigger", "package", "build", "cdn", "site"] {
            XCTAssertTrue(last.stdout.contains("  \(id): "), "the summary lists \(id), removed by the first run:\n\(last.stdout)")
        }
        XCTAssertTrue(last.stdout.contains("function rebrand-viewer-request"), last.stdout)
        let status = try ldedge(["status"])
        XCTAssertFalse(status.stdout.contains("replicated"), status.stdout)
        XCTAssertFalse(status.stdout.contains("teardown' again"), status.stdout)
    }
}
