import Foundation
import NIOHTTP1

/// The CloudFront KeyValueStore data plane (`cloudfront-keyvaluestore`, REST-JSON, API 2022-07-26):
/// the keys and values a CloudFront Function reads with `cf.kvs()`. Every request is signed with
/// SigV4A (region set `*`) and goes to `{account}.cloudfront-kvs.global.api.aws`; every write
/// names the store's current ETag in `If-Match` and answers the new one.
public struct KeyValueStoreClient: Sendable {
    public let client: AWSClient

    public init(_ client: AWSClient) { self.client = client }

    /// Size, item count and the ETag the next write must name.
    public struct Description: Sendable, Equatable {
        public var itemCount: Int
        public var totalSizeInBytes: Int
        public var eTag: String
        public var status: String?
    }

    public struct KeyValue: Sendable, Equatable, Codable {
        public var key: String
        public var value: String

        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    public func describe(store arn: String) async throws -> Description {
        let response = try await send("DescribeKeyValueStore", arn: arn, method: .GET, path: storePath(arn))
        let object = try json(response, operation: "DescribeKeyValueStore")
        guard let eTag = response.header("ETag") else {
            throw AWSError.decoding(service: .cloudFrontKeyValueStore, operation: "DescribeKeyValueStore", field: "ETag", detail: "the answer has no ETag header")
        }
        return Description(itemCount: object["ItemCount"] as? Int ?? 0, totalSizeInBytes: object["TotalSizeInBytes"] as? Int ?? 0,
                           eTag: eTag, status: object["Status"] as? String)
    }

    /// The value of `key`, or nil when the store has no such key.
    public func getKey(store arn: String, key: String) async throws -> String? {
        do {
            let response = try await send("GetKey", arn: arn, method: .GET, path: storePath(arn) + "/keys/" + URIEncoding.encode(key))
            return try json(response, operation: "GetKey")["Value"] as? String
        } catch let error as AWSError where error.isNotFound {
            return nil
        }
    }

    /// Every key and value, following all pages.
    public func listKeys(store arn: String) async throws -> [KeyValue] {
        var result: [KeyValue] = []
        var token: String?
        repeat {
            var query = [("MaxResults", "50")]
            if let token { query.append(("NextToken", token)) }
            let response = try await send("ListKeys", arn: arn, method: .GET, path: storePath(arn) + "/keys", query: query)
            let object = try json(response, operation: "ListKeys")
            for item in object["Items"] as? [[String: Any]] ?? [] {
                if let key = item["Key"] as? String, let value = item["Value"] as? String { result.append(KeyValue(key: key, value: value)) }
            }
            token = nonEmpty(object["NextToken"] as? String)
        } while token != nil
        return result
    }

    /// Puts one key; returns the store's new ETag.
    @discardableResult
    public func putKey(store arn: String, key: String, value: String, ifMatch: String) async throws -> String {
        let body = try JSONSerialization.data(withJSONObject: ["Value": value], options: [.sortedKeys])
        let response = try await send("PutKey", arn: arn, method: .PUT, path: storePath(arn) + "/keys/" + URIEncoding.encode(key),
                                      headers: [("If-Match", ifMatch)], body: body, mutating: true)
        return try newETag(response, operation: "PutKey")
    }

    /// Deletes one key; returns the store's new ETag.
    @discardableResult
    public func deleteKey(store arn: String, key: String, ifMatch: String) async throws -> String {
        let response = try await send("DeleteKey", arn: arn, method: .DELETE, path: storePath(arn) + "/keys/" + URIEncoding.encode(key),
                                      headers: [("If-Match", ifMatch)], mutating: true)
        return try newETag(response, operation: "DeleteKey")
    }

    /// Puts and deletes up to 50 keys at once, all or nothing; returns the store's new ETag.
    @discardableResult
    public func updateKeys(store arn: String, ifMatch: String, puts: [KeyValue] = [], deletes: [String] = []) async throws -> String {
        var document: [String: Any] = [:]
        if !puts.isEmpty { document["Puts"] = puts.map { ["Key": $0.key, "Value": $0.value] } }
        if !deletes.isEmpty { document["Deletes"] = deletes.map { ["Key": $0] } }
        let body = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
        let response = try await send("UpdateKeys", arn: arn, method: .POST, path: storePath(arn) + "/keys",
                                      headers: [("If-Match", ifMatch)], body: body, mutating: true)
        return try newETag(response, operation: "UpdateKeys")
    }

    // MARK: Helpers

    func storePath(_ arn: String) -> String { "/key-value-stores/" + URIEncoding.encode(arn) }

    /// The account id of a store ARN (`arn:aws:cloudfront::ACCOUNT:key-value-store/ID`), the host's first label.
    static func account(_ arn: String) -> String? {
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 6, parts[0] == "arn", !parts[4].isEmpty else { return nil }
        return String(parts[4])
    }

    private func send(_ operation: String, arn: String, method: HTTPMethod, path: String, query: [(String, String)] = [],
                      headers: [(String, String)] = [], body: Data = Data(), mutating: Bool = false) async throws -> AWSHTTPResponse {
        guard let account = Self.account(arn) else {
            throw AWSError.invalidRequest(service: .cloudFrontKeyValueStore, operation: operation, reason: "'\(arn)' is not a KeyValueStore ARN")
        }
        var headers = headers
        if !body.isEmpty { headers.append(("Content-Type", "application/json")) }
        var request = AWSHTTPRequest(service: .cloudFrontKeyValueStore, operation: operation, resource: "key value store \(arn)", method: method,
                                     encodedPath: path, query: query, headers: headers, body: body, isMutating: mutating)
        request.hostPrefix = account + "."
        return try await client.send(request)
    }

    private func json(_ response: AWSHTTPResponse, operation: String) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: response.body.isEmpty ? Data("{}".utf8) : response.body) as? [String: Any] else {
            throw AWSError.decoding(service: .cloudFrontKeyValueStore, operation: operation, field: "(document)", detail: "the answer is not a JSON object")
        }
        return object
    }

    private func newETag(_ response: AWSHTTPResponse, operation: String) throws -> String {
        if let eTag = response.header("ETag") { return eTag }
        if let eTag = try json(response, operation: operation)["ETag"] as? String { return eTag }
        throw AWSError.decoding(service: .cloudFrontKeyValueStore, operation: operation, field: "ETag", detail: "the answer has no ETag")
    }
}

extension AWSClient {
    /// The CloudFront KeyValueStore data plane (SigV4A).
    public var keyValueStore: KeyValueStoreClient { KeyValueStoreClient(self) }
}
