import BuiltinSteps
import Foundation
import LDEdgeCore
import LDEdgeTestSupport
import XCTest

/// The engine driven in-process with real `run` steps whose commands log to a file.
final class EngineTests: XCTestCase {
    var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory("engine")
    }

    override func tearDown() {
        directory.remove()
    }

    /// N steps that append "apply-i"/"undo-i" to log.txt; the step at `failAt` fails.
    func workflow(steps count: Int, failAt: Int?) throws -> Workflow {
        var text = "name: positions\nsteps:\n"
        for index in 1...count {
            let run = index == failAt ? "echo fail-\(index) >> log.txt; exit 7" : "echo apply-\(index) >> log.txt"
            text += "  - id: s\(index)\n    uses: run\n    with:\n      run: \"\(run)\"\n      undo: \"echo undo-\(index) >> log.txt\"\n"
        }
        try directory.write("positions.yaml", text)
        return try WorkflowLoader(registry: .builtin, environment: [:]).load(path: directory.file("positions.yaml").path)
    }

    func engine(rollback: Bool = true) -> Engine {
        var options = EngineOptions(stateRoot: directory.file(".ldedge"), environment: ProcessInfo.processInfo.environment)
        options.rollbackOnFailure = rollback
        return Engine(registry: .builtin, options: options)
    }

    func log() -> [String] {
        (directory.read("log.txt") ?? "").split(separator: "\n").map(String.init)
    }

    func testFailureAtEveryPositionRollsBackAppliedStepsInReverse() async throws {
        let count = 5
        for failAt in 1...count {
            try? FileManager.default.removeItem(at: directory.file("log.txt"))
            try? FileManager.default.removeItem(at: directory.file(".ldedge"))
            let workflow = try workflow(steps: count, failAt: failAt)
            do {
                _ = try await engine().deploy(workflow)
                XCTFail("deploy should fail at step \(failAt)")
            } catch let error as EngineError {
                guard case .stepFailed(let step, _, let outcomes, true) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(step, "s\(failAt)")
                XCTAssertEqual(outcomes.map(\.step), (1...failAt).reversed().map { "s\($0)" })
                XCTAssertTrue(outcomes.allSatisfy { $0.error == nil })
            }
            let applied = (1..<failAt).map { "apply-\($0)" }
            // The failed step's own command ran (its undo runs too: a failed command may have done half its work).
            let undone = (1...failAt).reversed().map { "undo-\($0)" }
            XCTAssertEqual(log(), applied + ["fail-\(failAt)"] + undone, "fail at \(failAt)")
            let state = try StateStore(root: directory.file(".ldedge"), workflow: "positions").load()
            for index in 1...failAt {
                XCTAssertEqual(state.steps["s\(index)"]?.status, .rolledBack, "s\(index) after failure at \(failAt)")
                XCTAssertEqual(state.steps["s\(index)"]?.resources, [])
            }
            XCTAssertNil(state.steps["s\(failAt + 1)"])
            XCTAssertFalse(state.interrupted)
            XCTAssertTrue(state.isEmpty)
        }
    }

    func testNoRollbackLeavesStepsForTeardown() async throws {
        let workflow = try workflow(steps: 3, failAt: 3)
        do {
            _ = try await engine(rollback: false).deploy(workflow)
            XCTFail("deploy should fail")
        } catch {}
        XCTAssertEqual(log(), ["apply-1", "apply-2", "fail-3"])
        let report = try await engine().teardown(workflow: "positions")
        XCTAssertEqual(report.steps, ["s3", "s2", "s1"])
        XCTAssertEqual(log(), ["apply-1", "apply-2", "fail-3", "undo-3", "undo-2", "undo-1"])
        XCTAssertTrue(try StateStore(root: directory.file(".ldedge"), workflow: "positions").load().isEmpty)
    }

    func testRedeployWithoutChangesDoesNothingAndTeardownRunsInReverse() async throws {
        let workflow = try workflow(steps: 3, failAt: nil)
        let first = try await engine().deploy(workflow)
        XCTAssertEqual(first.applied, ["s1", "s2", "s3"])
        let plan = try await engine().plan(workflow)
        XCTAssertFalse(plan.hasChanges)
        let second = try await engine().deploy(workflow)
        XCTAssertEqual(second.applied, [])
        XCTAssertEqual(second.unchanged, ["s1", "s2", "s3"])
        XCTAssertEqual(log(), ["apply-1", "apply-2", "apply-3"])
        _ = try await engine().teardown(workflow: "positions")
        XCTAssertEqual(log(), ["apply-1", "apply-2", "apply-3", "undo-3", "undo-2", "undo-1"])
        // A second teardown has nothing left to do.
        let again = try await engine().teardown(workflow: "positions")
        XCTAssertEqual(again.steps, [])
    }

    func testChangedStepIsReappliedAndRollbackRestoresItsPreviousRecord() async throws {
        let workflow = try workflow(steps: 2, failAt: nil)
        _ = try await engine().deploy(workflow)
        // Change step 1 and make step 2 fail: step 1 re-runs, then is rolled back.
        try directory.write("positions.yaml", """
            name: positions
            steps:
              - id: s1
                uses: run
                with:
                  run: "echo apply-1b >> log.txt"
                  undo: "echo undo-1b >> log.txt"
              - id: s2
                uses: run
                with:
                  run: "echo fail-2 >> log.txt; exit 1"
                  undo: "echo undo-2b >> log.txt"
            """)
        let changed = try WorkflowLoader(registry: .builtin, environment: [:]).load(path: directory.file("positions.yaml").path)
        do { _ = try await engine().deploy(changed); XCTFail("should fail") } catch {}
        XCTAssertEqual(log(), ["apply-1", "apply-2", "apply-1b", "fail-2", "undo-2b", "undo-1b"])
        let state = try StateStore(root: directory.file(".ldedge"), workflow: "positions").load()
        XCTAssertEqual(state.steps["s1"]?.status, .applied, "s1 was applied before this run")
    }

    func testCleanupStepTearsDownEarlierStepsWithinTheRun() async throws {
        try directory.write("preview.yaml", """
            name: preview
            steps:
              - id: env
                uses: run
                with: {run: "touch env", undo: "rm -f env"}
              - id: check
                uses: run
                with: {run: "test -f env"}
              - id: done
                uses: cleanup
            """)
        let workflow = try WorkflowLoader(registry: .builtin, environment: [:]).load(path: directory.file("preview.yaml").path)
        let report = try await engine().deploy(workflow)
        XCTAssertEqual(report.applied, ["env", "check", "done"])
        XCTAssertFalse(directory.exists("env"))
        XCTAssertEqual(report.outputs["done"]?["removed"], "command env")
    }

    func testPlanChangesNothingAndRefusesMutation() async throws {
        let workflow = try workflow(steps: 2, failAt: nil)
        let plan = try await engine().plan(workflow)
        XCTAssertEqual(plan.steps.map(\.id), ["s1", "s2"])
        XCTAssertEqual(plan.steps.first?.plan?.changes.first?.action, .run)
        XCTAssertFalse(directory.exists("log.txt"))
        XCTAssertFalse(directory.exists(".ldedge/positions/journal.jsonl"))
    }
}
