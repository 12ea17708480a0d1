import Foundation
import LDEdgeCore
import LDEdgeTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// A plugin between built-in steps: plan, rollback, teardown, crash recovery, secrets.
final class PluginDeployTests: PluginTestCase {
    func testPlanShowsPluginChangesBetweenBuiltInSteps() throws {
        try writeWorkflow()
        let plan = try ldedge(["plan", "wf.yaml"])
        XCTAssertEqual(plan.status, 0, plan.stderr)
        let lines = plan.stdout.split(separator: "\n").map(String.init)
        let before = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("before (run)") }, plan.stdout)
        let files = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("files (./plugins/files.py)") }, plan.stdout)
        let after = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("after (run)") }, plan.stdout)
        XCTAssertTrue(before < files && files < after, plan.stdout)
        XCTAssertEqual(Array(lines[(files + 1)..<after]), ["  + create file:a.txt: out/a.txt", "  + create file:b.txt: out/b.txt"])
        XCTAssertEqual(calls().map(\.method), ["plan"], "plan calls only the plugin's plan")
        XCTAssertEqual(leftovers(), [])

        // `plan --json` is an NDJSON stream; its `plan` event carries the plan.
        let json = try ldedge(["plan", "wf.yaml", "--json"])
        let planLine = json.stdout.split(separator: "\n").first { $0.contains("\"type\":\"plan\"") } ?? ""
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(planLine.utf8))["plan"]
        guard case .array(let steps)? = document?["steps"] else { return XCTFail(json.stdout) }
        XCTAssertEqual(steps.compactMap { $0["kind"]?.stringValue }, ["run", "./plugins/files.py", "run"])
    }

    func testLaterFailureRollsBackThePluginWithItsUndoRecordsNewestFirst() throws {
        try writeWorkflow(failAfter: true)
        let deploy = try ldedge(["deploy", "wf.yaml", "--yes"])
        XCTAssertEqual(deploy.status, 1, deploy.stderr)
        XCTAssertTrue(deploy.stderr.contains("step 'after' failed"), deploy.stderr)
        XCTAssertTrue(deploy.stderr.contains("rolled back 3 steps: after, files, before"), deploy.stderr)
        let rollback = try XCTUnwrap(calls().last { $0.method == "rollback" }, "the plugin's rollback was not called")
        guard case .array(let undo)? = rollback.params["undo"] else { return XCTFail("\(rollback.params)") }
        XCTAssertEqual(undo.compactMap { $0["resource"]?.stringValue }, ["file:b.txt", "file:a.txt"])
        XCTAssertEqual(undo.compactMap { $0["action"]?.stringValue }, ["create", "create"])
        XCTAssertEqual(undo.map { $0["uncertain"] }, [.bool(false), .bool(false)])
        XCTAssertEqual(undo.compactMap { $0["undo"]?["path"]?.stringValue }, ["out/b.txt", "out/a.txt"])
        XCTAssertEqual(rollback.params["id"], .string("files"))
        try assertNothingLeft("after rollback")
    }

    func testTeardownSendsOwnedResourcesAndReleasesThem() throws {
        try writeWorkflow()
        let deploy = try ldedge(["deploy", "wf.yaml", "--yes"])
        XCTAssertEqual(deploy.status, 0, deploy.stderr)
        XCTAssertTrue(deploy.stdout.contains("files.created = a.txt,b.txt"), deploy.stdout)
        XCTAssertTrue(deploy.stderr.contains("[files] planning 2 files"), "plugin stderr is progress, prefixed with the step id: \(deploy.stderr)")
        XCTAssertEqual(leftovers(), ["before.txt", "after.txt", "out/a.txt", "out/b.txt"])
        XCTAssertEqual(try state().steps["files"]?.resources.map(\.id).sorted(), ["out/a.txt", "out/b.txt"])

        let again = try ldedge(["deploy", "wf.yaml", "--yes"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("0 steps applied, 3 unchanged"), again.stdout)

        let teardown = try ldedge(["teardown", "--yes"])
        XCTAssertEqual(teardown.status, 0, teardown.stderr)
        let call = try XCTUnwrap(calls().last { $0.method == "teardown" })
        guard case .array(let resources)? = call.params["resources"] else { return XCTFail("\(call.params)") }
        XCTAssertEqual(resources.compactMap { $0["id"]?.stringValue }.sorted(), ["out/a.txt", "out/b.txt"])
        XCTAssertEqual(resources.first?["attributes"]?["name"]?.stringValue?.hasSuffix(".txt"), true)
        try assertNothingLeft("after teardown")
        let journal = try StateStore(root: directory.file(".ldedge"), workflow: "plugins").readJournal()
        XCTAssertEqual(journal.filter { $0.type == .release && $0.step == "files" }.count, 2, "the plugin released each file itself")
    }

    /// ldedge is SIGKILLed (by the plugin itself) after an acknowledged journal.intent and
    /// before apply returns: the next deploy rolls the change back, marked uncertain.
    func testSIGKILLDuringPluginApplyIsRecoveredByTheNextDeploy() throws {
        try writeWorkflow(mode: "${env:FILES_MODE:-ok}")
        let crashed = try ldedge(["deploy", "wf.yaml", "--yes"], environment: ["FILES_MODE": "kill-ldedge"])
        XCTAssertTrue(crashed.signaled, "ldedge was not killed: \(crashed.stderr)")
        XCTAssertEqual(leftovers(), ["before.txt", "out/a.txt"])

        let resumed = try ldedge(["deploy", "wf.yaml", "--yes"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("recovered from an interrupted run: files"), resumed.stdout)
        let rollback = try XCTUnwrap(calls().first { $0.method == "rollback" }, "recovery did not call the plugin's rollback")
        guard case .array(let undo)? = rollback.params["undo"] else { return XCTFail("\(rollback.params)") }
        XCTAssertEqual(undo.count, 1)
        XCTAssertEqual(undo.first?["resource"], .string("file:a.txt"))
        XCTAssertEqual(undo.first?["uncertain"], .bool(true), "no journal.done was recorded, so the change is uncertain")
        XCTAssertEqual(leftovers(), ["before.txt", "after.txt", "out/a.txt", "out/b.txt"])

        let teardown = try ldedge(["teardown", "--yes"])
        XCTAssertEqual(teardown.status, 0, teardown.stderr)
        try assertNothingLeft("teardown after recovery")
    }

    func testTeardownRightAfterASIGKILLLeavesNothing() throws {
        try writeWorkflow(mode: "${env:FILES_MODE:-ok}")
        let crashed = try ldedge(["deploy", "wf.yaml", "--yes"], environment: ["FILES_MODE": "kill-ldedge"])
        XCTAssertTrue(crashed.signaled, crashed.stderr)
        let teardown = try ldedge(["teardown", "--yes"])
        XCTAssertEqual(teardown.status, 0, teardown.stderr)
        let rollback = try XCTUnwrap(calls().first { $0.method == "rollback" }, "teardown did not undo the uncertain change")
        XCTAssertEqual(rollback.params["undo"]?.description.contains("\"uncertain\":true"), true)
        try assertNothingLeft("teardown after crash")
    }

    func testSecretsReachThePluginButNeverOutputStateOrJournal() throws {
        let token = "tok-\(UUID().uuidString)"
        try writeWorkflow(failAfter: true, extraInputs: "\n      secret: ${secret:FILES_TOKEN}")
        let deploy = try ldedge(["deploy", "wf.yaml", "--yes"], environment: ["FILES_TOKEN": token])
        XCTAssertEqual(deploy.status, 1, deploy.stderr)
        XCTAssertTrue(deploy.stderr.contains("[files] using token ***"), deploy.stderr)
        XCTAssertFalse(deploy.stderr.contains(token) || deploy.stdout.contains(token), "the token was printed")
        let journal = try XCTUnwrap(directory.read(".ldedge/plugins/journal.jsonl"))
        let snapshot = directory.read(".ldedge/plugins/state.json") ?? ""
        XCTAssertFalse(journal.contains(token) || snapshot.contains(token), "the token was written to state")
        XCTAssertTrue(journal.contains("\"token\":\"***\""), "the undo payload is journaled masked")
        let apply = try XCTUnwrap(calls().first { $0.method == "apply" })
        XCTAssertEqual(apply.params["inputs"]?["secret"]?.stringValue, token, "the plugin gets the real value in inputs")
        let rollback = try XCTUnwrap(calls().last { $0.method == "rollback" })
        XCTAssertFalse(rollback.params["undo"]?.description.contains(token) ?? true, "the undo payload came back masked")
        try assertNothingLeft("after rollback")
    }
}
