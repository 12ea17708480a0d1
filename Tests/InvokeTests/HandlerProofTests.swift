import BuiltinSteps
import BuildHandlerStep
import Foundation
import Invoke
import LDEdgeCore
import LDEdgeTestSupport
import PackageZipStep
import XCTest

/// The real `launchdarkly-server-sdk` inside the real packaged zip, run by the local runner with
/// CloudFront viewer-request events, against a local SDK polling endpoint (test support's
/// `HandlerSDKEndpoint`, until `ldedge sandbox` lands).
final class HandlerProofTests: XCTestCase {
    var scratch: URL!
    let registry = StepRegistry([StepKind(BuildHandlerStep.self), StepKind(PackageZipStep.self)])

    override func setUpWithError() throws {
        scratch = try HandlerFixtures.scratchDirectory("invoke")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    func environment(_ key: String) -> [String: String] {
        ["LD_SDK_KEY": key, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSHomeDirectory()]
    }

    /// Builds and packages the handler through the engine, as `ldedge deploy` would; returns the state root.
    func deploy(_ text: String, key: String, folder: String = "project", name: String = "handler-test") async throws -> (stateRoot: URL, outputs: [String: [String: String]]) {
        let project = scratch.appendingPathComponent(folder)
        try FileManager.default.createDirectory(at: project, withIntermediateDirectories: true)
        let file = project.appendingPathComponent("\(name).yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let workflow = try WorkflowLoader(registry: registry, environment: environment(key)).load(path: file.path)
        let stateRoot = project.appendingPathComponent(".ldedge")
        let engine = Engine(registry: registry, options: EngineOptions(stateRoot: stateRoot, environment: environment(key)))
        let report = try await engine.deploy(workflow)
        return (stateRoot, report.outputs)
    }

    func session(stateRoot: URL, workflow: String = "handler-test") async throws -> InvokeSession {
        let package = try PackageLocator(stateRoot: stateRoot, registry: .builtin).locate(workflow: workflow)
        return try await InvokeSession(package: package, runnerDirectory: HandlerFixtures.runnerDirectory)
    }

    func testFiftyFiftyRolloutSplitsStablyAndHundredPercentServesTheNewSite() async throws {
        let endpoint = try HandlerSDKEndpoint(newPercent: 50)
        defer { endpoint.stop() }
        let (stateRoot, _) = try await deploy(HandlerFixtures.handlerWorkflow(baseURI: endpoint.baseURI), key: endpoint.sdkKey)

        let warm = try await session(stateRoot: stateRoot)
        let report = try await warm.split(count: 2000, request: ViewerRequest(uri: "/site/index.html", querystring: "utm=1"), seed: 42)
        XCTAssertEqual(report.oldSite + report.newSite, 2000)
        XCTAssertGreaterThanOrEqual(report.newShare, 0.48, report.summary)
        XCTAssertLessThanOrEqual(report.newShare, 0.52, report.summary)
        XCTAssertEqual(report.inconsistent, 0)
        XCTAssertEqual(report.timedOut, 0)

        // The same IP always gets the same answer.
        for ip in ["198.51.100.7", "203.0.113.9", "192.0.2.44"] {
            var answers: [JSONValue] = []
            for _ in 0..<20 { answers.append(try await warm.invoke(ViewerRequest(clientIp: ip)).response) }
            XCTAssertEqual(Set(answers).count, 1, "\(ip) got \(Set(answers))")
        }
        warm.close()

        try endpoint.setRollout(newPercent: 100)
        let all = try await session(stateRoot: stateRoot)
        defer { all.close() }
        let full = try await all.split(count: 300, request: ViewerRequest(), seed: 7)
        XCTAssertEqual(full.newSite, 300, full.summary)
    }

    func testLaunchDarklyDownServesTheOldSiteWithinTheInitTimeout() async throws {
        // Port 9 (discard) has nothing listening: every SDK request is refused.
        let (stateRoot, _) = try await deploy(HandlerFixtures.handlerWorkflow(baseURI: "http://127.0.0.1:9", initTimeout: 1), key: "sdk-unreachable-key-0001")
        let started = Date()
        let down = try await session(stateRoot: stateRoot)
        defer { down.close() }
        let first = try await down.invoke(ViewerRequest(clientIp: "198.51.100.1"))
        let coldStart = Date().timeIntervalSince(started)
        XCTAssertEqual(HandlerResponse(first.response), .forward(uri: "/site/index.html", querystring: ""))
        // Import and SDK start are bounded by initTimeout (1 s) plus process start and bytecode compilation.
        XCTAssertLessThan(coldStart, 4.5, "cold start with LaunchDarkly down took \(coldStart) s")
        let later = try await down.split(count: 200, request: ViewerRequest(), seed: 3)
        XCTAssertEqual(later.oldSite, 200)
        XCTAssertLessThan(later.p99Ms, 50, "warm invocations do not wait for LaunchDarkly again")
    }

    func testPathAndQueryArePreservedInRedirectAndRewriteModes() async throws {
        let endpoint = try HandlerSDKEndpoint(newPercent: 100)
        defer { endpoint.stop() }
        let redirect = try await deploy(HandlerFixtures.handlerWorkflow(mode: "redirect", baseURI: endpoint.baseURI), key: endpoint.sdkKey, folder: "redirect")
        let redirecting = try await session(stateRoot: redirect.stateRoot)
        defer { redirecting.close() }
        let moved = try await redirecting.invoke(ViewerRequest(uri: "/site/about/team.html", querystring: "a=1&b=two"))
        XCTAssertEqual(HandlerResponse(moved.response), .respond(status: "302", location: "/site/beta/about/team.html?a=1&b=two"))
        XCTAssertEqual(moved.response["statusDescription"], .string("Found"))
        let asset = try await redirecting.invoke(ViewerRequest(uri: "/site/logo.png"))
        XCTAssertEqual(HandlerResponse(asset.response), .forward(uri: "/site/logo.png", querystring: ""), "assets are not routed")
        let already = try await redirecting.invoke(ViewerRequest(uri: "/site/beta/index.html"))
        XCTAssertEqual(HandlerResponse(already.response), .forward(uri: "/site/beta/index.html", querystring: ""))

        let rewrite = try await deploy(HandlerFixtures.handlerWorkflow(mode: "rewrite", baseURI: endpoint.baseURI), key: endpoint.sdkKey, folder: "rewrite")
        let rewriting = try await session(stateRoot: rewrite.stateRoot)
        defer { rewriting.close() }
        let served = try await rewriting.invoke(ViewerRequest(uri: "/site/index.html", querystring: "x=1"))
        XCTAssertEqual(HandlerResponse(served.response), .forward(uri: "/site/beta/index.html", querystring: "x=1"))
        XCTAssertEqual(served.response["clientIp"], .string("203.0.113.178"), "the rest of the request is forwarded as it came")
        let folder = try await rewriting.invoke(ViewerRequest(uri: "/site/", querystring: ""))
        XCTAssertEqual(HandlerResponse(folder.response), .forward(uri: "/site/beta/index.html", querystring: ""))
    }

    func testEventsFlushModeDeliversAnalyticsWithinTheInvocation() async throws {
        let endpoint = try HandlerSDKEndpoint(newPercent: 50)
        defer { endpoint.stop() }
        let (stateRoot, _) = try await deploy(
            HandlerFixtures.handlerWorkflow(baseURI: endpoint.baseURI, extraBuildInputs: ["events": "flush"]), key: endpoint.sdkKey)
        let warm = try await session(stateRoot: stateRoot)
        defer { warm.close() }
        _ = try await warm.invoke(ViewerRequest(clientIp: "198.51.100.77"))
        // No waiting for the SDK's 5 s flush interval: the events are already delivered.
        XCTAssertGreaterThan(try endpoint.stats()["events"] ?? 0, 0)
    }

    func testCookieContextKeyBucketsByTheCookie() async throws {
        let endpoint = try HandlerSDKEndpoint(newPercent: 50)
        defer { endpoint.stop() }
        let (stateRoot, _) = try await deploy(
            HandlerFixtures.handlerWorkflow(baseURI: endpoint.baseURI, extraBuildInputs: ["contextKey": "cookie:visitor"]), key: endpoint.sdkKey)
        let warm = try await session(stateRoot: stateRoot)
        defer { warm.close() }
        // The same cookie from many IPs: one answer.
        for visitor in ["alice-42", "bob-7", "carol-19"] {
            var answers: Set<Bool> = []
            for index in 0..<30 {
                let request = ViewerRequest(clientIp: "198.51.100.\(index + 1)", headers: [("Cookie", "theme=dark; visitor=\(visitor)")])
                answers.insert(HandlerResponse(try await warm.invoke(request).response).servesNewSite(newPrefix: "/site/beta/"))
            }
            XCTAssertEqual(answers.count, 1, "\(visitor) got both sites")
        }
        // Without the cookie, the client IP decides: both sites show up across IPs.
        let byIP = try await warm.split(count: 200, request: ViewerRequest(), seed: 5)
        XCTAssertGreaterThan(byIP.newSite, 50)
        XCTAssertGreaterThan(byIP.oldSite, 50)
    }

    func testBuildAndPackageTwiceInDifferentFoldersGivesIdenticalSha256() async throws {
        let text = HandlerFixtures.handlerWorkflow(baseURI: "http://127.0.0.1:9")
        let first = try await deploy(text, key: "sdk-determinism-key-0001", folder: "first")
        // Different mtimes on the second build's template copy and its dependency files.
        sleep(1)
        let second = try await deploy(text, key: "sdk-determinism-key-0001", folder: "second/nested")
        XCTAssertNotEqual(first.outputs["package"]?["zip"], second.outputs["package"]?["zip"])
        XCTAssertEqual(first.outputs["package"]?["sha256"], second.outputs["package"]?["sha256"])
        let zip = try XCTUnwrap(first.outputs["package"]?["zip"])
        let test = try HandlerFixtures.run("unzip", ["-t", zip])
        XCTAssertEqual(test.status, 0, test.output)
        XCTAssertLessThan(Int(first.outputs["package"]?["size"] ?? "") ?? .max, 700 * 1024)
    }
}
