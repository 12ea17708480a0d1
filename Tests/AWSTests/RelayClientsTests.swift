import AWS
import Foundation
import LDEdgeTestSupport
import XCTest

/// DynamoDB, Secrets Manager and ECS clients against moto.
final class RelayClientsTests: EmulatorTestCase {
    func testDynamoDBTableItemsAndQuery() async throws {
        let ddb = client.dynamoDB
        let created = try await ddb.createTable(name: "relay", partitionKey: "namespace", sortKey: "key", tags: ["ldedge:workflow": "t"])
        XCTAssertEqual(created.tableName, "relay")
        XCTAssertEqual(created.tableArn, "arn:aws:dynamodb:us-east-1:\(AWSEmulator.accountId):table/relay")
        let active = try await ddb.waitUntilTableActive(name: "relay", pollInterval: 0.05)
        XCTAssertEqual(active.partitionKey, "namespace")
        XCTAssertEqual(active.sortKey, "key")
        XCTAssertEqual(active.billingModeSummary?.billingMode, "PAY_PER_REQUEST")

        for index in 0..<3 {
            try await ddb.putItem(table: "relay", item: ["namespace": .string("features"), "key": .string("flag\(index)"),
                                                         "version": .number(String(index + 1)), "item": .string(#"{"key":"flag\#(index)"}"#)])
        }
        try await ddb.putItem(table: "relay", item: ["namespace": .string("segments"), "key": .string("s"), "version": .number("1")])
        let features = try await ddb.query(table: "relay", partitionKey: "namespace", equals: "features")
        XCTAssertEqual(features.compactMap { $0["key"]?.stringValue }.sorted(), ["flag0", "flag1", "flag2"])
        let one = try await ddb.getItem(table: "relay", key: ["namespace": .string("features"), "key": .string("flag2")])
        XCTAssertEqual(one?["version"], .number("3"))
        try await ddb.deleteItem(table: "relay", key: ["namespace": .string("features"), "key": .string("flag2")])
        let missing = try await ddb.getItem(table: "relay", key: ["namespace": .string("features"), "key": .string("flag2")])
        XCTAssertNil(missing)

        try await ddb.deleteTable(name: "relay")
        try await ddb.waitUntilTableDeleted(name: "relay", pollInterval: 0.05)
        let gone = try await ddb.tableIfPresent(name: "relay")
        XCTAssertNil(gone)
        do {
            _ = try await ddb.describeTable(name: "relay")
            XCTFail("expected ResourceNotFoundException")
        } catch let error as AWSError {
            XCTAssertEqual(error.code, "ResourceNotFoundException")
            XCTAssertTrue(error.isNotFound)
            XCTAssertTrue(error.description.contains("table relay"), error.description)
        }
    }

    func testSecretLifecycleWithoutRecoveryWindow() async throws {
        let sm = client.secretsManager
        let created = try await sm.createSecret(name: "ldedge/relay/sdk-key", secretString: "sdk-secret-value", description: "copy of the SDK key")
        XCTAssertTrue(created.arn.hasPrefix("arn:aws:secretsmanager:us-east-1:\(AWSEmulator.accountId):secret:ldedge/relay/sdk-key"), created.arn)
        let described = try await sm.describeSecret(id: created.arn)
        XCTAssertEqual(described.name, "ldedge/relay/sdk-key")
        XCTAssertNil(described.deletedDate)
        try await sm.deleteSecret(id: created.arn, forceDeleteWithoutRecovery: true)
        let gone = try await sm.secretIfPresent(id: "ldedge/relay/sdk-key")
        XCTAssertNil(gone, "a secret deleted without recovery window is gone at once")
        let inventory = try await emulator.relayInventory()
        XCTAssertTrue(inventory.secrets.isEmpty)
    }

    func testECSClusterTaskDefinitionAndServiceLifecycle() async throws {
        let ecs = client.ecs
        let cluster = try await ecs.createCluster(name: "relay", tags: ["ldedge:workflow": "t"])
        XCTAssertEqual(cluster.status, "ACTIVE")
        let definition = try await ecs.registerTaskDefinition(ECSFargateTaskDefinitionRequest(
            family: "relay", taskRoleArn: "arn:aws:iam::\(AWSEmulator.accountId):role/task", executionRoleArn: "arn:aws:iam::\(AWSEmulator.accountId):role/exec",
            cpu: 512, memory: 1024,
            containers: [ECSContainerDefinition(name: "ld-relay", image: "launchdarkly/ld-relay:8", portMappings: [8030],
                                                environment: ["USE_DYNAMODB": "true"], secrets: ["LD_ENV_production": "arn:secret"])]))
        XCTAssertEqual(definition.family, "relay")
        XCTAssertEqual(definition.revision, 1)
        let listed = try await ecs.listTaskDefinitions(familyPrefix: "relay")
        XCTAssertEqual(listed, [definition.taskDefinitionArn])

        let vpc = try await client.ec2.defaultVpc()
        let subnets = try await client.ec2.describeSubnets(vpcId: try XCTUnwrap(vpc).vpcId).map(\.subnetId)
        let service = try await ecs.createService(ECSFargateServiceRequest(
            cluster: "relay", serviceName: "relay", taskDefinition: definition.taskDefinitionArn, desiredCount: 1,
            subnets: subnets, assignPublicIp: true))
        XCTAssertEqual(service.desiredCount, 1)
        let present = try await ecs.serviceIfPresent(cluster: "relay", service: "relay")
        XCTAssertEqual(present?.serviceName, "relay")
        do {
            try await ecs.deleteService(cluster: "relay", service: "relay")
            XCTFail("a service scaled above 0 cannot be deleted")
        } catch let error as AWSError {
            XCTAssertEqual(error.code, "InvalidParameterException")
        }
        let scaled = try await ecs.updateService(cluster: "relay", service: "relay", desiredCount: 0)
        XCTAssertEqual(scaled.desiredCount, 0)
        try await ecs.deleteService(cluster: "relay", service: "relay")
        let deleted = try await ecs.serviceIfPresent(cluster: "relay", service: "relay")
        XCTAssertNil(deleted)
        try await ecs.deregisterTaskDefinition(definition.taskDefinitionArn)
        let active = try await ecs.listTaskDefinitions(familyPrefix: "relay")
        XCTAssertEqual(active, [])
        try await ecs.deleteCluster(name: "relay")
        let clusterGone = try await ecs.clusterIfPresent(name: "relay")
        XCTAssertNil(clusterGone)
        let missingCluster = try await ecs.serviceIfPresent(cluster: "nope", service: "relay")
        XCTAssertNil(missingCluster)
        let inventory = try await emulator.relayInventory()
        XCTAssertTrue(inventory.isEmptyOfRelayResources, "\(inventory)")
    }

    func testDryRunRefusesMutatingJSONCalls() async throws {
        let dry = emulator.client(dryRun: true)
        do {
            try await dry.dynamoDB.createTable(name: "t", partitionKey: "namespace", sortKey: "key")
            XCTFail("expected dry run refusal")
        } catch let error as AWSError {
            guard case .dryRun = error else { return XCTFail("\(error)") }
        }
        let absent = try await dry.dynamoDB.tableIfPresent(name: "t")
        XCTAssertNil(absent)
    }
}
