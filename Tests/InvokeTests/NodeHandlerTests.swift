import BuiltinSteps
import BuildHandlerStep
import Foundation
import Invoke
import LDEdgeCore
import LDEdgeTestSupport
import PackageZipStep
import XCTest

/// The Node.js template's routing, run by runner.js. The npm registry is not reachable from this
/// machine, so `@launchdarkly/node-server-sdk` is a LOCAL STAND-IN module written by this test
/// (`HandlerFixtures.nodeSDKStandIn`), not the real SDK: these tests cover the template's own
/// logic (context key, routing, bounded init wait, never throwing), not the SDK.
final class NodeHandlerTests: XCTestCase {
    var scratch: URL!
    let registry = StepRegistry([StepKind(BuildHandlerStep.self), StepKind(PackageZipStep.self)])

    override func setUpWithError() throws {
        scratch = try HandlerFixtures.scratchDirectory("node-handler")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    /// Builds with the engine (npm skipped offline), adds the stand-in SDK, packages, and starts a runner.
    func session(mode: String, key: String, initTimeout: Double = 1) async throws -> InvokeSession {
        let environment = [
            "LD_SDK_KEY": key, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "npm_config_registry": "http://127.0.0.1:9/",
        ]
        // Paths must not contain the key: state redacts every occurrence of a secret, paths included.
        let label = "\(mode)-\(key.hasSuffix("down") ? "down" : "up")"
        let file = scratch.appendingPathComponent("\(label).yaml")
        try HandlerFixtures.handlerWorkflow(name: "node", runtime: "nodejs20.x", mode: mode, baseURI: "http://127.0.0.1:9", initTimeout: initTimeout)
            .write(to: file, atomically: true, encoding: .utf8)
        let workflow = try WorkflowLoader(registry: registry, environment: environment).load(path: file.path)
        let stateRoot = scratch.appendingPathComponent(label)
        let engine = Engine(registry: registry, options: EngineOptions(stateRoot: stateRoot, environment: environment))
        let built = try await engine.deploy(workflow)
        let dir = try XCTUnwrap(built.outputs["build"]?["dir"])
        let module = URL(fileURLWithPath: dir).appendingPathComponent("node_modules/@launchdarkly/node-server-sdk")
        try FileManager.default.createDirectory(at: module, withIntermediateDirectories: true)
        try HandlerFixtures.nodeSDKStandIn.write(to: module.appendingPathComponent("index.js"), atomically: true, encoding: .utf8)
        _ = try await engine.deploy(workflow)
        let package = try PackageLocator(stateRoot: stateRoot, registry: .builtin).locate(workflow: "node")
        XCTAssertEqual(package.runtime, "nodejs20.x")
        return try await InvokeSession(package: package, runnerDirectory: HandlerFixtures.runnerDirectory)
    }

    func testRedirectPreservesPathAndQueryAndBucketsByClientIp() async throws {
        let session = try await session(mode: "redirect", key: "sdk-node-standin-up")
        defer { session.close() }
        // The stand-in serves the new site to client IPs whose last octet is even.
        let even = try await session.invoke(ViewerRequest(clientIp: "198.51.100.2", uri: "/site/docs/a.html", querystring: "q=1"))
        XCTAssertEqual(HandlerResponse(even.response), .respond(status: "302", location: "/site/beta/docs/a.html?q=1"))
        let odd = try await session.invoke(ViewerRequest(clientIp: "198.51.100.3", uri: "/site/docs/a.html", querystring: "q=1"))
        XCTAssertEqual(HandlerResponse(odd.response), .forward(uri: "/site/docs/a.html", querystring: "q=1"))
        let split = try await session.split(count: 400, request: ViewerRequest(), seed: 11)
        XCTAssertGreaterThan(split.newSite, 150)
        XCTAssertGreaterThan(split.oldSite, 150)
        XCTAssertEqual(split.inconsistent, 0)
    }

    func testRewriteKeepsTheUrlAndServesTheNewPage() async throws {
        let session = try await session(mode: "rewrite", key: "sdk-node-standin-up")
        defer { session.close() }
        let response = try await session.invoke(ViewerRequest(clientIp: "198.51.100.4", uri: "/site/", querystring: "x=y"))
        XCTAssertEqual(HandlerResponse(response.response), .forward(uri: "/site/beta/index.html", querystring: "x=y"))
    }

    func testSDKThatNeverInitialisesFallsBackToTheOldSiteWithinTheInitTimeout() async throws {
        let session = try await session(mode: "redirect", key: "sdk-node-standin-down", initTimeout: 0.5)
        defer { session.close() }
        let first = try await session.invoke(ViewerRequest(clientIp: "198.51.100.2"))
        XCTAssertEqual(HandlerResponse(first.response), .forward(uri: "/site/index.html", querystring: ""))
        XCTAssertLessThan(first.durationMs, 1500, "the first invocation waits at most initTimeout")
        let second = try await session.invoke(ViewerRequest(clientIp: "198.51.100.2"))
        XCTAssertLessThan(second.durationMs, 100, "later invocations do not wait again")
    }
}

extension HandlerFixtures {
    /// A stand-in for `@launchdarkly/node-server-sdk` (the npm registry is unreachable here). It
    /// mimics the calls the template makes: `init`, `waitForInitialization`, `variation`, `flush`.
    /// With an SDK key containing "down" it never initialises; otherwise `variation` is true for
    /// context keys whose last number is even.
    static let nodeSDKStandIn = """
        'use strict';
        // LOCAL STAND-IN for @launchdarkly/node-server-sdk, written by ldedge's tests; not the real SDK.
        exports.init = (sdkKey, options) => {
          const down = sdkKey.includes('down');
          return {
            waitForInitialization: ({ timeout }) => new Promise((resolve, reject) => {
              if (down) setTimeout(() => reject(new Error('timed out')), timeout * 1000);
              else resolve();
            }),
            variation: async (key, context, fallback) => {
              if (down) return fallback;
              const match = String(context.key).match(/(\\d+)$/);
              return match ? Number(match[1]) % 2 === 0 : fallback;
            },
            flush: async () => {},
          };
        };
        """
}
