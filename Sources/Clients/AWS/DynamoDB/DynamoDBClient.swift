import Foundation

extension AWSClient {
    public var dynamoDB: DynamoDBClient { DynamoDBClient(self) }
}

/// DynamoDB operations (JSON 1.0, API 2012-08-10): tables, single items and key queries.
public struct DynamoDBClient: Sendable {
    public let client: AWSClient
    static let target = JSONProtocolTarget(prefix: "DynamoDB_20120810", version: "1.0")

    public init(_ client: AWSClient) { self.client = client }

    /// Creates an on-demand (PAY_PER_REQUEST) table keyed by a string partition key and an optional string sort key.
    @discardableResult
    public func createTable(name: String, partitionKey: String, sortKey: String?, tags: [String: String] = [:]) async throws -> DynamoDBTableDescription {
        var attributes: [[String: Any]] = [["AttributeName": partitionKey, "AttributeType": "S"]]
        var schema: [[String: Any]] = [["AttributeName": partitionKey, "KeyType": "HASH"]]
        if let sortKey {
            attributes.append(["AttributeName": sortKey, "AttributeType": "S"])
            schema.append(["AttributeName": sortKey, "KeyType": "RANGE"])
        }
        var body: [String: Any] = ["TableName": name, "AttributeDefinitions": attributes, "KeySchema": schema, "BillingMode": "PAY_PER_REQUEST"]
        if !tags.isEmpty { body["Tags"] = tags.sorted { $0.key < $1.key }.map { ["Key": $0.key, "Value": $0.value] } }
        return try await call("CreateTable", body, table: name, mutating: true, DynamoDBTableResult.self).table
    }

    public func describeTable(name: String) async throws -> DynamoDBTableDescription {
        try await call("DescribeTable", ["TableName": name], table: name, mutating: false, DynamoDBTableResult.self).table
    }

    /// The table, or nil when it does not exist.
    public func tableIfPresent(name: String) async throws -> DynamoDBTableDescription? {
        do {
            return try await describeTable(name: name)
        } catch let error as AWSError where error.isNotFound {
            return nil
        }
    }

    public func deleteTable(name: String) async throws {
        _ = try await call("DeleteTable", ["TableName": name], table: name, mutating: true, DynamoDBTableResult.self)
    }

    /// Polls until the table is `ACTIVE`.
    @discardableResult
    public func waitUntilTableActive(name: String, timeout: TimeInterval = 300, pollInterval: TimeInterval = 1) async throws -> DynamoDBTableDescription {
        let start = Date()
        while true {
            let table = try await describeTable(name: name)
            if table.tableStatus == nil || table.tableStatus == "ACTIVE" { return table }
            let waited = Date().timeIntervalSince(start)
            if waited + pollInterval > timeout {
                throw AWSError.waiterTimeout(service: .dynamoDB, what: "ACTIVE", resource: "table \(name)", waited: waited, lastState: table.tableStatus ?? "unknown")
            }
            try await Task.sleep(nanoseconds: UInt64(pollInterval * 1e9))
        }
    }

    /// Polls until DescribeTable answers ResourceNotFoundException.
    public func waitUntilTableDeleted(name: String, timeout: TimeInterval = 300, pollInterval: TimeInterval = 1) async throws {
        let start = Date()
        while let table = try await tableIfPresent(name: name) {
            let waited = Date().timeIntervalSince(start)
            if waited + pollInterval > timeout {
                throw AWSError.waiterTimeout(service: .dynamoDB, what: "deleted", resource: "table \(name)", waited: waited, lastState: table.tableStatus ?? "unknown")
            }
            try await Task.sleep(nanoseconds: UInt64(pollInterval * 1e9))
        }
    }

    /// Writes (replaces) one item.
    public func putItem(table: String, item: DynamoDBItem) async throws {
        let body: [String: Any] = ["TableName": table, "Item": item.mapValues(\.json)]
        _ = try await client.jsonCall(.dynamoDB, Self.target, operation: "PutItem", body: body, resource: "table \(table)", mutating: true)
    }

    /// Reads one item by its full key, or nil.
    public func getItem(table: String, key: DynamoDBItem, consistentRead: Bool = true) async throws -> DynamoDBItem? {
        struct Answer: Decodable { let Item: DynamoDBItem? }
        let body: [String: Any] = ["TableName": table, "Key": key.mapValues(\.json), "ConsistentRead": consistentRead]
        return try await call("GetItem", body, table: table, mutating: false, Answer.self).Item
    }

    /// Deletes one item by its full key.
    public func deleteItem(table: String, key: DynamoDBItem) async throws {
        let body: [String: Any] = ["TableName": table, "Key": key.mapValues(\.json)]
        _ = try await client.jsonCall(.dynamoDB, Self.target, operation: "DeleteItem", body: body, resource: "table \(table)", mutating: true)
    }

    /// Every item whose partition key `partitionKey` equals `value` (all pages, consistent reads).
    public func query(table: String, partitionKey: String, equals value: String) async throws -> [DynamoDBItem] {
        struct Page: Decodable {
            let Items: [DynamoDBItem]?
            let LastEvaluatedKey: DynamoDBItem?
        }
        var items: [DynamoDBItem] = []
        var start: DynamoDBItem?
        repeat {
            var body: [String: Any] = [
                "TableName": table, "ConsistentRead": true, "KeyConditionExpression": "#pk = :pk",
                "ExpressionAttributeNames": ["#pk": partitionKey], "ExpressionAttributeValues": [":pk": ["S": value]],
            ]
            if let start { body["ExclusiveStartKey"] = start.mapValues(\.json) }
            let page = try await call("Query", body, table: table, mutating: false, Page.self)
            items += page.Items ?? []
            start = page.LastEvaluatedKey.flatMap { $0.isEmpty ? nil : $0 }
        } while start != nil
        return items
    }

    private func call<R: Decodable>(_ operation: String, _ body: [String: Any], table: String, mutating: Bool, _ type: R.Type) async throws -> R {
        try await client.jsonCall(.dynamoDB, Self.target, operation: operation, body: body, resource: "table \(table)", mutating: mutating, result: type)
    }
}
