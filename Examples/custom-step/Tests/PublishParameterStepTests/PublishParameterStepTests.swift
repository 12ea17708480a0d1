import AWS
import Foundation
import LDEdgeTestSupport
import XCTest

/// This package's own `ldedge` executable (every built-in step plus publish-parameter) against
/// moto's SSM: plan, apply, rollback after a later step fails, teardown, adopted parameters.
final class PublishParameterStepTests: XCTestCase {
    var emulator: AWSEmulator!
    var directory: TemporaryDirectory!
    var binary: URL!

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    override func setUp() async throws {
        emulator = try await AWSEmulator.shared()
        try await emulator.reset()
        directory = try TemporaryDirectory("custom-step")
        // CUSTOM_STEP_LDEDGE names it when the package was built with another --scratch-path
        // (scripts/test.sh shares the main package's .build so nothing is compiled twice).
        let override = ProcessInfo.processInfo.environment["CUSTOM_STEP_LDEDGE"].map { URL(fileURLWithPath: $0) }
        let candidates = [".build/debug/ldedge", ".build/x86_64-unknown-linux-gnu/debug/ldedge", ".build/arm64-apple-macosx/debug/ldedge"]
            .map { Self.packageRoot.appendingPathComponent($0) }
        guard let found = ([override].compactMap { $0 } + candidates).first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw TestSupportError("this package's ldedge is not built; run 'swift build' in Examples/custom-step first")
        }
        binary = found
        try directory.write("publish.yaml", """
            name: publish
            steps:
              - id: domain
                uses: publish-parameter
                with:
                  name: /rebrand/domain
                  value: ${env:DOMAIN}
                  description: where the rebrand is served
              - id: check
                uses: run
                needs: domain
                with: {run: "exit ${env:FAIL:-0}"}
            """)
    }

    override func tearDown() {
        directory.remove()
    }

    func ldedge(_ arguments: [String], domain: String, fail: Bool = false) throws -> ProcessResult {
        var environment = emulator.environment
        environment["DOMAIN"] = domain
        if fail { environment["FAIL"] = "3" }
        return try runProcess(binary, arguments, in: directory.url, environment: environment)
    }

    func parameter() async throws -> String? {
        try await emulator.client().ssm.parameterIfPresent(name: "/rebrand/domain")?.value
    }

    func testPlanApplyRollbackAndTeardown() async throws {
        let steps = try runProcess(binary, ["steps"], in: directory.url)
        XCTAssertTrue(steps.stdout.contains("publish-parameter - Publish a value"), "the custom step is listed: \(steps.stdout)")
        XCTAssertTrue(steps.stdout.contains("upload-site"), "and the built-ins")

        let plan = try ldedge(["plan", "publish.yaml"], domain: "d111.cloudfront.net")
        XCTAssertEqual(plan.status, 0, plan.stderr)
        XCTAssertTrue(plan.stdout.contains("+ create parameter /rebrand/domain"), plan.stdout)
        let planned = try await parameter()
        XCTAssertNil(planned, "plan wrote nothing")

        let deploy = try ldedge(["deploy", "publish.yaml", "--yes"], domain: "d111.cloudfront.net")
        XCTAssertEqual(deploy.status, 0, deploy.stderr)
        XCTAssertTrue(deploy.stdout.contains("domain.version = 1"), deploy.stdout)
        let deployed = try await parameter()
        XCTAssertEqual(deployed, "d111.cloudfront.net")

        let change = try ldedge(["plan", "publish.yaml"], domain: "d222.cloudfront.net")
        XCTAssertTrue(change.stdout.contains("~ update parameter /rebrand/domain"), change.stdout)
        XCTAssertTrue(change.stdout.contains("before: d111.cloudfront.net"), change.stdout)

        let failed = try ldedge(["deploy", "publish.yaml", "--yes"], domain: "d222.cloudfront.net", fail: true)
        XCTAssertEqual(failed.status, 1, failed.stderr)
        XCTAssertTrue(failed.stderr.contains("rolled back 2 steps: check, domain"), failed.stderr)
        let restored = try await parameter()
        XCTAssertEqual(restored, "d111.cloudfront.net", "rollback put the previous value back")

        let teardown = try ldedge(["teardown", "--yes"], domain: "d111.cloudfront.net")
        XCTAssertEqual(teardown.status, 0, teardown.stderr)
        let removed = try await parameter()
        XCTAssertNil(removed, "teardown deleted the parameter it created")
    }

    func testAdoptedParameterIsRestoredNotDeleted() async throws {
        try await emulator.client().ssm.putParameter(name: "/rebrand/domain", value: "legacy.example.com", overwrite: false)
        let deploy = try ldedge(["deploy", "publish.yaml", "--yes"], domain: "d333.cloudfront.net")
        XCTAssertEqual(deploy.status, 0, deploy.stderr)
        let deployed = try await parameter()
        XCTAssertEqual(deployed, "d333.cloudfront.net")

        let teardown = try ldedge(["teardown", "--yes"], domain: "d333.cloudfront.net")
        XCTAssertEqual(teardown.status, 0, teardown.stderr)
        XCTAssertTrue(teardown.stdout.contains("restored ssm-parameter /rebrand/domain"), teardown.stdout)
        let restored = try await parameter()
        XCTAssertEqual(restored, "legacy.example.com")
    }

    func testFirstDeployFailureDeletesTheParameterItCreated() async throws {
        let failed = try ldedge(["deploy", "publish.yaml", "--yes"], domain: "d444.cloudfront.net", fail: true)
        XCTAssertEqual(failed.status, 1, failed.stderr)
        let left = try await parameter()
        XCTAssertNil(left)
        let state = directory.read(".ldedge/publish/state.json") ?? ""
        XCTAssertFalse(state.contains("\"ssm-parameter\""), "nothing is owned after the rollback: \(state)")
    }

    func testInvalidNameIsALocatedError() throws {
        try directory.write("bad.yaml", """
            name: bad
            steps:
              - id: domain
                uses: publish-parameter
                with: {name: "aws/reserved", value: x}
            """)
        let validate = try runProcess(binary, ["validate", "bad.yaml"], in: directory.url)
        XCTAssertEqual(validate.status, 65)
        // A step's rule about a value is located at the value's key, as for the built-in steps.
        XCTAssertTrue(validate.stderr.contains("bad.yaml:5:12: error: step 'domain' (publish-parameter): 'name' must not start with aws or ssm"), validate.stderr)
    }
}
