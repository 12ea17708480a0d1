import Foundation
import LaunchDarkly
import LDEdgeTestSupport
import LDSandbox
import XCTest

/// The official LaunchDarkly Python server SDK is the judge of the sandbox's SDK endpoints.
final class RealSDKTests: XCTestCase {
    var sandbox: SandboxServer!
    var client: LaunchDarklyClient!

    override func setUp() async throws {
        sandbox = try await LDSandboxFixture.start(heartbeatInterval: 1)
        client = LDSandboxFixture.client(for: sandbox)
    }

    override func tearDown() async throws {
        await sandbox.stop()
    }

    var driver: String { LDSandboxFixture.scriptsDirectory.appendingPathComponent("sdk_driver.py").path }

    /// Creates `rebrand` and sets it on with a 50/50 rollout through the client.
    func setUpFiftyFifty() async throws -> (FeatureFlag, FlagEnvironmentConfiguration) {
        let created = try await client.createBooleanFlag(project: "default", key: "rebrand", name: "Rebrand")
        let flag = try await client.applySemanticPatch(
            project: "default", flag: "rebrand", environment: "production",
            instructions: [.turnFlagOn, .updateFallthroughRollout(try RolloutWeights(percentages: [true: 50, false: 50], of: created), bucketBy: "key", contextKind: "user")])
        return (flag, try flag.configuration(for: "production"))
    }

    func evaluate(mode: String, count: Int) async throws -> [String: Bool] {
        let result = try await LDSandboxFixture.runDetached("python3", [
            driver, "evaluate", "--uri", sandbox.baseURI, "--sdk-key", sandbox.sdkKey, "--flag", "rebrand",
            "--mode", mode, "--count", String(count), "--default", "null",
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: result.stdout) as? [String: Any], result.stderr)
        XCTAssertEqual(json["initialized"] as? Bool, true, "SDK (\(mode)) did not initialise: \(result.stderr)")
        let values = try XCTUnwrap(json["values"] as? [String: Any])
        return values.compactMapValues { $0 as? Bool }
    }

    func assertFiftyFifty(mode: String) async throws {
        let (flag, config) = try await setUpFiftyFifty()
        let rollout = try XCTUnwrap(config.fallthrough?.rollout)
        let count = 10_000
        let values = try await evaluate(mode: mode, count: count)
        XCTAssertEqual(values.count, count, "every context evaluated to a boolean")
        var mismatches = 0
        for index in 0..<count {
            let key = "user-\(index)"
            let expected = Bucketing.variation(rollout, bucket: Bucketing.bucket(flagKey: "rebrand", salt: config.salt, contextKey: key))
            if values[key] != flag.variations[expected].value.boolValue { mismatches += 1 }
        }
        XCTAssertEqual(mismatches, 0, "every SDK evaluation equals the independent bucketing")
        let trueShare = Double(values.values.filter { $0 }.count) / Double(count)
        XCTAssertEqual(trueShare, 0.5, accuracy: 0.01, "split \(trueShare)")
        print("[\(mode)] 10,000 contexts: \(Int(trueShare * Double(count))) true, 0 mismatches")
    }

    func testPollingSDKSplitsFiftyFiftyExactlyAsBucketingSays() async throws {
        try await assertFiftyFifty(mode: "polling")
    }

    func testStreamingSDKSplitsFiftyFiftyExactlyAsBucketingSays() async throws {
        try await assertFiftyFifty(mode: "streaming")
    }

    func testStreamingSDKSeesAHundredPercentWithinOneSecond() async throws {
        let (flag, _) = try await setUpFiftyFifty()
        // Pick a context that the 50/50 rollout serves false, so the change is visible.
        let config = try flag.configuration(for: "production")
        let rollout = try XCTUnwrap(config.fallthrough?.rollout)
        let context = try XCTUnwrap((0..<1000).map { "user-\($0)" }.first {
            Bucketing.variation(rollout, bucket: Bucketing.bucket(flagKey: "rebrand", salt: config.salt, contextKey: $0)) == 1
        })
        let watcher = try LineReadingProcess("python3", [
            driver, "watch", "--uri", sandbox.baseURI, "--sdk-key", sandbox.sdkKey, "--flag", "rebrand",
            "--context", context, "--expected", "true", "--timeout", "10",
        ])
        defer { watcher.stop() }
        let ready = await watcher.waitForLine(prefix: "READY", timeout: 15)
        XCTAssertEqual(ready?.line, "READY false", watcher.stderr)
        let changedAt = Date()
        _ = try await client.applySemanticPatch(
            project: "default", flag: "rebrand", environment: "production",
            instructions: [.updateFallthroughRollout(try RolloutWeights(percentages: [true: 100, false: 0], of: flag), bucketBy: "key", contextKind: "user")])
        let changedLine = await watcher.waitForLine(prefix: "CHANGED", timeout: 5)
        let changed = try XCTUnwrap(changedLine, "streaming SDK never saw the change: \(watcher.stderr)")
        let seconds = changed.time.timeIntervalSince(changedAt)
        print("streaming SDK saw 100% true after \(Int(seconds * 1000)) ms")
        XCTAssertLessThan(seconds, 1.0)
    }

    func testSDKEventsAndDiagnosticsReachTheSink() async throws {
        _ = try await setUpFiftyFifty()
        _ = try await evaluate(mode: "polling", count: 10)
        let events = await sandbox.receivedEvents()
        XCTAssertGreaterThanOrEqual(events["bulkRequests"] as? Int ?? 0, 1, "\(events.keys)")
        XCTAssertGreaterThanOrEqual(events["diagnosticRequests"] as? Int ?? 0, 1)
        let kinds = Set(((events["events"] as? [[String: Any]]) ?? []).compactMap { $0["kind"] as? String })
        XCTAssertTrue(kinds.contains("summary") || kinds.contains("index"), "\(kinds)")
    }

    func testSDKFallsBackToTheDefaultWhenTheSandboxFails() async throws {
        _ = try await setUpFiftyFifty()
        await sandbox.injectFaults([SandboxFault(path: "/sdk/latest-all", status: 503, count: 100)])
        let result = try await LDSandboxFixture.runDetached("python3", [
            driver, "evaluate", "--uri", sandbox.baseURI, "--sdk-key", sandbox.sdkKey, "--flag", "rebrand",
            "--mode", "polling", "--count", "3", "--default", "false", "--start-wait", "1", "--no-events",
        ])
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: result.stdout) as? [String: Any], result.stderr)
        XCTAssertEqual(json["initialized"] as? Bool, false)
        XCTAssertEqual((json["values"] as? [String: Bool])?.values.allSatisfy { $0 == false }, true)
    }
}
