import Foundation
import HTTPTypes
import Hummingbird
import LaunchDarkly
import NIOCore
import NIOHTTP1

/// Routes every request: faults first, then `/_sandbox/*`, the SDK endpoints and the REST subset.
struct SandboxResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    let store: SandboxStore
    let faults: FaultInjector
    let events: EventSink
    let requests: SDKRequestCounter
    /// The DynamoDB writer's progress, when there is one.
    let writerStatus: @Sendable () async -> DynamoDBStoreStatus?
    let rateLimit = RateLimitWindow()

    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        let path = request.uri.path
        let method = request.method.rawValue
        if !path.hasPrefix("/_sandbox"), let fault = faults.take(method: method, path: path) {
            if let delay = fault.delayMs, delay > 0 { try await Task.sleep(nanoseconds: UInt64(delay) * 1_000_000) }
            if let status = fault.status { return Self.faultResponse(fault, status: status) }
        }
        var request = request
        do {
            if path.hasPrefix("/api/v2/") { return try await rest(&request, path: path) }
            if path.hasPrefix("/_sandbox/") { return try await control(&request, path: path) }
            return try await sdk(&request, path: path)
        } catch let error as SandboxAPIError {
            return Self.json(error.status, SandboxRendering.error(error.code, error.message))
        }
    }

    // MARK: REST

    private func rest(_ request: inout Request, path: String) async throws -> Response {
        guard let token = request.headers[.authorization], token == store.accessToken || token == "Bearer \(store.accessToken)" else {
            return Self.json(401, SandboxRendering.error("unauthorized", "Invalid access token"))
        }
        let window = rateLimit.next()
        var response = try await restRoute(&request, path: path)
        for name in ["X-Ratelimit-Global-Remaining", "X-Ratelimit-Route-Remaining"] {
            response.headers[HTTPField.Name(name)!] = String(window.remaining)
        }
        response.headers[HTTPField.Name("X-Ratelimit-Reset")!] = String(window.reset)
        return response
    }

    private func restRoute(_ request: inout Request, path: String) async throws -> Response {
        let parts = path.split(separator: "/").map { $0.removingPercentEncoding ?? String($0) }
        let env = request.uri.queryParameters["env"].map(String.init)
        let method = request.method
        // parts[0] == "api", parts[1] == "v2"
        switch (method, Array(parts.dropFirst(2))) {
        case (.get, let p) where p.count == 2 && p[0] == "projects":
            return Self.json(200, try await store.project(p[1]))
        case (.get, let p) where p.count == 3 && p[0] == "projects" && p[2] == "environments":
            return Self.json(200, try await store.environments(project: p[1]))
        case (.get, let p) where p.count == 4 && p[0] == "projects" && p[2] == "environments":
            return Self.json(200, try await store.environment(project: p[1], environment: p[3]))
        case (.get, let p) where p.count == 2 && p[0] == "flags":
            return Self.json(200, try await store.flags(project: p[1], environment: env))
        case (.post, let p) where p.count == 2 && p[0] == "flags":
            let body = try await Self.body(&request)
            return Self.json(201, try await store.createFlag(project: p[1], body: body))
        case (.get, let p) where p.count == 3 && p[0] == "flags":
            return Self.json(200, try await store.flag(project: p[1], key: p[2], environment: env))
        case (.patch, let p) where p.count == 3 && p[0] == "flags":
            let body = try await Self.body(&request)
            let contentType = request.headers[.contentType] ?? ""
            if contentType.contains("domain-model=launchdarkly.semanticpatch") {
                return Self.json(200, try await store.semanticPatch(project: p[1], key: p[2], body: body, environment: env))
            }
            return Self.json(200, try await store.jsonPatch(project: p[1], key: p[2], body: body, environment: env))
        case (.delete, let p) where p.count == 3 && p[0] == "flags":
            try await store.deleteFlag(project: p[1], key: p[2])
            return Response(status: .noContent)
        default:
            throw SandboxAPIError.notFound("the sandbox does not serve \(method.rawValue) \(path)")
        }
    }

    // MARK: SDK

    private func sdk(_ request: inout Request, path: String) async throws -> Response {
        let known = ["/sdk/latest-all", "/sdk/latest-flags", "/all", "/bulk", "/diagnostic"]
        requests.count(path)
        guard known.contains(path) else { throw SandboxAPIError.notFound("the sandbox does not serve \(request.method.rawValue) \(path)") }
        guard let key = request.headers[.authorization].map(Self.stripScheme), store.environmentsBySDKKey[key] != nil else {
            return Self.json(401, SandboxRendering.error("unauthorized", "Invalid SDK key"))
        }
        switch (request.method, path) {
        case (.get, "/sdk/latest-all"), (.get, "/sdk/latest-flags"):
            guard let payload = await store.sdkPayload(sdkKey: key) else { throw SandboxAPIError.notFound("unknown environment") }
            var headers = HTTPFields()
            headers[.eTag] = payload.etag
            headers[.cacheControl] = "private, max-age=0"
            if let match = request.headers[.ifNoneMatch], match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == payload.etag }) {
                return Response(status: .notModified, headers: headers)
            }
            headers[.contentType] = "application/json"
            if path == "/sdk/latest-flags" {
                // Rare: render the flags map alone instead of caching a second payload.
                let all = try JSONDecoder().decode(JSONValue.self, from: Data(payload.body.readableBytesView))
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: SandboxStore.json(all["flags"] ?? .object([:])))))
            }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: payload.body))
        case (.get, "/all"):
            guard let stream = await store.subscribe(sdkKey: key) else { throw SandboxAPIError.notFound("unknown environment") }
            var headers = HTTPFields()
            headers[.contentType] = "text/event-stream"
            headers[.cacheControl] = "no-cache"
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                for await chunk in stream {
                    try await writer.write(chunk)
                }
                try await writer.finish(nil)
            })
        case (.post, "/bulk"), (.post, "/diagnostic"):
            let body = try await Self.body(&request)
            events.record(diagnostic: path == "/diagnostic", body: body)
            return Response(status: .accepted)
        default:
            throw SandboxAPIError(status: 405, code: "method_not_allowed", message: "\(request.method.rawValue) is not allowed on \(path)")
        }
    }

    // MARK: Control

    private func control(_ request: inout Request, path: String) async throws -> Response {
        switch (request.method, path) {
        case (.get, "/_sandbox/health"):
            return Self.json(200, .object(["ok": .bool(true), "streams": .number(Double(await store.streamCount))]))
        case (.get, "/_sandbox/events"):
            return Self.json(200, events.summary)
        case (.get, "/_sandbox/requests"):
            return Self.json(200, .object(requests.counts.mapValues { .number(Double($0)) }))
        case (.get, "/_sandbox/dynamodb"):
            return Self.json(200, SandboxRendering.encodeToJSON(await writerStatus()))
        case (.delete, "/_sandbox/requests"):
            requests.clear()
            return Response(status: .noContent)
        case (.delete, "/_sandbox/events"):
            events.clear()
            return Response(status: .noContent)
        case (.get, "/_sandbox/faults"):
            return Self.json(200, SandboxRendering.encodeToJSON(faults.all))
        case (.post, "/_sandbox/faults"):
            let buffer = try await request.collectBody(upTo: 1 << 20)
            let data = Data(buffer.readableBytesView)
            let faults: [SandboxFault]
            if let many = try? JSONDecoder().decode([SandboxFault].self, from: data) {
                faults = many
            } else if let one = try? JSONDecoder().decode(SandboxFault.self, from: data) {
                faults = [one]
            } else {
                throw SandboxAPIError.invalid("body must be a fault {\"path\", \"method\"?, \"status\"?, \"delayMs\"?, \"count\"?, \"headers\"?, \"body\"?} or a list of them")
            }
            self.faults.add(faults)
            return Self.json(201, SandboxRendering.encodeToJSON(self.faults.all))
        case (.delete, "/_sandbox/faults"):
            faults.clear()
            return Response(status: .noContent)
        default:
            throw SandboxAPIError.notFound("the sandbox does not serve \(request.method.rawValue) \(path)")
        }
    }

    // MARK: Helpers

    private static func stripScheme(_ value: String) -> String {
        value.hasPrefix("api_key ") ? String(value.dropFirst(8)) : value
    }

    private static func body(_ request: inout Request) async throws -> JSONValue {
        let buffer = try await request.collectBody(upTo: 16 << 20)
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(buffer.readableBytesView))
        } catch {
            throw SandboxAPIError.invalid("the request body is not valid JSON")
        }
    }

    static func status(_ code: Int) -> HTTPResponse.Status {
        HTTPResponse.Status(code: code, reasonPhrase: HTTPResponseStatus(statusCode: code).reasonPhrase)
    }

    static func json(_ status: Int, _ value: JSONValue) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: Self.status(status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: SandboxStore.json(value))))
    }

    private static func faultResponse(_ fault: SandboxFault, status: Int) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        for (name, value) in fault.headers ?? [:] {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        let code: String
        switch status {
        case 400: code = "invalid_request"
        case 401: code = "unauthorized"
        case 403: code = "forbidden"
        case 404: code = "not_found"
        case 405: code = "method_not_allowed"
        case 409: code = "optimistic_locking_error"
        case 429: code = "rate_limited"
        default: code = "internal_server_error"
        }
        let body = fault.body ?? SandboxStore.json(SandboxRendering.error(code, "fault injected by the sandbox"))
        return Response(status: Self.status(status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
