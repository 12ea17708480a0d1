import Foundation
import LDEdgeApp
import LDEdgeCore
import LDEdgeTestSupport
import XCTest

/// What a new user meets in the first hour, through the real `ldedge` binary: configuration
/// problems apart from workflow errors, JSON that is always JSON, and limits checked offline.
final class FirstRunTests: XCTestCase {
    var directory: TemporaryDirectory!
    var binary: URL!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory("first-run")
        binary = try ldedgeBinary()
    }

    override func tearDown() {
        directory.remove()
    }

    /// An environment with no AWS or LaunchDarkly settings at all (empty values override the
    /// test process's own; HOME has no ~/.aws).
    var unconfigured: [String: String] {
        var environment: [String: String] = ["HOME": directory.path, "AWS_CONFIG_FILE": directory.file("none/config").path,
                                             "AWS_SHARED_CREDENTIALS_FILE": directory.file("none/credentials").path,
                                             "AWS_EC2_METADATA_DISABLED": "true"]
        for name in ["AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                     "AWS_ENDPOINT_URL", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                     "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "LD_ACCESS_TOKEN", "LD_SDK_KEY", "LD_BASE_URI"] {
            environment[name] = ""
        }
        return environment
    }

    @discardableResult
    func ldedge(_ arguments: [String], in folder: URL? = nil, environment: [String: String] = [:]) throws -> ProcessResult {
        try runProcess(binary, arguments, in: folder ?? directory.url, environment: environment)
    }

    /// The JSON a command printed: `status --json`'s document, or the `result` of the `summary`
    /// event that ends an NDJSON stream (`teardown --json`), which must then be the only line.
    func document(_ stdout: String) throws -> [String: Any]? {
        let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any]
        if object?["type"] as? String == "summary" { return object?["result"] as? [String: Any] }
        return object
    }

    func copyRebrand() throws {
        for folder in ["workflows", "templates"] {
            try FileManager.default.copyItem(at: packageRoot.appendingPathComponent(folder), to: directory.file(folder))
        }
    }

    /// No region, credentials or token: exit 78 (not 65), the problems on stderr with the way to
    /// run on the local sandbox said once, and no plan summary promising changes.
    func testMissingAccountSettingsAreAConfigurationProblem() throws {
        try copyRebrand()
        let plan = try ldedge(["plan", "workflows/rebrand.yaml"], environment: unconfigured)
        XCTAssertEqual(plan.status, ExitStatus.configuration.rawValue, plan.stderr)
        XCTAssertEqual(ExitStatus.configuration.rawValue, 78)
        XCTAssertTrue(plan.stderr.contains("not configured"), plan.stderr)
        XCTAssertTrue(plan.stderr.contains("no region"), plan.stderr)
        XCTAssertTrue(plan.stderr.contains("LD_ACCESS_TOKEN"), plan.stderr)
        XCTAssertEqual(plan.stderr.components(separatedBy: "./scripts/demo.sh").count - 1, 1, "the sandbox hint is said once:\n\(plan.stderr)")
        XCTAssertFalse(plan.stdout.contains("no region"), "configuration problems go to stderr, not next to the plan:\n\(plan.stdout)")
        XCTAssertFalse(plan.stdout.contains("Plan: "), "no summary for a plan that could not be made:\n\(plan.stdout)")
        XCTAssertTrue(plan.stdout.contains("could not be planned"), plan.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.file(".ldedge/rebrand/journal.jsonl").path), "nothing recorded")

        let deploy = try ldedge(["deploy", "workflows/rebrand.yaml", "--yes", "--allow-dirty"], environment: unconfigured)
        XCTAssertEqual(deploy.status, ExitStatus.configuration.rawValue, deploy.stderr)
        XCTAssertTrue(deploy.stderr.contains("no region"), deploy.stderr)

        // A broken workflow file is still 65, whatever the environment.
        try directory.write("bad.yaml", "name: bad\nsteps:\n  - id: a\n    uses: nope\n")
        XCTAssertEqual(try ldedge(["plan", "bad.yaml"], environment: unconfigured).status, ExitStatus.invalidWorkflow.rawValue)
    }

    /// In a directory where nothing was deployed, `status --json` and `teardown --json` print JSON
    /// on stdout, and every form of both commands says "nothing deployed" with one exit code.
    func testNothingDeployedIsTheSameAnswerEverywhereAndJSONStaysJSON() throws {
        try directory.write("markers.yaml", """
            name: markers
            steps:
              - id: one
                uses: run
                with: {run: "touch m1", undo: "rm -f m1"}
            """)
        var statuses: Set<Int32> = []
        for arguments in [["status"], ["status", "markers"], ["status", "markers.yaml"], ["teardown", "--yes"], ["teardown", "--yes", "markers"],
                          ["teardown", "--yes", "markers.yaml"]] {
            let text = try ldedge(arguments)
            statuses.insert(text.status)
            XCTAssertTrue(text.stdout.hasPrefix("nothing deployed"), "\(arguments): \(text.stdout)\n\(text.stderr)")
            XCTAssertFalse(text.stderr.contains("error:"), "\(arguments): \(text.stderr)")

            let json = try ldedge(arguments + ["--json"])
            statuses.insert(json.status)
            let object = try document(json.stdout)
            XCTAssertEqual((object?["workflows"] as? [Any])?.count, 0, "\(arguments) --json: \(json.stdout)")
            XCTAssertTrue((object?["message"] as? String)?.hasPrefix("nothing deployed") ?? false, json.stdout)
        }
        XCTAssertEqual(statuses, [ExitStatus.success.rawValue], "one exit code for 'nothing deployed'")

        // Deployed: status --json is the recorded state; two workflows without a name is an error, in JSON too.
        XCTAssertEqual(try ldedge(["deploy", "markers.yaml", "--yes", "--allow-dirty"]).status, 0)
        let state = try ldedge(["status", "--json"])
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(state.stdout.utf8)) as? [String: Any])?["workflow"] as? String, "markers")
        try directory.write("other.yaml", "name: other\nsteps:\n  - id: one\n    uses: run\n    with: {run: \"true\"}\n")
        XCTAssertEqual(try ldedge(["deploy", "other.yaml", "--yes", "--allow-dirty"]).status, 0)
        let ambiguous = try ldedge(["status", "--json"])
        XCTAssertEqual(ambiguous.status, ExitStatus.failure.rawValue)
        let error = try JSONSerialization.jsonObject(with: Data(ambiguous.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(error?["workflows"] as? [String], ["markers", "other"], ambiguous.stdout)
        XCTAssertNotNil(error?["error"] as? String)

        // After a teardown the state remains, so the answer is "nothing to tear down", not an error.
        XCTAssertEqual(try ldedge(["teardown", "markers", "--yes"]).status, 0)
        let again = try ldedge(["teardown", "markers", "--yes", "--json"])
        XCTAssertEqual(again.status, 0)
        XCTAssertEqual(try document(again.stdout)?["steps"] as? [String], [])
    }

    /// Every Lambda@Edge limit that literal inputs decide is checked by `validate`, offline, even in
    /// a step fed by other steps' outputs, each error at its own key; `plan` reports the same.
    func testValidateChecksEdgeLimitsOfflineAtEachKey() throws {
        try directory.write("limits.yaml", """
            name: limits
            steps:
              - id: package
                uses: run
                with: {run: "echo edge.zip"}
              - id: trigger
                uses: attach-trigger
                needs: package
                with:
                  zip: ${steps.package.outputs.stdout}
                  functionName: edge
                  runtime: python3.12
                  handler: handler.handler
                  eventType: viewer-request
                  distribution: E2EXAMPLE
                  memory: 256
                  timeout: 10
                  region: us-west-2
                  environment: {A: b}
                  architecture: arm64
            """)
        for command in ["validate", "plan"] {
            let result = try ldedge([command, "limits.yaml"], environment: unconfigured)
            XCTAssertEqual(result.status, ExitStatus.invalidWorkflow.rawValue, "\(command): \(result.stderr)")
            for (line, text) in [(16, "exactly 128 MB"), (17, "at most 5 s"), (18, "must live in us-east-1"), (19, "environment variables"),
                                 (20, "x86_64 only")] {
                let located = result.stderr.split(separator: "\n").first { $0.contains(text) } ?? ""
                XCTAssertTrue(located.hasPrefix("limits.yaml:\(line):7: error:"), "\(command): '\(text)' should be at its key (\(line):7):\n\(result.stderr)")
            }
        }
    }
}
