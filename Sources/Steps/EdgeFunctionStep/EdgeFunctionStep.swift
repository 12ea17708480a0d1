import AWS
import AWSStepSupport
import Foundation
import LDEdgeKit

/// Routes visitors to the old or the new site with a CloudFront Function (`cloudfront-js-2.0`,
/// viewer-request) that evaluates the LaunchDarkly flag itself, with LaunchDarkly's bucketing, from
/// one compact record per flag in a CloudFront KeyValueStore: no Lambda, no cold start.
///
/// Dry run: renders the function from `templates/edge-function` and checks it (at most 10 KB, only
/// what cloudfront-js-2.0 provides), reads the flag's targeting in the SDK representation and refuses
/// targeting the record cannot express (rules, individual targets, prerequisites, a bucket-by
/// attribute) with the target that supports it, and lists the store, function, publish, association
/// and record changes; nothing when all match.
///
/// Rollback: puts the record back exactly as it was (or deletes it), points the behavior back at its
/// previous function (or none), puts back the function's previous code and deletes what this run created.
///
/// Teardown: removes the association, waits for Deployed, deletes the function (no replica wait: a
/// CloudFront Function can be deleted once no distribution uses it) and the store; resumable.
public struct EdgeFunctionStep: Step {
    public enum Mode: String, Decodable, Sendable, CaseIterable {
        case redirect, rewrite
    }

    public struct Input: Decodable, Sendable {
        public var flag: String
        public var distribution: String
        public var oldPrefix: String?
        public var newPrefix: String?
        public var mode: Mode?
        public var pagesOnly: Bool?
        public var contextKey: String?
        public var contextKind: String?
        public var functionName: String?
        public var storeName: String?
        public var pathPattern: String?
        public var waitTimeout: Int?
        public var pollInterval: Double?
        public var sdkKey: String?
        public var reconcile: String?
        public var reconcileRegion: String?
    }

    public static let kind = "edge-function"
    public static let summary = "CloudFront Function (cloudfront-js-2.0) + KeyValueStore that evaluates the flag at the edge with LaunchDarkly's bucketing: no Lambda, no cold start"
    public static let documentation = """
        Dry run: renders and checks the function (<= 10 KB, cloudfront-js-2.0 only), refuses flag targeting the store record cannot express, \
        lists store, function, publish, association and record changes. \
        Rollback: restores the record exactly, the previous association and code, deletes what the run created. \
        Teardown: removes the association, waits for Deployed, deletes the function and the store.
        """
    public static let inputs: [InputField] = [
        InputField("flag", .string, required: true, "LaunchDarkly flag key (boolean: true sends visitors to the new site)"),
        InputField("distribution", .string, required: true, "CloudFront distribution id (edge-distribution's id output)"),
        InputField("oldPrefix", .string, default: "/site/", "path prefix of the old site"),
        InputField("newPrefix", .string, default: "/site/beta/", "path prefix of the new site"),
        InputField("mode", .choice(Mode.allCases.map(\.rawValue)), default: "redirect", "redirect: 302 to the new path; rewrite: serve the new site under the same URL"),
        InputField("pagesOnly", .boolean, default: "true", "route only pages (paths ending in /, .html or without an extension)"),
        InputField("contextKey", .string, default: "clientIp", "what identifies a visitor: clientIp, cookie:NAME or header:NAME (falls back to the client IP)"),
        InputField("contextKind", .string, default: "user", "LaunchDarkly context kind of the visitor"),
        InputField("functionName", .string, "CloudFront Function name (default: WORKFLOW-ID, at most 64 characters)"),
        InputField("storeName", .string, "KeyValueStore name (default: the function name with -flags)"),
        InputField("pathPattern", .string, "cache behavior path pattern (default: the default behavior)"),
        InputField("waitTimeout", .integer, default: "1800", "seconds to wait for the distribution to deploy"),
        InputField("pollInterval", .number, default: "20", "seconds between status checks"),
        InputField("sdkKey", .string, secret: true, "SDK key to read the flag with (else LD_SDK_KEY, else the LaunchDarkly environment's)"),
        InputField("reconcile", .string, "deploy ldedge sync to AWS on this EventBridge schedule (rate(1 minute), cron(...)): a Lambda function, its role and the SDK key in Secrets Manager"),
        InputField("reconcileRegion", .string, default: "us-east-1", "region of the scheduled reconciler (the store is global)"),
    ]
    public static let outputs: [OutputField] = [
        OutputField("functionArn", "the CloudFront Function ARN"),
        OutputField("storeArn", "the KeyValueStore ARN"),
        OutputField("recordKey", "the store key holding the flag's record"),
        OutputField("record", "the record the store holds (version, on/off, fallthrough)"),
        OutputField("newPrefix", "the new site's path prefix (what ldedge invoke counts as the new site)", role: .newSitePrefix),
        OutputField("distribution", "the distribution the function runs on", role: .distributionID),
    ]

    public let id: String
    public let input: Input

    public init(id: String, input: Input) {
        self.id = id
        self.input = input
    }

    static let eventType = "viewer-request"
    static let runtime = "cloudfront-js-2.0"

    var mode: Mode { input.mode ?? .redirect }
    var pollInterval: Double { input.pollInterval ?? 20 }
    var waitTimeout: Double { Double(input.waitTimeout ?? 1800) }
    var recordKey: String { input.flag }
    var newPrefix: String { input.newPrefix ?? "/site/beta/" }

    func functionName(_ context: StepContext) -> String {
        context.scopedName(input.functionName ?? Self.sanitized("\(context.workflowName)-\(id)", limit: 64), limit: 64)
    }

    func storeName(_ context: StepContext) -> String {
        input.storeName.map { context.scopedName($0, limit: 64) } ?? Deployment.fit(functionName(context) + "-flags", limit: 64)
    }

    /// Letters, digits, '-' and '_' (what CloudFront accepts), at most `limit` characters.
    static func sanitized(_ raw: String, limit: Int) -> String {
        String(String(raw.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") ? $0 : "-" }).prefix(limit))
    }

    public static func validate(_ input: Input) -> [InputIssue] {
        var issues: [InputIssue] = []
        if ContextKeySource(input.contextKey) == nil {
            issues.append(InputIssue(["contextKey"], "contextKey must be clientIp, cookie:NAME or header:NAME, found '\(input.contextKey ?? "")'"))
        }
        for (key, value) in [("functionName", input.functionName), ("storeName", input.storeName)] {
            guard let value, !value.contains("${") else { continue }
            if value.isEmpty || value.count > 64 || !value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
                issues.append(InputIssue([key], "\(key) must be 1-64 letters, digits, '-' and '_' (got '\(value)')"))
            }
        }
        for (key, value) in [("oldPrefix", input.oldPrefix), ("newPrefix", input.newPrefix)] {
            if let value, !value.contains("${"), !(value.hasPrefix("/") && value.hasSuffix("/")) {
                issues.append(InputIssue([key], "\(key) must start and end with '/' (got '\(value)')"))
            }
        }
        if let schedule = input.reconcile, !schedule.contains("${"), !validSchedule(schedule) {
            issues.append(InputIssue(["reconcile"], "reconcile must be an EventBridge schedule expression such as rate(1 minute) or cron(0/5 * * * ? *), found '\(schedule)'"))
        }
        if input.flag.utf8.count > 512 {
            issues.append(InputIssue(["flag"], "the flag key is the store key, at most 512 bytes"))
        }
        return issues
    }

    func clients(_ context: StepContext) throws -> AWSClient {
        try context.awsClient(region: "us-east-1")
    }
}

/// Where the visitor's context key comes from: the client IP, a cookie or a header.
struct ContextKeySource: Equatable {
    var source: String
    var name: String

    init?(_ raw: String?) {
        let value = raw ?? "clientIp"
        if value == "clientIp" {
            (source, name) = ("clientIp", "")
        } else if value.hasPrefix("cookie:"), value.count > 7 {
            (source, name) = ("cookie", String(value.dropFirst(7)))
        } else if value.hasPrefix("header:"), value.count > 7 {
            (source, name) = ("header", String(value.dropFirst(7)).lowercased())
        } else {
            return nil
        }
    }
}

public enum EdgeFunctionError: Error, CustomStringConvertible {
    case templateNotFound(searched: [String])
    case codeTooLarge(bytes: Int)
    case forbidden(String)
    case flagNotFound(flag: String)
    case unsupportedTargeting(flag: String, reasons: [String])
    case recordTooLarge(flag: String, bytes: Int)
    case noSDKKey
    case storeChanged(String)

    public var description: String {
        switch self {
        case .templateNotFound(let searched):
            return "the CloudFront Function template templates/edge-function/viewer-request.js was not found (searched \(searched.joined(separator: ", "))); set LDEDGE_TEMPLATES to the templates folder"
        case .codeTooLarge(let bytes):
            return "the CloudFront Function is \(bytes) bytes; CloudFront Functions allow at most 10240 (10 KB): shorten the prefixes or the template"
        case .forbidden(let what):
            return "the CloudFront Function uses \(what), which cloudfront-js-2.0 does not provide"
        case .flagNotFound(let flag):
            return "flag '\(flag)' is not in the LaunchDarkly environment's SDK data; create it (a flip-flag step before this one does) or fix 'flag'"
        case .unsupportedTargeting(let flag, let reasons):
            return "flag '\(flag)' uses \(reasons.joined(separator: ", ")), which the edge-function target cannot express (its store record holds on/off, the off variation and the fallthrough variation or percentage rollout only); remove that targeting, or use the Lambda@Edge target (build-handler + package-zip + attach-trigger), which evaluates it with the LaunchDarkly SDK"
        case .recordTooLarge(let flag, let bytes):
            return "the store record of flag '\(flag)' is \(bytes) bytes; a KeyValueStore value is at most 1024 (1 KB): use fewer or smaller variations"
        case .noSDKKey:
            return "no SDK key to read the flag with: set sdkKey (${secret:LD_SDK_KEY}), LD_SDK_KEY, or LD_ACCESS_TOKEN so ldedge reads the environment's key"
        case .storeChanged(let detail):
            return "the KeyValueStore changed while ldedge wrote it (\(detail)); run the command again"
        }
    }
}
extension EdgeFunctionStep: RolloutFollowerStep {}
