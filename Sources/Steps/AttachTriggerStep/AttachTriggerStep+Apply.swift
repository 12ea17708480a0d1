import AWS
import Foundation
import LDEdgeKit

/// The association ldedge changed, as it was before ldedge first touched it.
struct AssociationMemory: Codable, Sendable {
    var distribution: String
    var pathPattern: String?
    var eventType: String
    var original: String?
}

public struct AssociationUndo: Codable, Sendable {
    var distribution: String
    var pathPattern: String?
    var eventType: String
    var previous: String?
    var arn: String
}

public struct VersionsUndo: Codable, Sendable {
    var function: String
    /// Versions that existed before the publish; any other is this run's.
    var keep: [String]
}

public struct ConfigurationUndo: Codable, Sendable {
    var function: String
    var runtime: String?
    var handler: String?
    var memory: Int?
    var timeout: Int?
    var role: String?
}

public struct CodeUndo: Codable, Sendable {
    var function: String
    var codeSha256: String?
}

/// What an attach-trigger step undoes.
public enum AttachTriggerUndo: StepUndo {
    case deleteRole(String)
    case detachRolePolicy(role: String, policy: String)
    case deleteFunction(String)
    case restoreConfiguration(ConfigurationUndo)
    case restoreCode(CodeUndo)
    case deleteVersions(VersionsUndo)
    case restoreAssociation(AssociationUndo)
    case restoreRolePolicy(role: String, TableAccessUndo)

    public static let legacyActions: [String: @Sendable (UndoRecord) throws -> AttachTriggerUndo] = [
        "delete-role": { .deleteRole($0.resource) },
        "detach-role-policy": { .detachRolePolicy(role: $0.resource, policy: $0.data.stringValue ?? EdgeLimits.basicExecutionPolicy) },
        "delete-function": { .deleteFunction($0.resource) },
        "restore-function-configuration": { .restoreConfiguration(try $0.payload(ConfigurationUndo.self)) },
        "restore-function-code": { .restoreCode(try $0.payload(CodeUndo.self)) },
        "delete-versions": { .deleteVersions(try $0.payload(VersionsUndo.self)) },
        "restore-association": { .restoreAssociation(try $0.payload(AssociationUndo.self)) },
        "restore-role-policy": { .restoreRolePolicy(role: $0.resource, try $0.payload(TableAccessUndo.self)) },
    ]
}

extension AttachTriggerStep {
    public func apply(_ plan: StepPlan, _ context: StepContext) async throws -> [String: String] {
        let data = try plan.data.decode(TriggerPlan.self)
        let client = try clients(context)
        let lambda = client.lambda
        let name = functionName(context)
        let zipURL = context.resolvePath(input.zip)

        // Role.
        var roleArn = data.roleArn ?? input.role ?? ""
        if data.createRole {
            let roleName = roleName(context)
            let role = try await context.perform("create role \(roleName)", undo: AttachTriggerUndo.deleteRole(roleName)) {
                try await client.iam.createRole(name: roleName, assumeRolePolicyDocument: EdgeLimits.trustPolicy,
                                                description: "Lambda@Edge execution role of ldedge workflow \(context.workflowName)")
            }
            try context.own(Resource(type: "role", id: roleName, attributes: ["arn": role.arn]))
            try await context.perform("attach AWSLambdaBasicExecutionRole to role \(roleName)",
                                      undo: AttachTriggerUndo.detachRolePolicy(role: roleName, policy: EdgeLimits.basicExecutionPolicy)) {
                try await client.iam.attachRolePolicy(roleName: roleName, policyArn: EdgeLimits.basicExecutionPolicy)
            }
            roleArn = role.arn
        }
        try await applyTableAccess(roleArn: roleArn, context)

        // Function code and settings.
        guard let zip = FileManager.default.contents(atPath: zipURL.path) else { throw AttachTriggerError.zipMissing(zipURL.path) }
        let sha = ContentDigest.lambdaCodeSha256(zip)
        var function: LambdaFunctionConfiguration
        if !data.functionExists {
            let request = LambdaCreateFunctionRequest(
                functionName: name, runtime: runtime, role: roleArn, handler: handler, zipFile: zip,
                description: "Lambda@Edge \(eventType.rawValue) handler of ldedge workflow \(context.workflowName)", timeout: timeout, memorySize: memory)
            function = try await context.perform("create function \(name) in us-east-1", undo: AttachTriggerUndo.deleteFunction(name)) {
                try await createFunctionWaitingForRole(request, lambda, context)
            }
            try context.own(Resource(type: "function", id: name, attributes: ["arn": function.functionArn]))
            function = try await context.waiting("Lambda function \(name) becoming Active") {
                try await lambda.waitUntilActive(name: name, pollInterval: min(pollInterval, 1))
            }
        } else {
            function = try await lambda.getFunctionConfiguration(name: name)
            if !context.ownedResources.contains(where: { $0.type == "function" && $0.id == name }) {
                try context.own(Resource(type: "function", id: name, attributes: ["arn": function.functionArn], adopted: true))
            }
            if data.updateConfig {
                let undo = ConfigurationUndo(function: name, runtime: function.runtime, handler: function.handler, memory: function.memorySize,
                                             timeout: function.timeout, role: function.role)
                let update = LambdaFunctionConfigurationUpdate(runtime: runtime, role: roleArn.isEmpty ? nil : roleArn, handler: handler, timeout: timeout, memorySize: memory)
                try await context.perform("update configuration of function \(name)",
                                          undo: AttachTriggerUndo.restoreConfiguration(undo)) {
                    try await lambda.updateFunctionConfiguration(name: name, update)
                }
                function = try await lambda.waitUntilUpdated(name: name, pollInterval: min(pollInterval, 1))
            }
            if data.updateCode && function.codeSha256 != sha {
                try await context.perform("update code of function \(name) to \(sha)",
                                          undo: AttachTriggerUndo.restoreCode(CodeUndo(function: name, codeSha256: function.codeSha256))) {
                    try await lambda.updateFunctionCode(name: name, zipFile: zip)
                }
                function = try await lambda.waitUntilUpdated(name: name, pollInterval: min(pollInterval, 1))
            }
        }
        try await keepCode(zip, sha: sha, context)

        // Version.
        var version = data.version ?? ""
        if data.publish || data.version == nil {
            let before = try await lambda.listVersionsByFunction(name: name).compactMap(\.version).filter { $0 != "$LATEST" }
            let undo = AttachTriggerUndo.deleteVersions(VersionsUndo(function: name, keep: before))
            let published = try await context.perform("publish a version of function \(name)", undo: undo) {
                try await lambda.publishVersion(name: name, codeSha256: sha)
            }
            version = published.version ?? ""
            try rememberPublished(version, context)
            _ = try await context.waiting("Lambda version \(version) of \(name) becoming Active") {
                try await lambda.waitUntilActive(name: name, qualifier: version, pollInterval: min(pollInterval, 1))
            }
        }
        let versionArn = "\(function.functionArn):\(version)"

        // Association.
        let current = try await client.cloudFront.getDistributionConfig(id: input.distribution).config
        let previous = current.lambdaFunctionAssociations(pathPattern: input.pathPattern).first { $0.eventType == eventType }?.lambdaFunctionARN
        if previous != versionArn {
            if context.recall("association", as: AssociationMemory.self) == nil {
                try context.remember("association", AssociationMemory(distribution: input.distribution, pathPattern: input.pathPattern,
                                                                      eventType: eventType.rawValue, original: previous))
            }
            let undo = AssociationUndo(distribution: input.distribution, pathPattern: input.pathPattern, eventType: eventType.rawValue,
                                       previous: previous, arn: versionArn)
            try await context.perform("point \(eventType.rawValue) of distribution \(input.distribution) at \(name):\(version)",
                                      undo: AttachTriggerUndo.restoreAssociation(undo)) {
                try await client.cloudFront.updateDistribution(id: input.distribution) { config in
                    try config.setLambdaFunctionAssociation(versionArn, eventType: eventType, includeBody: input.includeBody ?? false, pathPattern: input.pathPattern)
                }
            }
            let key = "\(input.distribution)/\(input.pathPattern ?? "default")/\(eventType.rawValue)"
            if !context.ownedResources.contains(where: { $0.type == "association" && $0.id == key }) {
                try context.own(Resource(type: "association", id: key, attributes: ["distribution": input.distribution]))
            }
            if context.options["no-wait"] == nil {
                try await waitDeployed(input.distribution, context)
            }
        }
        return ["functionArn": function.functionArn, "version": version, "versionArn": versionArn, "roleArn": function.role ?? roleArn]
    }

    /// CreateFunction, retried while a new role is not yet assumable (IAM is eventually consistent).
    func createFunctionWaitingForRole(_ request: LambdaCreateFunctionRequest, _ lambda: LambdaClient, _ context: StepContext) async throws -> LambdaFunctionConfiguration {
        let deadline = Date().addingTimeInterval(60)
        while true {
            do {
                return try await lambda.createFunction(request)
            } catch let error as AWSError where error.code == "InvalidParameterValueException"
                        && (error.serviceError?.message.contains("cannot be assumed") ?? false) && Date() < deadline {
                context.progress("waiting for role \(request.role) to become usable by Lambda")
                try await Task.sleep(nanoseconds: 3_000_000_000)
            }
        }
    }

    /// Keeps the deployed package in the state backend (and names it in the step's memory, so it
    /// stays while the function runs it): a later run on any machine that replaces this code can
    /// put it back on rollback.
    func keepCode(_ zip: Data, sha: String, _ context: StepContext) async throws {
        let name = Self.codeFileName(sha)
        try await context.keepCopy(name, zip)
        if context.recall("code", as: String.self) != name { try context.remember("code", name) }
    }

    static func codeFileName(_ sha: String) -> String {
        sha.replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "+", with: "-") + ".zip"
    }

    func waitDeployed(_ distribution: String, _ context: StepContext) async throws {
        let cloudFront = try clients(context).cloudFront
        _ = try await context.waiting("CloudFront deploying distribution \(distribution)") {
            try await cloudFront.waitUntilDeployed(id: distribution, timeout: waitTimeout, pollInterval: pollInterval)
        }
    }
}
