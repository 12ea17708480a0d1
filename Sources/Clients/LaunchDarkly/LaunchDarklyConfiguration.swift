import Foundation

/// Where and how the client talks to LaunchDarkly.
///
/// The access token is deliberately absent from `description`, `debugDescription`
/// and reflection so it can never reach a log, plan or state file.
public struct LaunchDarklyConfiguration: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// `https://app.launchdarkly.com`; EU (`https://app.eu.launchdarkly.com`) and federal hosts work the same.
    public static let defaultBaseURI = "https://app.launchdarkly.com"
    /// The REST API version sent as `LD-API-Version` on every call.
    public static let apiVersion = "20240415"

    public var accessToken: String
    /// Scheme and host (and optional port), without a trailing slash.
    public var baseURI: String
    /// When true every mutating call throws `LaunchDarklyError.dryRun` instead of sending.
    public var dryRun: Bool
    /// How many times a 429 is retried before giving up.
    public var maxRateLimitRetries: Int
    /// Upper bound of a single wait after a 429, in seconds.
    public var maxRetryDelay: TimeInterval
    /// Per-request timeout in seconds.
    public var timeout: TimeInterval
    /// Called after every request that reached the server (also each retry), and for each blocked dry-run call.
    public var observer: (@Sendable (LaunchDarklyRequestRecord) -> Void)?

    public init(
        accessToken: String,
        baseURI: String = LaunchDarklyConfiguration.defaultBaseURI,
        dryRun: Bool = false,
        maxRateLimitRetries: Int = 3,
        maxRetryDelay: TimeInterval = 30,
        timeout: TimeInterval = 30,
        observer: (@Sendable (LaunchDarklyRequestRecord) -> Void)? = nil
    ) {
        self.accessToken = accessToken
        var base = baseURI.trimmingCharacters(in: .whitespaces)
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURI = base
        self.dryRun = dryRun
        self.maxRateLimitRetries = maxRateLimitRetries
        self.maxRetryDelay = maxRetryDelay
        self.timeout = timeout
        self.observer = observer
    }

    /// Reads `LD_ACCESS_TOKEN` and `LD_BASE_URI`; explicit arguments (from the workflow) win over the environment.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment,
        accessToken: String? = nil,
        baseURI: String? = nil,
        dryRun: Bool = false
    ) throws -> LaunchDarklyConfiguration {
        let token = nonEmpty(accessToken) ?? nonEmpty(environment["LD_ACCESS_TOKEN"])
        guard let token else { throw LaunchDarklyError.missingAccessToken }
        let base = nonEmpty(baseURI) ?? nonEmpty(environment["LD_BASE_URI"]) ?? defaultBaseURI
        guard let url = URL(string: base), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http", url.host != nil else {
            throw LaunchDarklyError.invalidBaseURI(base)
        }
        return LaunchDarklyConfiguration(accessToken: token, baseURI: base, dryRun: dryRun)
    }

    public var description: String {
        "LaunchDarklyConfiguration(baseURI: \(baseURI), accessToken: <redacted>, dryRun: \(dryRun))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["baseURI": baseURI, "accessToken": "<redacted>", "dryRun": dryRun])
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value = value?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }
}

/// One request as seen by the observer hook: never carries the access token.
public struct LaunchDarklyRequestRecord: Sendable {
    public var method: String
    /// Path and query, relative to the base URI (`/api/v2/flags/default/rebrand?env=production`).
    public var path: String
    public var contentType: String?
    public var requestBody: Data?
    /// HTTP status, or nil when the call was blocked by dry-run or failed in transport.
    public var status: Int?
    public var responseBody: Data?
    /// 1 for the first attempt, 2 for the first retry, ...
    public var attempt: Int
    public var blockedByDryRun: Bool
}
