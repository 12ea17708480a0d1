import BuiltinSteps
import BuildHandlerStep
import Foundation
import Invoke
import LaunchDarkly
import LDEdgeCore
import LDEdgeTestSupport
import LDSandbox
import PackageZipStep
import XCTest

/// The packaged Python handler with the real SDK against `ldedge sandbox`: the flag is set up
/// through the REST API, the SDK key is read from the sandbox environment's `apiKey` (no
/// LD_SDK_KEY), and the SDK URIs come from the local LD_BASE_URI.
final class HandlerSandboxTests: XCTestCase {
    func testSandboxRolloutWithTheSDKKeyReadFromTheAPI() async throws {
        let scratch = try HandlerFixtures.scratchDirectory("invoke-sandbox")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let sandbox = try await LDSandboxFixture.start()
        let client = LDSandboxFixture.client(for: sandbox)
        let flag = try await client.createBooleanFlag(project: sandbox.projectKey, key: "rebrand")
        _ = try await client.applySemanticPatch(
            project: sandbox.projectKey, flag: "rebrand", environment: sandbox.environmentKey,
            instructions: [.turnFlagOn, .updateFallthroughRollout(try RolloutWeights(percentages: [true: 50, false: 50], of: flag))])

        let environment = [
            "LD_ACCESS_TOKEN": sandbox.accessToken, "LD_BASE_URI": sandbox.baseURI,
            "LD_PROJECT": sandbox.projectKey, "LD_ENVIRONMENT": sandbox.environmentKey,
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSHomeDirectory(),
        ]
        let registry = StepRegistry([StepKind(BuildHandlerStep.self), StepKind(PackageZipStep.self)])
        let file = scratch.appendingPathComponent("sandbox.yaml")
        try HandlerFixtures.handlerWorkflow(name: "sandbox", baseURI: nil, sdkKey: nil).write(to: file, atomically: true, encoding: .utf8)
        let workflow = try WorkflowLoader(registry: registry, environment: environment).load(path: file.path)
        let stateRoot = scratch.appendingPathComponent(".ldedge")
        let report = try await Engine(registry: registry, options: EngineOptions(stateRoot: stateRoot, environment: environment)).deploy(workflow)
        let dir = try XCTUnwrap(report.outputs["build"]?["dir"])
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/ldedge_config.json"))) as? [String: Any]
        XCTAssertEqual(config?["sdkKey"] as? String, sandbox.sdkKey, "the key comes from the environment's apiKey")
        XCTAssertEqual(config?["baseUri"] as? String, sandbox.baseURI, "a local LD_BASE_URI serves the SDK too")
        let state = try String(contentsOf: stateRoot.appendingPathComponent("sandbox/state.json"), encoding: .utf8)
        XCTAssertFalse(state.contains(sandbox.sdkKey))

        let session = try await InvokeSession(
            package: try PackageLocator(stateRoot: stateRoot, registry: .builtin).locate(workflow: "sandbox"), runnerDirectory: HandlerFixtures.runnerDirectory)
        let split = try await session.split(count: 2000, request: ViewerRequest(), seed: 2026)
        session.close()
        await sandbox.stop()
        XCTAssertGreaterThanOrEqual(split.newShare, 0.48, split.summary)
        XCTAssertLessThanOrEqual(split.newShare, 0.52, split.summary)
        XCTAssertEqual(split.inconsistent, 0)
    }
}
