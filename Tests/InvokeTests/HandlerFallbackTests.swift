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

/// The Python handler's small evaluator against the official SDK, and its snapshot fallback: the
/// real packaged zip, the real runner, `ldedge sandbox` started and stopped.
final class HandlerFallbackTests: XCTestCase {
    let registry = StepRegistry([StepKind(BuildHandlerStep.self), StepKind(PackageZipStep.self)])
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = try HandlerFixtures.scratchDirectory("invoke-fallback")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    /// ldedge_eval.py and the SDK (`launchdarkly-server-sdk` from PyPI) in one Python process:
    /// 100,000 keys for every shape (off, single variation, 20 rollout weight sets and the rollout
    /// variants), plus a sample through the SDK's public client.
    func testSmallEvaluatorIsIdenticalToTheOfficialSDK() async throws {
        let script = HandlerFixtures.runnerDirectory.appendingPathComponent("evaluator_equivalence.py")
        let result = try HandlerFixtures.run("python3", [script.path, "--keys", "100000", "--weight-sets", "20"])
        let line = try XCTUnwrap(result.output.split(separator: "\n").last(where: { $0.hasPrefix("{") }), result.output)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertEqual(report["differences"] as? Int, 0, "\(report["examples"] ?? "")")
        XCTAssertEqual(report["keys"] as? Int, 100_000)
        XCTAssertGreaterThanOrEqual(report["weightSets"] as? Int ?? 0, 20)
        let shapes = try XCTUnwrap(report["shapes"] as? Int)
        XCTAssertEqual(report["evaluations"] as? Int, 100_000 * shapes)
    }

    /// A sandbox flag at 50/50 and the environment that builds the handler against it.
    func sandboxWithRollout(percent: Double) async throws -> (SandboxServer, [String: String]) {
        let sandbox = try await LDSandboxFixture.start()
        let client = LDSandboxFixture.client(for: sandbox)
        let flag = try await client.createBooleanFlag(project: sandbox.projectKey, key: "rebrand")
        _ = try await client.applySemanticPatch(
            project: sandbox.projectKey, flag: "rebrand", environment: sandbox.environmentKey,
            instructions: [.turnFlagOn, .updateFallthroughRollout(try RolloutWeights(percentages: [true: percent, false: 100 - percent], of: flag))])
        var environment = LDSandboxFixture.sdkEnvironment(for: sandbox)
        environment["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        environment["HOME"] = NSHomeDirectory()
        return (sandbox, environment)
    }

    func deploy(_ text: String, environment: [String: String], name: String) async throws -> (URL, DeployReport) {
        let file = scratch.appendingPathComponent("\(name).yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let workflow = try WorkflowLoader(registry: registry, environment: environment).load(path: file.path)
        let stateRoot = scratch.appendingPathComponent(".ldedge")
        let report = try await Engine(registry: registry, options: EngineOptions(stateRoot: stateRoot, environment: environment)).deploy(workflow)
        return (stateRoot, report)
    }

    static let fixedIPs = (0..<1000).map { "100.\(64 + $0 / 250).\($0 % 250).\(1 + $0 % 200)" }

    func answers(_ session: InvokeSession) async throws -> [String: Bool] {
        var result: [String: Bool] = [:]
        for ip in Self.fixedIPs {
            let invocation = try await session.invoke(ViewerRequest(clientIp: ip))
            XCTAssertFalse(invocation.timedOut)
            result[ip] = HandlerResponse(invocation.response).servesNewSite(newPrefix: "/site/beta/")
        }
        return result
    }

    func testLaunchDarklyStoppedEveryVisitorKeepsTheirSiteFromTheSnapshot() async throws {
        let (sandbox, environment) = try await sandboxWithRollout(percent: 50)
        let (stateRoot, report) = try await deploy(
            HandlerFixtures.handlerWorkflow(name: "fallback", baseURI: nil, sdkKey: nil), environment: environment, name: "fallback")
        let dir = try XCTUnwrap(report.outputs["build"]?["dir"])
        let snapshot = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/ldedge_snapshot.json"))) as? [String: Any]
        let flag = (snapshot?["flags"] as? [String: Any])?["rebrand"] as? [String: Any]
        XCTAssertEqual(flag?["on"] as? Bool, true, "the snapshot holds the flag as LaunchDarkly serves it")
        XCTAssertNil(flag?["version"], "no version counter in the package: it changes only with the targeting")

        let package = try PackageLocator(stateRoot: stateRoot, registry: .builtin).locate(workflow: "fallback")
        let up = try await InvokeSession(package: package, runnerDirectory: HandlerFixtures.runnerDirectory)
        let withLaunchDarkly = try await answers(up)
        up.close()
        await sandbox.stop()

        let down = try await InvokeSession(package: package, runnerDirectory: HandlerFixtures.runnerDirectory)
        defer { down.close() }
        let withoutLaunchDarkly = try await answers(down)
        let moved = Self.fixedIPs.filter { withLaunchDarkly[$0] != withoutLaunchDarkly[$0] }
        XCTAssertEqual(moved.count, 0, "visitors that changed site with LaunchDarkly stopped: \(moved.prefix(5))")
        let share = Double(withoutLaunchDarkly.values.filter { $0 }.count) / Double(Self.fixedIPs.count)
        XCTAssertTrue((0.45...0.55).contains(share), "50/50 from the snapshot gave \(share * 100)% new site")

        // One structured log line per container names the source.
        let logs = try containerLogs(zip: package.zip, invocations: 3)
        let sources = logs.split(separator: "\n").filter { $0.contains("\"ldedge\": \"source\"") }
        XCTAssertEqual(sources.count, 1, logs)
        XCTAssertTrue(sources.first?.contains("\"source\": \"snapshot\"") ?? false, logs)
    }

    /// What the handler writes to stdout/stderr (CloudWatch on Lambda) over `invocations` invocations
    /// in one runner (one container).
    func containerLogs(zip: String, invocations: Int) throws -> String {
        let folder = scratch.appendingPathComponent("unzipped-\(UUID().uuidString)")
        XCTAssertEqual(try HandlerFixtures.run("unzip", ["-q", zip, "-d", folder.path]).status, 0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", HandlerFixtures.runnerDirectory.appendingPathComponent("runner.py").path, "--dir", folder.path]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let event = try JSONEncoder.canonical.encode(LDEdgeCore.JSONValue.object(["event": ViewerRequest(clientIp: "198.51.100.9").event]))
        for _ in 0..<invocations { try input.fileHandleForWriting.write(contentsOf: event + Data([0x0A])) }
        try input.fileHandleForWriting.close()
        let logged = errors.fileHandleForReading.readDataToEndOfFile()
        _ = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: logged, as: UTF8.self)
    }

    func testFallbackDefaultServesTheOldSiteWhenLaunchDarklyIsStopped() async throws {
        let (sandbox, environment) = try await sandboxWithRollout(percent: 100)
        let (stateRoot, report) = try await deploy(
            HandlerFixtures.handlerWorkflow(name: "nofallback", baseURI: nil, sdkKey: nil, extraBuildInputs: ["fallback": "default"]),
            environment: environment, name: "nofallback")
        let dir = try XCTUnwrap(report.outputs["build"]?["dir"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/ldedge_snapshot.json"), "fallback default bakes no snapshot")
        await sandbox.stop()
        let session = try await InvokeSession(package: try PackageLocator(stateRoot: stateRoot, registry: .builtin).locate(workflow: "nofallback"), runnerDirectory: HandlerFixtures.runnerDirectory)
        defer { session.close() }
        let split = try await session.split(count: 200, request: ViewerRequest(), seed: 9)
        XCTAssertEqual(split.oldSite, 200, split.summary)
    }

    /// `events: flush`: every evaluation of 100 consecutive invocations is in the sandbox's events
    /// sink when the 100th returns, delivered through the SDK's public API.
    func testEventsFlushDeliversEveryEvaluationOfAHundredInvocations() async throws {
        let (sandbox, environment) = try await sandboxWithRollout(percent: 50)
        defer { Task { await sandbox.stop() } }
        let (stateRoot, _) = try await deploy(
            HandlerFixtures.handlerWorkflow(name: "events", baseURI: nil, sdkKey: nil, extraBuildInputs: ["events": "flush"]),
            environment: environment, name: "events")
        let session = try await InvokeSession(package: try PackageLocator(stateRoot: stateRoot, registry: .builtin).locate(workflow: "events"), runnerDirectory: HandlerFixtures.runnerDirectory)
        defer { session.close() }
        for index in 0..<100 {
            let invocation = try await session.invoke(ViewerRequest(clientIp: "198.51.100.\(index + 1)"))
            XCTAssertLessThan(invocation.durationMs, 5000)
        }
        // Delivered within each invocation; the short grace only absorbs a loaded test machine.
        var delivered = 0
        for _ in 0..<25 {
            delivered = evaluations(in: try await sandboxEvents(sandbox), flag: "rebrand")
            if delivered >= 100 { break }
            try await Task.sleep(nanoseconds: 200_000_000)
        }
        XCTAssertEqual(delivered, 100, "summary counters of the delivered events")
        let handler = try String(contentsOf: URL(fileURLWithPath: HandlerFixtures.repositoryRoot.path + "/templates/handler-python/handler.py"), encoding: .utf8)
            + (try String(contentsOf: URL(fileURLWithPath: HandlerFixtures.repositoryRoot.path + "/templates/handler-python/ldedge_events.py"), encoding: .utf8))
        XCTAssertFalse(handler.contains("._event_processor") || handler.contains("_wait_until_inactive"), "only the SDK's public API")
    }

    func testEventsEndpointDownStillAnswersWithinTheViewerRequestLimit() async throws {
        let (sandbox, environment) = try await sandboxWithRollout(percent: 100)
        defer { Task { await sandbox.stop() } }
        let (stateRoot, _) = try await deploy(
            HandlerFixtures.handlerWorkflow(name: "eventsdown", baseURI: nil, sdkKey: nil,
                                            extraBuildInputs: ["events": "flush", "eventsUri": "http://127.0.0.1:9"]),
            environment: environment, name: "eventsdown")
        let session = try await InvokeSession(package: try PackageLocator(stateRoot: stateRoot, registry: .builtin).locate(workflow: "eventsdown"), runnerDirectory: HandlerFixtures.runnerDirectory)
        defer { session.close() }
        for index in 0..<20 {
            let invocation = try await session.invoke(ViewerRequest(clientIp: "203.0.113.\(index + 1)"))
            XCTAssertFalse(invocation.timedOut)
            XCTAssertLessThan(invocation.durationMs, 1500, "the flush wait is bounded")
            XCTAssertTrue(HandlerResponse(invocation.response).servesNewSite(newPrefix: "/site/beta/"), "\(invocation.response)")
        }
    }

    func sandboxEvents(_ sandbox: SandboxServer) async throws -> [[String: Any]] {
        let data = try Data(contentsOf: try XCTUnwrap(URL(string: sandbox.baseURI + "/_sandbox/events")))
        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return summary["events"] as? [[String: Any]] ?? []
    }

    func evaluations(in events: [[String: Any]], flag: String) -> Int {
        var total = 0
        for event in events where event["kind"] as? String == "summary" {
            let counters = ((event["features"] as? [String: Any])?[flag] as? [String: Any])?["counters"] as? [[String: Any]] ?? []
            total += counters.compactMap { $0["count"] as? Int }.reduce(0, +)
        }
        return total
    }
}
