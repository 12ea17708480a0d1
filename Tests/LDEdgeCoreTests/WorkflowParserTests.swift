import BuiltinSteps
import Foundation
import LDEdgeCore
import LDEdgeTestSupport
import XCTest

final class WorkflowParserTests: XCTestCase {
    let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    let environment = ["HOME": "/root", "LDEDGE_TEST_TOKEN": "tok-1234567890"]

    func loader() -> WorkflowLoader { WorkflowLoader(registry: .builtin, environment: environment) }

    /// Every malformed workflow reports its first error at the exact line and column, with the exact message.
    func testMalformedCorpusReportsExactLocations() throws {
        let expected = try String(contentsOf: fixtures.appendingPathComponent("invalid-expected.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let files = try FileManager.default.contentsOfDirectory(atPath: fixtures.appendingPathComponent("invalid").path)
            .filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 40)
        XCTAssertEqual(files.count, expected.count, "one expectation per fixture")
        for (file, expectation) in zip(files, expected) {
            XCTAssertTrue(expectation.hasPrefix(file + ":"), "expectation order: \(expectation) for \(file)")
            let path = fixtures.appendingPathComponent("invalid").appendingPathComponent(file).path
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let (workflow, diagnostics) = loader().parse(text: text, file: file, directory: fixtures)
            XCTAssertNil(workflow, "\(file) should not load")
            let first = diagnostics.first { $0.severity == .error }
            XCTAssertEqual(first?.description, expectation, file)
        }
    }

    func testLoadThrowsEveryErrorWithFileLocations() throws {
        let path = fixtures.appendingPathComponent("invalid/36-cycle.yaml").path
        XCTAssertThrowsError(try loader().load(path: path)) { error in
            let diagnostics = (error as? DiagnosticsError)?.diagnostics ?? []
            XCTAssertEqual(diagnostics.first?.location?.file, path)
            XCTAssertEqual(diagnostics.first?.location?.line, 6)
        }
    }

    func testValidWorkflowsRoundTrip() throws {
        for name in ["demo.yaml", "settings.yaml"] {
            let path = fixtures.appendingPathComponent("valid").appendingPathComponent(name).path
            let workflow = try loader().load(path: path)
            let written = try WorkflowWriter.yaml(workflow)
            let (again, diagnostics) = loader().parse(text: written, file: name, directory: fixtures)
            XCTAssertEqual(diagnostics.filter { $0.severity == .error }.map(\.description), [], written)
            let reparsed = try XCTUnwrap(again)
            XCTAssertEqual(reparsed.name, workflow.name)
            XCTAssertEqual(reparsed.settings, workflow.settings)
            XCTAssertEqual(reparsed.steps.map(\.id), workflow.steps.map(\.id))
            XCTAssertEqual(reparsed.steps.map(\.kind), workflow.steps.map(\.kind))
            XCTAssertEqual(reparsed.steps.map(\.input), workflow.steps.map(\.input))
            XCTAssertEqual(reparsed.steps.map(\.dependencies), workflow.steps.map(\.dependencies))
        }
    }

    func testReferencesOrderStepsAndKeepFileOrderOtherwise() throws {
        let workflow = try loader().load(path: fixtures.appendingPathComponent("valid/settings.yaml").path)
        XCTAssertEqual(workflow.steps.map(\.id), ["first", "later", "done"])
        XCTAssertEqual(workflow.step("later")?.dependencies, ["first"])
        XCTAssertEqual(workflow.step("done")?.dependencies, ["first"])
    }

    func testInterpolationResolvesEnvironmentSecretsAndWorkflowName() throws {
        let text = """
            name: interp
            launchdarkly:
              accessToken: ${secret:LDEDGE_TEST_TOKEN}
            steps:
              - id: a
                uses: run
                with:
                  run: echo ${env:HOME} ${env:MISSING:-fallback} $${literal} ${workflow.name}
            """
        let (workflow, diagnostics) = loader().parse(text: text, file: "t.yaml", directory: fixtures)
        XCTAssertEqual(diagnostics, [])
        XCTAssertEqual(workflow?.steps.first?.input["run"], .string("echo /root fallback ${literal} interp"))
        XCTAssertEqual(workflow?.settings.launchdarkly?.accessToken, "tok-1234567890")
        XCTAssertTrue(Secrets.shared.isSecret("tok-1234567890"))
        XCTAssertEqual(Secrets.shared.redact("token tok-1234567890 here"), "token *** here")
    }

    func testTypedValuesFromEnvironmentAreConverted() throws {
        let text = """
            name: typed
            steps:
              - id: a
                uses: run
                with:
                  run: "true"
                  always: ${env:ALWAYS}
            """
        var loader = self.loader()
        loader.environment["ALWAYS"] = "true"
        let (workflow, diagnostics) = loader.parse(text: text, file: "t.yaml", directory: fixtures)
        XCTAssertEqual(diagnostics, [])
        XCTAssertEqual(workflow?.steps.first?.input["always"], .bool(true))
        loader.environment["ALWAYS"] = "maybe"
        let (_, bad) = loader.parse(text: text, file: "t.yaml", directory: fixtures)
        XCTAssertEqual(bad.first?.description, "t.yaml:7:15: error: 'always' must be true or false, found 'maybe'")
    }

    func testStepOutputResolutionConvertsToTheInputType() {
        let input: JSONValue = .object(["run": .string("echo ${steps.a.outputs.stdout}"), "always": .string("${steps.a.outputs.flag}")])
        let type = InputType.object(StepRegistry.builtin["run"]?.inputs ?? [])
        XCTAssertNil(input.resolvingStepOutputs([:], as: type))
        let resolved = input.resolvingStepOutputs(["a": ["stdout": "hi", "flag": "false"]], as: type)
        XCTAssertEqual(resolved, .object(["run": .string("echo hi"), "always": .bool(false)]))
    }
}
