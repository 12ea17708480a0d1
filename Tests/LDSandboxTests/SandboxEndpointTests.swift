import AsyncHTTPClient
import Foundation
import LaunchDarkly
import LDEdgeTestSupport
import LDSandbox
import NIOCore
import NIOHTTP1
import XCTest

/// The sandbox's own endpoints, spoken to with raw HTTP.
final class SandboxEndpointTests: XCTestCase {
    var sandbox: SandboxServer!
    var client: LaunchDarklyClient!

    override func setUp() async throws {
        sandbox = try await LDSandboxFixture.start(heartbeatInterval: 0.2)
        client = LDSandboxFixture.client(for: sandbox)
    }

    override func tearDown() async throws {
        await sandbox.stop()
    }

    struct Raw {
        var status: Int
        var headers: HTTPHeaders
        var body: Data
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:] }
    }

    func request(_ method: HTTPMethod, _ path: String, headers: [String: String] = [:], body: String? = nil) async throws -> Raw {
        var request = HTTPClientRequest(url: sandbox.baseURI + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let data = try await response.body.collect(upTo: 64 << 20)
        return Raw(status: Int(response.status.code), headers: response.headers, body: Data(data.readableBytesView))
    }

    var sdkAuth: [String: String] { ["Authorization": sandbox.sdkKey] }
    var restAuth: [String: String] { ["Authorization": sandbox.accessToken] }

    func testPollingServesTheRealFlagShapeWithETagAnd304() async throws {
        _ = try await client.createBooleanFlag(project: "default", key: "rebrand")
        let first = try await request(.GET, "/sdk/latest-all", headers: sdkAuth)
        XCTAssertEqual(first.status, 200)
        let etag = try XCTUnwrap(first.headers.first(name: "ETag"))
        let flags = try XCTUnwrap(first.json["flags"] as? [String: Any])
        XCTAssertNotNil(first.json["segments"] as? [String: Any], "segments is required")
        let flag = try XCTUnwrap(flags["rebrand"] as? [String: Any])
        for key in ["key", "version", "on", "variations", "offVariation", "fallthrough", "salt", "targets", "rules", "prerequisites", "trackEvents", "deleted"] {
            XCTAssertNotNil(flag[key], "SDK flag JSON lacks \(key)")
        }

        let again = try await request(.GET, "/sdk/latest-all", headers: sdkAuth.merging(["If-None-Match": etag]) { $1 })
        XCTAssertEqual(again.status, 304)
        XCTAssertTrue(again.body.isEmpty)

        _ = try await client.applySemanticPatch(project: "default", flag: "rebrand", environment: "production", instructions: [.turnFlagOn])
        let changed = try await request(.GET, "/sdk/latest-all", headers: sdkAuth.merging(["If-None-Match": etag]) { $1 })
        XCTAssertEqual(changed.status, 200)
        XCTAssertNotEqual(changed.headers.first(name: "ETag"), etag)
        let version = ((changed.json["flags"] as? [String: Any])?["rebrand"] as? [String: Any])?["version"] as? Int
        XCTAssertEqual(version, (flag["version"] as? Int ?? 0) + 1)
    }

    func testWrongCredentialsAre401() async throws {
        for path in ["/sdk/latest-all", "/all"] {
            let response = try await request(.GET, path, headers: ["Authorization": "sdk-wrong"])
            XCTAssertEqual(response.status, 401, path)
        }
        let r1 = try await request(.GET, "/sdk/latest-all")
        XCTAssertEqual(r1.status, 401)
        let rest = try await request(.GET, "/api/v2/flags/default/x", headers: ["Authorization": sandbox.sdkKey])
        XCTAssertEqual(rest.status, 401)
        XCTAssertEqual(rest.json["code"] as? String, "unauthorized")
    }

    func testRESTResponsesCarryRateLimitHeaders() async throws {
        let response = try await request(.GET, "/api/v2/projects/default/environments/production", headers: restAuth)
        XCTAssertEqual(response.status, 200)
        for name in ["X-Ratelimit-Global-Remaining", "X-Ratelimit-Route-Remaining", "X-Ratelimit-Reset"] {
            XCTAssertNotNil(response.headers.first(name: name).flatMap { Int64($0) }, name)
        }
    }

    func testStreamingSendsPutThenPatchWithin100msThenDelete() async throws {
        _ = try await client.createBooleanFlag(project: "default", key: "rebrand")
        var streamRequest = HTTPClientRequest(url: sandbox.baseURI + "/all")
        streamRequest.headers.add(name: "Authorization", value: sandbox.sdkKey)
        let response = try await HTTPClient.shared.execute(streamRequest, timeout: .seconds(10))
        XCTAssertEqual(response.status.code, 200)
        XCTAssertEqual(response.headers.first(name: "Content-Type"), "text/event-stream")
        var iterator = response.body.makeAsyncIterator()
        var received = ""
        func next(until marker: String) async throws -> Date {
            while !received.contains(marker) {
                guard let chunk = try await iterator.next() else { throw CancellationError() }
                received += String(buffer: chunk)
            }
            return Date()
        }
        _ = try await next(until: "event: put")
        _ = try await next(until: "\n\n")
        XCTAssertTrue(received.contains("\"rebrand\""))
        received = ""

        let client = self.client!
        let sent = Date()
        let patch = Task { try await client.applySemanticPatch(project: "default", flag: "rebrand", environment: "production", instructions: [.turnFlagOn]) }
        let arrived = try await next(until: "event: patch")
        _ = try await patch.value
        _ = try await next(until: "\n\n")
        let latency = arrived.timeIntervalSince(sent)
        print("SSE patch arrived \(Int(latency * 1000)) ms after the REST call was sent")
        XCTAssertLessThan(latency, 0.1)
        XCTAssertTrue(received.contains(#""path":"/flags/rebrand""#))
        XCTAssertTrue(received.contains(#""on":true"#))
        received = ""

        _ = try await next(until: ":heartbeat")
        received = ""
        try await client.deleteFlag(project: "default", key: "rebrand")
        _ = try await next(until: "event: delete")
        _ = try await next(until: "\n\n")
        XCTAssertTrue(received.contains(#""path":"/flags/rebrand""#))
        let streams = await sandbox.streamingConnections()
        XCTAssertEqual(streams, 1)
    }

    func testEventsAreAcceptedCountedAndInspectable() async throws {
        let bulk = try await request(.POST, "/bulk", headers: sdkAuth, body: #"[{"kind":"index","creationDate":1},{"kind":"summary","startDate":1,"endDate":2,"features":{}}]"#)
        XCTAssertEqual(bulk.status, 202)
        let r2 = try await request(.POST, "/diagnostic", headers: sdkAuth, body: #"{"kind":"diagnostic-init"}"#)
        XCTAssertEqual(r2.status, 202)
        let r3 = try await request(.POST, "/bulk", headers: ["Authorization": "nope"], body: "[]")
        XCTAssertEqual(r3.status, 401)
        let events = try await request(.GET, "/_sandbox/events")
        XCTAssertEqual(events.json["bulkRequests"] as? Int, 1)
        XCTAssertEqual(events.json["diagnosticRequests"] as? Int, 1)
        XCTAssertEqual((events.json["events"] as? [Any])?.count, 2)
        let r4 = try await request(.DELETE, "/_sandbox/events")
        XCTAssertEqual(r4.status, 204)
        let r5 = try await request(.GET, "/_sandbox/events")
        XCTAssertEqual(r5.json["bulkRequests"] as? Int, 0)
    }

    func testFaultsFailTheNextNMatchingRequests() async throws {
        let added = try await request(.POST, "/_sandbox/faults", body: #"{"method":"GET","path":"/sdk/*","status":503,"count":2}"#)
        XCTAssertEqual(added.status, 201)
        let r6 = try await request(.GET, "/sdk/latest-all", headers: sdkAuth)
        XCTAssertEqual(r6.status, 503)
        let r7 = try await request(.POST, "/bulk", headers: sdkAuth, body: "[]")
        XCTAssertEqual(r7.status, 202, "other paths are untouched")
        let r8 = try await request(.GET, "/sdk/latest-all", headers: sdkAuth)
        XCTAssertEqual(r8.status, 503)
        let r9 = try await request(.GET, "/sdk/latest-all", headers: sdkAuth)
        XCTAssertEqual(r9.status, 200)

        _ = try await request(.POST, "/_sandbox/faults", body: #"[{"path":"/sdk/latest-all","delayMs":300}]"#)
        let started = Date()
        let r10 = try await request(.GET, "/sdk/latest-all", headers: sdkAuth)
        XCTAssertEqual(r10.status, 200)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.3)

        _ = try await request(.POST, "/_sandbox/faults", body: #"{"path":"/all","status":500,"count":5}"#)
        let listed = try await request(.GET, "/_sandbox/faults")
        XCTAssertEqual((try JSONSerialization.jsonObject(with: listed.body) as? [Any])?.count, 1)
        let r11 = try await request(.DELETE, "/_sandbox/faults")
        XCTAssertEqual(r11.status, 204)
        let r12 = try await request(.POST, "/_sandbox/faults", body: #"{"nonsense":1}"#)
        XCTAssertEqual(r12.status, 400)
    }

    func testJSONPatchUpdatesAndBumpsVersions() async throws {
        _ = try await client.createBooleanFlag(project: "default", key: "jp")
        let patched = try await request(.PATCH, "/api/v2/flags/default/jp", headers: restAuth.merging(["Content-Type": "application/json"]) { $1 },
                                        body: #"{"patch":[{"op":"replace","path":"/environments/production/on","value":true},{"op":"add","path":"/tags/-","value":"x"}],"comment":"c"}"#)
        XCTAssertEqual(patched.status, 200, String(decoding: patched.body, as: UTF8.self))
        XCTAssertEqual(patched.json["_version"] as? Int, 2)
        XCTAssertEqual(patched.json["tags"] as? [String], ["x"])
        let flag = try await client.flag(project: "default", key: "jp", environment: "production")
        XCTAssertTrue(try flag.configuration(for: "production").on)
        XCTAssertEqual(try flag.configuration(for: "production").version, 2)

        let bare = try await request(.PATCH, "/api/v2/flags/default/jp", headers: restAuth, body: #"[{"op":"replace","path":"/name","value":"Renamed"}]"#)
        XCTAssertEqual(bare.json["name"] as? String, "Renamed")
        XCTAssertEqual(bare.json["_version"] as? Int, 3)

        let bad = try await request(.PATCH, "/api/v2/flags/default/jp", headers: restAuth, body: #"[{"op":"replace","path":"/environments/production/offVariation","value":7}]"#)
        XCTAssertEqual(bad.status, 400)
        XCTAssertEqual(bad.json["code"] as? String, "invalid_request")
        let missing = try await request(.PATCH, "/api/v2/flags/default/nope", headers: restAuth, body: "[]")
        XCTAssertEqual(missing.status, 404)

        var documents = [
            OpenAPIDocument(schema: "FeatureFlag", json: patched.body, label: "json patch response"),
            OpenAPIDocument(schema: "InvalidRequestErrorRep", json: bad.body, label: "json patch 400"),
            OpenAPIDocument(schema: "NotFoundErrorRep", json: missing.body, label: "json patch 404"),
        ]
        let list = try await request(.GET, "/api/v2/flags/default?env=production", headers: restAuth)
        documents.append(.init(schema: "FeatureFlags", json: list.body, label: "flag list"))
        let project = try await request(.GET, "/api/v2/projects/default", headers: restAuth)
        documents.append(.init(schema: "Project", json: project.body, label: "project"))
        documents.append(.init(schema: "PatchWithComment", json: Data(#"{"patch":[{"op":"replace","path":"/environments/production/on","value":true}],"comment":"c"}"#.utf8), label: "json patch request"))
        let failures = try LDSandboxFixture.validateAgainstOpenAPI(documents)
        XCTAssertEqual(failures, [], failures.joined(separator: "\n"))
    }

    func testRESTValidationAndStatusCodes() async throws {
        let noName = try await request(.POST, "/api/v2/flags/default", headers: restAuth, body: #"{"key":"a"}"#)
        XCTAssertEqual(noName.status, 400)
        let badKey = try await request(.POST, "/api/v2/flags/default", headers: restAuth, body: #"{"key":"a b","name":"x"}"#)
        XCTAssertEqual(badKey.status, 400)
        let notJSON = try await request(.POST, "/api/v2/flags/default", headers: restAuth, body: "{")
        XCTAssertEqual(notJSON.status, 400)
        let noProject = try await request(.GET, "/api/v2/flags/nope/x", headers: restAuth)
        XCTAssertEqual(noProject.status, 404)
        let multi = try await request(.POST, "/api/v2/flags/default", headers: restAuth, body: #"{"key":"colors","name":"Colors","variations":[{"value":"red"},{"value":"green"},{"value":"blue"}]}"#)
        XCTAssertEqual(multi.status, 201)
        XCTAssertEqual(multi.json["kind"] as? String, "multivariate")
        let missingEnvKey = try await request(.PATCH, "/api/v2/flags/default/colors",
                                              headers: restAuth.merging(["Content-Type": LaunchDarklyClient.semanticPatchContentType]) { $1 },
                                              body: #"{"instructions":[{"kind":"turnFlagOn"}]}"#)
        XCTAssertEqual(missingEnvKey.status, 400)
        let badWeights = try await request(.PATCH, "/api/v2/flags/default/colors",
                                           headers: restAuth.merging(["Content-Type": LaunchDarklyClient.semanticPatchContentType]) { $1 },
                                           body: #"{"environmentKey":"production","instructions":[{"kind":"updateFallthroughVariationOrRollout","rolloutWeights":{}}]}"#)
        XCTAssertEqual(badWeights.status, 400)
    }

    func testStatePersistsAcrossRestarts() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ldedge-sandbox-\(UUID().uuidString)/sandbox.json").path
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let first = try await LDSandboxFixture.start(dataPath: path)
        let firstClient = LDSandboxFixture.client(for: first)
        let flag = try await firstClient.createBooleanFlag(project: "default", key: "kept")
        _ = try await firstClient.applySemanticPatch(project: "default", flag: "kept", environment: "production",
                                                     instructions: [.turnFlagOn, .updateFallthroughRollout(try RolloutWeights(percentages: [true: 30, false: 70], of: flag))])
        let token = first.accessToken, sdkKey = first.sdkKey
        await first.stop()

        let second = try await LDSandboxFixture.start(dataPath: path)
        defer { Task { await second.stop() } }
        XCTAssertEqual(second.accessToken, token)
        XCTAssertEqual(second.sdkKey, sdkKey)
        let kept = try await LDSandboxFixture.client(for: second).flag(project: "default", key: "kept", environment: "production")
        let config = try kept.configuration(for: "production")
        XCTAssertTrue(config.on)
        XCTAssertEqual(config.fallthrough?.rollout?.variations.map(\.weight), [30_000, 70_000])
        XCTAssertEqual(kept.variations, flag.variations)
    }
}
