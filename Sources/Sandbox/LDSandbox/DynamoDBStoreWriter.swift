import AWS
import Foundation
import LaunchDarkly

/// Where `ldedge sandbox --dynamodb-table` writes: the table and the environment's key prefix.
public struct DynamoDBStoreOptions: Sendable {
    public var table: String
    /// Items go to `PREFIX:features`, `PREFIX:segments` and `PREFIX:$inited` (no prefix: `features` ...).
    public var prefix: String?
    /// Seconds between checks while the table does not exist yet, and between retries after a failed write.
    public var pollInterval: Double

    public init(table: String, prefix: String? = nil, pollInterval: Double = 1) {
        self.table = table
        self.prefix = prefix.flatMap { $0.isEmpty ? nil : $0 }
        self.pollInterval = pollInterval
    }
}

/// What the writer has done so far (for tests and `GET /_sandbox/dynamodb`).
public struct DynamoDBStoreStatus: Sendable, Codable, Equatable {
    /// The table existed and the whole data set plus the `$inited` marker were written.
    public var initialized: Bool
    public var itemsWritten: Int
    public var lastError: String?
}

/// Plays the Relay Proxy's DynamoDB writer for the sandbox's default environment, in the layout the
/// official SDKs' DynamoDB stores read: items `{namespace: "[prefix:]features", key: FLAG, version: N,
/// item: "<flag JSON>"}` (segments likewise under `segments`), a deleted item as a tombstone
/// `{"key", "version", "deleted": true}`, and the marker `{namespace: key: "[prefix:]$inited"}`.
///
/// Like the Relay Proxy initialising its store, it waits until the table exists, then writes the whole
/// data set (removing items the data set no longer has) and the marker; after that it writes every
/// change as the SDK stream announces it, retrying failed writes until they succeed.
actor DynamoDBStoreWriter {
    let store: SandboxStore
    let sdkKey: String
    let dynamoDB: DynamoDBClient
    let options: DynamoDBStoreOptions
    /// `namespace \u{0} key` -> the version written.
    private var written: [String: Int] = [:]
    private var status = DynamoDBStoreStatus(initialized: false, itemsWritten: 0, lastError: nil)

    static let kinds = [("flags", "features"), ("segments", "segments")]

    init(store: SandboxStore, sdkKey: String, dynamoDB: DynamoDBClient, options: DynamoDBStoreOptions) {
        self.store = store
        self.sdkKey = sdkKey
        self.dynamoDB = dynamoDB
        self.options = options
    }

    var currentStatus: DynamoDBStoreStatus { status }

    func namespace(_ base: String) -> String { options.prefix.map { "\($0):\(base)" } ?? base }

    /// Runs until cancelled.
    func run() async {
        await waitForTable()
        guard !Task.isCancelled, let changes = await store.subscribe(sdkKey: sdkKey) else { return }
        // The stream starts with a `put` of everything, then one event per change (and heartbeats,
        // which find nothing to write).
        for await _ in changes {
            while !Task.isCancelled {
                do {
                    try await sync()
                    break
                } catch {
                    fail(error)
                    try? await Task.sleep(nanoseconds: UInt64(options.pollInterval * 1e9))
                }
            }
            if Task.isCancelled { break }
        }
    }

    private func waitForTable() async {
        while !Task.isCancelled {
            do {
                if let table = try await dynamoDB.tableIfPresent(name: options.table), table.tableStatus == nil || table.tableStatus == "ACTIVE" { return }
            } catch {
                fail(error)
            }
            try? await Task.sleep(nanoseconds: UInt64(options.pollInterval * 1e9))
        }
    }

    private func fail(_ error: Error) {
        let message = "sandbox: DynamoDB table \(options.table): \(error); retrying in \(options.pollInterval) s"
        if status.lastError != message { FileHandle.standardError.write(Data((message + "\n").utf8)) }
        status.lastError = message
    }

    /// Writes whatever differs from what was written last (everything, the first time).
    private func sync() async throws {
        guard let data = await store.allData(sdkKey: sdkKey) else { return }
        if !status.initialized { try await removeStaleItems(data) }
        for (kind, base) in Self.kinds {
            let items = data[kind]?.objectValue ?? [:]
            let namespace = namespace(base)
            for (key, item) in items.sorted(by: { $0.key < $1.key }) {
                let version = item["version"]?.intValue ?? 0
                if written["\(namespace)\u{0}\(key)"] == version { continue }
                try await put(namespace: namespace, key: key, version: version, json: SandboxStore.json(item))
            }
            let gone = written.keys.filter { $0.hasPrefix("\(namespace)\u{0}") }.map { String($0.dropFirst(namespace.count + 1)) }.filter { items[$0] == nil }
            for key in gone {
                let version = (written["\(namespace)\u{0}\(key)"] ?? 0) + 1
                let tombstone: JSONValue = .object(["key": .string(key), "version": .number(Double(version)), "deleted": .bool(true)])
                try await put(namespace: namespace, key: key, version: version, json: SandboxStore.json(tombstone))
            }
        }
        if !status.initialized {
            let marker = namespace("$inited")
            try await dynamoDB.putItem(table: options.table, item: ["namespace": .string(marker), "key": .string(marker)])
            status.initialized = true
        }
        status.lastError = nil
    }

    private func put(namespace: String, key: String, version: Int, json: String) async throws {
        try await dynamoDB.putItem(table: options.table, item: [
            "namespace": .string(namespace), "key": .string(key), "version": .number(String(version)), "item": .string(json),
        ])
        written["\(namespace)\u{0}\(key)"] = version
        status.itemsWritten += 1
    }

    /// A store initialisation replaces the data set: items of an earlier run that it no longer has go.
    private func removeStaleItems(_ data: JSONValue) async throws {
        for (kind, base) in Self.kinds {
            let namespace = namespace(base)
            let current = data[kind]?.objectValue ?? [:]
            for item in try await dynamoDB.query(table: options.table, partitionKey: "namespace", equals: namespace) {
                guard let key = item["key"]?.stringValue, current[key] == nil else { continue }
                try await dynamoDB.deleteItem(table: options.table, key: ["namespace": .string(namespace), "key": .string(key)])
            }
        }
    }
}
