import Foundation
import XCTest

@testable import LDEdgeCore

/// Environment names, state keys and the names ldedge derives per environment.
final class DeploymentTests: XCTestCase {
    func testNamesWithoutAnEnvironmentAreUnchanged() {
        let deployment = Deployment(workflow: "rebrand")
        XCTAssertEqual(deployment.stateKey, "rebrand")
        XCTAssertEqual(deployment.scoped("rebrand-viewer-request", limit: 64).value, "rebrand-viewer-request")
        // Even a name over the limit: validation reports it, as it always did.
        let long = String(repeating: "x", count: 70)
        XCTAssertEqual(deployment.scoped(long, limit: 64).value, long)
    }

    func testEnvironmentGoesIntoStateKeyAndNames() {
        let deployment = Deployment(workflow: "rebrand", environment: "pr-42")
        XCTAssertEqual(deployment.stateKey, "rebrand/env/pr-42")
        XCTAssertEqual(Deployment(stateKey: "rebrand/env/pr-42"), deployment)
        XCTAssertEqual(Deployment(stateKey: "rebrand"), Deployment(workflow: "rebrand"))
        let name = deployment.scoped("rebrand-viewer-request", limit: 64)
        XCTAssertEqual(name.value, "rebrand-viewer-request-pr-42")
        XCTAssertFalse(name.wasShortened)
    }

    func testLongNamesAreShortenedWithAStableUniqueHash() {
        let environment = String(repeating: "a", count: 39)
        let one = Deployment(workflow: "rebrand", environment: environment + "1").scoped("ldedge-rebrand-site-bucket", limit: 63)
        let two = Deployment(workflow: "rebrand", environment: environment + "2").scoped("ldedge-rebrand-site-bucket", limit: 63)
        XCTAssertTrue(one.wasShortened)
        XCTAssertEqual(one.value.count, 63)
        XCTAssertNotEqual(one.value, two.value)
        XCTAssertEqual(one.value, Deployment(workflow: "rebrand", environment: environment + "1").scoped("ldedge-rebrand-site-bucket", limit: 63).value)
        XCTAssertNotNil(one.value.range(of: "^[a-z0-9][a-z0-9-]*-[0-9a-f]{8}$", options: .regularExpression), one.value)
        // The cut never leaves a hyphen before the hash's own.
        XCTAssertEqual(Deployment.fit("abc-" + String(repeating: "d", count: 10), limit: 13).count, 12)
        XCTAssertFalse(Deployment.fit("abc-" + String(repeating: "d", count: 10), limit: 13).contains("--"))
    }

    func testEnvironmentNameRules() {
        for good in ["staging", "pr-42", "a", String(repeating: "a", count: 63)] {
            XCTAssertNil(Deployment.problem(environment: good), good)
        }
        for bad in ["", "PR-1", "pr_1", "-pr", "pr-", "pr.1", String(repeating: "a", count: 64)] {
            XCTAssertNotNil(Deployment.problem(environment: bad), bad)
        }
    }

    func testEnvironmentPatterns() {
        XCTAssertTrue(WorkflowParser.matches("pr-42", pattern: "pr-*"))
        XCTAssertTrue(WorkflowParser.matches("anything", pattern: "*"))
        XCTAssertTrue(WorkflowParser.matches("pr-1-x", pattern: "pr-*-x"))
        XCTAssertFalse(WorkflowParser.matches("staging", pattern: "pr-*"))
        XCTAssertFalse(WorkflowParser.matches("pr-1-y", pattern: "pr-*-x"))
        XCTAssertFalse(WorkflowParser.matches("pr", pattern: "pr-*"))
    }

    func testVariablesComeFromTheMatchingEnvironmentOverVars() throws {
        let text = """
            name: site
            vars:
              flag: rebrand
              label: default
            environments:
              staging:
                label: staging
              pr-*:
                flag: rebrand-${workflow.environment}
            steps:
              - id: run
                uses: run
                with:
                  run: "echo ${workflow.vars.flag} ${workflow.vars.label} [${workflow.environment}]"
            """
        func command(_ environment: String?) throws -> String {
            let loader = WorkflowLoader(registry: .builtin, environment: [:], environmentName: environment)
            let (workflow, diagnostics) = loader.parse(text: text, file: "site.yaml", directory: URL(fileURLWithPath: "/tmp"))
            let parsed = try XCTUnwrap(workflow, "\(diagnostics)")
            return parsed.steps[0].input["run"]?.stringValue ?? ""
        }
        XCTAssertEqual(try command(nil), "echo rebrand default []")
        XCTAssertEqual(try command("staging"), "echo rebrand staging [staging]")
        XCTAssertEqual(try command("pr-7"), "echo rebrand-pr-7 default [pr-7]")
    }
}
