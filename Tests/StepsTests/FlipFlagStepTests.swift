import BuiltinSteps
import Foundation
import LaunchDarkly
import LDEdgeCore
import LDEdgeTestSupport
import LDSandbox
import XCTest

/// flip-flag driven through the engine against `ldedge sandbox`, checked with the REST client.
final class FlipFlagStepTests: XCTestCase {
    var sandbox: SandboxServer!
    var client: LaunchDarklyClient!
    var directory: TemporaryDirectory!

    override func setUp() async throws {
        sandbox = try await LDSandboxFixture.start()
        client = LDSandboxFixture.client(for: sandbox)
        directory = try TemporaryDirectory("flip-flag")
    }

    override func tearDown() async throws {
        await sandbox.stop()
        directory.remove()
    }

    var environment: [String: String] {
        ProcessInfo.processInfo.environment.merging(LDSandboxFixture.sdkEnvironment(for: sandbox)) { _, new in new }
    }

    func load(_ body: String, failLast: Bool = false) throws -> Workflow {
        var text = """
            name: flags
            launchdarkly:
              accessToken: ${secret:LD_ACCESS_TOKEN}
              baseUri: ${env:LD_BASE_URI}
            steps:
            \(body)
            """
        if failLast {
            text += "\n  - id: boom\n    uses: run\n    needs: flip\n    with: {run: \"exit 9\"}\n"
        }
        try directory.write("flags.yaml", text)
        return try WorkflowLoader(registry: .builtin, environment: environment).load(path: directory.file("flags.yaml").path)
    }

    func engine(_ options: [String: String] = [:]) -> Engine {
        var engineOptions = EngineOptions(stateRoot: directory.file(".ldedge"), environment: environment)
        engineOptions.stepOptions = options
        return Engine(registry: .builtin, options: engineOptions)
    }

    func configuration(_ key: String = "rebrand") async throws -> FlagEnvironmentConfiguration {
        try await client.flag(project: "default", key: key, environment: "production").configuration(for: "production")
    }

    let rollout = """
          - id: flip
            uses: flip-flag
            with:
              flag: rebrand
              rollout: {true: 50, false: 50}
        """

    func testCreatesMissingFlagAndSetsRolloutThenNoChange() async throws {
        let workflow = try load(rollout)
        let plan = try await engine().plan(workflow)
        XCTAssertEqual(plan.steps.first?.plan?.changes.map(\.action), [.create, .update])
        let none = try await client.flagIfExists(project: "default", key: "rebrand")
        XCTAssertNil(none, "plan created nothing")

        _ = try await engine().deploy(workflow)
        let flag = try await client.flag(project: "default", key: "rebrand", environment: "production")
        let config = try flag.configuration(for: "production")
        XCTAssertTrue(config.on)
        let weights = config.fallthrough?.rollout?.variations.map(\.weight)
        XCTAssertEqual(weights, [50_000, 50_000])
        XCTAssertEqual(config.fallthrough?.rollout?.bucketBy, "key")

        let again = try await engine().plan(workflow)
        XCTAssertFalse(again.hasChanges, "\(again.steps.first?.plan?.changes ?? [])")
        let report = try await engine().deploy(workflow)
        XCTAssertEqual(report.unchanged, ["flip"])

        // Teardown restores the new flag's initial targeting and keeps it without --delete-flag.
        _ = try await engine().teardown(workflow: "flags")
        let restored = try await configuration()
        XCTAssertFalse(restored.on)
        XCTAssertNil(restored.fallthrough?.rollout)
    }

    func testTeardownWithDeleteFlagDeletesACreatedFlag() async throws {
        _ = try await engine().deploy(try load(rollout))
        _ = try await engine(["delete-flag": "true"]).teardown(workflow: "flags")
        let gone = try await client.flagIfExists(project: "default", key: "rebrand")
        XCTAssertNil(gone)
    }

    func existingFlag() async throws -> FlagEnvironmentConfiguration {
        let flag = try await client.createBooleanFlag(project: "default", key: "rebrand")
        _ = try await client.applySemanticPatch(project: "default", flag: "rebrand", environment: "production", instructions: [
            .turnFlagOn, .updateFallthroughRollout(try RolloutWeights(percentages: [true: 10, false: 90], of: flag), bucketBy: "key", contextKind: "user"),
        ])
        return try await configuration()
    }

    func testRollbackRestoresAnExistingFlagExactly() async throws {
        let before = try await existingFlag()
        do {
            _ = try await engine().deploy(try load(rollout, failLast: true))
            XCTFail("deploy should fail at the last step")
        } catch {}
        let after = try await configuration()
        XCTAssertEqual(after.on, before.on)
        XCTAssertEqual(after.offVariation, before.offVariation)
        XCTAssertEqual(after.fallthrough, before.fallthrough)
        let kept = try await client.flagIfExists(project: "default", key: "rebrand")
        XCTAssertNotNil(kept, "an adopted flag is never deleted")
    }

    func testRollbackDeletesAFlagThisRunCreated() async throws {
        do {
            _ = try await engine().deploy(try load(rollout, failLast: true))
            XCTFail("deploy should fail")
        } catch {}
        let gone = try await client.flagIfExists(project: "default", key: "rebrand")
        XCTAssertNil(gone)
    }

    func testTeardownRestoresTheSnapshotFromBeforeTheFirstChange() async throws {
        let before = try await existingFlag()
        _ = try await engine().deploy(try load(rollout))
        _ = try await engine().deploy(try load(rollout.replacingOccurrences(of: "{true: 50, false: 50}", with: "{true: 100, false: 0}")))
        let full = try await configuration()
        XCTAssertEqual(full.fallthrough?.rollout?.variations.map(\.weight), [100_000, 0])
        _ = try await engine(["delete-flag": "true"]).teardown(workflow: "flags")
        let after = try await configuration()
        XCTAssertEqual(after.fallthrough, before.fallthrough, "adopted flags are restored, even with --delete-flag")
        XCTAssertEqual(after.on, before.on)
    }

    func testStagedRolloutWithPassingGuard() async throws {
        let workflow = try load("""
              - id: flip
                uses: flip-flag
                with:
                  flag: rebrand
                  stages:
                    - {percent: 10, hold: 300ms}
                    - {percent: 50, hold: 300ms}
                    - {percent: 100}
                  guard: {url: "\(sandbox.baseURI)/_sandbox/events", samples: 2}
            """)
        _ = try await engine().deploy(workflow)
        let full = try await configuration()
        XCTAssertEqual(full.fallthrough?.rollout?.variations.map(\.weight), [100_000, 0])
        let state = try StateStore(root: directory.file(".ldedge"), workflow: "flags").load()
        XCTAssertNotNil(state.steps["flip"]?.memory["stage"])
    }

    func testFailingGuardRestoresTheFlagAndFailsTheRun() async throws {
        let before = try await existingFlag()
        let workflow = try load("""
              - id: flip
                uses: flip-flag
                with:
                  flag: rebrand
                  stages:
                    - {percent: 25, hold: 200ms}
                    - {percent: 100}
                  guard: {url: "http://127.0.0.1:9/health", samples: 2, maxErrorRate: "1%"}
            """)
        do {
            _ = try await engine().deploy(workflow)
            XCTFail("the guard should fail")
        } catch let error as EngineError {
            XCTAssertTrue("\(error)".contains("guard failed"), "\(error)")
        }
        let restored = try await configuration()
        XCTAssertEqual(restored.fallthrough, before.fallthrough)
    }

    /// Holds survive the process: --no-wait applies stage 1 and returns; a later run continues after the hold.
    func testStagedRolloutResumesAfterTheHold() async throws {
        let workflow = try load("""
              - id: flip
                uses: flip-flag
                with:
                  flag: rebrand
                  stages:
                    - {percent: 10, hold: 1500ms}
                    - {percent: 100}
            """)
        _ = try await engine(["no-wait": "true"]).deploy(workflow)
        let first = try await configuration()
        XCTAssertEqual(first.fallthrough?.rollout?.variations.map(\.weight), [10_000, 90_000])
        let plan = try await engine().plan(workflow)
        XCTAssertTrue(plan.hasChanges, "the staged rollout is not finished")
        let started = Date()
        _ = try await engine().deploy(workflow, only: ["flip"], command: "rollout")
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 0.5, "the rest of the hold was waited out")
        let done = try await configuration()
        XCTAssertEqual(done.fallthrough?.rollout?.variations.map(\.weight), [100_000, 0])
        let after = try await engine().plan(workflow)
        XCTAssertFalse(after.hasChanges)
    }

    func testInvalidRolloutIsReportedAtItsLocation() throws {
        XCTAssertThrowsError(try load("""
              - id: flip
                uses: flip-flag
                with:
                  flag: rebrand
                  rollout: {true: 60, false: 50}
            """)) { error in
            let first = (error as? DiagnosticsError)?.diagnostics.first
            XCTAssertEqual(first?.location?.line, 10)
            XCTAssertEqual(first?.message, "step 'flip' (flip-flag): rollout percentages sum to 110, they must sum to 100")
        }
    }
}
