import Foundation
import LaunchDarkly
import LDEdgeApp
import LDEdgeCore
import LDEdgeTestSupport
import LDSandbox
import XCTest

/// Targeting changed in LaunchDarkly outside ldedge: `plan` shows it as drift (exit 2 with
/// `--detailed-exitcode`), `rollout` refuses to overwrite it unasked, and `--yes` proceeds.
final class FlagDriftTests: XCTestCase {
    var sandbox: SandboxServer!
    var directory: TemporaryDirectory!
    var binary: URL!

    override func setUp() async throws {
        binary = try ldedgeBinary()
        sandbox = try await LDSandboxFixture.start()
        directory = try TemporaryDirectory("flag-drift")
        try directory.write("flag.yaml", """
            name: flagonly
            launchdarkly:
              accessToken: ${secret:LD_ACCESS_TOKEN}
              baseUri: ${env:LD_BASE_URI}
            steps:
              - id: flag
                uses: flip-flag
                with:
                  flag: rebrand
                  rollout: {true: 50, false: 50}
                  on: true
            """)
    }

    override func tearDown() async throws {
        await sandbox?.stop()
        directory?.remove()
    }

    func ldedge(_ arguments: [String]) throws -> ProcessResult {
        try runProcess(binary, arguments, in: directory.url, environment: LDSandboxFixture.sdkEnvironment(for: sandbox))
    }

    func testTargetingChangedInLaunchDarklyIsDriftAndRolloutAsksBeforeOverwriting() async throws {
        XCTAssertEqual(try ldedge(["deploy", "flag.yaml", "--yes", "--allow-dirty"]).status, 0)
        XCTAssertEqual(try ldedge(["plan", "flag.yaml", "--detailed-exitcode"]).status, 0, "no drift right after the deploy")

        let client = LDSandboxFixture.client(for: sandbox)
        let flag = try await client.flag(project: "default", key: "rebrand", environment: "production")
        _ = try await client.applySemanticPatch(project: "default", flag: "rebrand", environment: "production",
                                                instructions: [.updateFallthroughVariation(variationID: try flag.variationID(for: .bool(true)))])

        let plan = try ldedge(["plan", "flag.yaml", "--detailed-exitcode"])
        XCTAssertEqual(plan.status, ExitStatus.changesPending.rawValue, plan.stderr)
        XCTAssertTrue(plan.stdout.contains("targeting recorded on: rollout true 50% / false 50%"), plan.stdout)
        XCTAssertTrue(plan.stdout.contains("actual on: serve true"), plan.stdout)

        let refused = try ldedge(["rollout", "flag.yaml", "--percent", "30"])
        XCTAssertEqual(refused.status, ExitStatus.failure.rawValue, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("changed outside ldedge") && refused.stderr.contains("--yes"), refused.stderr)
        let untouched = try await client.flag(project: "default", key: "rebrand", environment: "production").configuration(for: "production")
        XCTAssertNil(untouched.fallthrough?.rollout, "the refused rollout changed nothing")

        let forced = try ldedge(["rollout", "flag.yaml", "--percent", "30", "--yes"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        let after = try await client.flag(project: "default", key: "rebrand", environment: "production").configuration(for: "production")
        XCTAssertEqual(after.fallthrough?.rollout?.variations.map(\.weight).sorted(), [30_000, 70_000])
    }
}
