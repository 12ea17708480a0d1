import AWS
import Foundation
import LDEdgeCore
import LDEdgeTestSupport
import XCTest

/// The relay-proxy step against moto: every resource created, a fault at every mutating call rolled
/// back to nothing, teardown leaving nothing, and the SDK key in no file ldedge writes.
final class RelayProxyStepTests: AWSStepsTestCase {
    static let sdkKey = "sdk-relay-test-4f9d2c1e"

    override var environment: [String: String] {
        super.environment.merging(["LD_SDK_KEY": Self.sdkKey]) { _, new in new }
    }

    func relayWorkflow(table: String = "relay-table", extra: String = "") -> String {
        """
        name: relay
        steps:
          - id: relay
            uses: relay-proxy
            with:
              table: \(table)
              prefix: rebrand
              environment: production
              pollInterval: 0.05\(extra)

        """
    }

    func testPlanListsEveryResourceAndDeployCreatesThem() async throws {
        let workflow = try load(relayWorkflow())
        let plan = try await engine().plan(workflow)
        let changes = plan.steps.flatMap { $0.plan?.changes ?? [] }
        XCTAssertEqual(changes.map(\.action), Array(repeating: ChangeAction.create, count: 7), "\(changes)")
        XCTAssertEqual(changes.map { $0.resource.split(separator: " ").first.map(String.init) ?? "" },
                       ["dynamodb", "secret", "role", "role", "ecs", "task", "ecs"])
        XCTAssertFalse(String(decoding: try JSONEncoder().encode(plan), as: UTF8.self).contains(Self.sdkKey), "the SDK key is not in the plan")
        let untouched = try await emulator.relayInventory()
        XCTAssertTrue(untouched.isEmptyOfRelayResources && untouched.roles.isEmpty, "plan changed nothing")

        let report = try await engine().deploy(workflow)
        let outputs = try XCTUnwrap(report.outputs["relay"])
        XCTAssertEqual(outputs["table"], "relay-table")
        XCTAssertEqual(outputs["tableArn"], "arn:aws:dynamodb:us-east-1:\(AWSEmulator.accountId):table/relay-table")
        XCTAssertEqual(outputs["service"], "ldedge-relay-relay")

        let inventory = try await emulator.relayInventory()
        XCTAssertEqual(Set(inventory.tables.keys), ["relay-table"])
        XCTAssertEqual(Set(inventory.secrets.keys), ["ldedge/relay/relay/sdk-key"])
        XCTAssertEqual(Set(inventory.ecsClusters.keys), ["ldedge-relay-relay"])
        XCTAssertEqual(inventory.ecsServices["ldedge-relay-relay:ldedge-relay-relay"]?.desiredCount, 1)
        XCTAssertEqual(Set(inventory.taskDefinitions.keys), ["ldedge-relay-relay:1"])
        let execution = try XCTUnwrap(inventory.roles["ldedge-relay-relay-exec"])
        let task = try XCTUnwrap(inventory.roles["ldedge-relay-relay-task"])
        XCTAssertTrue(execution.trustPolicy?.contains("ecs-tasks.amazonaws.com") ?? false)
        let secretArn = try XCTUnwrap(inventory.secrets["ldedge/relay/relay/sdk-key"]?.arn)
        XCTAssertEqual(try statements(execution.inlinePolicies["ldedge-read-sdk-key"]), [["secretsmanager:GetSecretValue"]: secretArn])
        let tableArn = try XCTUnwrap(outputs["tableArn"])
        let taskStatements = try statements(task.inlinePolicies["ldedge-write-relay-table"])
        XCTAssertEqual(Array(taskStatements.values), [tableArn], "the task role may touch only the table")
        XCTAssertTrue(taskStatements.keys.first?.contains("dynamodb:PutItem") ?? false)

        // The table has the Relay Proxy's layout; the task definition its DynamoDB configuration.
        let client = emulator.client()
        let table = try await client.dynamoDB.describeTable(name: "relay-table")
        XCTAssertEqual(table.partitionKey, "namespace")
        XCTAssertEqual(table.sortKey, "key")
        XCTAssertEqual(table.billingModeSummary?.billingMode, "PAY_PER_REQUEST")
        let container = try await containerDefinition("ldedge-relay-relay:1")
        XCTAssertEqual(container["image"] as? String, "launchdarkly/ld-relay:8")
        let variables = Dictionary(uniqueKeysWithValues: ((container["environment"] as? [[String: String]]) ?? []).compactMap { entry in
            entry["name"].map { ($0, entry["value"] ?? "") } })
        XCTAssertEqual(variables["USE_DYNAMODB"], "true")
        XCTAssertEqual(variables["DYNAMODB_TABLE"], "relay-table")
        XCTAssertEqual(variables["LD_PREFIX_production"], "rebrand")
        XCTAssertEqual(variables["CACHE_TTL"], "30s")
        let secrets = (container["secrets"] as? [[String: String]]) ?? []
        XCTAssertEqual(secrets, [["name": "LD_ENV_production", "valueFrom": secretArn]], "the key reaches the container only through the secret")

        // The key went only into the secret.
        try assertNoFileContains(Self.sdkKey, under: directory.file(".ldedge"))

        // A second deploy changes nothing.
        let again = try await engine().plan(try load(relayWorkflow()))
        XCTAssertFalse(again.hasChanges, "\(again.steps.flatMap { $0.plan?.changes ?? [] })")

        _ = try await engine().teardown(workflow: "relay")
        let after = try await emulator.relayInventory()
        XCTAssertTrue(after.isEmptyOfRelayResources, "\(after)")
        XCTAssertTrue(after.roles.isEmpty, "\(after.roles.keys)")
        XCTAssertTrue((try? state("relay"))?.isEmpty ?? true, "teardown released everything")
    }

    func testFaultAtEveryMutatingCallRollsBackToNothing() async throws {
        let yaml = relayWorkflow()
        try await emulator.clearCalls()
        _ = try await engine(stateRoot: ".ldedge-baseline").deploy(try load(yaml))
        let calls = try await emulator.mutatingCalls()
        XCTAssertEqual(calls.map(\.operation), ["CreateTable", "CreateSecret", "CreateRole", "CreateRole", "PutRolePolicy", "PutRolePolicy",
                                                "CreateCluster", "RegisterTaskDefinition", "CreateService"])
        var failures: [String] = []
        for (index, call) in calls.enumerated() {
            try await emulator.reset()
            let skip = calls[..<index].filter { $0.service == call.service && $0.operation == call.operation }.count
            try await emulator.injectFault(service: call.service, operation: call.operation, skip: skip)
            let label = "fault at \(call.service) \(call.operation) #\(skip + 1)"
            do {
                _ = try await engine(stateRoot: ".ldedge-fault-\(index)").deploy(try load(yaml))
                failures.append("\(label): the deploy succeeded")
                continue
            } catch let error as EngineError {
                guard case .stepFailed(_, let message, let outcomes, true) = error, message.contains("InjectedFault") else {
                    failures.append("\(label): \(error)")
                    continue
                }
                if let failed = outcomes.first(where: { $0.error != nil }) { failures.append("\(label): rollback failed: \(failed.error ?? "")") }
            }
            try await emulator.clearFaults()
            let after = try await emulator.relayInventory()
            if !after.isEmptyOfRelayResources || !after.roles.isEmpty { failures.append("\(label): left \(after)") }
            if !(try state("relay", stateRoot: ".ldedge-fault-\(index)").isEmpty) { failures.append("\(label): state still owns resources") }
        }
        XCTAssertEqual(failures, [], failures.joined(separator: "\n"))
    }

    func testTeardownResumesAfterAFailureAndKeepsAnAdoptedTable() async throws {
        let client = emulator.client()
        try await client.dynamoDB.createTable(name: "shared-table", partitionKey: "namespace", sortKey: "key")
        _ = try await engine().deploy(try load(relayWorkflow(table: "shared-table")))
        try await emulator.injectFault(service: "iam", operation: "DeleteRole", skip: 0)
        do {
            _ = try await engine().teardown(workflow: "relay")
            XCTFail("teardown should fail at the injected fault")
        } catch {}
        try await emulator.clearFaults()
        let partway = try await emulator.relayInventory()
        XCTAssertTrue(partway.ecsServices.isEmpty && partway.taskDefinitions.isEmpty && partway.ecsClusters.isEmpty, "\(partway)")
        _ = try await engine().teardown(workflow: "relay")
        let after = try await emulator.relayInventory()
        XCTAssertEqual(Set(after.tables.keys), ["shared-table"], "a table that existed before is kept")
        XCTAssertTrue(after.secrets.isEmpty && after.ecsServices.isEmpty && after.taskDefinitions.isEmpty && after.ecsClusters.isEmpty && after.roles.isEmpty,
                      "\(after)")
    }

    func testBadInputIsRefusedWithLocationsBeforeAnyChange() async throws {
        let yaml = relayWorkflow(table: "x", extra: "\n      cpu: 300").replacingOccurrences(of: "environment: production", with: "environment: prod-1")
        XCTAssertThrowsError(try load(yaml)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("workflow.yaml:"), text)
            XCTAssertTrue(text.contains("table names are 3-255"), text)
            XCTAssertTrue(text.contains("Fargate CPU units"), text)
            XCTAssertTrue(text.contains("LD_ENV_prod-1"), text)
        }
        let inventory = try await emulator.relayInventory()
        XCTAssertTrue(inventory.isEmptyOfRelayResources)
    }

    // MARK: Helpers

    /// Policy statements as action list -> resource.
    func statements(_ document: String?) throws -> [[String]: String] {
        let object = try JSONSerialization.jsonObject(with: Data((document ?? "").utf8)) as? [String: Any]
        var result: [[String]: String] = [:]
        for statement in (object?["Statement"] as? [[String: Any]]) ?? [] {
            let actions = (statement["Action"] as? [String]) ?? [(statement["Action"] as? String) ?? ""]
            result[actions] = statement["Resource"] as? String
        }
        return result
    }

    /// The first container of a task definition, read with the AWS CLI's botocore (an independent client).
    func containerDefinition(_ taskDefinition: String) async throws -> [String: Any] {
        let result = try runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                    ["aws", "ecs", "describe-task-definition", "--task-definition", taskDefinition, "--output", "json"],
                                    in: directory.url, environment: environment)
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let definition = object?["taskDefinition"] as? [String: Any]
        XCTAssertEqual(definition?["networkMode"] as? String, "awsvpc")
        XCTAssertEqual(definition?["cpu"] as? String, "512")
        XCTAssertEqual(definition?["memory"] as? String, "1024")
        return ((definition?["containerDefinitions"] as? [[String: Any]]) ?? []).first ?? [:]
    }

    func assertNoFileContains(_ needle: String, under root: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        var checked = 0
        while let url = enumerator?.nextObject() as? URL {
            guard let data = FileManager.default.contents(atPath: url.path) else { continue }
            checked += 1
            XCTAssertFalse(String(decoding: data, as: UTF8.self).contains(needle), "\(url.path) holds the SDK key", file: file, line: line)
        }
        XCTAssertGreaterThan(checked, 0, "state files exist", file: file, line: line)
    }
}
