import BuiltinSteps
import Foundation
import LDEdgeCore
import LDEdgeTestSupport
import XCTest

/// State and journals written by ldedge 0.1, before undo records were typed, still load and
/// recover: the untyped `{action, resource, data}` undo records are read as each kind's `Undo`
/// through its `legacyActions` (fixture: Fixtures/legacy-0.1, a deploy killed after a command ran).
final class LegacyStateTests: XCTestCase {
    var directory: TemporaryDirectory!

    override func setUp() async throws {
        directory = try TemporaryDirectory("legacy-state")
        let fixtures = packageRoot.appendingPathComponent("Tests/LDEdgeCoreTests/Fixtures/legacy-0.1")
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("markers.yaml"), to: directory.file("markers.yaml"))
        let state = directory.file(".ldedge/legacy-markers")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        for name in ["state.json", "journal.jsonl"] {
            try FileManager.default.copyItem(at: fixtures.appendingPathComponent(name), to: state.appendingPathComponent(name))
        }
        // The world the killed run left: both commands ran once.
        try directory.write("m1", "one\n")
        try directory.write("m2", "two\n")
    }

    override func tearDown() {
        directory.remove()
    }

    func engine() -> Engine {
        var options = EngineOptions(stateRoot: directory.file(".ldedge"), environment: ProcessInfo.processInfo.environment)
        options.allowDirty = true
        return Engine(registry: .builtin, options: options)
    }

    func testUntypedUndoRecordsLoadAndRecover() async throws {
        let store = StateStore(root: directory.file(".ldedge"), workflow: "legacy-markers")
        let loaded = try store.load()
        XCTAssertEqual(loaded.steps["one"]?.undo.first?.undo["action"]?.stringValue, "run undo command", "state.json's untyped record loads")
        XCTAssertEqual(loaded.steps["two"]?.status, .applying)
        XCTAssertEqual(loaded.steps["two"]?.undo.count, 1)

        let workflow = try WorkflowLoader(registry: .builtin, environment: [:]).load(path: directory.file("markers.yaml").path)
        let report = try await engine().deploy(workflow)
        XCTAssertEqual(report.recovered, ["two"], "the half-applied step is undone with its untyped record first")
        XCTAssertEqual(directory.read("m2"), "two\n", "undone (rm -f m2), then applied once: not doubled")
        XCTAssertEqual(directory.read("m1"), "one\n")
        XCTAssertEqual(directory.read("m3"), "three\n")

        _ = try await engine().teardown(workflow: "legacy-markers", workflow: workflow)
        XCTAssertFalse(directory.exists("m1") || directory.exists("m2") || directory.exists("m3"))
    }
}
