import BuiltinSteps
import Foundation
import LDEdgeCore
import LDEdgeTestSupport
import XCTest

/// docs/architecture.md's worked example (a new built-in step kind) is this target's
/// ArchitectureExample/TouchFileStep.swift, word for word, so it compiles with every build; and it
/// works: deploy, rollback after a later failure, teardown.
final class ArchitectureExampleTests: XCTestCase {
    func testTheDocumentedExampleIsTheCompiledOne() throws {
        let doc = try String(contentsOf: packageRoot.appendingPathComponent("docs/architecture.md"), encoding: .utf8)
        let compiled = try String(contentsOf: packageRoot.appendingPathComponent("Tests/StepsTests/ArchitectureExample/TouchFileStep.swift"), encoding: .utf8)
        let start = try XCTUnwrap(doc.range(of: "   ```swift\n"))
        let end = try XCTUnwrap(doc.range(of: "   ```\n", range: start.upperBound..<doc.endIndex))
        let block = doc[start.upperBound..<end.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("   ") ? String($0.dropFirst(3)) : String($0) }.joined(separator: "\n")
        XCTAssertEqual(block, compiled, "docs/architecture.md's example differs from ArchitectureExample/TouchFileStep.swift")
    }

    func testTheExampleDeploysRollsBackAndTearsDown() async throws {
        let directory = try TemporaryDirectory("touch-file")
        defer { directory.remove() }
        try directory.write("note.txt", "before\n")
        try directory.write("touch.yaml", """
            name: touch
            steps:
              - id: note
                uses: touch-file
                with: {path: note.txt, text: "after"}
              - id: fresh
                uses: touch-file
                with: {path: fresh.txt, text: "new"}
              - id: fail
                uses: run
                with: {run: "exit 3"}
            """)
        let registry = StepRegistry(StepRegistry.builtinKinds + [StepKind(TouchFileStep.self)])
        let workflow = try WorkflowLoader(registry: registry, environment: [:]).load(path: directory.file("touch.yaml").path)
        var options = EngineOptions(stateRoot: directory.file(".ldedge"), environment: ProcessInfo.processInfo.environment)
        options.allowDirty = true
        let engine = Engine(registry: registry, options: options)
        do {
            _ = try await engine.deploy(workflow)
            XCTFail("the run step fails")
        } catch {}
        XCTAssertEqual(directory.read("note.txt"), "before\n", "rollback put the previous text back")
        XCTAssertFalse(directory.exists("fresh.txt"), "rollback removed the file the run created")

        var passing = workflow
        passing.steps.removeLast()
        _ = try await engine.deploy(passing)
        XCTAssertEqual(directory.read("note.txt"), "after")
        XCTAssertEqual(directory.read("fresh.txt"), "new")
        _ = try await engine.teardown(workflow: "touch", workflow: passing)
        XCTAssertFalse(directory.exists("fresh.txt"))
    }
}
