import AWS
import AWSStepSupport
import Foundation
import LDEdgeKit

/// What `plan` found, handed to `apply`.
struct EdgePlan: Codable, Sendable {
    var storeName: String
    var functionName: String
    var code: String
    var storeArn: String?
    var functionArn: String?
    var functionExists = false
    var updateFunction = false
    var publish = false
    var previousAssociation: String?
    var associate = false
    /// The record to write; nil while the flag does not exist yet (a flip-flag step of this run creates it).
    var record: String?
    var currentRecord: String?
}

extension EdgeFunctionStep {
    public func plan(_ context: StepContext) async throws -> StepPlan {
        let client = try clients(context)
        let cloudFront = client.cloudFront
        var findings: [Diagnostic] = []
        var changes: [PlannedChange] = []
        let storeName = storeName(context)
        let functionName = functionName(context)

        // The function's code: rendered and checked before anything else.
        let code: FunctionCode
        do {
            code = try FunctionCode.render(settings: functionSettings(), context: context)
        } catch let error as EdgeFunctionError {
            return StepPlan(findings: [.error(error.description)])
        }
        var data = EdgePlan(storeName: storeName, functionName: functionName, code: code.text)

        // The flag, as the SDKs see it, and its record.
        do {
            let source = try await FlagSource.resolve(self, context)
            if let flag = try await source.flag(input.flag) {
                data.record = try FlagRecord.make(flag, key: input.flag)
            }
        } catch let error as EdgeFunctionError {
            var finding = Diagnostic.error(error.description)
            finding.inputPath = ["flag"]
            findings.append(finding)
        } catch {
            findings.append(.error("could not read flag '\(input.flag)' from LaunchDarkly's SDK endpoint: \(Secrets.shared.redact("\(error)"))"))
        }

        // The store.
        if let store = try await cloudFront.keyValueStoreIfPresent(name: storeName) {
            data.storeArn = store.arn
        } else {
            changes.append(PlannedChange(.create, "key value store \(storeName)", detail: "one record per flag, at most 1 KB each"))
        }

        // The function: its development code and store, and what runs (LIVE).
        let size = String(format: "%.1f KB of 10 KB", Double(code.text.utf8.count) / 1024)
        if let function = try await cloudFront.functionIfPresent(name: functionName) {
            data.functionExists = true
            data.functionArn = function.arn
            let current = try await cloudFront.getFunction(name: functionName).code
            if current != code.data || function.keyValueStoreARNs != [data.storeArn ?? ""] || function.runtime != Self.runtime {
                data.updateFunction = true
                changes.append(PlannedChange(.update, "function \(functionName)", detail: "\(Self.runtime), \(size)"))
            }
            let live = try await cloudFront.functionIfPresent(name: functionName, stage: .live)
            let liveCode = live == nil ? nil : try await cloudFront.getFunction(name: functionName, stage: .live).code
            data.publish = data.updateFunction || liveCode != code.data || live?.keyValueStoreARNs != function.keyValueStoreARNs
        } else {
            data.publish = true
            changes.append(PlannedChange(.create, "function \(functionName)", detail: "\(Self.runtime), viewer-request, \(size), reads store \(storeName)"))
        }
        if data.publish { changes.append(PlannedChange(.update, "function \(functionName) LIVE stage", detail: "publish")) }

        // The association on the distribution's behavior.
        let target = "\(input.distribution) \(input.pathPattern.map { "behavior \($0)" } ?? "default behavior") \(Self.eventType)"
        if context.isKnown(input.distribution) {
            do {
                let config = try await cloudFront.getDistributionConfig(id: input.distribution).config
                if !config.hasBehavior(pathPattern: input.pathPattern) {
                    findings.append(.error("distribution \(input.distribution) has no cache behavior for path pattern \(input.pathPattern ?? ""); remove pathPattern for the default behavior"))
                }
                if let lambda = config.lambdaFunctionAssociations(pathPattern: input.pathPattern).first(where: { $0.eventType == .viewerRequest }) {
                    findings.append(.error("distribution \(target) already runs Lambda@Edge function \(lambda.lambdaFunctionARN); CloudFront allows one viewer-request function per behavior: remove the attach-trigger step (or its association) first"))
                }
                data.previousAssociation = config.functionAssociations(pathPattern: input.pathPattern).first { $0.eventType == Self.eventType }?.functionARN
            } catch where error.isAWSNotFound {
                findings.append(.error("distribution \(input.distribution) does not exist; check 'distribution' (usually the edge-distribution step's id output)"))
            }
        }
        data.associate = data.functionArn == nil || data.previousAssociation != data.functionArn
        if data.associate {
            changes.append(PlannedChange(.update, "distribution \(target)", before: data.previousAssociation ?? "(none)", after: data.functionArn ?? "\(functionName) (ARN known after apply)"))
        } else {
            changes.append(PlannedChange(.none, "function \(functionName) on distribution \(target)"))
        }

        // The record.
        if let storeArn = data.storeArn {
            data.currentRecord = try await client.keyValueStore.getKey(store: storeArn, key: recordKey)
        }
        if data.record == nil {
            changes.append(PlannedChange(.update, "record \(recordKey) in store \(storeName)", detail: "written once flag '\(input.flag)' exists (known after apply)"))
        } else if data.record != data.currentRecord {
            changes.append(PlannedChange(data.currentRecord == nil ? .create : .update, "record \(recordKey) in store \(storeName)",
                                         before: data.currentRecord.map { FlagRecord.summary($0) }, after: FlagRecord.summary(data.record)))
        }

        changes += try await planReconciler(context)

        var outputs: [String: String] = [:]
        if let functionArn = data.functionArn, let storeArn = data.storeArn, let record = data.record {
            outputs = ["functionArn": functionArn, "storeArn": storeArn, "recordKey": recordKey, "record": record, "newPrefix": newPrefix, "distribution": input.distribution]
        }
        let complete = !changes.contains { $0.action != .none }
        return StepPlan(changes: changes, findings: findings, outputs: complete ? outputs : [:], data: try JSONValue(encoding: data))
    }
}
