import Foundation

/// One DynamoDB attribute value (the types ldedge reads and writes).
public enum DynamoDBValue: Sendable, Equatable, Codable {
    case string(String)
    /// Numbers travel as decimal strings.
    case number(String)
    case bool(Bool)

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        if let text = try container.decodeIfPresent(String.self, forKey: AnyCodingKey("S")) {
            self = .string(text)
        } else if let number = try container.decodeIfPresent(String.self, forKey: AnyCodingKey("N")) {
            self = .number(number)
        } else if let flag = try container.decodeIfPresent(Bool.self, forKey: AnyCodingKey("BOOL")) {
            self = .bool(flag)
        } else {
            let types = container.allKeys.map(\.stringValue).joined(separator: ",")
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "attribute type \(types) is not S, N or BOOL"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: AnyCodingKey.self)
        switch self {
        case let .string(text): try container.encode(text, forKey: AnyCodingKey("S"))
        case let .number(number): try container.encode(number, forKey: AnyCodingKey("N"))
        case let .bool(flag): try container.encode(flag, forKey: AnyCodingKey("BOOL"))
        }
    }

    /// The wire form (`{"S": "..."}`) for a JSON request body.
    var json: [String: Any] {
        switch self {
        case let .string(text): return ["S": text]
        case let .number(number): return ["N": number]
        case let .bool(flag): return ["BOOL": flag]
        }
    }

    public var stringValue: String? {
        if case let .string(text) = self { return text }
        return nil
    }

    public var numberValue: String? {
        if case let .number(number) = self { return number }
        return nil
    }
}

/// An item: attribute name to value.
public typealias DynamoDBItem = [String: DynamoDBValue]

/// A key attribute of a table.
public struct DynamoDBKeyElement: Sendable, Equatable, Decodable {
    public var attributeName: String
    /// `HASH` (partition key) or `RANGE` (sort key).
    public var keyType: String
    enum CodingKeys: String, CodingKey { case attributeName = "AttributeName", keyType = "KeyType" }
}

/// What DescribeTable and CreateTable report.
public struct DynamoDBTableDescription: Sendable, Equatable, Decodable {
    public struct BillingModeSummary: Sendable, Equatable, Decodable {
        public var billingMode: String?
        enum CodingKeys: String, CodingKey { case billingMode = "BillingMode" }
    }

    public var tableName: String
    public var tableArn: String?
    /// `CREATING`, `ACTIVE`, `DELETING`, `UPDATING` ...
    public var tableStatus: String?
    public var keySchema: [DynamoDBKeyElement]?
    public var billingModeSummary: BillingModeSummary?
    public var itemCount: Int?

    enum CodingKeys: String, CodingKey {
        case tableName = "TableName", tableArn = "TableArn", tableStatus = "TableStatus", keySchema = "KeySchema"
        case billingModeSummary = "BillingModeSummary", itemCount = "ItemCount"
    }

    /// The partition key's name.
    public var partitionKey: String? { keySchema?.first { $0.keyType == "HASH" }?.attributeName }
    /// The sort key's name.
    public var sortKey: String? { keySchema?.first { $0.keyType == "RANGE" }?.attributeName }
}

struct DynamoDBTableResult: Decodable {
    let table: DynamoDBTableDescription
    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        let key = container.allKeys.first { $0.stringValue == "Table" || $0.stringValue == "TableDescription" } ?? AnyCodingKey("Table")
        table = try container.decode(DynamoDBTableDescription.self, forKey: key)
    }
}
