import Foundation

/// Settings shared by every step of a workflow (`aws:` and `launchdarkly:` at the top level).
public struct WorkflowSettings: Codable, Sendable, Equatable {
    public struct AWS: Codable, Sendable, Equatable {
        public var region: String?
        public var profile: String?
        public var endpoint: String?
    }

    public struct LaunchDarkly: Codable, Sendable, Equatable {
        public var project: String?
        public var environment: String?
        public var baseUri: String?
        public var accessToken: String?
    }

    public var aws: AWS?
    public var launchdarkly: LaunchDarkly?

    public init(aws: AWS? = nil, launchdarkly: LaunchDarkly? = nil) {
        self.aws = aws
        self.launchdarkly = launchdarkly
    }

    static let awsFields: [InputField] = [
        InputField("region", .string, "AWS region for regional calls; Lambda@Edge itself always lives in us-east-1"),
        InputField("profile", .string, "profile in ~/.aws/config to take credentials from"),
        InputField("endpoint", .string, "endpoint URL for every AWS service (an emulator); AWS_ENDPOINT_URL does the same"),
    ]

    static let launchDarklyFields: [InputField] = [
        InputField("project", .string, default: "default", "LaunchDarkly project key"),
        InputField("environment", .string, default: "production", "LaunchDarkly environment key"),
        InputField("baseUri", .string, default: "https://app.launchdarkly.com", "LaunchDarkly base URI (LD_BASE_URI does the same)"),
        InputField("accessToken", .string, secret: true, "API access token; write ${secret:LD_ACCESS_TOKEN} (LD_ACCESS_TOKEN is read when absent)"),
    ]
}

/// One step of a checked workflow.
public struct WorkflowStep: Sendable {
    public var id: String
    public var kind: String
    /// The `with:` mapping as JSON; env, secret and workflow references are resolved, step
    /// output references are kept as `${steps.ID.outputs.NAME}` until those outputs exist.
    public var input: JSONValue
    /// Steps this one must follow: referenced outputs and `needs:`.
    public var dependencies: [String]
    public var location: SourceLocation
    /// Where each input value (`with.source.git`) and each key (`key:with.source.git`) is in the
    /// file, for later findings.
    public var locations: [String: SourceLocation]
    /// `timeout:` in seconds: how long one call of an external step plugin may take (nil: its default).
    public var timeout: Double? = nil

    public func location(of path: [String], anchor: InputIssue.Anchor = .key) -> SourceLocation {
        var path = path
        while !path.isEmpty {
            let dotted = (["with"] + path).joined(separator: ".")
            let key = anchor == .key ? locations["key:" + dotted] : nil
            if let location = key ?? locations[dotted] { return location }
            path.removeLast()
        }
        return locations["with"] ?? location
    }
}

/// A parsed and checked workflow file, its steps in execution order.
public struct Workflow: Sendable {
    public var name: String
    public var summary: String?
    public var file: String
    public var directory: URL
    public var settings: WorkflowSettings
    public var steps: [WorkflowStep]
    /// The `${secret:NAME}` expression each secret value came from, so it is never written out.
    public var secretSources: [String: String] = [:]
    /// Top-level `state: s3://BUCKET/PREFIX`: where the state is shared (nil: `.ldedge/`).
    public var state: String?
    /// Top-level `stateKmsKey`: remote state objects are encrypted with `aws:kms` and this key.
    public var stateKmsKey: String?
    /// `--env NAME` (or `LDEDGE_ENV`): the environment this workflow was loaded for; nil without one.
    public var environment: String?

    /// The workflow with its environment: what names its state and its resources.
    public var deployment: Deployment { Deployment(workflow: name, environment: environment) }
    /// Where its state lives under a state location (`rebrand`, `rebrand/env/pr-42`).
    public var stateKey: String { deployment.stateKey }

    public func step(_ id: String) -> WorkflowStep? { steps.first { $0.id == id } }
}
