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
        // `ldclient.integrations` imports every integration module; stripping one broke daemon mode (DynamoDB).
        XCTAssertTrue(fileManager.fileExists(atPath: dir + "/ldclient/impl/integrations/redis"), "the SDK's integration modules stay importable")
        XCTAssertFalse(fileManager.fileExists(atPath: dir + "/ldedge_config.json.mustache"))
        // Bytecode only for the handler's own top-level modules, and only from the runtime's Python.
        let leftovers = try fileManager.subpathsOfDirectory(atPath: dir).filter { $0.hasSuffix("__pycache__") || $0.hasSuffix(".dist-info/RECORD") || $0.hasSuffix(".pyc") }
            .filter { !($0 == "__pycache__" || ($0.hasPrefix("__pycache__/") && $0.hasSuffix(".cpython-312.pyc"))) }
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
        // The next build's folder is known at plan time and is not the current one, so the
        // package step does not mistake the current build for the next.
        let nextDir = try XCTUnwrap(plan.steps.first?.plan?.outputs["dir"])
        XCTAssertNotEqual(nextDir, dir)
        let packagePlan = try XCTUnwrap(plan.steps.last?.plan?.changes.first)
        XCTAssertEqual(packagePlan.action, .create)
        XCTAssertTrue(packagePlan.detail?.contains("once it is built") ?? false, "\(packagePlan)")
        let rebuilt = Date()
        let rebuiltReport = try await engine.deploy(changed)
        XCTAssertLessThan(Date().timeIntervalSince(rebuilt), 5.0)
        XCTAssertEqual(rebuiltReport.outputs["build"]?["dir"], nextDir)
        XCTAssertFalse(fileManager.fileExists(atPath: dir), "the previous build folder is removed")
        let mode = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: nextDir + "/ldedge_config.json"))) as? [String: Any]
        XCTAssertEqual(mode?["mode"] as? String, "rewrite")

        _ = try await engine.teardown(workflow: "handler-test", workflow: changed)
        XCTAssertFalse(fileManager.fileExists(atPath: nextDir))
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

    func testDataSourceInputsThatDoNotBelongTogetherAreLocatedErrors() throws {
        let text = """
            name: sources
            steps:
              - id: relay
                uses: build-handler
                with:
                  flag: rebrand
                  dataSource: relay
              - id: table
                uses: build-handler
                with:
                  flag: rebrand
                  dataSource: dynamodb
                  runtime: nodejs20.x
                  cacheTtl: -1
              - id: stray
                uses: build-handler
                with:
                  flag: rebrand
                  table: ldedge-relay
            """
        XCTAssertThrowsError(try load(text, environment: [:])) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("needs relayUri"), message)
            XCTAssertTrue(message.contains("needs table"), message)
            XCTAssertTrue(message.contains("Python handler only"), message)
            XCTAssertTrue(message.contains("cacheTtl must be 0 or more"), message)
            XCTAssertTrue(message.contains("only used with dataSource dynamodb"), message)
            XCTAssertTrue(message.contains("workflow.yaml:"), message)
        }
    }

    /// relay points all three SDK URIs at the Relay Proxy; dynamodb bakes the table settings.
    func testRelayAndDynamoDBSettingsReachTheHandlerConfig() async throws {
        let environment = ["LD_SDK_KEY": sdkKey, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSHomeDirectory()]
        let relay = try load(HandlerFixtures.handlerWorkflow(
            name: "relay", baseURI: nil, extraBuildInputs: ["dataSource": "relay", "relayUri": "http://127.0.0.1:9/", "fallback": "default"]),
            environment: environment)
        let relayReport = try await engine(environment).deploy(relay)
        let relayConfig = try config(try XCTUnwrap(relayReport.outputs["build"]?["dir"]))
        XCTAssertEqual(relayConfig["dataSource"] as? String, "relay")
        for key in ["baseUri", "streamUri", "eventsUri"] { XCTAssertEqual(relayConfig[key] as? String, "http://127.0.0.1:9", key) }
        XCTAssertEqual(relayConfig["fallback"] as? String, "default")

        let table = try load(HandlerFixtures.handlerWorkflow(
            name: "table", baseURI: "http://127.0.0.1:9",
            extraBuildInputs: ["dataSource": "dynamodb", "table": "ldedge-relay", "prefix": "edge", "cacheTtl": "12"]),
            environment: environment)
        let plan = try await engine(environment).plan(table)
        let detail = plan.steps.first?.plan?.changes.first?.detail ?? ""
        XCTAssertTrue(detail.contains("DynamoDB table ldedge-relay (prefix edge) in us-east-1, cache 12.0 s"), detail)
        let tableReport = try await engine(environment).deploy(table)
        let dir = try XCTUnwrap(tableReport.outputs["build"]?["dir"])
        let tableConfig = try config(dir)
        XCTAssertEqual(tableConfig["dataSource"] as? String, "dynamodb")
        XCTAssertEqual(tableConfig["table"] as? String, "ldedge-relay")
        XCTAssertEqual(tableConfig["prefix"] as? String, "edge")
        XCTAssertEqual(tableConfig["tableRegion"] as? String, "us-east-1")
        XCTAssertEqual(tableConfig["cacheTtl"] as? Double, 12)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/ldclient/impl/integrations/dynamodb"), "daemon mode needs the SDK's DynamoDB integration")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/boto3"), "boto3 comes from the Lambda runtime")
    }

    /// The plan shows the snapshot's flag version and age; a rollout there and back changes no
    /// bytes (no new package), a changed targeting does.
    func testSnapshotVersionAndAgeInThePlanAndRebuildOnlyWhenTheTargetingChanged() async throws {
        let endpoint = try HandlerSDKEndpoint(newPercent: 50)
        defer { endpoint.stop() }
        let environment = ["LD_SDK_KEY": endpoint.sdkKey, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSHomeDirectory()]
        let workflow = try load(HandlerFixtures.handlerWorkflow(name: "snap", baseURI: endpoint.baseURI), environment: environment)
        let engine = engine(environment)
        let first = try await engine.plan(workflow)
        let line = first.steps.first?.plan?.changes.first { $0.resource == "flag snapshot" }
        XCTAssertTrue(line?.detail?.contains("version 1, taken now") ?? false, "\(String(describing: line))")
        let report = try await engine.deploy(workflow)
        let sha = report.outputs["package"]?["sha256"]
        XCTAssertTrue(FileManager.default.fileExists(atPath: (report.outputs["build"]?["dir"] ?? "") + "/ldedge_snapshot.json"))

        let again = try await engine.plan(workflow)
        let aged = again.steps.first?.plan?.changes.first { $0.resource == "flag snapshot" }
        XCTAssertTrue(aged?.detail?.contains(" s ago") ?? false, "\(String(describing: aged))")
        XCTAssertFalse(again.steps.first?.plan?.hasChanges ?? true)

        try endpoint.setRollout(newPercent: 100)
        let changed = try await engine.plan(workflow)
        let reasons = changed.steps.first?.plan?.changes.first?.detail ?? ""
        XCTAssertTrue(reasons.contains("the flag changed in LaunchDarkly"), reasons)
        let rebuilt = try await engine.deploy(workflow)
        XCTAssertNotEqual(rebuilt.outputs["package"]?["sha256"], sha, "a changed snapshot is a changed package")
        try endpoint.setRollout(newPercent: 50)
        let back = try await engine.deploy(workflow)
        XCTAssertEqual(back.outputs["package"]?["sha256"], sha, "the same targeting gives the same bytes")
    }

    func config(_ dir: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/ldedge_config.json"))) as? [String: Any])
    }
}
