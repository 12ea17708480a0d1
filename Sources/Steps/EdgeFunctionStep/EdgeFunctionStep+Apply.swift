import AWS
import AWSStepSupport
import Foundation
import LDEdgeKit

public struct FunctionUndo: Codable, Sendable {
    var name: String
    var code: String
    var comment: String
    var runtime: String
    var stores: [String]
    var wasPublished: Bool
}

public struct FunctionAssociationUndo: Codable, Sendable {
    var distribution: String
    var pathPattern: String?
    var previous: String?
    var arn: String
}

public struct RecordUndo: Codable, Sendable {
    var storeArn: String
    var key: String
    /// The value before the write; nil: there was none (the key is deleted).
    var previous: String?
}

/// What an edge-function step undoes.
public enum EdgeFunctionUndo: StepUndo {
    case deleteStore(String)
    case restoreRecord(RecordUndo)
    case deleteFunction(String)
    case restoreFunction(FunctionUndo)
    case restoreAssociation(FunctionAssociationUndo)
    // The scheduled reconciler (`reconcile:`).
    case deleteSecret(region: String, name: String)
    case deleteRole(String)
    case deleteLambda(region: String, name: String)
    case deleteRule(region: String, name: String)
}

extension EdgeFunctionStep {
    public func apply(_ plan: StepPlan, _ context: StepContext) async throws -> [String: String] {
        var data = try plan.data.decode(EdgePlan.self)
        let client = try clients(context)
        let cloudFront = client.cloudFront

        // The record first, so a flag that cannot be expressed stops the run before anything exists.
        guard let flag = try await FlagSource.resolve(self, context).flag(input.flag) else {
            throw EdgeFunctionError.flagNotFound(flag: input.flag)
        }
        let record = try FlagRecord.make(flag, key: input.flag)

        // Store.
        var storeArn = data.storeArn ?? ""
        if data.storeArn == nil {
            let store = try await context.perform("create key value store \(data.storeName)", undo: EdgeFunctionUndo.deleteStore(data.storeName)) {
                try await cloudFront.createKeyValueStore(name: data.storeName, comment: "flag records of ldedge workflow \(context.workflowName)")
            }
            storeArn = store.arn
            try context.own(Resource(type: "key-value-store", id: data.storeName, attributes: ["arn": store.arn]))
        } else if !context.ownedResources.contains(where: { $0.type == "key-value-store" && $0.id == data.storeName }) {
            try context.own(Resource(type: "key-value-store", id: data.storeName, attributes: ["arn": storeArn], adopted: context.previous == nil))
        }

        // The record, before the function that reads it goes live.
        try await writeRecord(record, storeArn: storeArn, context)

        // Function.
        let code = Data(data.code.utf8)
        let comment = "ldedge \(context.workflowName): flag \(input.flag)"
        var eTag: String
        var functionArn: String
        if !data.functionExists {
            let created = try await context.perform("create function \(data.functionName)", undo: EdgeFunctionUndo.deleteFunction(data.functionName)) {
                try await cloudFront.createFunction(name: data.functionName, comment: comment, runtime: Self.runtime, keyValueStoreARNs: [storeArn], code: code)
            }
            try context.own(Resource(type: "cloudfront-function", id: data.functionName, attributes: ["arn": created.arn]))
            eTag = created.eTag ?? ""
            functionArn = created.arn
        } else {
            let current = try await cloudFront.describeFunction(name: data.functionName)
            functionArn = current.arn
            eTag = current.eTag ?? ""
            if !context.ownedResources.contains(where: { $0.type == "cloudfront-function" && $0.id == data.functionName }) {
                try context.own(Resource(type: "cloudfront-function", id: data.functionName, attributes: ["arn": current.arn], adopted: context.previous == nil))
            }
            if data.updateFunction {
                let previous = try await cloudFront.getFunction(name: data.functionName).code
                let wasPublished = try await cloudFront.functionIfPresent(name: data.functionName, stage: .live) != nil
                let undo = FunctionUndo(name: data.functionName, code: previous.base64EncodedString(), comment: current.comment, runtime: current.runtime,
                                        stores: current.keyValueStoreARNs, wasPublished: wasPublished)
                let updated = try await context.perform("update function \(data.functionName)",
                                                        undo: EdgeFunctionUndo.restoreFunction(undo)) {
                    try await cloudFront.updateFunction(name: data.functionName, ifMatch: eTag, comment: comment, runtime: Self.runtime,
                                                        keyValueStoreARNs: [storeArn], code: code)
                }
                eTag = try await cloudFront.describeFunction(name: data.functionName).eTag ?? updated.eTag ?? eTag
            }
        }
        if data.publish || !data.functionExists {
            let tag = eTag
            try await context.perform("publish function \(data.functionName)") {
                _ = try await cloudFront.publishFunction(name: data.functionName, ifMatch: tag)
            }
        }

        // Association.
        data.functionArn = functionArn
        let current = try await cloudFront.getDistributionConfig(id: input.distribution).config
        let previous = current.functionAssociations(pathPattern: input.pathPattern).first { $0.eventType == Self.eventType }?.functionARN
        if previous != functionArn {
            let undo = FunctionAssociationUndo(distribution: input.distribution, pathPattern: input.pathPattern, previous: previous, arn: functionArn)
            try await context.perform("point \(Self.eventType) of distribution \(input.distribution) at function \(data.functionName)",
                                      undo: EdgeFunctionUndo.restoreAssociation(undo)) {
                try await cloudFront.updateDistribution(id: input.distribution) { config in
                    try config.setFunctionAssociation(functionArn, eventType: Self.eventType, pathPattern: input.pathPattern)
                }
            }
            let key = associationKey
            if !context.ownedResources.contains(where: { $0.type == "function-association" && $0.id == key }) {
                try context.own(Resource(type: "function-association", id: key, attributes: ["distribution": input.distribution, "previous": previous ?? ""]))
            }
            if context.options["no-wait"] == nil { try await waitDeployed(context) }
        }
        if input.reconcile != nil {
            try await applyReconciler(storeArn: storeArn, source: try await FlagSource.resolve(self, context), context)
        }
        return ["functionArn": functionArn, "storeArn": storeArn, "recordKey": recordKey, "record": record, "newPrefix": newPrefix, "distribution": input.distribution]
    }

    var associationKey: String { "\(input.distribution)/\(input.pathPattern ?? "default")/\(Self.eventType)" }

    /// Writes the flag's record when it differs, journaled with the previous value, the store's ETag in If-Match.
    func writeRecord(_ record: String, storeArn: String, _ context: StepContext) async throws {
        let kvs = try clients(context).keyValueStore
        let before = try await kvs.getKey(store: storeArn, key: recordKey)
        guard before != record else { return }
        let undo = RecordUndo(storeArn: storeArn, key: recordKey, previous: before)
        try await context.perform("write record \(recordKey): \(FlagRecord.summary(record))",
                                  undo: EdgeFunctionUndo.restoreRecord(undo)) {
            try await RecordStore(kvs: kvs).put(store: storeArn, key: recordKey, value: record)
        }
    }

    func waitDeployed(_ context: StepContext) async throws {
        let cloudFront = try clients(context).cloudFront
        let distribution = input.distribution
        let timeout = waitTimeout
        let interval = pollInterval
        _ = try await context.waiting("CloudFront deploying distribution \(distribution)") {
            try await cloudFront.waitUntilDeployed(id: distribution, timeout: timeout, pollInterval: interval)
        }
    }
}

/// Writes and deletes one key with the store's current ETag in If-Match, reading it again when
/// someone else wrote in between (ConflictException / 412).
public struct RecordStore: Sendable {
    public let kvs: KeyValueStoreClient

    public init(kvs: KeyValueStoreClient) { self.kvs = kvs }

    /// Puts `value` (nil deletes the key); returns the store's new ETag.
    @discardableResult
    public func put(store arn: String, key: String, value: String?, attempts: Int = 3) async throws -> String? {
        var attempt = 0
        while true {
            attempt += 1
            let eTag = try await kvs.describe(store: arn).eTag
            do {
                if let value { return try await kvs.putKey(store: arn, key: key, value: value, ifMatch: eTag) }
                return try await kvs.deleteKey(store: arn, key: key, ifMatch: eTag)
            } catch let error as AWSError where (error.code == "ConflictException" || error.code == "PreconditionFailed") && attempt < attempts {
                continue
            } catch let error as AWSError where value == nil && error.isNotFound {
                return nil
            }
        }
    }
}
