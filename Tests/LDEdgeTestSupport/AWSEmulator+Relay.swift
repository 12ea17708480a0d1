import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The emulator's DynamoDB, Secrets Manager and ECS resources (what the relay-proxy step owns).
public struct RelayInventory: Decodable, Equatable, Sendable {
    public struct Resource: Decodable, Equatable, Sendable {
        public var region: String
        public var arn: String
    }
    public struct Table: Decodable, Equatable, Sendable {
        public var region: String
        public var arn: String
        public var itemCount: Int
    }
    public struct Service: Decodable, Equatable, Sendable {
        public var region: String
        public var desiredCount: Int
        public var taskDefinition: String?
    }

    public var tables: [String: Table]
    public var secrets: [String: Resource]
    public var ecsClusters: [String: Resource]
    /// Keyed `cluster:service`.
    public var ecsServices: [String: Service]
    /// Keyed `family:revision`, ACTIVE revisions only.
    public var taskDefinitions: [String: Resource]
    public var roles: [String: AWSInventory.Role]

    /// True when no table, secret, cluster, service or task definition is left.
    public var isEmptyOfRelayResources: Bool {
        tables.isEmpty && secrets.isEmpty && ecsClusters.isEmpty && ecsServices.isEmpty && taskDefinitions.isEmpty
    }
}

extension AWSEmulator {
    /// Tables, secrets, ECS clusters/services/task definitions and roles, from the emulator's inventory.
    public func relayInventory() async throws -> RelayInventory {
        let (data, response) = try await URLSession.shared.data(from: endpoint.appendingPathComponent("ldedge-emulator/inventory"))
        guard (response as? HTTPURLResponse)?.statusCode == 200 else {
            throw Failure(description: "emulator inventory failed: \(String(decoding: data, as: UTF8.self))")
        }
        return try JSONDecoder().decode(RelayInventory.self, from: data)
    }
}
