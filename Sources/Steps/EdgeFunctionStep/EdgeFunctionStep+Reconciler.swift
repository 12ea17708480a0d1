import AWS
import AWSStepSupport
import Archive
import Foundation
import LDEdgeKit

/// The names of what the optional scheduled reconciler (`reconcile:`) consists of.
struct ReconcilerNames: Sendable {
    var region: String
    var schedule: String
    var function: String
    var role: String
    var secret: String
    var rule: String
}

/// `ldedge sync` deployed to AWS so it depends on no one's machine: a regular Lambda function
/// (Node.js, `templates/edge-function/reconciler.mjs`) that an EventBridge schedule runs, reading the
/// SDK key from Secrets Manager and writing the flag's record to the store (If-Match on its ETag).
extension EdgeFunctionStep {
    static let reconcilerRuntime = "nodejs20.x"
    static let basicExecutionPolicy = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"

    func reconcilerNames(_ context: StepContext) -> ReconcilerNames? {
        guard let schedule = input.reconcile else { return nil }
        let base = Deployment.fit(functionName(context) + "-sync", limit: 64)
        return ReconcilerNames(region: input.reconcileRegion ?? "us-east-1", schedule: schedule, function: base,
                               role: context.scopedName(Self.sanitized("ldedge-\(context.workflowName)-\(id)-sync", limit: 64), limit: 64),
                               secret: context.scopedName("ldedge/\(context.workflowName)/\(id)/sdk-key", limit: 512), rule: base)
    }

    static func validSchedule(_ value: String) -> Bool {
        (value.hasPrefix("rate(") || value.hasPrefix("cron(")) && value.hasSuffix(")")
    }

    /// What deploying the reconciler would create (nothing when it exists).
    func planReconciler(_ context: StepContext) async throws -> [PlannedChange] {
        guard let names = reconcilerNames(context) else { return [] }
        let aws = try context.awsClient(region: names.region)
        var changes: [PlannedChange] = []
        if try await aws.secretsManager.secretIfPresent(id: names.secret) == nil {
            changes.append(PlannedChange(.create, "secret \(names.secret) in \(names.region)", detail: "the SDK key the reconciler reads (never in state or logs)"))
        }
        if try await aws.iam.roleIfPresent(name: names.role) == nil {
            changes.append(PlannedChange(.create, "role \(names.role)", detail: "trusted by lambda.amazonaws.com; reads only that secret, writes only the store"))
        }
        if try await aws.lambda.functionIfPresent(name: names.function) == nil {
            changes.append(PlannedChange(.create, "function \(names.function) in \(names.region)", detail: "\(Self.reconcilerRuntime), ldedge sync of flag '\(input.flag)'"))
        }
        if try await aws.eventBridge.ruleIfPresent(name: names.rule) == nil {
            changes.append(PlannedChange(.create, "schedule \(names.rule) in \(names.region)", detail: "runs \(names.function) \(names.schedule)"))
        }
        return changes
    }

    /// Creates what is missing of the reconciler, each change journaled with its undo.
    func applyReconciler(storeArn: String, source: FlagSource, _ context: StepContext) async throws {
        guard let names = reconcilerNames(context) else { return }
        let aws = try context.awsClient(region: names.region)
        func own(_ type: String, _ id: String, _ attributes: [String: String] = [:]) throws {
            if !context.ownedResources.contains(where: { $0.type == type && $0.id == id }) {
                try context.own(Resource(type: type, id: id, attributes: attributes.merging(["region": names.region]) { _, new in new }))
            }
        }

        var secretArn = try await aws.secretsManager.secretIfPresent(id: names.secret)?.arn
        if secretArn == nil {
            let created = try await context.perform("create secret \(names.secret) in \(names.region)",
                                                    undo: EdgeFunctionUndo.deleteSecret(region: names.region, name: names.secret)) {
                try await aws.secretsManager.createSecret(name: names.secret, secretString: source.sdkKey,
                                                          description: "LaunchDarkly SDK key of ldedge workflow \(context.workflowName)")
            }
            secretArn = created.arn
            try own("reconciler-secret", names.secret)
        }

        var roleArn = try await aws.iam.roleIfPresent(name: names.role)?.arn
        if roleArn == nil {
            let role = try await context.perform("create role \(names.role)", undo: EdgeFunctionUndo.deleteRole(names.role)) {
                try await aws.iam.createRole(name: names.role, assumeRolePolicyDocument: Self.lambdaTrust,
                                             description: "edge-function reconciler of ldedge workflow \(context.workflowName)")
            }
            try own("reconciler-role", names.role)
            try await context.perform("attach AWSLambdaBasicExecutionRole to role \(names.role)") {
                try await aws.iam.attachRolePolicy(roleName: names.role, policyArn: Self.basicExecutionPolicy)
            }
            let policy = Self.reconcilerPolicy(secretArn: secretArn ?? "", storeArn: storeArn)
            try await context.perform("let role \(names.role) read the secret and write the store") {
                try await aws.iam.putRolePolicy(roleName: names.role, policyName: "ldedge-reconciler", policyDocument: policy)
            }
            roleArn = role.arn
        }

        var functionArn = try await aws.lambda.functionIfPresent(name: names.function)?.configuration.functionArn
        if functionArn == nil {
            let zip = try await reconcilerPackage(storeArn: storeArn, secretArn: secretArn ?? "", source: source, region: names.region, context)
            let request = LambdaCreateFunctionRequest(
                functionName: names.function, runtime: Self.reconcilerRuntime, role: roleArn ?? "", handler: "index.handler", zipFile: zip,
                description: "ldedge sync of flag '\(input.flag)' into \(storeArn)", timeout: 30, memorySize: 128)
            let created = try await context.perform("create function \(names.function) in \(names.region)",
                                                    undo: EdgeFunctionUndo.deleteLambda(region: names.region, name: names.function)) {
                try await aws.lambda.createFunction(request)
            }
            try own("reconciler-function", names.function)
            functionArn = created.functionArn
        }

        if try await aws.eventBridge.ruleIfPresent(name: names.rule) == nil {
            let ruleArn = try await context.perform("create schedule \(names.rule): \(names.schedule)",
                                                    undo: EdgeFunctionUndo.deleteRule(region: names.region, name: names.rule)) {
                try await aws.eventBridge.putRule(name: names.rule, scheduleExpression: names.schedule,
                                                  description: "ldedge sync of flag '\(input.flag)' (workflow \(context.workflowName))")
            }
            try own("reconciler-rule", names.rule)
            let target = functionArn ?? ""
            try await context.perform("let the schedule invoke \(names.function)") {
                try await aws.lambda.addPermission(function: names.function, statementId: "ldedge-schedule", principal: "events.amazonaws.com", sourceArn: ruleArn)
            }
            try await context.perform("point schedule \(names.rule) at \(names.function)") {
                try await aws.eventBridge.putTargets(rule: names.rule, id: "reconciler", arn: target)
            }
        }
    }

    /// The function's package: the reconciler as `index.mjs` and its `config.json`, zipped deterministically.
    func reconcilerPackage(storeArn: String, secretArn: String, source: FlagSource, region: String, _ context: StepContext) async throws -> Data {
        let folder = context.workDirectory.appendingPathComponent("reconciler")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let template = try FunctionCode.locate(context).deletingLastPathComponent().appendingPathComponent("reconciler.mjs")
        try Data(contentsOf: template).write(to: folder.appendingPathComponent("index.mjs"), options: .atomic)
        let config: JSONValue = .object([
            "storeArn": .string(storeArn), "flags": .array([.string(input.flag)]), "secretArn": .string(secretArn),
            "sdkBaseUri": .string(source.baseURI), "region": .string(region),
        ])
        try JSONEncoder.canonical.encode(config).write(to: folder.appendingPathComponent("config.json"), options: .atomic)
        return try await ZipWriter().zipInMemory(try FileTree.scan(folder.path)).0
    }

    /// Removes the schedule, the function, the role and the secret, each released once gone.
    func teardownReconciler(_ state: StepState, _ context: StepContext) async throws {
        let owned = state.resources
        for resource in owned where resource.type == "reconciler-rule" {
            try await deleteRule(resource.id, region: resource.attributes["region"] ?? "us-east-1", context)
        }
        for resource in owned where resource.type == "reconciler-function" {
            try await deleteLambda(resource.id, region: resource.attributes["region"] ?? "us-east-1", context)
        }
        for resource in owned where resource.type == "reconciler-role" {
            try await context.deleteRole(resource.id, iam: try context.awsClient(region: resource.attributes["region"] ?? "us-east-1").iam)
            try context.release(resource)
        }
        for resource in owned where resource.type == "reconciler-secret" {
            try await deleteSecret(resource.id, region: resource.attributes["region"] ?? "us-east-1", context)
        }
    }

    func deleteRule(_ name: String, region: String, _ context: StepContext) async throws {
        let events = try context.awsClient(region: region).eventBridge
        try await context.perform("delete schedule \(name)") {
            do {
                try await events.removeTargets(rule: name, ids: ["reconciler"])
                try await events.deleteRule(name: name)
            } catch where error.isAWSNotFound {}
        }
        for resource in context.ownedResources where resource.type == "reconciler-rule" && resource.id == name { try context.release(resource) }
    }

    func deleteLambda(_ name: String, region: String, _ context: StepContext) async throws {
        let lambda = try context.awsClient(region: region).lambda
        try await context.perform("delete function \(name)") {
            do { try await lambda.deleteFunction(name: name) } catch where error.isAWSNotFound {}
        }
        for resource in context.ownedResources where resource.type == "reconciler-function" && resource.id == name { try context.release(resource) }
    }

    func deleteSecret(_ name: String, region: String, _ context: StepContext) async throws {
        let secrets = try context.awsClient(region: region).secretsManager
        try await context.perform("delete secret \(name) (no recovery window)") {
            do { try await secrets.deleteSecret(id: name, forceDeleteWithoutRecovery: true) } catch where error.isAWSNotFound {}
        }
        for resource in context.ownedResources where resource.type == "reconciler-secret" && resource.id == name { try context.release(resource) }
    }

    static let lambdaTrust = """
        {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}
        """

    static func reconcilerPolicy(secretArn: String, storeArn: String) -> String {
        """
        {"Version":"2012-10-17","Statement":[\
        {"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"\(secretArn)"},\
        {"Effect":"Allow","Action":["cloudfront-keyvaluestore:DescribeKeyValueStore","cloudfront-keyvaluestore:GetKey",\
        "cloudfront-keyvaluestore:PutKey","cloudfront-keyvaluestore:DeleteKey"],"Resource":"\(storeArn)"}]}
        """
    }
}
