import Foundation
import Logging

/// How requests are retried: capped exponential backoff with full jitter.
public struct RetryPolicy: Sendable {
    /// Total attempts including the first (AWS "standard" mode uses 3).
    public var maxAttempts: Int
    /// The first backoff ceiling; doubles on every attempt.
    public var baseDelay: TimeInterval
    /// No single wait is longer than this (a `Retry-After` is honoured up to `maxRetryAfter`).
    public var maxDelay: TimeInterval
    public var maxRetryAfter: TimeInterval

    public init(maxAttempts: Int = 3, baseDelay: TimeInterval = 0.1, maxDelay: TimeInterval = 20, maxRetryAfter: TimeInterval = 60) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    public static let standard = RetryPolicy()
    public static let none = RetryPolicy(maxAttempts: 1)

    /// The wait before retry number `attempt` (1-based): uniform in [0, min(maxDelay, base * 2^(attempt-1))].
    public func delay(beforeRetry attempt: Int, retryAfter: TimeInterval?) -> TimeInterval {
        if let retryAfter { return min(max(0, retryAfter), maxRetryAfter) }
        let ceiling = min(maxDelay, baseDelay * pow(2, Double(max(0, attempt - 1))))
        return Double.random(in: 0...max(0, ceiling))
    }
}

/// Everything a client needs: region, credentials, endpoints, retries and the safety switches.
public struct AWSConfiguration: Sendable {
    public var region: String
    public var credentialProvider: any AWSCredentialProvider
    /// `AWS_ENDPOINT_URL`: one endpoint for every service (an emulator).
    public var endpointURL: URL?
    /// `AWS_ENDPOINT_URL_<SERVICE>`: per-service overrides, which win over `endpointURL`.
    public var serviceEndpoints: [AWSService: URL]
    public var retry: RetryPolicy
    /// When true every mutating call throws `AWSError.dryRun` instead of being sent.
    public var dryRun: Bool
    /// Called for every HTTP attempt (count calls, assert "no mutating calls").
    public var observer: (any AWSRequestObserver)?
    /// Force path-style S3 addressing; otherwise used for IP/localhost endpoints automatically.
    public var s3ForcePathStyle: Bool
    public var requestTimeout: TimeInterval
    public var logger: Logger

    public init(
        region: String,
        credentialProvider: any AWSCredentialProvider,
        endpointURL: URL? = nil,
        serviceEndpoints: [AWSService: URL] = [:],
        retry: RetryPolicy = .standard,
        dryRun: Bool = false,
        observer: (any AWSRequestObserver)? = nil,
        s3ForcePathStyle: Bool = false,
        requestTimeout: TimeInterval = 60,
        logger: Logger = Logger(label: "ldedge.aws")
    ) {
        self.region = region
        self.credentialProvider = credentialProvider
        self.endpointURL = endpointURL
        self.serviceEndpoints = serviceEndpoints
        self.retry = retry
        self.dryRun = dryRun
        self.observer = observer
        self.s3ForcePathStyle = s3ForcePathStyle
        self.requestTimeout = requestTimeout
        self.logger = logger
    }

    /// Explicit configuration with static credentials (tests, emulators).
    public init(region: String, credentials: AWSCredentials, endpointURL: URL? = nil, retry: RetryPolicy = .standard, dryRun: Bool = false, observer: (any AWSRequestObserver)? = nil) {
        self.init(region: region, credentialProvider: StaticCredentialProvider(credentials), endpointURL: endpointURL, retry: retry, dryRun: dryRun, observer: observer)
    }

    /// The endpoint for `service`: per-service override, then the global override, then AWS.
    public func endpoint(for service: AWSService) throws -> URL {
        if let url = serviceEndpoints[service] ?? endpointURL { return url }
        guard let url = service.defaultEndpoint(region: region) else {
            throw AWSError.configuration("no endpoint for \(service.displayName) in region \(region); set AWS_ENDPOINT_URL_\(service.endpointEnvironmentSuffix)")
        }
        return url
    }

    /// Whether this endpoint is one where virtual-hosted buckets cannot work (IP address, localhost).
    func usesPathStyle(_ endpoint: URL) -> Bool {
        if s3ForcePathStyle { return true }
        let host = endpoint.host ?? ""
        if host == "localhost" || host.hasSuffix(".localhost") { return true }
        if host.contains(":") { return true }  // IPv6 literal
        return host.split(separator: ".").count == 4 && host.split(separator: ".").allSatisfy { UInt8($0) != nil }
    }
}

extension AWSConfiguration {
    /// Resolves configuration the way the AWS CLI does.
    ///
    /// Region: `AWS_REGION`, `AWS_DEFAULT_REGION`, then the profile's `region`.
    /// Credentials: environment variables, then web identity (`AWS_ROLE_ARN` +
    /// `AWS_WEB_IDENTITY_TOKEN_FILE`), then the profile (`AWS_PROFILE`, default
    /// `default`) from `~/.aws/credentials` and `~/.aws/config`, including
    /// `role_arn` + `source_profile`. Endpoints: `AWS_ENDPOINT_URL_<SERVICE>`,
    /// `AWS_ENDPOINT_URL`, then the profile's `endpoint_url`
    /// (all ignored when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`).
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment,
        profile explicitProfile: String? = nil,
        region explicitRegion: String? = nil,
        dryRun: Bool = false,
        observer: (any AWSRequestObserver)? = nil,
        logger: Logger = Logger(label: "ldedge.aws")
    ) throws -> AWSConfiguration {
        let files = try SharedConfigFiles.load(environment: environment)
        // An empty variable counts as unset, as in the AWS CLI.
        let profileName = explicitProfile ?? nonEmpty(environment["AWS_PROFILE"]) ?? nonEmpty(environment["AWS_DEFAULT_PROFILE"]) ?? "default"
        let profile = files.profile(named: profileName)
        if explicitProfile != nil || nonEmpty(environment["AWS_PROFILE"]) != nil, profile == nil {
            throw AWSError.configuration("profile \"\(profileName)\" is not defined in \(files.credentialsPath) or \(files.configPath); add it or unset AWS_PROFILE")
        }
        let region = explicitRegion ?? nonEmpty(environment["AWS_REGION"]) ?? nonEmpty(environment["AWS_DEFAULT_REGION"]) ?? profile?["region"]
        guard let region else {
            throw AWSError.configuration("no region: set AWS_REGION, or region in profile \"\(profileName)\" of \(files.configPath)")
        }
        var configuration = AWSConfiguration(
            region: region,
            credentialProvider: CredentialProviderChain([]),
            dryRun: dryRun,
            observer: observer,
            logger: logger
        )
        let ignoreEndpoints = environment["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"]?.lowercased() == "true"
        if !ignoreEndpoints {
            if let value = nonEmpty(environment["AWS_ENDPOINT_URL"]) ?? profile?["endpoint_url"] {
                configuration.endpointURL = try parseEndpoint(value, name: "AWS_ENDPOINT_URL")
            }
            for service in AWSService.allCases {
                let name = "AWS_ENDPOINT_URL_\(service.endpointEnvironmentSuffix)"
                if let value = nonEmpty(environment[name]) {
                    configuration.serviceEndpoints[service] = try parseEndpoint(value, name: name)
                }
            }
        }
        // STS calls made to obtain credentials use the same endpoints, with the base credentials.
        let stsContext = STSCredentialContext(region: region, endpoint: configuration.serviceEndpoints[.sts] ?? configuration.endpointURL, logger: logger)
        configuration.credentialProvider = RefreshingCredentialProvider(
            CredentialProviderChain.default(environment: environment, files: files, profileName: profileName, sts: stsContext)
        )
        return configuration
    }

    static func parseEndpoint(_ value: String, name: String) throws -> URL {
        guard let url = URL(string: value), let scheme = url.scheme, scheme == "http" || scheme == "https", url.host != nil else {
            throw AWSError.configuration("\(name)=\(value) is not an http(s) URL; use for example http://127.0.0.1:5000")
        }
        return url
    }
}

func nonEmpty(_ value: String?) -> String? {
    guard let value, !value.isEmpty else { return nil }
    return value
}
