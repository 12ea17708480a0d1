import BuildHandlerStep
import Foundation
import LDEdgeCore
import LDEdgeTestSupport
import PackageZipStep
import XCTest

final class BuildHandlerStepTests: XCTestCase {
    var scratch: URL!
    let registry = StepRegistry([StepKind(BuildHandlerStep.self), StepKind(PackageZipStep.self)])
    let sdkKey = "sdk-build-handler-test-4f1c2a9e"

    override func setUpWithError() throws {
        scratch = try HandlerFixtures.scratchDirectory("build-handler")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    func load(_ text: String, environment: [String: String]) throws -> Workflow {
        let file = scratch.appendingPathComponent("workflow.yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return try WorkflowLoader(registry: registry, environment: environment).load(path: file.path)
    }

    func engine(_ environment: [String: String]) -> Engine {
        Engine(registry: registry, options: EngineOptions(stateRoot: scratch.appendingPathComponent(".ldedge"), environment: environment))
    }

    /// Builds the Python handler with real pip (PyPI), strips it, keeps the SDK key out of state.
    func testPythonBuildInstallsStripsCachesAndKeepsTheKeyOutOfState() async throws {
        let environment = ["LD_SDK_KEY": sdkKey, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSHomeDirectory()]
        let workflow = try load(HandlerFixtures.handlerWorkflow(baseURI: "http://127.0.0.1:9"), environment: environment)
        let engine = engine(environment)
        let report = try await engine.deploy(workflow)
        XCTAssertEqual(report.applied, ["build", "package"])
        let dir = try XCTUnwrap(report.outputs["build"]?["dir"])
        XCTAssertEqual(report.outputs["build"]?["runtime"], "python3.12")
        XCTAssertEqual(report.outputs["build"]?["handler"], "handler.handler")
        let fileManager = FileManager.default
        XCTAssertTrue(fileManager.fileExists(atPath: dir + "/handler.py"))
        XCTAssertTrue(fileManager.fileExists(atPath: dir + "/ldclient/client.py"))
        XCTAssertTrue(fileManager.fileExists(atPath: dir + "/certifi/cacert.pem"))
        XCTAssertFalse(fileManager.fileExists(atPath: dir + "/ldclient/impl/integrations/redis"), "unused SDK integrations are stripped")
        XCTAssertFalse(fileManager.fileExists(atPath: dir + "/ldedge_config.json.mustache"))
        let leftovers = try fileManager.subpathsOfDirectory(atPath: dir).filter { $0.hasSuffix("__pycache__") || $0.hasSuffix(".dist-info/RECORD") || $0.hasSuffix(".pyc") }
        XCTAssertEqual(leftovers, [])

        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/ldedge_config.json"))) as? [String: Any]
        XCTAssertEqual(config?["flagKey"] as? String, "rebrand")
        XCTAssertEqual(config?["sdkKey"] as? String, sdkKey, "the key is baked into the package: Lambda@Edge has no environment variables")
        XCTAssertEqual(config?["baseUri"] as? String, "http://127.0.0.1:9")
        XCTAssertEqual(config?["initTimeout"] as? Double, 1)

        let stateFolder = scratch.appendingPathComponent(".ldedge/handler-test")
        for name in ["state.json", "journal.jsonl"] {
            let text = try String(contentsOf: stateFolder.appendingPathComponent(name), encoding: .utf8)
            XCTAssertFalse(text.contains(sdkKey), "the SDK key must not be in \(name)")
        }
        let zip = try XCTUnwrap(report.outputs["package"]?["zip"])
        XCTAssertLessThan(Int(report.outputs["package"]?["size"] ?? "") ?? .max, 700 * 1024, "the Python package stays under 700 KB")
        XCTAssertEqual(try HandlerFixtures.run("unzip", ["-tq", zip]).status, 0)

        // Unchanged: plan says so, and the whole re-deploy is well under a second.
        let started = Date()
        let again = try await engine.deploy(workflow)
        XCTAssertEqual(again.unchanged, ["build", "package"])
        XCTAssertLessThan(Date().timeIntervalSince(started), 1.0)

        // A settings change rebuilds from the dependency cache.
        let changed = try load(HandlerFixtures.handlerWorkflow(mode: "rewrite", baseURI: "http://127.0.0.1:9"), environment: environment)
        let plan = try await engine.plan(changed)
        let changes = try XCTUnwrap(plan.steps.first?.plan?.changes)
        XCTAssertEqual(changes.first?.action, .update)
        XCTAssertTrue(changes.first?.detail?.contains("settings changed") ?? false, "\(changes)")
        XCTAssertEqual(changes.last?.action, ChangeAction.none)
        XCTAssertTrue(changes.last?.detail?.contains("cached") ?? false, "\(changes)")
        XCTAssertFalse(plan.steps.flatMap { $0.plan?.changes ?? [] }.contains { ($0.detail ?? "").contains(sdkKey) }, "plans never show the key")
        let rebuilt = Date()
        _ = try await engine.deploy(changed)
        XCTAssertLessThan(Date().timeIntervalSince(rebuilt), 5.0)
        let mode = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/ldedge_config.json"))) as? [String: Any]
        XCTAssertEqual(mode?["mode"] as? String, "rewrite")

        _ = try await engine.teardown(workflow: "handler-test", workflow: changed)
        XCTAssertFalse(fileManager.fileExists(atPath: dir))
    }

    func testNoSDKKeyIsAPlanErrorThatSaysWhatToDo() async throws {
        let text = """
            name: nokey
            steps:
              - id: build
                uses: build-handler
                with:
                  flag: rebrand
                  template: \(HandlerFixtures.repositoryRoot.path)/templates/handler-python
            """
        let plan = try await engine([:]).plan(try load(text, environment: [:]))
        let message = plan.allFindings.map(\.description).joined()
        XCTAssertTrue(message.contains("LD_SDK_KEY"), message)
        XCTAssertTrue(message.contains("workflow.yaml:"), message)
    }

    func testLimitsAreReportedAtTheirLineAndColumn() throws {
        let text = """
            name: limits
            steps:
              - id: build
                uses: build-handler
                with:
                  flag: rebrand
                  initTimeout: 7
                  contextKey: ip
            """
        XCTAssertThrowsError(try load(text, environment: [:])) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("workflow.yaml:7:"), message)
            XCTAssertTrue(message.contains("5 seconds"), message)
            XCTAssertTrue(message.contains("workflow.yaml:8:"), message)
        }
    }

    func testSDKKeyWrittenInTheWorkflowIsRefused() throws {
        let text = """
            name: plain
            steps:
              - id: build
                uses: build-handler
                with:
                  flag: rebrand
                  sdkKey: sdk-1234-plain-text
            """
        XCTAssertThrowsError(try load(text, environment: [:])) { error in
            XCTAssertTrue("\(error)".contains("secret"), "\(error)")
        }
    }

    /// The npm registry is not reachable here: the Node build goes on without node_modules and says so.
    func testNodeBuildSkipsNpmWhenTheRegistryIsUnreachable() async throws {
        var environment = ["LD_SDK_KEY": sdkKey, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        environment["npm_config_registry"] = "http://127.0.0.1:9/"
        let workflow = try load(HandlerFixtures.handlerWorkflow(runtime: "nodejs20.x", baseURI: "http://127.0.0.1:9"), environment: environment)
        let engine = engine(environment)
        let plan = try await engine.plan(workflow)
        XCTAssertTrue(plan.allFindings.contains { $0.severity == .warning && $0.message.contains("npm registry") }, "\(plan.allFindings)")
        let report = try await engine.deploy(workflow)
        let dir = try XCTUnwrap(report.outputs["build"]?["dir"])
        XCTAssertEqual(report.outputs["build"]?["handler"], "index.handler")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/index.js"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/ldedge_config.json"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/node_modules"))
        // Still offline: nothing to gain from rebuilding, so the next plan is unchanged.
        let again = try await engine.plan(workflow)
        XCTAssertFalse(again.steps.first?.plan?.hasChanges ?? true, "\(again.steps.first?.plan?.changes ?? [])")
    }
}
