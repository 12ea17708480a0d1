import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// A typed client for the LaunchDarkly REST API subset ldedge uses.
///
/// Every call sends `Authorization: <token>` and `LD-API-Version: 20240415`. A 429 is retried after
/// `Retry-After` / `X-Ratelimit-Reset`; a 409 on a semantic patch re-reads the flag and retries once.
/// With `configuration.dryRun` every mutating call throws `LaunchDarklyError.dryRun` before sending:
/// this is the one place ldedge enforces dry-run for LaunchDarkly.
public final class LaunchDarklyClient: Sendable {
    public let configuration: LaunchDarklyConfiguration
    private let httpClient: HTTPClient
    private let counter = RequestCounter()
    private let logger: Logger

    public init(configuration: LaunchDarklyConfiguration, httpClient: HTTPClient = .shared, logger: Logger = Logger(label: "ldedge.launchdarkly")) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.logger = logger
    }

    /// Client configured from `LD_ACCESS_TOKEN` / `LD_BASE_URI`.
    public convenience init(environment: [String: String] = ProcessInfo.processInfo.environment, dryRun: Bool = false) throws {
        self.init(configuration: try .fromEnvironment(environment, dryRun: dryRun))
    }

    /// Requests sent so far (each retry counts; dry-run-blocked calls do not).
    public var requestCount: Int { counter.value }

    // MARK: Operations

    /// `GET /api/v2/projects/{project}/environments/{environment}`; its `apiKey` is the SDK key.
    public func environment(project: String, environment: String) async throws -> ProjectEnvironment {
        let response = try await send(.GET, "/api/v2/projects/\(escape(project))/environments/\(escape(environment))")
        return try decode(ProjectEnvironment.self, response, resource: "environment '\(environment)' in project '\(project)'")
    }

    /// `GET /api/v2/flags/{project}/{key}?env={environment}`.
    public func flag(project: String, key: String, environment: String? = nil) async throws -> FeatureFlag {
        var path = "/api/v2/flags/\(escape(project))/\(escape(key))"
        if let environment { path += "?env=\(escape(environment))" }
        let response = try await send(.GET, path)
        return try decode(FeatureFlag.self, response, resource: "flag '\(key)' in project '\(project)'")
    }

    /// Like `flag(project:key:environment:)` but nil when the flag does not exist.
    public func flagIfExists(project: String, key: String, environment: String? = nil) async throws -> FeatureFlag? {
        do {
            return try await flag(project: project, key: key, environment: environment)
        } catch LaunchDarklyError.notFound {
            return nil
        }
    }

    /// `POST /api/v2/flags/{project}`: a Release-style boolean flag (variations true/false, serves true when
    /// on and false when off, not available to client-side SDKs).
    public func createBooleanFlag(
        project: String, key: String, name: String? = nil, description: String? = nil,
        temporary: Bool = true, tags: [String] = []
    ) async throws -> FeatureFlag {
        let body = BooleanFlagBody(
            key: key, name: name ?? key, description: description,
            variations: [.init(value: true, name: "True"), .init(value: false, name: "False")],
            defaults: .init(onVariation: 0, offVariation: 1),
            clientSideAvailability: .init(usingEnvironmentId: false, usingMobileKey: false),
            temporary: temporary, tags: tags
        )
        let response = try await send(
            .POST, "/api/v2/flags/\(escape(project))", body: try encode(body),
            operation: "create flag '\(key)' in project '\(project)'")
        if response.status == 409 { throw LaunchDarklyError.flagAlreadyExists(project: project, key: key) }
        return try decode(FeatureFlag.self, response, resource: "flag '\(key)' in project '\(project)'")
    }

    /// `DELETE /api/v2/flags/{project}/{key}` (all environments).
    public func deleteFlag(project: String, key: String) async throws {
        let response = try await send(
            .DELETE, "/api/v2/flags/\(escape(project))/\(escape(key))",
            operation: "delete flag '\(key)' in project '\(project)'")
        try check(response, resource: "flag '\(key)' in project '\(project)'")
    }

    /// `PATCH /api/v2/flags/{project}/{flag}` with a semantic patch for one environment; returns the updated
    /// flag (with that environment's configuration). All instructions apply or none do.
    public func applySemanticPatch(
        project: String, flag: String, environment: String,
        instructions: [SemanticPatchInstruction], comment: String? = nil
    ) async throws -> FeatureFlag {
        let path = "/api/v2/flags/\(escape(project))/\(escape(flag))?env=\(escape(environment))"
        let body = try encode(SemanticPatchBody(environmentKey: environment, instructions: instructions, comment: comment))
        let operation = "patch flag '\(flag)' in \(project)/\(environment): " + instructions.map(\.kind).joined(separator: ", ")
        let resource = "flag '\(flag)' in project '\(project)'"
        var response = try await send(.PATCH, path, body: body, contentType: Self.semanticPatchContentType, operation: operation)
        if response.status == 409 {
            // Optimistic locking: someone changed the flag between our read and write. Re-read and try once more.
            logger.info("LaunchDarkly answered 409 for \(resource); re-reading and retrying once")
            _ = try await self.flag(project: project, key: flag, environment: environment)
            response = try await send(.PATCH, path, body: body, contentType: Self.semanticPatchContentType, operation: operation)
        }
        return try decode(FeatureFlag.self, response, resource: resource)
    }

    public static let semanticPatchContentType = "application/json; domain-model=launchdarkly.semanticpatch"

    // MARK: Transport

    struct RawResponse {
        var status: Int
        var body: Data
    }

    private func send(
        _ method: HTTPMethod, _ path: String, body: Data? = nil,
        contentType: String = "application/json", operation: String? = nil
    ) async throws -> RawResponse {
        let record = { (status: Int?, response: Data?, attempt: Int, blocked: Bool) in
            self.configuration.observer?(LaunchDarklyRequestRecord(
                method: method.rawValue, path: path, contentType: body == nil ? nil : contentType,
                requestBody: body, status: status, responseBody: response, attempt: attempt, blockedByDryRun: blocked))
        }
        if let operation, configuration.dryRun {
            record(nil, nil, 1, true)
            throw LaunchDarklyError.dryRun(operation: operation)
        }
        var request = HTTPClientRequest(url: configuration.baseURI + path)
        request.method = method
        request.headers.add(name: "Authorization", value: configuration.accessToken)
        request.headers.add(name: "LD-API-Version", value: LaunchDarklyConfiguration.apiVersion)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "ldedge")
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        var attempt = 0
        while true {
            attempt += 1
            counter.increment()
            let status: Int
            let headers: HTTPHeaders
            let data: Data
            do {
                let response = try await httpClient.execute(request, timeout: .milliseconds(Int64(configuration.timeout * 1000)))
                status = Int(response.status.code)
                headers = response.headers
                let buffer = try await response.body.collect(upTo: 32 << 20)
                data = Data(buffer.readableBytesView)
            } catch {
                record(nil, nil, attempt, false)
                throw LaunchDarklyError.transport(Self.describe(error))
            }
            record(status, data, attempt, false)
            if status == 429 {
                guard attempt <= configuration.maxRateLimitRetries else {
                    throw LaunchDarklyError.rateLimited(attempts: attempt)
                }
                let delay = retryDelay(headers, attempt: attempt)
                logger.info("LaunchDarkly rate limited \(method.rawValue) \(path); retrying in \(delay)s")
                try await Task.sleep(nanoseconds: UInt64(delay * 1_000_000_000))
                continue
            }
            return RawResponse(status: status, body: data)
        }
    }

    /// Seconds to wait after a 429: `Retry-After`, else `X-Ratelimit-Reset` (epoch ms), else exponential backoff.
    func retryDelay(_ headers: HTTPHeaders, attempt: Int, now: Date = Date()) -> TimeInterval {
        var delay: TimeInterval
        if let retryAfter = headers.first(name: "Retry-After").flatMap({ TimeInterval($0.trimmingCharacters(in: .whitespaces)) }) {
            delay = retryAfter
        } else if let reset = headers.first(name: "X-Ratelimit-Reset").flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }) {
            delay = reset / 1000 - now.timeIntervalSince1970
        } else {
            delay = 0.5 * pow(2, Double(attempt - 1))
        }
        return min(max(delay, 0), configuration.maxRetryDelay)
    }

    private func check(_ response: RawResponse, resource: String) throws {
        guard (200..<300).contains(response.status) else { throw error(for: response, resource: resource) }
    }

    private func decode<T: Decodable>(_ type: T.Type, _ response: RawResponse, resource: String) throws -> T {
        try check(response, resource: resource)
        do {
            return try JSONDecoder().decode(T.self, from: response.body)
        } catch {
            throw LaunchDarklyError.decoding(what: "\(T.self)", detail: Self.describe(error))
        }
    }

    private struct ErrorBody: Decodable {
        var code: String?
        var message: String?
    }

    func error(for response: RawResponse, resource: String) -> LaunchDarklyError {
        let body = try? JSONDecoder().decode(ErrorBody.self, from: response.body)
        let message = body?.message ?? HTTPResponseStatus(statusCode: response.status).reasonPhrase
        switch response.status {
        case 400, 422: return .invalidRequest(code: body?.code ?? "invalid_request", message: message)
        case 401: return .unauthorized(message: message)
        case 403: return .forbidden(message: message)
        case 404: return .notFound(resource: resource, message: message)
        case 405: return .approvalRequired(resource: resource, message: message)
        case 409: return .conflict(resource: resource, message: message)
        default: return .unexpectedStatus(status: response.status, code: body?.code, message: body?.message)
        }
    }

    private func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(value)
    }

    private func escape(_ segment: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?&=#")
        return segment.addingPercentEncoding(withAllowedCharacters: allowed) ?? segment
    }

    private static func describe(_ error: Error) -> String {
        if let error = error as? DecodingError {
            switch error {
            case .keyNotFound(let key, let context):
                return "missing '\(key.stringValue)' at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
                return "\(context.debugDescription) at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
            @unknown default:
                return "\(error)"
            }
        }
        return String(describing: error)
    }
}

/// A thread-safe request counter.
final class RequestCounter: Sendable {
    private let count = Mutex(0)

    func increment() {
        count.withLock { $0 += 1 }
    }

    var value: Int {
        count.withLock { $0 }
    }
}
