import AWS
import AWSStepSupport
import Foundation
import LDEdgeKit

/// A CloudFront distribution in front of a private S3 bucket (Origin Access Control), or an adopted one.
///
/// Dry run: shows the Origin Access Control, distribution and bucket policy statement it would create,
/// or the settings (comment, price class, default root object) it would change; an adopted id that
/// does not exist is an error.
///
/// Rollback: disables and deletes a distribution this run created, deletes its Origin Access Control
/// and puts the bucket policy back exactly as it was.
///
/// Teardown: disables the distribution, waits for `Deployed`, deletes it (If-Match), then deletes the
/// Origin Access Control and the bucket policy statement it added. An adopted distribution is never deleted.
public struct EdgeDistributionStep: Step {
    public struct Input: Decodable, Sendable {
        public var bucket: String?
        public var origin: String?
        public var distribution: String?
        public var defaultRootObject: String?
        public var priceClass: String?
        public var comment: String?
        public var waitTimeout: Int?
        public var pollInterval: Double?
    }

    public static let kind = "edge-distribution"
    public static let summary = "Create a CloudFront distribution for a private S3 bucket (Origin Access Control), or adopt one by id"
    public static let documentation = """
        Dry run: lists the Origin Access Control, distribution and bucket policy statement to create, or the settings to change. \
        Rollback: deletes what this run created and restores the bucket policy. \
        Teardown: disables, waits for Deployed, deletes; removes the OAC and policy statement. Adopted distributions are never deleted.
        """
    public static let inputs: [InputField] = [
        InputField("bucket", .string, "the S3 bucket to serve (private; read through an Origin Access Control)"),
        InputField("origin", .string, "origin domain instead of a bucket (bucket.s3.REGION.amazonaws.com)"),
        InputField("distribution", .string, "id of an existing distribution to adopt instead of creating one (never deleted)"),
        InputField("defaultRootObject", .string, default: "index.html", "object served for /"),
        InputField("priceClass", .choice(["PriceClass_100", "PriceClass_200", "PriceClass_All"]), default: "PriceClass_100", "edge locations used"),
        InputField("comment", .string, "distribution comment (default: names the workflow)"),
        InputField("waitTimeout", .integer, default: "1800", "seconds to wait for Deployed"),
        InputField("pollInterval", .number, default: "20", "seconds between status checks while waiting"),
    ]
    public static let outputs: [OutputField] = [
        OutputField("id", "the distribution id (E...)", role: .distributionID),
        OutputField("domainName", "dxxxx.cloudfront.net"),
        OutputField("arn", "the distribution ARN"),
    ]

    public let id: String
    public let input: Input

    public init(id: String, input: Input) {
        self.id = id
        self.input = input
    }

    public static func validate(_ input: Input) -> [InputIssue] {
        var issues: [InputIssue] = []
        if input.distribution == nil && input.bucket == nil && input.origin == nil {
            issues.append(InputIssue([], "give 'bucket' (the site bucket) to create a distribution, or 'distribution' to adopt an existing one"))
        }
        if input.bucket != nil && input.origin != nil {
            issues.append(InputIssue(["origin"], "give either 'bucket' or 'origin', not both"))
        }
        if let timeout = input.waitTimeout, timeout < 0 {
            issues.append(InputIssue(["waitTimeout"], "waitTimeout must be 0 or more seconds"))
        }
        if let interval = input.pollInterval, interval <= 0 {
            issues.append(InputIssue(["pollInterval"], "pollInterval must be more than 0 seconds"))
        }
        return issues
    }

    var defaultRootObject: String { input.defaultRootObject ?? "index.html" }
    var priceClass: String { input.priceClass ?? "PriceClass_100" }
    var pollInterval: Double { input.pollInterval ?? 20 }
    var waitTimeout: Double { Double(input.waitTimeout ?? 1800) }
    func comment(_ context: StepContext) -> String {
        input.comment ?? "ldedge workflow \(context.workflowName)\(context.environmentName.map { ", environment \($0)" } ?? "") (step \(id))"
    }

    /// Names of what the step creates, stable per workflow and step.
    func resourceName(_ context: StepContext) -> String {
        let raw = "ldedge-\(context.workflowName)-\(id)"
        let cleaned = String(raw.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "-" })
        return context.scopedName(String(cleaned.prefix(64)), limit: 64)
    }

    func originDomain(_ context: StepContext, region: String) -> String? {
        if let origin = input.origin { return origin }
        return input.bucket.map { "\($0).s3.\(region).amazonaws.com" }
    }

    // MARK: Plan

    public func plan(_ context: StepContext) async throws -> StepPlan {
        let client = try context.awsClient()
        let cloudFront = client.cloudFront
        if let adopt = input.distribution {
            guard context.isKnown(adopt) else {
                return StepPlan(changes: [PlannedChange(.none, "distribution (known after apply)", detail: "adopt; never deleted")])
            }
            guard let distribution = try await cloudFront.distributionIfPresent(id: adopt) else {
                return StepPlan(findings: [.error("distribution \(adopt) does not exist; check the id in 'distribution' (an adopted distribution must exist already), or remove it to create one")])
            }
            let owned = context.ownedResources.contains { $0.type == "distribution" && $0.id == adopt }
            return StepPlan(changes: [PlannedChange(.none, "distribution \(adopt)", detail: owned ? "adopted" : "adopt (never deleted)")],
                            outputs: try await outputs(distribution, client))
        }
        if let existingID = context.recall("distribution", as: String.self),
           let existing = try await cloudFront.distributionIfPresent(id: existingID) {
            var changes: [PlannedChange] = []
            let config = existing.config
            if config.comment != comment(context) {
                changes.append(PlannedChange(.update, "distribution \(existingID) comment", before: config.comment, after: comment(context)))
            }
            if (config.defaultRootObject ?? "") != defaultRootObject {
                changes.append(PlannedChange(.update, "distribution \(existingID) default root object", before: config.defaultRootObject, after: defaultRootObject))
            }
            if config.priceClass != priceClass {
                changes.append(PlannedChange(.update, "distribution \(existingID) price class", before: config.priceClass, after: priceClass))
            }
            if changes.isEmpty {
                changes.append(PlannedChange(.none, "distribution \(existingID)", detail: existing.status))
            }
            return StepPlan(changes: changes, outputs: try await outputs(existing, client), data: .string(existingID))
        }
        let bucket = input.bucket.map { context.isKnown($0) ? $0 : "(known after apply)" } ?? input.origin ?? ""
        var changes = [
            PlannedChange(.create, "origin access control \(resourceName(context))", detail: "sigv4, always sign"),
            PlannedChange(.create, "distribution", detail: "origin \(bucket), root object \(defaultRootObject), \(priceClass); id known after apply"),
        ]
        if input.bucket != nil {
            changes.append(PlannedChange(.update, "bucket policy of \(bucket)", detail: "add statement \(policySid(context)) letting the distribution read objects"))
        }
        if context.options["no-wait"] == nil {
            changes.append(PlannedChange(.none, "wait", detail: "until the distribution is Deployed (up to \(Int(waitTimeout)) s)"))
        }
        return StepPlan(changes: changes)
    }

    func policySid(_ context: StepContext) -> String {
        String(resourceName(context).filter { $0.isLetter || $0.isNumber }.prefix(64))
    }

    func outputs(_ distribution: Distribution, _ client: AWSClient) async throws -> [String: String] {
        var arn = distribution.arn
        if arn == nil {
            let account = try await client.sts.getCallerIdentity().account
            arn = "arn:aws:cloudfront::\(account):distribution/\(distribution.id)"
        }
        return ["id": distribution.id, "domainName": distribution.domainName, "arn": arn ?? ""]
    }

    // MARK: Apply

    public func apply(_ plan: StepPlan, _ context: StepContext) async throws -> [String: String] {
        let client = try context.awsClient()
        let cloudFront = client.cloudFront
        if let adopt = input.distribution {
            if !context.ownedResources.contains(where: { $0.type == "distribution" && $0.id == adopt }) {
                try context.own(Resource(type: "distribution", id: adopt, adopted: true))
            }
            let distribution = try await cloudFront.getDistribution(id: adopt)
            return try await outputs(distribution, client)
        }
        if let existingID = plan.data.stringValue {
            let before = try await currentSettings(existingID, cloudFront)
            try await context.perform("update distribution \(existingID) settings",
                                      undo: EdgeDistributionUndo.restoreSettings(distribution: existingID, before)) {
                try await cloudFront.updateDistribution(id: existingID) { config in
                    config.comment = comment(context)
                    config.setDefaultRootObject(defaultRootObject)
                    config.priceClass = priceClass
                }
            }
            return try await outputs(try await waitDeployed(existingID, context), client)
        }
        let name = resourceName(context)
        let oac = try await context.perform("create origin access control \(name)", undo: EdgeDistributionUndo.deleteOriginAccessControl(name: name)) {
            try await cloudFront.createOriginAccessControl(name: name, description: "ldedge: \(context.workflowName)")
        }
        try context.own(Resource(type: "origin-access-control", id: oac.id, attributes: ["name": name]))
        guard let domain = originDomain(context, region: client.configuration.region) else {
            throw EdgeDistributionError.noOrigin
        }
        let callerReference = "\(name)-\(UUID().uuidString.prefix(8).lowercased())"
        let config = try DistributionConfig.s3Origin(
            callerReference: callerReference, comment: comment(context), bucketDomainName: domain,
            originAccessControlId: oac.id, defaultRootObject: defaultRootObject, priceClass: priceClass)
        let created = try await context.perform(
            "create distribution for \(domain)",
            undo: EdgeDistributionUndo.deleteDistribution(callerReference: callerReference, comment: comment(context))
        ) {
            try await cloudFront.createDistribution(config)
        }
        try context.own(Resource(type: "distribution", id: created.id, attributes: ["callerReference": callerReference]))
        try context.remember("distribution", created.id)
        let result = try await outputs(created, client)
        if let bucket = input.bucket {
            try await addBucketPolicyStatement(bucket: bucket, distributionArn: result["arn"] ?? "", context, client.s3)
        }
        if context.options["no-wait"] == nil {
            _ = try await waitDeployed(created.id, context)
        }
        return result
    }

    func addBucketPolicyStatement(bucket: String, distributionArn: String, _ context: StepContext, _ s3: S3Client) async throws {
        let sid = policySid(context)
        let previous = try await s3.getBucketPolicy(bucket: bucket)
        let statement = BucketPolicy.cloudFrontReadStatement(sid: sid, bucket: bucket, distributionArn: distributionArn)
        guard let updated = try BucketPolicy.replacing(sid: sid, with: statement, in: previous), updated != previous else { return }
        let undo = EdgeDistributionUndo.restoreBucketPolicy(bucket: bucket, previous: previous)
        try await context.perform("let the distribution read bucket \(bucket) (policy statement \(sid))", undo: undo) {
            try await s3.putBucketPolicy(bucket: bucket, policy: updated)
        }
        try context.own(Resource(type: "bucket-policy-statement", id: "\(bucket)/\(sid)", attributes: ["bucket": bucket, "sid": sid]))
    }

    func currentSettings(_ id: String, _ cloudFront: CloudFrontClient) async throws -> DistributionSettings {
        let config = try await cloudFront.getDistributionConfig(id: id).config
        return DistributionSettings(comment: config.comment, defaultRootObject: config.defaultRootObject, priceClass: config.priceClass)
    }

    func waitDeployed(_ distributionID: String, _ context: StepContext) async throws -> Distribution {
        let cloudFront = try context.awsClient().cloudFront
        // The elapsed time ticks every second between polls (CloudFront takes minutes).
        return try await context.waiting("CloudFront deploying distribution \(distributionID)") {
            try await cloudFront.waitUntilDeployed(id: distributionID, timeout: waitTimeout, pollInterval: pollInterval)
        }
    }
}

/// The settings this step manages on a distribution it created, for rollback.
/// What an edge-distribution step undoes.
public enum EdgeDistributionUndo: StepUndo {
    /// Put back the bucket's policy as it was (nil: no policy).
    case restoreBucketPolicy(bucket: String, previous: String?)
    /// Delete the distribution created with this caller reference (found by it when the create's answer was lost).
    case deleteDistribution(callerReference: String, comment: String?)
    case deleteOriginAccessControl(name: String)
    case restoreSettings(distribution: String, DistributionSettings)

    public static let legacyActions: [String: @Sendable (UndoRecord) throws -> EdgeDistributionUndo] = [
        "restore-bucket-policy": { .restoreBucketPolicy(bucket: $0.resource, previous: $0.data.stringValue) },
        "delete-distribution": { .deleteDistribution(callerReference: $0.resource, comment: $0.data.stringValue) },
        "delete-oac": { .deleteOriginAccessControl(name: $0.resource) },
        "restore-settings": { .restoreSettings(distribution: $0.resource, try $0.payload(DistributionSettings.self)) },
    ]
}

public struct DistributionSettings: Codable, Sendable {
    var comment: String
    var defaultRootObject: String?
    var priceClass: String?
}

public enum EdgeDistributionError: Error, CustomStringConvertible {
    case noOrigin
    case missingETag(String)

    public var description: String {
        switch self {
        case .noOrigin: return "no origin: give 'bucket' or 'origin'"
        case .missingETag(let id): return "CloudFront did not return an ETag for distribution \(id); try again"
        }
    }
}
