import AWS
import Foundation
import LaunchDarkly
import LDEdgeApp
import LDEdgeCore
import LDEdgeTestSupport
import LDSandbox
import XCTest

/// workflows/rebrand-relay.yaml end to end: the real `ldedge` binary deploys the Relay Proxy stack and
/// the daemon-mode handler against moto, `ldedge sandbox`'s DynamoDB writer plays the Relay Proxy, and
/// the packaged handler's official SDK reads only the table, never the sandbox's SDK endpoints.
final class RebrandRelayTests: XCTestCase {
    var emulator: AWSEmulator!
    var sandbox: SandboxServer!
    var project: TemporaryDirectory!
    var binary: URL!
    static let table = "ldedge-relay-e2e"

    override func setUp() async throws {
        binary = try ldedgeBinary()
        emulator = try await AWSEmulator.start(cloudFrontDeploySeconds: 0.3, lambdaReadySeconds: 0.1, replicaReleaseSeconds: 0.5)
        var options = SandboxOptions(port: 0, dynamoDB: DynamoDBStoreOptions(table: Self.table, pollInterval: 0.1))
        options.awsEnvironment = emulator.environment
        sandbox = try await SandboxServer.start(options)
        project = try TemporaryDirectory("rebrand-relay")
        for folder in ["workflows", "templates"] {
            try FileManager.default.copyItem(at: packageRoot.appendingPathComponent(folder), to: project.file(folder))
        }
    }

    override func tearDown() async throws {
        emulator?.stop()
        await sandbox?.stop()
        project?.remove()
    }

    var environment: [String: String] {
        var environment = emulator.environment.merging(LDSandboxFixture.sdkEnvironment(for: sandbox)) { _, new in new }
        environment["LDEDGE_POLL_INTERVAL"] = "0.2"
        environment["LDEDGE_RELAY_TABLE"] = Self.table
        return environment
    }

    @discardableResult
    func ldedge(_ arguments: [String]) throws -> ProcessResult {
        try runProcess(binary, arguments, in: project.url, environment: environment)
    }

    func split(_ count: Int) throws -> (old: Int, new: Int) {
        let result = try ldedge(["invoke", "workflows/rebrand-relay.yaml", "--ips", String(count), "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        if ProcessInfo.processInfo.environment["LDEDGE_TEST_VERBOSE"] != nil { print(result.stderr) }
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(object?["inconsistent"] as? Int, 0, "the same IP always gets the same answer")
        return (object?["oldSite"] as? Int ?? -1, object?["newSite"] as? Int ?? -1)
    }

    func sdkRequestTotal() -> Int { sandbox.sdkRequests().values.reduce(0, +) }

    func testRelayProxyAndDaemonModeHandlerEndToEnd() async throws {
        let before = try await emulator.inventory().ignoringVolatileFields

        let deploy = try ldedge(["deploy", "workflows/rebrand-relay.yaml", "--yes"])
        XCTAssertEqual(deploy.status, 0, deploy.stderr)
        XCTAssertFalse(deploy.stdout.contains(sandbox.sdkKey) || deploy.stderr.contains(sandbox.sdkKey), "the SDK key is never printed")
        let stack = try await emulator.relayInventory()
        XCTAssertNotNil(stack.tables[Self.table])
        XCTAssertEqual(stack.secrets.count, 1)
        XCTAssertEqual(stack.ecsServices.count, 1)
        let edgeRole = stack.roles.first { $0.value.inlinePolicies["ldedge-dynamodb-read"] != nil }
        let readPolicy = try XCTUnwrap(edgeRole?.value.inlinePolicies["ldedge-dynamodb-read"], "the edge role may read the table")
        XCTAssertTrue(readPolicy.contains("dynamodb:GetItem") && readPolicy.contains("dynamodb:Query") && readPolicy.contains("dynamodb:BatchGetItem"))
        XCTAssertFalse(readPolicy.contains("PutItem"))

        // The sandbox wrote the table as the Relay Proxy would, once the step created it.
        let deadline = Date().addingTimeInterval(20)
        while await sandbox.dynamoDBStatus()?.initialized != true, Date() < deadline { try await Task.sleep(nanoseconds: 100_000_000) }
        let written = await sandbox.dynamoDBStatus()
        XCTAssertEqual(written?.initialized, true, "\(String(describing: written))")

        // 50/50 through the daemon-mode handler, without one request to the sandbox's SDK endpoints.
        let requestsBefore = sdkRequestTotal()
        let half = try split(1_000)
        XCTAssertEqual(half.old + half.new, 1_000)
        XCTAssertTrue((450...550).contains(half.new), "50/50 rollout gave \(half.new) of 1000 on the new site")
        XCTAssertEqual(sdkRequestTotal(), requestsBefore, "the handler never contacts LaunchDarkly (the sandbox's SDK endpoints): \(sandbox.sdkRequests())")

        // 100% within the cache TTL after the rollout.
        let rollout = try ldedge(["rollout", "workflows/rebrand-relay.yaml", "--percent", "100", "--yes"])
        XCTAssertEqual(rollout.status, 0, rollout.stderr)
        let rolledOutAt = Date()
        var all = try split(200)
        while all.new != 200, Date().timeIntervalSince(rolledOutAt) < 30 {
            try await Task.sleep(nanoseconds: 500_000_000)
            all = try split(200)
        }
        XCTAssertEqual(all.new, 200, "100% rollout within the 30 s cache TTL")
        print("rebrand-relay: 50/50 gave \(half.new)/1000 new; 100% after \(String(format: "%.1f", Date().timeIntervalSince(rolledOutAt))) s")
        XCTAssertEqual(sdkRequestTotal(), requestsBefore, "still no SDK request from the handler: \(sandbox.sdkRequests())")

        // Teardown leaves nothing: no table, secret, service, task definition, cluster or role.
        var done = false
        for _ in 1...20 where !done {
            let result = try ldedge(["teardown", "--yes"])
            done = result.status == 0
            if !done {
                XCTAssertEqual(result.status, ExitStatus.teardownPending.rawValue, result.stderr)
                try await Task.sleep(for: .milliseconds(500))
            }
        }
        XCTAssertTrue(done, "teardown finished")
        let after = try await emulator.relayInventory()
        XCTAssertTrue(after.isEmptyOfRelayResources, "\(after)")
        let inventory = try await emulator.inventory().ignoringVolatileFields
        XCTAssertEqual(inventory, before, "teardown leaves nothing the run created")
    }
}
