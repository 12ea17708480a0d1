import AWS
import AWSStepSupport
import Foundation
import LDEdgeKit

/// What `plan` found, handed to `apply`.
struct TriggerPlan: Codable, Sendable {
    var roleArn: String?
    var createRole = false
    var functionExists = false
    var updateCode = false
    var updateConfig = false
    var publish = false
    /// The version to attach when nothing needs publishing.
    var version: String?
    var associate = false
    var previousAssociation: String?
    var codeSha256: String?
}

extension AttachTriggerStep {
    public func plan(_ context: StepContext) async throws -> StepPlan {
        let client = try clients(context)
        let limits = EdgeLimits.of(eventType)
        // The input rules (`validate`) were checked by the engine, each located at its key.
        var findings: [Diagnostic] = []
        var changes: [PlannedChange] = []
        var data = TriggerPlan()

        // The package: size limit of the event type, and its CodeSha256.
        var sha = input.sha256.flatMap { context.isKnown($0) ? $0 : nil }
        if context.isKnown(input.zip) {
            let url = context.resolvePath(input.zip)
            if let size = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? Int {
                if size > limits.maxZipBytes {
                    findings.append(.error("the package \(input.zip) is \(Self.megabytes(size)) zipped; \(eventType.rawValue) functions may be at most \(Self.megabytes(limits.maxZipBytes)): trim dependencies or use an origin event (50 MB)"))
                }
                if sha == nil, let body = FileManager.default.contents(atPath: url.path) { sha = ContentDigest.lambdaCodeSha256(body) }
            } else if sha == nil {
                findings.append(.error(AttachTriggerError.zipMissing(url.path).description))
            }
            // A missing zip that comes with its sha256 (package-zip's outputs) is built by an
            // earlier step of this run; its size is checked by the re-plan just before apply.
        }
        data.codeSha256 = sha

        // The distribution and the behavior to attach to.
        let target = "\(input.distribution) \(input.pathPattern.map { "behavior \($0)" } ?? "default behavior") \(eventType.rawValue)"
        if context.isKnown(input.distribution) {
            do {
                let config = try await client.cloudFront.getDistributionConfig(id: input.distribution).config
                if !config.hasBehavior(pathPattern: input.pathPattern) {
                    findings.append(.error("distribution \(input.distribution) has no cache behavior for path pattern \(input.pathPattern ?? ""); use one of: \(config.cacheBehaviorPathPatterns.joined(separator: ", ")), or remove pathPattern for the default behavior"))
                }
                data.previousAssociation = config.lambdaFunctionAssociations(pathPattern: input.pathPattern).first { $0.eventType == eventType }?.lambdaFunctionARN
            } catch where error.isAWSNotFound {
                findings.append(.error("distribution \(input.distribution) does not exist; check 'distribution' (usually the edge-distribution step's id output)"))
            }
        }

        // The execution role.
        if let role = input.role {
            if context.isKnown(role) {
                let name = String(role.split(separator: "/").last ?? "")
                if let existing = try await client.iam.roleIfPresent(name: name) {
                    if !EdgeLimits.trusts(existing.assumeRolePolicyDocument) {
                        findings.append(.error("role \(name) must trust both lambda.amazonaws.com and edgelambda.amazonaws.com; add edgelambda.amazonaws.com to its trust policy or remove 'role' to let ldedge create one"))
                    }
                    data.roleArn = existing.arn
                } else {
                    findings.append(.error("role \(role) does not exist; create it or remove 'role' to let ldedge create one"))
                }
            }
        } else if let existing = try await client.iam.roleIfPresent(name: roleName(context)) {
            data.roleArn = existing.arn
            if !EdgeLimits.trusts(existing.assumeRolePolicyDocument) {
                findings.append(.error("role \(existing.roleName) no longer trusts both lambda.amazonaws.com and edgelambda.amazonaws.com; restore its trust policy"))
            }
        } else {
            data.createRole = true
            changes.append(PlannedChange(.create, "role \(roleName(context))", detail: "trusted by lambda.amazonaws.com and edgelambda.amazonaws.com, AWSLambdaBasicExecutionRole"))
        }

        if let access = try await planTableAccess(roleArn: data.roleArn, context) { changes.append(access) }

        // The function, its code and settings, and the version to attach.
        let lambda = client.lambda
        let name = functionName(context)
        var outputs: [String: String] = [:]
        if let function = try await lambda.functionIfPresent(name: name) {
            let current = function.configuration
            data.functionExists = true
            if let variables = current.environmentVariables, !variables.isEmpty {
                findings.append(.error("function \(name) has environment variables, which Lambda@Edge refuses; remove them from the function"))
            }
            if let layers = current.layerArns, !layers.isEmpty {
                findings.append(.error("function \(name) uses layers, which Lambda@Edge refuses; remove them from the function"))
            }
            if current.architectures?.contains("arm64") == true {
                findings.append(.error("function \(name) is arm64; Lambda@Edge runs x86_64 only: delete the function so ldedge recreates it"))
            }
            let differences = settingsDifferences(current, roleArn: data.roleArn)
            if !differences.isEmpty {
                data.updateConfig = true
                changes.append(PlannedChange(.update, "function \(name) configuration", detail: differences.joined(separator: ", ")))
            }
            if sha == nil || current.codeSha256 != sha {
                data.updateCode = true
                changes.append(PlannedChange(.update, "function \(name) code", before: current.codeSha256, after: sha ?? "(known after apply)"))
            }
            if !data.updateCode && !data.updateConfig {
                data.version = try await reusableVersion(function: current, sha: sha, previous: data.previousAssociation, lambda)
            }
            data.publish = data.version == nil
            let arn = current.functionArn
            outputs = ["functionArn": arn, "roleArn": current.role ?? data.roleArn ?? ""]
            if let version = data.version {
                outputs["version"] = version
                outputs["versionArn"] = "\(arn):\(version)"
            }
        } else {
            data.publish = true
            changes.append(PlannedChange(.create, "function \(name)", detail: "\(runtime), \(handler), \(memory) MB, \(timeout) s, us-east-1"))
        }
        if data.publish {
            changes.append(PlannedChange(.create, "version of \(name)", detail: "publish \(sha.map { "code \($0)" } ?? "the new code"); number known after apply"))
        }
        let newArn = data.version.flatMap { version in outputs["functionArn"].map { "\($0):\(version)" } }
        data.associate = data.publish || newArn != data.previousAssociation || !context.isKnown(input.distribution)
        if data.associate {
            changes.append(PlannedChange(.update, "distribution \(target)", before: data.previousAssociation ?? "(none)", after: newArn ?? "\(name):(known after apply)"))
        } else {
            changes.append(PlannedChange(.none, "function \(name):\(data.version ?? "") on distribution \(target)"))
        }
        let complete = !data.associate && !data.createRole && outputs["versionArn"] != nil
        return StepPlan(changes: changes, findings: findings, outputs: complete ? outputs : [:], data: try JSONValue(encoding: data))
    }

    /// What differs between the function's settings and the inputs ("memory 256 -> 128").
    func settingsDifferences(_ current: LambdaFunctionConfiguration, roleArn: String?) -> [String] {
        var differences: [String] = []
        if current.runtime != runtime { differences.append("runtime \(current.runtime ?? "-") -> \(runtime)") }
        if current.handler != handler { differences.append("handler \(current.handler ?? "-") -> \(handler)") }
        if current.memorySize != memory { differences.append("memory \(current.memorySize.map(String.init) ?? "-") -> \(memory)") }
        if current.timeout != timeout { differences.append("timeout \(current.timeout.map(String.init) ?? "-") -> \(timeout)") }
        if let roleArn, current.role != roleArn { differences.append("role \(current.role ?? "-") -> \(roleArn)") }
        return differences
    }

    /// A published version with this code and these settings, so nothing needs publishing:
    /// the attached one when it qualifies, otherwise the newest that does.
    func reusableVersion(function: LambdaFunctionConfiguration, sha: String?, previous: String?, _ lambda: LambdaClient) async throws -> String? {
        guard let sha else { return nil }
        let prefix = function.functionArn + ":"
        func qualifies(_ version: LambdaFunctionConfiguration) -> Bool {
            version.codeSha256 == sha && settingsDifferences(version, roleArn: function.role).isEmpty
        }
        if let previous, previous.hasPrefix(prefix) {
            let number = String(previous.dropFirst(prefix.count))
            if let attached = try? await lambda.getFunctionConfiguration(name: function.functionName, qualifier: number), qualifies(attached) {
                return number
            }
        }
        let versions = try await lambda.listVersionsByFunction(name: function.functionName)
        return versions.filter { $0.version != "$LATEST" && qualifies($0) }
            .compactMap { $0.version.flatMap(Int.init) }.max().map(String.init)
    }

    static func megabytes(_ bytes: Int) -> String {
        String(format: "%.2f MB", Double(bytes) / 1_048_576)
    }
}
