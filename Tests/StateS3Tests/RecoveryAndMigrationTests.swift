import AWS
import BuiltinSteps
import Foundation
import LDEdgeCore
import LDEdgeTestSupport
import StateS3
import XCTest

/// Crash recovery from another machine, local -> S3 migration, errors that say what to do.
final class RecoveryAndMigrationTests: S3StateTestCase {
    /// SIGKILL of A at several journal points; B (another working directory) unlocks the dead run,
    /// deploys, tears down: nothing is left but the state objects, and the lock is released.
    func testKilledRunIsRecoveredFromAnotherDirectory() async throws {
        for crashAt in [1, 3, 6, 9, 12] {
            let prefix = "crash\(crashAt)"
            let workflow = markersWorkflow(state: "s3://\(bucket)/\(prefix)")
            let a = try folder("crash-a")
            let b = try folder("crash-b")
            try a.write("markers.yaml", workflow)
            try b.write("markers.yaml", workflow)
            let crashed = try ldedge(["deploy", "markers.yaml", "--yes"], in: a, environment: ["LDEDGE_CRASH_AFTER_RECORD": "\(crashAt)"])
            XCTAssertTrue(crashed.signaled, "crash after record \(crashAt): \(crashed.stderr)")

            let refused = try ldedge(["deploy", "markers.yaml", "--yes"], in: b)
            XCTAssertEqual(refused.status, 4, "the dead run's lock is refused (crash at \(crashAt)): \(refused.stderr)")
            let holder = try await XCTUnwrapAsync(try await lock("\(prefix)/markers/lock.json"))
            XCTAssertTrue(refused.stderr.contains("ldedge state unlock markers --force \(holder.runId)"), refused.stderr)
            let unlocked = try ldedge(["state", "unlock", "markers.yaml", "--force", holder.runId], in: b)
            XCTAssertEqual(unlocked.status, 0, unlocked.stderr)

            let resumed = try ldedge(["deploy", "markers.yaml", "--yes"], in: b)
            XCTAssertEqual(resumed.status, 0, "deploy after crash at \(crashAt): \(resumed.stderr)")
            XCTAssertEqual(markers, ["m1", "m2", "m3"], "crash at \(crashAt)")
            XCTAssertEqual(world.read("m1"), "one\n", "crash at \(crashAt): a half-applied step was undone, not doubled")
            let teardown = try ldedge(["teardown", "markers.yaml", "--yes"], in: b)
            XCTAssertEqual(teardown.status, 0, "teardown after crash at \(crashAt): \(teardown.stderr)")
            XCTAssertEqual(markers, [], "crash at \(crashAt) left markers")
            let left = try await keys("\(prefix)/")
            XCTAssertFalse(left.contains("\(prefix)/markers/lock.json"), "lock released (crash at \(crashAt))")
            XCTAssertTrue(left.allSatisfy { $0 == "\(prefix)/markers/state.json" || $0.hasPrefix("\(prefix)/markers/journal/") }, "\(left)")
            let state = try await JSONDecoder.iso8601.decode(WorkflowState.self, from: s3.getObject(bucket: bucket, key: "\(prefix)/markers/state.json").body)
            XCTAssertTrue(state.isEmpty, "crash at \(crashAt)")
        }
    }

    /// `state push` migrates a local deployment; a teardown from another directory (by name and
    /// --state, no workflow file) removes it; push refuses to overwrite a non-empty remote.
    func testStatePushMigratesALocalDeployment() async throws {
        let a = try folder("push-a")
        try a.write("markers.yaml", markersWorkflow(state: nil))
        XCTAssertEqual(try ldedge(["deploy", "markers.yaml", "--yes"], in: a).status, 0)
        let url = "s3://\(bucket)/migrated"
        let pushed = try ldedge(["state", "push", "markers.yaml", "--state", url], in: a)
        XCTAssertEqual(pushed.status, 0, pushed.stderr)
        let local = try StateStore(root: a.file(".ldedge"), workflow: "markers").load()
        let remote = try await S3StateProvider().location(
            url: url, settings: WorkflowSettings(), kmsKey: nil, environment: emulator.environment, localRoot: a.file(".ldedge")
        ).store(for: "markers").load()
        XCTAssertEqual(remote.seq, local.seq)
        XCTAssertEqual(remote.order, local.order)

        let again = try ldedge(["state", "push", "markers.yaml", "--state", url], in: a)
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("not empty") && again.stderr.contains("--force"), again.stderr)
        XCTAssertEqual(try ldedge(["state", "push", "markers.yaml", "--state", url, "--force"], in: a).status, 0)

        let b = try folder("push-b")
        let shown = try ldedge(["state", "show", "markers", "--state", url], in: b)
        XCTAssertTrue(shown.stdout.contains("serial \(local.seq)") && shown.stdout.contains("lock: free"), shown.stdout + shown.stderr)
        let teardown = try ldedge(["teardown", "markers", "--yes"], in: b, environment: ["LDEDGE_STATE": url])
        XCTAssertEqual(teardown.status, 0, teardown.stderr)
        XCTAssertEqual(markers, [])

        let pulled = try ldedge(["state", "pull", "markers", "--state", url], in: b)
        XCTAssertEqual(pulled.status, 0, pulled.stderr)
        XCTAssertTrue(try StateStore(root: b.file(".ldedge"), workflow: "markers").load().isEmpty)
    }

    /// Missing bucket, AccessDenied, a bucket in another region, versioning off: each says what to do.
    func testErrorsSayWhatToDo() async throws {
        let a = try folder("errors")
        try a.write("missing.yaml", markersWorkflow(name: "missing", state: "s3://no-such-state-bucket-\(bucket)/p"))
        let missing = try ldedge(["deploy", "missing.yaml", "--yes"], in: a)
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("does not exist") && missing.stderr.contains("create-bucket"), missing.stderr)
        XCTAssertEqual(markers, [])

        let west = "\(bucket)-west"
        try await emulator.client(region: "us-west-2").s3.createBucket(west)
        try a.write("west.yaml", markersWorkflow(name: "west", state: "s3://\(west)/p"))
        let region = try ldedge(["deploy", "west.yaml", "--yes"], in: a)
        XCTAssertEqual(region.status, 1)
        XCTAssertTrue(region.stderr.contains("is in region us-west-2") && region.stderr.contains("AWS_REGION=us-west-2"), region.stderr)

        let unversioned = "\(bucket)-plain"
        try await s3.createBucket(unversioned)
        try a.write("plain.yaml", markersWorkflow(name: "plain", state: "s3://\(unversioned)/p"))
        let warned = try ldedge(["deploy", "plain.yaml", "--yes"], in: a)
        XCTAssertEqual(warned.status, 0, warned.stderr)
        XCTAssertTrue(warned.stderr.contains("warning: versioning is off") && warned.stderr.contains("put-bucket-versioning"), warned.stderr)

        try a.write("denied.yaml", markersWorkflow(name: "denied", state: "s3://\(bucket)/denied"))
        try await emulator.injectFault(service: "s3", operation: "GetObject", status: 403, code: "AccessDenied", count: 5)
        let denied = try ldedge(["plan", "denied.yaml"], in: a)
        try await emulator.clearFaults()
        XCTAssertEqual(denied.status, 1)
        XCTAssertTrue(denied.stderr.contains("access denied for GetObject") && denied.stderr.contains("s3:PutObject"), denied.stderr)
        XCTAssertEqual(try ldedge(["teardown", "--yes", "plain.yaml"], in: a).status, 0)
    }

    /// `--state` beats `LDEDGE_STATE`, which beats the workflow's `state:`, which beats `.ldedge/`.
    func testStateURLPrecedence() throws {
        let (parsed, diagnostics) = WorkflowLoader(registry: .builtin, environment: [:])
            .parse(text: "name: p\nstate: s3://from-file/x\nsteps:\n  - {id: a, uses: run, with: {run: 'true'}}\n", file: "p.yaml", directory: URL(fileURLWithPath: "/tmp"))
        XCTAssertEqual(diagnostics.filter { $0.severity == .error }.count, 0, "\(diagnostics)")
        var workflow = try XCTUnwrap(parsed)
        XCTAssertEqual(workflow.state, "s3://from-file/x")
        workflow.stateKmsKey = nil
        let selection = StateSelection(flag: "s3://from-flag/x")
        XCTAssertEqual(selection.url(workflow: workflow, environment: ["LDEDGE_STATE": "s3://from-env/x"]), "s3://from-flag/x")
        XCTAssertEqual(StateSelection().url(workflow: workflow, environment: ["LDEDGE_STATE": "s3://from-env/x"]), "s3://from-env/x")
        XCTAssertEqual(StateSelection().url(workflow: workflow, environment: [:]), "s3://from-file/x")
        XCTAssertNil(StateSelection().url(workflow: nil, environment: [:]))
        XCTAssertThrowsError(try S3StateProvider.parse("s3://Bad_Bucket/x"))
        XCTAssertEqual(try S3StateProvider.parse("s3://bucket/a/b/").prefix, "a/b")
    }
}

func XCTUnwrapAsync<T>(_ value: @autoclosure () async throws -> T?, file: StaticString = #filePath, line: UInt = #line) async throws -> T {
    let resolved = try await value()
    return try XCTUnwrap(resolved, file: file, line: line)
}
