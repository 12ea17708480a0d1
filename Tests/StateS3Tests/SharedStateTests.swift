import AWS
import Foundation
import LDEdgeCore
import LDEdgeTestSupport
import XCTest

/// Two working directories (two clones) sharing `s3://...`, races, and locks.
final class SharedStateTests: S3StateTestCase {
    /// A deploys from one clone; B, a second clone, sees no changes, A's run and A's commit.
    func testTwoClonesShareTheState() async throws {
        let a = try folder("clone-a")
        let git = URL(fileURLWithPath: "/usr/bin/git")
        let identity = ["GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"]
        try runProcess(git, ["init", "-q", "-b", "main"], in: a.url)
        try a.write("markers.yaml", markersWorkflow(state: "s3://\(bucket)/team"))
        try runProcess(git, ["add", "."], in: a.url)
        try runProcess(git, ["commit", "-q", "-m", "workflow"], in: a.url, environment: identity)
        let head = try runProcess(git, ["rev-parse", "HEAD"], in: a.url).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let b = try folder("clone-b")
        try runProcess(git, ["clone", "-q", a.path, b.url.appendingPathComponent("repo").path], in: b.url)
        let clone = b.url.appendingPathComponent("repo")

        try await emulator.clearCalls()
        let deployed = try ldedge(["deploy", "markers.yaml", "--yes"], in: a)
        XCTAssertEqual(deployed.status, 0, deployed.stderr)
        XCTAssertEqual(markers, ["m1", "m2", "m3"])
        // Lock acquire + release: exactly two requests on lock.json, a conditional PUT and a conditional DELETE.
        let lockCalls = try await emulator.calls().filter { $0.path.hasSuffix("/team/markers/lock.json") }
        XCTAssertEqual(lockCalls.map(\.method), ["PUT", "DELETE"])
        let objects = try await keys("team/markers/")
        XCTAssertTrue(objects.contains("team/markers/state.json"), "\(objects)")
        XCTAssertTrue(objects.contains("team/markers/journal/00000001.json"), "\(objects)")
        XCTAssertFalse(objects.contains("team/markers/lock.json"), "the lock was released")
        XCTAssertFalse(FileManager.default.fileExists(atPath: a.file(".ldedge/markers/journal.jsonl").path), "no local journal with S3 state")

        let plan = try runProcess(binary, ["plan", "markers.yaml", "--detailed-exitcode"], in: clone, environment: emulator.environment)
        XCTAssertEqual(plan.status, 0, plan.stdout + plan.stderr)
        let status = try runProcess(binary, ["status", "markers.yaml"], in: clone, environment: emulator.environment)
        XCTAssertEqual(status.status, 0, status.stderr)
        let state = try await JSONDecoder.iso8601.decode(WorkflowState.self, from: s3.getObject(bucket: bucket, key: "team/markers/state.json").body)
        let runID = try XCTUnwrap(state.lastRun?.id)
        XCTAssertTrue(status.stdout.contains(runID) && status.stdout.contains(String(head.prefix(12))), status.stdout)

        // A redeploy from B changes nothing and creates nothing twice.
        let again = try runProcess(binary, ["deploy", "markers.yaml", "--yes"], in: clone, environment: emulator.environment)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(world.read("m1"), "one\n")
    }

    /// Every state object is encrypted at rest (AES256 without stateKmsKey, aws:kms with it).
    func testStateObjectsAreEncrypted() async throws {
        let a = try folder("sse")
        try a.write("markers.yaml", markersWorkflow(state: "s3://\(bucket)/sse") + "\nstateKmsKey: alias/ldedge-state\n")
        XCTAssertEqual(try ldedge(["deploy", "markers.yaml", "--yes"], in: a).status, 0)
        try a.write("plain.yaml", markersWorkflow(name: "plain", state: "s3://\(bucket)/sse"))
        XCTAssertEqual(try ldedge(["deploy", "plain.yaml", "--yes"], in: a).status, 0)
        func encryption(_ key: String) throws -> String {
            let result = try runProcess(
                URL(fileURLWithPath: "/usr/bin/env"), ["aws", "s3api", "head-object", "--bucket", bucket, "--key", key, "--output", "json"],
                in: a.url, environment: emulator.environment)
            return result.stdout
        }
        let kms = try encryption("sse/markers/journal/00000001.json")
        XCTAssertTrue(kms.contains("aws:kms") && kms.contains("alias/ldedge-state"), kms)
        XCTAssertTrue(try encryption("sse/plain/state.json").contains("AES256"))
    }

    /// Two processes racing `deploy` on one state: one proceeds, the other exits 4 naming the holder.
    func testRacingDeploysOneProceedsTheOtherExits4() async throws {
        let a = try folder("race-a")
        let b = try folder("race-b")
        let workflow = markersWorkflow(name: "race", state: "s3://\(bucket)/race", slow: true)
        try a.write("race.yaml", workflow)
        try b.write("race.yaml", workflow)
        let first = try start(["deploy", "race.yaml", "--yes"], in: a)
        var holder: LockHolder?
        for _ in 0..<200 where holder == nil {
            holder = try await lock("race/race/lock.json")
            if holder == nil { try await Task.sleep(nanoseconds: 25_000_000) }
        }
        let held = try XCTUnwrap(holder, "the first deploy never took the lock")
        XCTAssertEqual(held.pid, first.pid)
        let second = try ldedge(["deploy", "race.yaml", "--yes"], in: b)
        XCTAssertEqual(second.status, 4, second.stderr)
        let expected = "locked by \(held.user)@\(held.host) (pid \(held.pid), run \(held.runId)) since \(held.started); if that run is dead: ldedge state unlock race --force \(held.runId)"
        XCTAssertTrue(second.stderr.contains(expected), second.stderr)
        let result = first.wait()
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(world.read("m1"), "one\n", "nothing was created twice")
        XCTAssertEqual(world.read("m2"), "two\n")
        let lockAfter = try await lock("race/race/lock.json")
        XCTAssertNil(lockAfter)
    }

    /// A stale lock is refused until `state unlock --force ID`; the wrong id changes nothing.
    func testStaleLockIsRefusedUntilForceUnlocked() async throws {
        let a = try folder("stale")
        try a.write("markers.yaml", markersWorkflow(state: "s3://\(bucket)/stale"))
        let dead = LockHolder(runId: "20260101T000000Z-dead", user: "ci", host: "runner-7", pid: 4242, started: "2026-01-01T00:00:00Z", version: "0.1.0")
        _ = try await s3.putObject(bucket: bucket, key: "stale/markers/lock.json", body: try JSONEncoder().encode(dead))

        let refused = try ldedge(["deploy", "markers.yaml", "--yes"], in: a)
        XCTAssertEqual(refused.status, 4)
        XCTAssertTrue(refused.stderr.contains(
            "locked by ci@runner-7 (pid 4242, run 20260101T000000Z-dead) since 2026-01-01T00:00:00Z; if that run is dead: ldedge state unlock markers --force 20260101T000000Z-dead"),
            refused.stderr)
        XCTAssertEqual(markers, [])
        let nothing = try ldedge(["teardown", "markers.yaml", "--yes"], in: a)
        XCTAssertTrue(nothing.status == 0 && nothing.stdout.contains("nothing to tear down"), nothing.stdout + nothing.stderr)

        let wrong = try ldedge(["state", "unlock", "markers.yaml", "--force", "some-other-run"], in: a)
        XCTAssertEqual(wrong.status, 1)
        XCTAssertTrue(wrong.stderr.contains("belongs to run 20260101T000000Z-dead"), wrong.stderr)
        let stillThere = try await lock("stale/markers/lock.json")
        XCTAssertEqual(stillThere, dead)

        let unlocked = try ldedge(["state", "unlock", "markers", "--force", "20260101T000000Z-dead", "--state", "s3://\(bucket)/stale"], in: a)
        XCTAssertEqual(unlocked.status, 0, unlocked.stderr)
        let deployed = try ldedge(["deploy", "markers.yaml", "--yes"], in: a)
        XCTAssertEqual(deployed.status, 0, deployed.stderr)
        XCTAssertEqual(markers, ["m1", "m2", "m3"])
    }

    /// A run never deletes a lock it does not hold: when its lock was force-removed and taken by
    /// another run meanwhile, the other run's lock survives the first run's release.
    func testSomeoneElsesLockIsNeverDeleted() async throws {
        let a = try folder("theirs")
        try a.write("markers.yaml", markersWorkflow(state: "s3://\(bucket)/theirs", slow: true))
        let running = try start(["deploy", "markers.yaml", "--yes"], in: a)
        var mine: LockHolder?
        for _ in 0..<200 where mine == nil {
            mine = try await lock("theirs/markers/lock.json")
            if mine == nil { try await Task.sleep(nanoseconds: 25_000_000) }
        }
        XCTAssertNotNil(mine)
        let other = LockHolder(runId: "other-run", user: "bob", host: "laptop", pid: 1, started: "2026-01-01T00:00:00Z", version: "0.1.0")
        try await s3.deleteObject(bucket: bucket, key: "theirs/markers/lock.json")
        _ = try await s3.putObject(bucket: bucket, key: "theirs/markers/lock.json", body: try JSONEncoder().encode(other))
        let result = running.wait()
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("no longer this run's"), result.stderr)
        let survivor = try await lock("theirs/markers/lock.json")
        XCTAssertEqual(survivor, other)
    }

    /// 409 ConditionalRequestConflict on the lock is retried.
    func testConditionalRequestConflictIsRetried() async throws {
        let a = try folder("conflict")
        try a.write("markers.yaml", markersWorkflow(state: "s3://\(bucket)/conflict"))
        try await emulator.injectFault(service: "s3", operation: "PutObject", status: 409, code: "ConditionalRequestConflict", count: 1)
        let deployed = try ldedge(["deploy", "markers.yaml", "--yes"], in: a)
        try await emulator.clearFaults()
        XCTAssertEqual(deployed.status, 0, deployed.stderr)
        XCTAssertEqual(markers, ["m1", "m2", "m3"])
    }
}

/// The AWS steps on shared state: upload-site and edge-distribution deployed from one directory;
/// out-of-band changes show as drift, refuse a saved plan, and are restored by a deploy; a
/// teardown from another directory removes everything.
final class AWSStepsOnSharedStateTests: S3StateTestCase {
    func testDriftSavedPlanAndTeardownElsewhereWithS3State() async throws {
        let a = try folder("site-a")
        let site = "site-\(bucket)"
        try a.write("site/index.html", "<h1>old</h1>\n")
        try a.write("site/beta/index.html", "<h1>new</h1>\n")
        try a.write("site.yaml", """
            name: site
            state: s3://\(bucket)/ci
            steps:
              - id: site
                uses: upload-site
                with: {source: site, bucket: \(site)}
              - id: cdn
                uses: edge-distribution
                with: {bucket: "${steps.site.outputs.bucket}", pollInterval: 0.1}
            """)
        let deployed = try ldedge(["deploy", "site.yaml", "--yes"], in: a)
        XCTAssertEqual(deployed.status, 0, deployed.stderr)
        let siteExists = try await s3.bucketExists(site)
        XCTAssertTrue(siteExists)
        let state = try await JSONDecoder.iso8601.decode(WorkflowState.self, from: s3.getObject(bucket: bucket, key: "ci/site/state.json").body)
        let distribution = try XCTUnwrap(state.steps["cdn"]?.outputs["id"])

        let planned = try ldedge(["plan", "site.yaml", "--out", "site.plan", "--detailed-exitcode"], in: a)
        XCTAssertEqual(planned.status, 0, planned.stdout + planned.stderr)
        XCTAssertEqual(try ldedge(["status", "site.yaml", "--drift"], in: a).status, 0)

        // Out of band, through the APIs: the distribution's price class and a site object.
        try await emulator.client().cloudFront.updateDistribution(id: distribution) { $0.priceClass = "PriceClass_All" }
        _ = try await s3.putObject(bucket: site, key: "index.html", body: Data("<h1>changed out of band</h1>\n".utf8))

        let drifted = try ldedge(["plan", "site.yaml", "--detailed-exitcode"], in: a)
        XCTAssertEqual(drifted.status, 2, drifted.stderr)
        XCTAssertTrue(drifted.stdout.contains("Drift") && drifted.stdout.contains("distribution \(distribution): PriceClass recorded PriceClass_100, actual PriceClass_All"), drifted.stdout)
        let driftJSON = try ldedge(["status", "site.yaml", "--drift", "--json"], in: a)
        XCTAssertEqual(driftJSON.status, 2)
        XCTAssertTrue(driftJSON.stdout.contains("\"field\" : \"PriceClass\""), driftJSON.stdout)

        let refused = try ldedge(["deploy", "site.plan"], in: a)
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("the world changed since the plan was made") && refused.stderr.contains("cdn"), refused.stderr)
        let untouched = try await s3.getObject(bucket: site, key: "index.html").body
        XCTAssertEqual(String(decoding: untouched, as: UTF8.self), "<h1>changed out of band</h1>\n", "a refused plan changes nothing")

        let restoring = try ldedge(["deploy", "site.yaml", "--yes"], in: a)
        XCTAssertEqual(restoring.status, 0, restoring.stderr)
        XCTAssertTrue(restoring.stderr.contains("restoring what changed outside ldedge"), restoring.stderr)
        let restored = try await s3.getObject(bucket: site, key: "index.html").body
        XCTAssertEqual(String(decoding: restored, as: UTF8.self), "<h1>old</h1>\n")
        let config = try await emulator.client().cloudFront.getDistributionConfig(id: distribution).config
        XCTAssertEqual(config.priceClass, "PriceClass_100")
        XCTAssertEqual(try ldedge(["status", "site.yaml", "--drift"], in: a).status, 0)

        let b = try folder("site-b")
        var teardown = try ldedge(["teardown", "site", "--yes", "--state", "s3://\(bucket)/ci"], in: b)
        for _ in 0..<20 where teardown.status == 3 { teardown = try ldedge(["teardown", "site", "--yes", "--state", "s3://\(bucket)/ci"], in: b) }
        XCTAssertEqual(teardown.status, 0, teardown.stderr)
        let siteLeft = try await s3.bucketExists(site)
        XCTAssertFalse(siteLeft, "teardown from another directory removed the site bucket")
        let distributionLeft = try await emulator.client().cloudFront.distributionIfPresent(id: distribution)
        XCTAssertNil(distributionLeft)
        let left = try await keys("ci/")
        XCTAssertTrue(left.allSatisfy { $0 == "ci/site/state.json" || $0.hasPrefix("ci/site/journal/") }, "\(left)")
    }
}
