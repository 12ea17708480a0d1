import Foundation

/// An access key pair with an optional session token and expiry.
///
/// The secret and the token never appear in `description`, `debugDescription`,
/// mirrors or errors: printing or logging a value of this type is safe.
public struct AWSCredentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let accessKeyId: String
    public let secretAccessKey: String
    public let sessionToken: String?
    public let expiration: Date?
    /// Where these came from ("environment", "profile dev", "web identity"), for messages.
    public let source: String

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil, source: String = "static") {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
        self.source = source
    }

    /// True when the credentials expire within `window` seconds of `now`.
    public func expires(within window: TimeInterval, now: Date = Date()) -> Bool {
        guard let expiration else { return false }
        return expiration.timeIntervalSince(now) <= window
    }

    public var description: String {
        var parts = ["accessKeyId: \(accessKeyId)", "secretAccessKey: <redacted>"]
        if sessionToken != nil { parts.append("sessionToken: <redacted>") }
        if let expiration { parts.append("expiration: \(ISO8601DateFormatter().string(from: expiration))") }
        parts.append("source: \(source)")
        return "AWSCredentials(\(parts.joined(separator: ", ")))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["accessKeyId": accessKeyId, "source": source, "expiration": expiration as Any], displayStyle: .struct)
    }
}

/// Something that can produce credentials, possibly by calling STS.
public protocol AWSCredentialProvider: Sendable {
    /// Credentials valid for at least the next few minutes.
    func credentials() async throws -> AWSCredentials
    /// A short name for error messages ("environment variables", "profile dev").
    var name: String { get }
}

/// Always returns the same credentials (tests, explicit configuration).
public struct StaticCredentialProvider: AWSCredentialProvider {
    public let value: AWSCredentials
    public var name: String { "static credentials" }
    public init(_ value: AWSCredentials) { self.value = value }
    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        value = AWSCredentials(accessKeyId: accessKeyId, secretAccessKey: secretAccessKey, sessionToken: sessionToken)
    }
    public func credentials() async throws -> AWSCredentials { value }
}

/// Why a credential source could not provide credentials.
public enum CredentialError: Error, CustomStringConvertible, Sendable {
    /// The source is not configured at all; the chain moves on.
    case notConfigured(source: String, reason: String)
    /// The source is configured but broken; the chain stops and reports it.
    case invalid(source: String, reason: String)
    /// No source in the chain produced credentials.
    case noCredentials(tried: [String])

    public var description: String {
        switch self {
        case let .notConfigured(source, reason):
            return "\(source): \(reason)"
        case let .invalid(source, reason):
            return "AWS credentials from \(source) are unusable: \(reason)"
        case let .noCredentials(tried):
            return "no AWS credentials found. Tried, in order:\n"
                + tried.map { "  - \($0)" }.joined(separator: "\n")
                + "\nSet AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with a profile in ~/.aws/credentials or ~/.aws/config, or AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE."
        }
    }
}

/// Tries providers in order and returns the first that is configured.
public struct CredentialProviderChain: AWSCredentialProvider {
    public let providers: [any AWSCredentialProvider]
    public var name: String { "credential chain" }

    public init(_ providers: [any AWSCredentialProvider]) { self.providers = providers }

    public func credentials() async throws -> AWSCredentials {
        var tried: [String] = []
        for provider in providers {
            do {
                return try await provider.credentials()
            } catch let CredentialError.notConfigured(source, reason) {
                tried.append("\(source): \(reason)")
            }
        }
        throw CredentialError.noCredentials(tried: tried)
    }
}

/// Caches credentials from a provider and refreshes them before they expire.
///
/// Concurrent callers share one refresh. Credentials are refreshed when fewer than
/// `refreshWindow` seconds remain (5 minutes by default, as the AWS SDKs do).
public actor RefreshingCredentialProvider: AWSCredentialProvider {
    public nonisolated let base: any AWSCredentialProvider
    public nonisolated let refreshWindow: TimeInterval
    private let clock: @Sendable () -> Date
    private var cached: AWSCredentials?
    private var inFlight: Task<AWSCredentials, Error>?

    public nonisolated var name: String { base.name }

    public init(_ base: any AWSCredentialProvider, refreshWindow: TimeInterval = 300, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.base = base
        self.refreshWindow = refreshWindow
        self.clock = clock
    }

    public func credentials() async throws -> AWSCredentials {
        if let cached, !cached.expires(within: refreshWindow, now: clock()) { return cached }
        if let inFlight { return try await inFlight.value }
        let base = self.base
        let task = Task { try await base.credentials() }
        inFlight = task
        defer { inFlight = nil }
        let fresh = try await task.value
        cached = fresh
        return fresh
    }
}
