import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// The shared transport: signs, sends, retries and turns error answers into `AWSError`.
///
/// Service clients (`s3`, `iam`, `lambda`, `cloudFront`, `sts`) are cheap views over it.
/// It uses a process-wide HTTP client unless given one, so there is nothing to shut down.
public final class AWSClient: Sendable {
    public let configuration: AWSConfiguration
    let httpClient: HTTPClient

    /// Shared by every `AWSClient` that is not given its own: never follows redirects
    /// (a redirected request would carry a signature for the wrong host), gives up
    /// connecting after 10 s instead of at the request deadline, and is never shut down.
    public static let sharedHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout.connect = .seconds(10)
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 16)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public init(configuration: AWSConfiguration, httpClient: HTTPClient = AWSClient.sharedHTTPClient) {
        self.configuration = configuration
        self.httpClient = httpClient
    }

    /// A client configured from the environment the way the AWS CLI is (see `AWSConfiguration.fromEnvironment`).
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment,
        profile: String? = nil, region: String? = nil, dryRun: Bool = false, observer: (any AWSRequestObserver)? = nil
    ) throws -> AWSClient {
        AWSClient(configuration: try AWSConfiguration.fromEnvironment(environment, profile: profile, region: region, dryRun: dryRun, observer: observer))
    }

    public var s3: S3Client { S3Client(self) }
    public var iam: IAMClient { IAMClient(self) }
    public var lambda: LambdaClient { LambdaClient(self) }
    public var cloudFront: CloudFrontClient { CloudFrontClient(self) }
    public var sts: STSClient { STSClient(self) }
    public var ssm: SSMClient { SSMClient(self) }

    /// A copy of this client with dry-run switched on or off.
    public func withDryRun(_ dryRun: Bool) -> AWSClient {
        var configuration = configuration
        configuration.dryRun = dryRun
        return AWSClient(configuration: configuration, httpClient: httpClient)
    }
}

/// One logical call, before signing.
struct AWSHTTPRequest: Sendable {
    var service: AWSService
    var operation: String
    var resource: String?
    var method: HTTPMethod
    /// Percent-encoded path, starting with "/", without any S3 bucket part.
    var encodedPath: String = "/"
    var query: [(String, String)] = []
    var headers: [(String, String)] = []
    var body: Data = Data()
    var isMutating: Bool
    /// For S3: the bucket, addressed virtual-hosted or path-style as the endpoint allows.
    var bucket: String?
    /// `AssumeRoleWithWebIdentity` is sent unsigned.
    var signed: Bool = true
    /// Statuses treated as success (others become `AWSError.service`).
    var expectedStatus: ClosedRange<Int> = 200...299
    /// Prepended to the endpoint's host unless it is an IP address or localhost (an emulator):
    /// the KeyValueStore data plane is `{account}.cloudfront-kvs.global.api.aws`.
    var hostPrefix: String?
}

struct AWSHTTPResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: Data

    func header(_ name: String) -> String? { headers.first(name: name) }
    var requestId: String? { header("x-amz-request-id") ?? header("x-amzn-RequestId") ?? header("x-amzn-requestid") }
}

extension AWSClient {
    /// Largest response body the client buffers (GetObject of site files, not media).
    static let maxResponseBytes = 512 * 1024 * 1024

    func send(_ request: AWSHTTPRequest) async throws -> AWSHTTPResponse {
        if request.isMutating && configuration.dryRun {
            throw AWSError.dryRun(service: request.service, operation: request.operation, resource: request.resource)
        }
        let endpoint = try configuration.endpoint(for: request.service)
        let target = try resolveTarget(request, endpoint: endpoint)
        let credentials: AWSCredentials?
        if request.signed {
            do {
                credentials = try await configuration.credentialProvider.credentials()
            } catch let error as CredentialError {
                throw AWSError.credentials(error)
            }
        } else {
            credentials = nil
        }
        let signer = SigV4Signer(service: request.service.signingName, region: request.service.signingRegion(for: configuration.region))
        let policy = configuration.retry
        var attempt = 0
        while true {
            attempt += 1
            let event = AWSRequestEvent(
                service: request.service, operation: request.operation, method: request.method.rawValue,
                path: target.path, isMutating: request.isMutating, resource: request.resource, attempt: attempt
            )
            var headers = request.headers
            if !request.body.isEmpty || request.method == .POST || request.method == .PUT {
                headers.append(("Content-Length", String(request.body.count)))
            }
            if let credentials {
                let signable = SignableRequest(method: request.method.rawValue, host: target.hostHeader, encodedPath: target.path, query: request.query, headers: headers, body: request.body)
                let signature = request.service.signsWithSigV4A
                    ? try SigV4ASigner(service: request.service.signingName).sign(signable, credentials: credentials, date: Date())
                    : signer.sign(signable, credentials: credentials, date: Date())
                headers = signature.headers + [("Authorization", signature.authorization)]
            }
            var httpRequest = HTTPClientRequest(url: target.baseURL + target.path + Self.queryString(request.query))
            httpRequest.method = request.method
            for (name, value) in headers where name.lowercased() != "content-length" {
                httpRequest.headers.add(name: name, value: value)
            }
            httpRequest.headers.replaceOrAdd(name: "Host", value: target.hostHeader)
            httpRequest.headers.replaceOrAdd(name: "User-Agent", value: "ldedge-aws/1.0")
            if !request.body.isEmpty || request.method == .POST || request.method == .PUT {
                httpRequest.body = .bytes(ByteBuffer(bytes: request.body))
            }
            configuration.observer?.requestWillBeSent(event)
            configuration.logger.debug("AWS request", metadata: [
                "service": "\(request.service.rawValue)", "operation": "\(request.operation)", "attempt": "\(attempt)",
            ])

            let response: AWSHTTPResponse
            do {
                let raw = try await httpClient.execute(httpRequest, timeout: .milliseconds(Int64(configuration.requestTimeout * 1000)))
                let status = Int(raw.status.code)
                let body: ByteBuffer
                if request.method == .HEAD {
                    body = ByteBuffer()
                } else {
                    body = try await raw.body.collect(upTo: Self.maxResponseBytes)
                }
                response = AWSHTTPResponse(status: status, headers: raw.headers, body: Data(body.readableBytesView))
            } catch {
                configuration.observer?.requestDidFinish(event, status: nil)
                if error is CancellationError { throw error }
                if attempt < policy.maxAttempts {
                    try await Task.sleep(nanoseconds: UInt64(policy.delay(beforeRetry: attempt, retryAfter: nil) * 1e9))
                    continue
                }
                throw AWSError.transport(service: request.service, operation: request.operation, resource: request.resource, underlying: Self.describe(error))
            }
            configuration.observer?.requestDidFinish(event, status: response.status)
            if request.expectedStatus.contains(response.status) {
                return response
            }
            let serviceError = AWSErrorParser.parse(response, request: request)
            if attempt < policy.maxAttempts && AWSErrorParser.isRetryable(serviceError) {
                let retryAfter = response.header("Retry-After").flatMap(TimeInterval.init)
                let delay = policy.delay(beforeRetry: attempt, retryAfter: retryAfter)
                configuration.logger.debug("AWS retry", metadata: ["operation": "\(request.operation)", "code": "\(serviceError.code)", "delay": "\(delay)"])
                try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
                continue
            }
            throw AWSError.service(serviceError)
        }
    }

    struct Target {
        var baseURL: String
        var hostHeader: String
        var path: String
    }

    func resolveTarget(_ request: AWSHTTPRequest, endpoint: URL) throws -> Target {
        guard let scheme = endpoint.scheme, var host = endpoint.host else {
            throw AWSError.configuration("endpoint \(endpoint) for \(request.service.displayName) has no host")
        }
        if host.contains(":") && !host.hasPrefix("[") { host = "[\(host)]" }
        if let prefix = request.hostPrefix, !configuration.usesPathStyle(endpoint) { host = prefix + host }
        var basePath = endpoint.path
        while basePath.hasSuffix("/") { basePath.removeLast() }
        var path = basePath + request.encodedPath
        if let bucket = request.bucket {
            let virtualHostOK = !configuration.usesPathStyle(endpoint) && !bucket.contains(".") && bucket.lowercased() == bucket
            if virtualHostOK {
                host = "\(bucket).\(host)"
            } else {
                path = basePath + "/" + URIEncoding.encode(bucket) + (request.encodedPath == "/" ? "" : request.encodedPath)
            }
        }
        let defaultPort = scheme == "https" ? 443 : 80
        let hostHeader = endpoint.port.map { $0 == defaultPort ? host : "\(host):\($0)" } ?? host
        return Target(baseURL: "\(scheme)://\(hostHeader)", hostHeader: hostHeader, path: path.isEmpty ? "/" : path)
    }

    static func queryString(_ query: [(String, String)]) -> String {
        guard !query.isEmpty else { return "" }
        return "?" + query.map { "\(URIEncoding.encode($0.0))=\(URIEncoding.encode($0.1))" }.joined(separator: "&")
    }

    static func describe(_ error: Error) -> String {
        if let error = error as? HTTPClientError { return "\(error)" }
        return String(describing: error)
    }
}
