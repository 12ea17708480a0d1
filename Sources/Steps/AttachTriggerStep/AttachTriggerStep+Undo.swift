import AWS
import AWSStepSupport
import Foundation
import LDEdgeKit

extension AttachTriggerStep {
    // MARK: Rollback

    public func rollback(_ changes: [AttachTriggerUndo], _ context: StepContext) async throws {
        let client = try clients(context)
        let lambda = client.lambda
        // Teardown runs rollback first; it removes the association, function and role itself, and must
        // not wait for replicas here (it records them as pending instead).
        let tearingDown = context.phase == .teardown
        for change in changes {
            switch change {
            case .restoreAssociation(let undo) where !tearingDown:
                try await setAssociation(undo.previous, replacing: { $0 == undo.arn }, distribution: undo.distribution,
                                         pathPattern: undo.pathPattern, eventType: undo.eventType, context)
                if undo.previous == nil {
                    let key = "\(undo.distribution)/\(undo.pathPattern ?? "default")/\(undo.eventType)"
                    for resource in context.ownedResources where resource.type == "association" && resource.id == key { try context.release(resource) }
                }
            case .deleteVersions(let undo) where !tearingDown:
                let versions: [String]
                do {
                    versions = try await lambda.listVersionsByFunction(name: undo.function).compactMap(\.version)
                } catch where error.isAWSNotFound {
                    continue
                }
                for version in versions where version != "$LATEST" && !undo.keep.contains(version) {
                    try await deleteWaitingForReplicas(undo.function, qualifier: version, context)
                }
            case .restoreCode(let undo):
                try await restoreCode(undo, context)
            case .restoreConfiguration(let undo):
                let update = LambdaFunctionConfigurationUpdate(runtime: undo.runtime, role: undo.role, handler: undo.handler, timeout: undo.timeout, memorySize: undo.memory)
                try await context.perform("put back the configuration of function \(undo.function)") {
                    do {
                        try await lambda.updateFunctionConfiguration(name: undo.function, update)
                        _ = try await lambda.waitUntilUpdated(name: undo.function, pollInterval: min(pollInterval, 1))
                    } catch where error.isAWSNotFound {}
                }
            case .deleteFunction(let function) where !tearingDown:
                try await deleteWaitingForReplicas(function, qualifier: nil, context)
                for resource in context.ownedResources where resource.type == "function" && resource.id == function { try context.release(resource) }
            case .detachRolePolicy(let role, let policy) where !tearingDown:
                try await context.perform("detach \(policy) from role \(role)") {
                    do { try await client.iam.detachRolePolicy(roleName: role, policyArn: policy) } catch where error.isAWSNotFound {}
                }
            case .restoreRolePolicy(let role, let undo):
                try await restoreTableAccess(role: role, undo, context)
            case .deleteRole(let role) where !tearingDown:
                try await context.deleteRole(role, iam: try clients(context).iam)
                for resource in context.ownedResources where resource.type == "role" && resource.id == role { try context.release(resource) }
            case .restoreAssociation, .deleteVersions, .deleteFunction, .detachRolePolicy, .deleteRole:
                // Teardown removes the association, the function and the role itself.
                continue
            }
        }
        if context.phase == .rollback, context.recall("association", as: AssociationMemory.self) != nil,
           !context.ownedResources.contains(where: { $0.type == "association" }) {
            try context.forget("association")
        }
        // A first run that failed adopted nothing worth keeping.
        if context.phase == .rollback, context.previous?.previous == nil {
            for resource in context.ownedResources where resource.adopted { try context.release(resource) }
        }
    }

    // MARK: Teardown

    public func teardown(_ state: StepState, _ context: StepContext) async throws {
        let client = try clients(context)
        // 1. Give the behavior back its original association, and let CloudFront deploy that.
        for resource in state.resources where resource.type == "association" {
            if let memory = context.recall("association", as: AssociationMemory.self) {
                let functionArn = state.resources.first { $0.type == "function" }?.attributes["arn"]
                try await setAssociation(memory.original, replacing: { arn in functionArn.map { arn?.hasPrefix($0 + ":") ?? false } ?? false },
                                         distribution: memory.distribution, pathPattern: memory.pathPattern, eventType: memory.eventType, context)
            }
            try context.release(resource)
        }
        // 2. The function: CloudFront keeps replicas for hours after the association is gone.
        for resource in state.resources where resource.type == "function" {
            if resource.adopted {
                try context.release(resource)
                continue
            }
            if context.options["retain-function"] != nil {
                context.progress("keeping function \(resource.id) (--retain-function); delete it yourself once CloudFront has removed its replicas")
                try context.release(resource)
                continue
            }
            do {
                try await context.perform("delete function \(resource.id)") {
                    do { try await client.lambda.deleteFunction(name: resource.id) } catch where error.isAWSNotFound {}
                }
            } catch where Self.isReplicated(error) {
                throw TeardownPending("function \(resource.id) is still replicated by CloudFront (replicas are removed a few hours after the association is); run 'ldedge teardown\(context.deployment.envFlag)' again later (or 'ldedge gc'), it resumes here, or pass --retain-function to keep the function")
            }
            try context.release(resource)
        }
        for resource in state.resources where resource.type == "role-policy" {
            try await removeTableAccess(role: resource.attributes["role"] ?? "", policy: resource.attributes["policy"] ?? Self.tableReadPolicyName, context)
        }
        // 3. The role, once nothing runs as it.
        for resource in state.resources where resource.type == "role" && !resource.adopted {
            try await context.deleteRole(resource.id, iam: try clients(context).iam)
            try context.release(resource)
        }
        try? FileManager.default.removeItem(at: context.workDirectory.appendingPathComponent("code"))
    }

    // MARK: Helpers

    static func isReplicated(_ error: Error) -> Bool {
        guard let service = (error as? AWSError)?.serviceError else { return false }
        return service.message.contains("replicated function")
    }

    /// Sets the association for one event type to `arn` (nil removes it), only while `replacing` accepts the current one.
    func setAssociation(_ arn: String?, replacing: @escaping (String?) -> Bool, distribution: String, pathPattern: String?, eventType: String,
                        _ context: StepContext) async throws {
        guard let event = CloudFrontEventType(rawValue: eventType) else { return }
        let cloudFront = try clients(context).cloudFront
        let changed: Bool = try await context.perform("point \(eventType) of distribution \(distribution) back at \(arn ?? "nothing")") {
            do {
                let updated = try await cloudFront.updateDistribution(id: distribution) { config in
                    let current = config.lambdaFunctionAssociations(pathPattern: pathPattern).first { $0.eventType == event }?.lambdaFunctionARN
                    guard replacing(current) else { return }
                    try config.setLambdaFunctionAssociation(arn, eventType: event, pathPattern: pathPattern)
                }
                return updated != nil
            } catch where error.isAWSNotFound {
                return false
            }
        }
        if changed && context.options["no-wait"] == nil {
            try await waitDeployed(distribution, context)
        }
    }

    /// Deletes a function or one version, waiting (up to `replicaWait`) while CloudFront still replicates it.
    func deleteWaitingForReplicas(_ function: String, qualifier: String?, _ context: StepContext) async throws {
        let lambda = try clients(context).lambda
        let budget = input.replicaWait ?? 120
        let start = Date()
        let label = qualifier.map { "version \($0) of function \(function)" } ?? "function \(function)"
        while true {
            do {
                try await context.perform("delete \(label)") {
                    do { try await lambda.deleteFunction(name: function, qualifier: qualifier) } catch where error.isAWSNotFound {}
                }
                return
            } catch where Self.isReplicated(error) {
                let waited = Int(Date().timeIntervalSince(start))
                if waited >= budget { throw AttachTriggerError.replicated(function: label, waited: waited) }
                context.status("waiting for CloudFront to release the replicas of \(label): \(Elapsed.format(Double(waited)))")
                try await Task.sleep(nanoseconds: UInt64(min(max(pollInterval, 0.2), 10) * 1e9))
            }
        }
    }

    func restoreCode(_ undo: CodeUndo, _ context: StepContext) async throws {
        guard let sha = undo.codeSha256 else { return }
        let lambda = try clients(context).lambda
        let current: LambdaFunctionConfiguration
        do {
            current = try await lambda.getFunctionConfiguration(name: undo.function)
        } catch where error.isAWSNotFound {
            return
        }
        if current.codeSha256 == sha { return }
        // The copy in the state backend; earlier releases kept it only in the local work folder.
        let name = Self.codeFileName(sha)
        let legacy = context.workDirectory.appendingPathComponent("code").appendingPathComponent(name)
        guard let zip = try await context.keptCopy(name) ?? FileManager.default.contents(atPath: legacy.path) else {
            throw AttachTriggerError.codeNotKept(function: undo.function)
        }
        try await context.perform("put back the previous code of function \(undo.function)") {
            _ = try await lambda.waitUntilUpdated(name: undo.function, pollInterval: min(pollInterval, 1))
            try await lambda.updateFunctionCode(name: undo.function, zipFile: zip)
            _ = try await lambda.waitUntilUpdated(name: undo.function, pollInterval: min(pollInterval, 1))
        }
    }

}
