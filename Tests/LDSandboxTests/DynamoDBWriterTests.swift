import AWS
import Foundation
import LaunchDarkly
import LDEdgeTestSupport
import LDSandbox
import XCTest

/// `ldedge sandbox --dynamodb-table`: the sandbox plays the Relay Proxy's writer against moto, and the
/// official Python SDK in daemon mode (its own DynamoDB integration) reads exactly what polling serves.
final class DynamoDBWriterTests: XCTestCase {
    var emulator: AWSEmulator!
    var sandbox: SandboxServer!
    var client: LaunchDarklyClient!

    override func setUp() async throws {
        emulator = try await AWSEmulator.shared()
        try await emulator.reset()
        var options = SandboxOptions(port: 0, heartbeatInterval: 1, dynamoDB: DynamoDBStoreOptions(table: "relay-store", prefix: "rebrand", pollInterval: 0.1))
        options.awsEnvironment = emulator.environment
        sandbox = try await SandboxServer.start(options)
        client = LDSandboxFixture.client(for: sandbox)
    }

    override func tearDown() async throws {
        await sandbox?.stop()
    }

    var driver: String { LDSandboxFixture.scriptsDirectory.appendingPathComponent("sdk_driver.py").path }

    func evaluate(mode: String, count: Int = 500) async throws -> [String: Bool] {
        let result = try await LDSandboxFixture.runDetached("python3", [
            driver, "evaluate", "--uri", sandbox.baseURI, "--sdk-key", sandbox.sdkKey, "--flag", "rebrand", "--mode", mode,
            "--count", String(count), "--default", "null", "--dynamodb-table", "relay-store", "--dynamodb-prefix", "rebrand", "--no-events",
        ], environment: emulator.environment)
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: result.stdout) as? [String: Any], result.stderr)
        return ((json["values"] as? [String: Any]) ?? [:]).compactMapValues { $0 as? Bool }
    }

    func waitUntil(_ what: String, timeout: TimeInterval = 20, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        XCTFail("timed out waiting for \(what)")
    }

    func testWritesTheDataSetOnceTheTableExistsThenEveryChangeInTheSDKsFormat() async throws {
        let created = try await client.createBooleanFlag(project: "default", key: "rebrand", name: "Rebrand")
        _ = try await client.applySemanticPatch(project: "default", flag: "rebrand", environment: "production", instructions: [
            .turnFlagOn, .updateFallthroughRollout(try RolloutWeights(percentages: [true: 50, false: 50], of: created), bucketBy: "key", contextKind: "user"),
        ])
        // No table yet: the writer polls, as the Relay Proxy waits for its store.
        try await Task.sleep(nanoseconds: 300_000_000)
        let waiting = await sandbox.dynamoDBStatus()
        XCTAssertEqual(waiting?.initialized, false)
        XCTAssertEqual(waiting?.itemsWritten, 0)

        let aws = emulator.client()
        try await aws.dynamoDB.createTable(name: "relay-store", partitionKey: "namespace", sortKey: "key")
        try await waitUntil("the writer to initialise the table") { await sandbox.dynamoDBStatus()?.initialized == true }

        let marker = try await aws.dynamoDB.getItem(table: "relay-store", key: ["namespace": .string("rebrand:$inited"), "key": .string("rebrand:$inited")])
        XCTAssertNotNil(marker, "the $inited marker is written")
        let items = try await aws.dynamoDB.query(table: "relay-store", partitionKey: "namespace", equals: "rebrand:features")
        XCTAssertEqual(items.count, 1)
        let item = try XCTUnwrap(items.first)
        XCTAssertEqual(item["key"], .string("rebrand"))
        let json = try XCTUnwrap(item["item"]?.stringValue)
        let flag = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        XCTAssertEqual(item["version"], .number(String(flag["version"] as? Int ?? -1)), "version attribute equals the item's version")

        // The official SDK in daemon mode reads exactly what polling serves, without asking the sandbox.
        let polled = try await evaluate(mode: "polling")
        let before = sandbox.sdkRequests().values.reduce(0, +)
        let daemon = try await evaluate(mode: "daemon")
        XCTAssertEqual(sandbox.sdkRequests().values.reduce(0, +), before, "daemon mode never contacts the sandbox's SDK endpoints")
        XCTAssertEqual(daemon.count, 500)
        XCTAssertEqual(daemon, polled)
        let share = Double(daemon.values.filter { $0 }.count) / 500
        XCTAssertEqual(share, 0.5, accuracy: 0.06)

        // A change reaches the table; the SDK sees it.
        let current = try await client.flag(project: "default", key: "rebrand")
        _ = try await client.applySemanticPatch(project: "default", flag: "rebrand", environment: "production", instructions: [
            .updateFallthroughRollout(try RolloutWeights(percentages: [true: 100, false: 0], of: current), bucketBy: "key", contextKind: "user"),
        ])
        let version = (flag["version"] as? Int ?? 0)
        try await waitUntil("the change to reach the table") {
            let row = try await aws.dynamoDB.getItem(table: "relay-store", key: ["namespace": .string("rebrand:features"), "key": .string("rebrand")])
            return (row?["version"]?.numberValue).flatMap(Int.init) ?? 0 > version
        }
        let after = try await evaluate(mode: "daemon", count: 200)
        XCTAssertEqual(after.values.filter { $0 }.count, 200, "100% after the rollout change")

        // A deleted flag becomes a tombstone the SDK treats as absent.
        try await client.deleteFlag(project: "default", key: "rebrand")
        try await waitUntil("the tombstone") {
            let row = try await aws.dynamoDB.getItem(table: "relay-store", key: ["namespace": .string("rebrand:features"), "key": .string("rebrand")])
            return row?["item"]?.stringValue?.contains("\"deleted\":true") ?? false
        }
        let gone = try await LDSandboxFixture.runDetached("python3", [
            driver, "evaluate", "--uri", sandbox.baseURI, "--sdk-key", sandbox.sdkKey, "--flag", "rebrand", "--mode", "daemon", "--count", "3",
            "--default", "\"fallback\"", "--dynamodb-table", "relay-store", "--dynamodb-prefix", "rebrand",
        ], environment: emulator.environment)
        XCTAssertEqual(gone.status, 0, gone.stderr)
        XCTAssertTrue(String(decoding: gone.stdout, as: UTF8.self).contains("\"fallback\""), String(decoding: gone.stdout, as: UTF8.self))
    }

    func testStaleItemsOfAnEarlierRunAreRemovedAtInitialisation() async throws {
        let aws = emulator.client()
        await sandbox.stop()
        try await aws.dynamoDB.createTable(name: "relay-store", partitionKey: "namespace", sortKey: "key")
        try await aws.dynamoDB.putItem(table: "relay-store", item: ["namespace": .string("rebrand:features"), "key": .string("old-flag"),
                                                                   "version": .number("9"), "item": .string(#"{"key":"old-flag","version":9}"#)])
        var options = SandboxOptions(port: 0, dynamoDB: DynamoDBStoreOptions(table: "relay-store", prefix: "rebrand", pollInterval: 0.1))
        options.awsEnvironment = emulator.environment
        sandbox = try await SandboxServer.start(options)
        try await waitUntil("initialisation") { await sandbox.dynamoDBStatus()?.initialized == true }
        let items = try await aws.dynamoDB.query(table: "relay-store", partitionKey: "namespace", equals: "rebrand:features")
        XCTAssertEqual(items, [], "the data set has no flags, so the old item is gone")
    }

    func testMissingRegionIsAClearStartupError() async throws {
        var options = SandboxOptions(port: 0, dynamoDB: DynamoDBStoreOptions(table: "t"))
        options.awsEnvironment = ["HOME": "/nonexistent"]
        do {
            _ = try await SandboxServer.start(options)
            XCTFail("expected an error")
        } catch let error as SandboxError {
            XCTAssertTrue("\(error)".contains("cannot write DynamoDB table t"), "\(error)")
            XCTAssertTrue("\(error)".contains("AWS_REGION"), "\(error)")
        }
    }
}
