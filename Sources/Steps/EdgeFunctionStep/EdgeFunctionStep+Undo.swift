import AWS
import AWSStepSupport
import Foundation
import LDEdgeKit

extension EdgeFunctionStep {
    // MARK: Rollback

    public func rollback(_ changes: [EdgeFunctionUndo], _ context: StepContext) async throws {
        let client = try clients(context)
        let cloudFront = client.cloudFront
        let tearingDown = context.phase == .teardown
        for change in changes {
            switch change {
            case .restoreRecord(let undo) where !tearingDown:
                try await context.perform("put back record \(undo.key): \(FlagRecord.summary(undo.previous))") {
                    do {
                        guard try await client.keyValueStore.getKey(store: undo.storeArn, key: undo.key) != undo.previous else { return }
                        try await RecordStore(kvs: client.keyValueStore).put(store: undo.storeArn, key: undo.key, value: undo.previous)
                    } catch where error.isAWSNotFound {}
                }
            case .restoreAssociation(let undo) where !tearingDown:
                try await setAssociation(undo.previous, replacing: undo.arn, distribution: undo.distribution, pathPattern: undo.pathPattern, context)
                if undo.previous == nil {
                    for resource in context.ownedResources where resource.type == "function-association" && resource.id == associationKey { try context.release(resource) }
                }
            case .restoreFunction(let undo):
                try await context.perform("put back the previous code of function \(undo.name)") {
                    do {
                        let current = try await cloudFront.describeFunction(name: undo.name)
                        let updated = try await cloudFront.updateFunction(name: undo.name, ifMatch: current.eTag ?? "", comment: undo.comment, runtime: undo.runtime,
                                                                          keyValueStoreARNs: undo.stores, code: Data(base64Encoded: undo.code) ?? Data())
                        if undo.wasPublished {
                            let tag = try await cloudFront.describeFunction(name: undo.name).eTag ?? updated.eTag ?? ""
                            _ = try await cloudFront.publishFunction(name: undo.name, ifMatch: tag)
                        }
                    } catch where error.isAWSNotFound {}
                }
            case .deleteFunction(let name) where !tearingDown:
                try await deleteFunction(name, context)
            case .deleteStore(let name) where !tearingDown:
                try await deleteStore(name, context)
            case .deleteRule(let region, let name) where !tearingDown:
                try await deleteRule(name, region: region, context)
            case .deleteLambda(let region, let name) where !tearingDown:
                try await deleteLambda(name, region: region, context)
            case .deleteRole(let name) where !tearingDown:
                try await context.deleteRole(name, iam: try clients(context).iam)
                for resource in context.ownedResources where resource.type == "reconciler-role" && resource.id == name { try context.release(resource) }
            case .deleteSecret(let region, let name) where !tearingDown:
                try await deleteSecret(name, region: region, context)
            case .restoreRecord, .restoreAssociation, .deleteFunction, .deleteStore, .deleteRule, .deleteLambda, .deleteRole, .deleteSecret:
                continue  // teardown removes these itself
            }
        }
        // A first run that failed adopted nothing worth keeping.
        if context.phase == .rollback, context.previous?.previous == nil {
            for resource in context.ownedResources where resource.adopted { try context.release(resource) }
        }
    }

    // MARK: Teardown

    public func teardown(_ state: StepState, _ context: StepContext) async throws {
        // 0. The scheduled reconciler first, so it writes no record while the rest goes.
        try await teardownReconciler(state, context)
        // 1. The association, back to what the behavior ran before (usually nothing); CloudFront deploys that.
        for resource in state.resources where resource.type == "function-association" {
            let arn = state.resources.first { $0.type == "cloudfront-function" }?.attributes["arn"] ?? ""
            let previous = resource.attributes["previous"].flatMap { $0.isEmpty ? nil : $0 }
            try await setAssociation(previous, replacing: arn, distribution: resource.attributes["distribution"] ?? input.distribution,
                                     pathPattern: input.pathPattern, context)
            try context.release(resource)
        }
        // 2. The function: deletable as soon as no distribution uses it (no replicas to wait for).
        for resource in state.resources where resource.type == "cloudfront-function" {
            if !resource.adopted { try await deleteFunction(resource.id, context) } else { try context.release(resource) }
        }
        // 3. The store, with every record in it.
        for resource in state.resources where resource.type == "key-value-store" {
            if !resource.adopted {
                try await deleteStore(resource.id, context)
            } else {
                if let arn = resource.attributes["arn"] {
                    let kvs = try clients(context).keyValueStore
                    try await context.perform("delete record \(recordKey) from adopted store \(resource.id)") {
                        do { try await RecordStore(kvs: kvs).put(store: arn, key: recordKey, value: nil) } catch where error.isAWSNotFound {}
                    }
                }
                try context.release(resource)
            }
        }
    }

    // MARK: Helpers

    /// Sets the viewer-request function of the behavior to `arn` (nil removes it), only while it is `replacing`.
    func setAssociation(_ arn: String?, replacing: String, distribution: String, pathPattern: String?, _ context: StepContext) async throws {
        let cloudFront = try clients(context).cloudFront
        let changed: Bool = try await context.perform("point \(Self.eventType) of distribution \(distribution) back at \(arn ?? "nothing")") {
            do {
                let updated = try await cloudFront.updateDistribution(id: distribution) { config in
                    let current = config.functionAssociations(pathPattern: pathPattern).first { $0.eventType == Self.eventType }?.functionARN
                    guard current == replacing else { return }
                    try config.setFunctionAssociation(arn, eventType: Self.eventType, pathPattern: pathPattern)
                }
                return updated != nil
            } catch where error.isAWSNotFound {
                return false
            }
        }
        if changed && context.options["no-wait"] == nil {
            let timeout = waitTimeout
            let interval = pollInterval
            _ = try await context.waiting("CloudFront deploying distribution \(distribution)") {
                try await cloudFront.waitUntilDeployed(id: distribution, timeout: timeout, pollInterval: interval)
            }
        }
    }

    func deleteFunction(_ name: String, _ context: StepContext) async throws {
        let cloudFront = try clients(context).cloudFront
        try await context.perform("delete function \(name)") {
            do {
                let current = try await cloudFront.describeFunction(name: name)
                try await cloudFront.deleteFunction(name: name, ifMatch: current.eTag ?? "")
            } catch where error.isAWSNotFound || (error as? AWSError)?.code == "NoSuchFunctionExists" {}
        }
        for resource in context.ownedResources where resource.type == "cloudfront-function" && resource.id == name { try context.release(resource) }
    }

    func deleteStore(_ name: String, _ context: StepContext) async throws {
        let cloudFront = try clients(context).cloudFront
        try await context.perform("delete key value store \(name)") {
            do {
                let current = try await cloudFront.describeKeyValueStore(name: name)
                try await cloudFront.deleteKeyValueStore(name: name, ifMatch: current.eTag ?? "")
            } catch where error.isAWSNotFound || (error as? AWSError)?.code == "EntityNotFound" {}
        }
        for resource in context.ownedResources where resource.type == "key-value-store" && resource.id == name { try context.release(resource) }
    }
}
