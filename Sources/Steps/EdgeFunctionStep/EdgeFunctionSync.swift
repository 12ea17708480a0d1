import AWS
import Foundation
import LDEdgeKit
import LaunchDarkly

/// `ldedge sync`: makes each deployed edge-function store hold the record of its flag as
/// LaunchDarkly has it now, once, or continuously from the SDK stream (`GET {stream}/all`:
/// `put` replaces everything, `patch` one flag, `delete` removes it), reconnecting with backoff
/// and reconciling everything after every reconnect. Writes name the store's ETag in If-Match.
public struct EdgeFunctionSync: Sendable {
    /// One deployed store: where the flag's record lives.
    public struct Target: Sendable, Equatable {
        public var step: String
        public var flag: String
        public var storeArn: String
    }

    public let targets: [Target]
    public let source: FlagSource
    public let kvs: KeyValueStoreClient
    let log: @Sendable (String) -> Void

    public init(targets: [Target], source: FlagSource, kvs: KeyValueStoreClient, log: @escaping @Sendable (String) -> Void) {
        self.targets = targets
        self.source = source
        self.kvs = kvs
        self.log = log
    }

    /// The edge-function steps of a recorded state (by their outputs: storeArn and recordKey).
    public static func targets(in state: WorkflowState) -> [Target] {
        state.order.compactMap { state.steps[$0] }.compactMap { step in
            guard step.status == .applied, let store = step.outputs["storeArn"], let flag = step.outputs["recordKey"], !store.isEmpty else { return nil }
            return Target(step: step.id, flag: flag, storeArn: store)
        }
    }

    /// Reconciles every target with `flags` (all of them, SDK representation); returns how many records changed.
    @discardableResult
    public func reconcile(_ flags: [String: JSONValue], only: String? = nil) async throws -> Int {
        var changed = 0
        for target in targets where only == nil || only == target.flag {
            let wanted: String?
            if let flag = flags[target.flag], flag["deleted"]?.boolValue != true {
                do {
                    wanted = try FlagRecord.make(flag, key: target.flag)
                } catch let error as EdgeFunctionError {
                    // Targeting the record cannot express: keep what the store has (the last expressible state) and say so.
                    log("\(target.step): \(error.description); the store keeps its current record")
                    continue
                }
            } else {
                wanted = nil
            }
            let current = try await kvs.getKey(store: target.storeArn, key: target.flag)
            guard current != wanted else { continue }
            try await RecordStore(kvs: kvs).put(store: target.storeArn, key: target.flag, value: wanted)
            changed += 1
            log("\(target.step): record \(target.flag) \(FlagRecord.summary(current)) -> \(FlagRecord.summary(wanted))")
        }
        return changed
    }

    /// Reads every flag once (polling endpoint) and reconciles.
    @discardableResult
    public func once() async throws -> Int {
        try await reconcile(try await source.allFlags())
    }

    /// Follows the stream until cancelled: reconnects 1 s after a connection that delivered events
    /// ends, and backs off (1 s doubling to 30 s) while connecting fails.
    public func watch(reconnectDelay: TimeInterval = 1, maxDelay: TimeInterval = 30) async throws {
        var delay = reconnectDelay
        while !Task.isCancelled {
            do {
                try await FlagStream(source: source).events { event in try await handle(event) }
                log("the LaunchDarkly stream ended; reconnecting")
                delay = reconnectDelay
                try await Task.sleep(nanoseconds: UInt64(reconnectDelay * 1e9))
            } catch is CancellationError {
                return
            } catch {
                log("\(Secrets.shared.redact("\(error)")); reconnecting in \(Int(delay)) s")
                try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
                delay = min(delay * 2, maxDelay)
            }
        }
    }

    func handle(_ event: StreamEvent) async throws {
        guard let payload = try? JSONDecoder().decode(JSONValue.self, from: Data(event.data.utf8)) else { return }
        switch event.name {
        case "put":
            try await reconcile(payload["data"]?["flags"]?.objectValue ?? [:])
        case "patch":
            guard let path = payload["path"]?.stringValue, path.hasPrefix("/flags/"), let flag = payload["data"] else { return }
            let key = String(path.dropFirst("/flags/".count))
            try await reconcile([key: flag], only: key)
        case "delete":
            guard let path = payload["path"]?.stringValue, path.hasPrefix("/flags/") else { return }
            let key = String(path.dropFirst("/flags/".count))
            try await reconcile([:], only: key)
        default:
            return
        }
    }
}
