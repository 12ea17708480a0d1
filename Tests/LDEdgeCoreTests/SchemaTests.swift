import BuiltinSteps
import Foundation
import LDEdgeCore
import LDEdgeTestSupport
import XCTest

final class SchemaTests: XCTestCase {
    /// docs/workflow.schema.json is generated from the registry: it must match every step's inputs.
    func testShippedSchemaMatchesRegisteredSteps() throws {
        let shipped = try String(contentsOf: packageRoot.appendingPathComponent("docs/workflow.schema.json"), encoding: .utf8)
        let generated = try WorkflowSchema.document(.builtin)
        XCTAssertEqual(shipped, generated, "docs/workflow.schema.json is stale: run '.build/debug/ldedge schema > docs/workflow.schema.json'")
    }

    /// A real JSON Schema validator (Python jsonschema) accepts the valid fixtures and rejects invalid shapes.
    func testSchemaAcceptsValidAndRejectsInvalidWorkflows() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        let script = """
            import json, sys, yaml, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            validator = jsonschema.Draft202012Validator(schema)
            for path in sys.argv[2:]:
                errors = list(validator.iter_errors(yaml.safe_load(open(path))))
                print(("valid" if not errors else "invalid") + " " + path.split("/")[-1])
            """
        let files = [
            "valid/demo.yaml", "valid/settings.yaml", "invalid/17-unknown-step-key.yaml", "invalid/21-unknown-input.yaml",
            "invalid/22-wrong-type-bool.yaml", "invalid/20-missing-required-input.yaml", "invalid/44-aws-unknown-key.yaml",
        ].map { fixtures.appendingPathComponent($0).path }
        let result = try runProcess(
            URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, packageRoot.appendingPathComponent("docs/workflow.schema.json").path] + files,
            in: packageRoot)
        XCTAssertEqual(result.status, 0, result.stderr + " (install the test dependencies with scripts/setup.sh)")
        XCTAssertEqual(result.stdout.split(separator: "\n").map(String.init), [
            "valid demo.yaml", "valid settings.yaml", "invalid 17-unknown-step-key.yaml", "invalid 21-unknown-input.yaml",
            "invalid 22-wrong-type-bool.yaml", "invalid 20-missing-required-input.yaml", "invalid 44-aws-unknown-key.yaml",
        ])
    }
}
