import Foundation
import LDEdgeCore
import LDEdgeTestSupport
import XCTest

/// `plan --out FILE` / `deploy FILE`, and the `--json` NDJSON event stream checked against
/// `docs/events.schema.json` by Python's jsonschema.
final class SavedPlanAndEventsTests: XCTestCase {
    var directory: TemporaryDirectory!
    var binary: URL!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory("plans")
        binary = try ldedgeBinary()
    }

    override func tearDown() {
        directory.remove()
    }

    @discardableResult
    func ldedge(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        try runProcess(binary, arguments, in: directory.url, environment: environment)
    }

    func writeWorkflow(failing: Bool = false) throws {
        try directory.write("flow.yaml", """
            name: flow
            steps:
              - id: one
                uses: run
                with: {run: "echo ${secret:PLAN_TOKEN} > m1", undo: "rm -f m1"}
              - id: two
                uses: run
                with: {run: "\(failing ? "touch m2; exit 3" : "touch m2")", undo: "rm -f m2"}
            """)
    }

    var markers: [String] { ["m1", "m2"].filter { directory.exists($0) } }

    func testSavedPlanIsAppliedExactlyOnceAndRefusedWhenTheStateOrWorkflowMoved() throws {
        let secret = "plan-secret-\(UUID().uuidString)"
        let environment = ["PLAN_TOKEN": secret]
        try writeWorkflow()
        let planned = try ldedge(["plan", "flow.yaml", "--out", "flow.plan"], environment: environment)
        XCTAssertEqual(planned.status, 0, planned.stderr)
        let text = try XCTUnwrap(directory.read("flow.plan"))
        XCTAssertFalse(text.contains(secret), "a secret reached the plan file")
        let saved = try XCTUnwrap(try SavedPlan.read(directory.file("flow.plan").path))
        XCTAssertEqual(saved.serial, 0)
        XCTAssertEqual(saved.fingerprints.keys.sorted(), ["one", "two"])
        XCTAssertEqual(try ldedge(["plan", "flow.yaml", "--out", "-"], environment: environment).stdout.contains("\"format\" : \"ldedge-plan\""), true)

        let applied = try ldedge(["deploy", "flow.plan"], environment: environment)
        XCTAssertEqual(applied.status, 0, applied.stderr)
        XCTAssertEqual(markers, ["m1", "m2"])
        XCTAssertEqual(directory.read("m1"), "\(secret)\n")

        // The same plan again: the state serial moved on.
        let stale = try ldedge(["deploy", "flow.plan"], environment: environment)
        XCTAssertEqual(stale.status, 1)
        XCTAssertTrue(stale.stderr.contains("the state changed since the plan was made") && stale.stderr.contains("nothing was changed"), stale.stderr)

        // A plan made now, then the workflow edited: refused, nothing changed.
        XCTAssertEqual(try ldedge(["plan", "flow.yaml", "--out", "fresh.plan"], environment: environment).status, 0)
        try directory.write("flow.yaml", (directory.read("flow.yaml") ?? "") + "\n# edited\n")
        try FileManager.default.removeItem(at: directory.file("m2"))
        let edited = try ldedge(["deploy", "fresh.plan"], environment: environment)
        XCTAssertEqual(edited.status, 1)
        XCTAssertTrue(edited.stderr.contains("changed since the plan was made"), edited.stderr)
        XCTAssertEqual(markers, ["m1"], "a refused plan changes nothing")
        XCTAssertEqual(try ldedge(["teardown", "--yes"], environment: environment).status, 0)
    }

    /// Deploy, a failed deploy with rollback, and teardown: every line validates against the schema.
    func testJSONEventsValidateAgainstTheSchema() throws {
        try writeWorkflow()
        let runs: [(name: String, arguments: [String], status: Int32, failing: Bool)] = [
            ("plan", ["plan", "flow.yaml", "--json"], 0, false),
            ("deploy", ["deploy", "flow.yaml", "--yes", "--json"], 0, false),
            ("teardown", ["teardown", "--yes", "--json"], 0, false),
            ("failed", ["deploy", "flow.yaml", "--yes", "--json"], 1, true),
        ]
        let schema = packageRoot.appendingPathComponent("docs/events.schema.json").path
        let validator = packageRoot.appendingPathComponent("scripts/validate-events.py").path
        var seen: [String: [String]] = [:]
        for run in runs {
            try writeWorkflow(failing: run.failing)
            let result = try ldedge(run.arguments, environment: ["PLAN_TOKEN": "x"])
            XCTAssertEqual(result.status, run.status, "\(run.name): \(result.stderr)")
            let file = directory.file("\(run.name).ndjson")
            try Data(result.stdout.utf8).write(to: file)
            let check = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", validator, schema, file.path], in: directory.url)
            XCTAssertEqual(check.status, 0, "\(run.name): \(check.stdout)\(check.stderr)")
            seen[run.name] = check.stdout.split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
            XCTAssertEqual(seen[run.name]?.last, "summary", run.name)
        }
        XCTAssertEqual(seen["plan"], ["plan", "summary"])
        XCTAssertTrue(seen["deploy"]?.starts(with: ["plan", "change_start"]) ?? false, "\(seen)")
        XCTAssertTrue(seen["teardown"]?.contains("change_done") ?? false, "\(seen)")
        let failed = seen["failed"] ?? []
        XCTAssertTrue(failed.contains("rollback") && failed.contains("diagnostic"), "\(failed)")
        XCTAssertEqual(markers, [], "the failed deploy was rolled back")
        let last = try XCTUnwrap(directory.read("failed.ndjson")?.split(separator: "\n").last)
        let summary = try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any]
        XCTAssertEqual(summary?["exitCode"] as? Int, 1)
        XCTAssertEqual(summary?["outcome"] as? String, "failed")
    }
}
