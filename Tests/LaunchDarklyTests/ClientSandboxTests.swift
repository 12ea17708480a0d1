import Foundation
import LaunchDarkly
import LDEdgeTestSupport
import LDSandbox
import XCTest

/// Records every request the client makes (for counting and for spec validation).
final class RequestLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [LaunchDarklyRequestRecord] = []

    func append(_ record: LaunchDarklyRequestRecord) {
        lock.lock()
        stored.append(record)
        lock.unlock()
    }

    var records: [LaunchDarklyRequestRecord] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}

/// Round trips of every client operation, error path and retry path against an in-process sandbox.
final class ClientSandboxTests: XCTestCase {
    var sandbox: SandboxServer!
    var log: RequestLog!
    var client: LaunchDarklyClient!

    override func setUp() async throws {
        sandbox = try await LDSandboxFixture.start()
        log = RequestLog()
        let log = self.log!
        client = LDSandboxFixture.client(for: sandbox, observer: { log.append($0) })
    }

    override func tearDown() async throws {
        await sandbox.stop()
    }

    func testEnvironmentReturnsTheSDKKey() async throws {
        let env = try await client.environment(project: "default", environment: "production")
        XCTAssertEqual(env.apiKey, sandbox.sdkKey)
        XCTAssertEqual(env.key, "production")
        do {
            _ = try await client.environment(project: "default", environment: "staging")
            XCTFail("expected notFound")
        } catch LaunchDarklyError.notFound(let resource, _) {
            XCTAssertTrue(resource.contains("staging"))
        }
    }

    func testCreateGetPatchDeleteRoundTrip() async throws {
        let created = try await client.createBooleanFlag(project: "default", key: "rebrand", name: "Rebrand", description: "new site", tags: ["ldedge"])
        XCTAssertEqual(created.variations.map(\.value), [.bool(true), .bool(false)])
        XCTAssertTrue(created.variations.allSatisfy { $0.id != nil })
        XCTAssertEqual(created.kind, "boolean")
        XCTAssertEqual(created.version, 1)

        let flag = try await client.flag(project: "default", key: "rebrand", environment: "production")
        let config = try flag.configuration(for: "production")
        XCTAssertFalse(config.on)
        XCTAssertEqual(config.offVariation, 1)
        XCTAssertEqual(config.fallthrough, VariationOrRollout(variation: 0))
        XCTAssertFalse(config.salt.isEmpty)

        let weights = try RolloutWeights(percentages: [true: 25, false: 75], of: flag)
        let patched = try await client.applySemanticPatch(
            project: "default", flag: "rebrand", environment: "production",
            instructions: [.turnFlagOn, .updateFallthroughRollout(weights, bucketBy: "key", contextKind: "user")],
            comment: "ldedge test")
        let patchedConfig = try patched.configuration(for: "production")
        XCTAssertTrue(patchedConfig.on)
        XCTAssertEqual(patchedConfig.fallthrough?.rollout?.variations, [.init(variation: 0, weight: 25_000), .init(variation: 1, weight: 75_000)])
        XCTAssertEqual(patchedConfig.fallthrough?.rollout?.bucketBy, "key")
        XCTAssertEqual(patchedConfig.version, config.version + 1)
        XCTAssertEqual(patched.version, flag.version + 1)

        // Restore exactly what was there before (what a rollback does).
        let restored = try await client.applySemanticPatch(
            project: "default", flag: "rebrand", environment: "production",
            instructions: try SemanticPatchInstruction.restoring(config, of: flag))
        let restoredConfig = try restored.configuration(for: "production")
        XCTAssertEqual(restoredConfig.on, config.on)
        XCTAssertEqual(restoredConfig.fallthrough, config.fallthrough)
        XCTAssertEqual(restoredConfig.offVariation, config.offVariation)

        let offID = try flag.variationID(for: .bool(true))
        let offPatched = try await client.applySemanticPatch(
            project: "default", flag: "rebrand", environment: "production",
            instructions: [.updateOffVariation(variationID: offID), .turnFlagOff, .updateFallthroughVariation(variationID: offID)])
        XCTAssertEqual(try offPatched.configuration(for: "production").offVariation, 0)

        try await client.deleteFlag(project: "default", key: "rebrand")
        let gone = try await client.flagIfExists(project: "default", key: "rebrand")
        XCTAssertNil(gone)
        do {
            try await client.deleteFlag(project: "default", key: "rebrand")
            XCTFail("expected notFound")
        } catch LaunchDarklyError.notFound {}
    }

    func testCreatingAnExistingFlagSaysToAdoptIt() async throws {
        _ = try await client.createBooleanFlag(project: "default", key: "dup")
        do {
            _ = try await client.createBooleanFlag(project: "default", key: "dup")
            XCTFail("expected flagAlreadyExists")
        } catch let error as LaunchDarklyError {
            XCTAssertEqual(error, .flagAlreadyExists(project: "default", key: "dup"))
        }
    }

    func testSemanticPatchIsAllOrNothing() async throws {
        _ = try await client.createBooleanFlag(project: "default", key: "atomic")
        do {
            _ = try await client.applySemanticPatch(
                project: "default", flag: "atomic", environment: "production",
                instructions: [.turnFlagOn, .updateOffVariation(variationID: "no-such-id")])
            XCTFail("expected invalidRequest")
        } catch LaunchDarklyError.invalidRequest(let code, let message) {
            XCTAssertEqual(code, "invalid_request")
            XCTAssertTrue(message.contains("no-such-id"))
        }
        let flag = try await client.flag(project: "default", key: "atomic", environment: "production")
        XCTAssertFalse(try flag.configuration(for: "production").on, "turnFlagOn must not apply when another instruction fails")
        XCTAssertEqual(flag.version, 1)
    }

    func testWrongTokenIsUnauthorizedAndNeverEchoed() async throws {
        let secret = "api-wrong-secret-token"
        let bad = LaunchDarklyClient(configuration: LaunchDarklyConfiguration(accessToken: secret, baseURI: sandbox.baseURI))
        do {
            _ = try await bad.environment(project: "default", environment: "production")
            XCTFail("expected unauthorized")
        } catch let error as LaunchDarklyError {
            guard case .unauthorized = error else { return XCTFail("\(error)") }
            XCTAssertFalse(error.description.contains(secret))
            XCTAssertTrue(error.description.contains("LD_ACCESS_TOKEN"))
        }
    }

    func testRateLimitIsRetriedAfterRetryAfter() async throws {
        await sandbox.injectFaults([SandboxFault(method: "GET", path: "/api/v2/projects/*", status: 429, count: 2, headers: ["Retry-After": "0"])])
        let before = client.requestCount
        let env = try await client.environment(project: "default", environment: "production")
        XCTAssertEqual(env.key, "production")
        XCTAssertEqual(client.requestCount - before, 3)
        XCTAssertEqual(log.records.suffix(3).map(\.status), [429, 429, 200])
        XCTAssertEqual(log.records.suffix(3).map(\.attempt), [1, 2, 3])
    }

    func testRateLimitHonoursRatelimitResetAndGivesUp() async throws {
        let resetSoon = Int64(Date().timeIntervalSince1970 * 1000) + 200
        await sandbox.injectFaults([SandboxFault(path: "/api/v2/flags/default/*", status: 429, count: 1, headers: ["X-Ratelimit-Reset": String(resetSoon)])])
        let started = Date()
        let missing = try await client.flagIfExists(project: "default", key: "nothing")
        XCTAssertNil(missing)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.1, "waited for X-Ratelimit-Reset")

        await sandbox.injectFaults([SandboxFault(path: "/api/v2/projects/*", status: 429, count: 10, headers: ["Retry-After": "0"])])
        do {
            _ = try await client.environment(project: "default", environment: "production")
            XCTFail("expected rateLimited")
        } catch let error as LaunchDarklyError {
            XCTAssertEqual(error, .rateLimited(attempts: 4))
        }
    }

    func testOptimisticLockingConflictIsReReadAndRetriedOnce() async throws {
        _ = try await client.createBooleanFlag(project: "default", key: "locked")
        await sandbox.injectFaults([SandboxFault(method: "PATCH", path: "/api/v2/flags/default/locked", status: 409, count: 1)])
        let mark = log.records.count
        let flag = try await client.applySemanticPatch(project: "default", flag: "locked", environment: "production", instructions: [.turnFlagOn])
        XCTAssertTrue(try flag.configuration(for: "production").on)
        XCTAssertEqual(log.records.dropFirst(mark).map { "\($0.method) \($0.status ?? 0)" }, ["PATCH 409", "GET 200", "PATCH 200"])

        await sandbox.injectFaults([SandboxFault(method: "PATCH", path: "/api/v2/flags/default/locked", status: 409, count: 2)])
        do {
            _ = try await client.applySemanticPatch(project: "default", flag: "locked", environment: "production", instructions: [.turnFlagOff])
            XCTFail("expected conflict")
        } catch LaunchDarklyError.conflict {}
    }

    func testApprovalRequiredIsExplained() async throws {
        _ = try await client.createBooleanFlag(project: "default", key: "guarded")
        await sandbox.injectFaults([SandboxFault(
            method: "PATCH", path: "/api/v2/flags/default/guarded", status: 405,
            body: #"{"code":"method_not_allowed","message":"This environment requires approval for changes"}"#)])
        do {
            _ = try await client.applySemanticPatch(project: "default", flag: "guarded", environment: "production", instructions: [.turnFlagOn])
            XCTFail("expected approvalRequired")
        } catch let error as LaunchDarklyError {
            guard case .approvalRequired = error else { return XCTFail("\(error)") }
            XCTAssertTrue(error.description.contains("this environment requires approvals; ldedge cannot bypass them"))
        }
    }

    func testServerErrorsAndTransportErrorsAreTyped() async throws {
        await sandbox.injectFaults([SandboxFault(path: "/api/v2/projects/*", status: 503)])
        do {
            _ = try await client.environment(project: "default", environment: "production")
            XCTFail("expected unexpectedStatus")
        } catch let error as LaunchDarklyError {
            guard case .unexpectedStatus(503, _, _) = error else { return XCTFail("\(error)") }
        }
        let nowhere = LaunchDarklyClient(configuration: LaunchDarklyConfiguration(accessToken: "t", baseURI: "http://127.0.0.1:1", timeout: 2))
        do {
            _ = try await nowhere.environment(project: "default", environment: "production")
            XCTFail("expected transport")
        } catch let error as LaunchDarklyError {
            guard case .transport = error else { return XCTFail("\(error)") }
        }
    }

    func testDryRunBlocksMutationsButAllowsReads() async throws {
        _ = try await client.createBooleanFlag(project: "default", key: "existing")
        let log = RequestLog()
        let dry = LDSandboxFixture.client(for: sandbox, dryRun: true, observer: { log.append($0) })
        let flag = try await dry.flag(project: "default", key: "existing", environment: "production")
        XCTAssertEqual(dry.requestCount, 1)
        let attempts: [() async throws -> Void] = [
            { _ = try await dry.createBooleanFlag(project: "default", key: "new") },
            { try await dry.deleteFlag(project: "default", key: "existing") },
            { _ = try await dry.applySemanticPatch(project: "default", flag: "existing", environment: "production", instructions: [.turnFlagOn]) },
        ]
        for attempt in attempts {
            do {
                try await attempt()
                XCTFail("dry run sent a mutation")
            } catch let error as LaunchDarklyError {
                guard case .dryRun = error else { return XCTFail("\(error)") }
            }
        }
        XCTAssertEqual(dry.requestCount, 1, "no mutating request reached the server")
        XCTAssertEqual(log.records.filter(\.blockedByDryRun).count, 3)
        let after = try await client.flag(project: "default", key: "existing", environment: "production")
        XCTAssertEqual(after, flag)
    }

    /// Every request body the client sent and every response it read conforms to the official spec.
    func testRequestsAndResponsesConformToTheOpenAPISpec() async throws {
        _ = try await client.environment(project: "default", environment: "production")
        _ = try? await client.environment(project: "default", environment: "nope")
        let flag = try await client.createBooleanFlag(project: "default", key: "spec-check", name: "Spec check", description: "d", tags: ["a"])
        _ = try? await client.createBooleanFlag(project: "default", key: "spec-check")
        _ = try await client.flag(project: "default", key: "spec-check", environment: "production")
        _ = try await client.flag(project: "default", key: "spec-check")
        _ = try await client.applySemanticPatch(
            project: "default", flag: "spec-check", environment: "production",
            instructions: [.turnFlagOn, .updateOffVariation(variationID: try flag.variationID(for: .bool(false))),
                           .updateFallthroughRollout(try RolloutWeights(percentages: [true: 50, false: 50], of: flag), bucketBy: "key", contextKind: "user")])
        _ = try await client.applySemanticPatch(
            project: "default", flag: "spec-check", environment: "production",
            instructions: [.updateFallthroughVariation(variationID: try flag.variationID(for: .bool(true)))])
        _ = try? await client.applySemanticPatch(project: "default", flag: "spec-check", environment: "production", instructions: [.updateOffVariation(variationID: "bad")])
        await sandbox.injectFaults([
            SandboxFault(method: "PATCH", path: "/api/v2/flags/default/spec-check", status: 409),
            SandboxFault(method: "GET", path: "/api/v2/projects/*", status: 429, headers: ["Retry-After": "0"]),
        ])
        _ = try await client.applySemanticPatch(project: "default", flag: "spec-check", environment: "production", instructions: [.turnFlagOff])
        _ = try await client.environment(project: "default", environment: "production")
        let requestLog = log!
        let bad = LaunchDarklyClient(configuration: LaunchDarklyConfiguration(accessToken: "wrong", baseURI: sandbox.baseURI, observer: { requestLog.append($0) }))
        _ = try? await bad.flag(project: "default", key: "spec-check")
        try await client.deleteFlag(project: "default", key: "spec-check")
        _ = try? await client.flag(project: "default", key: "spec-check")

        var documents: [OpenAPIDocument] = []
        for (index, record) in log.records.enumerated() {
            let label = "#\(index) \(record.method) \(record.path) -> \(record.status ?? 0)"
            if let body = record.requestBody {
                switch record.method {
                case "POST": documents.append(.init(schema: "FeatureFlagBody", json: body, label: "request " + label))
                case "PATCH":
                    let object = try XCTUnwrap(JSONSerialization.jsonObject(with: body) as? [String: Any])
                    XCTAssertEqual(record.contentType, LaunchDarklyClient.semanticPatchContentType)
                    XCTAssertNotNil(object["environmentKey"] as? String)
                    documents.append(.init(schema: "Instructions", json: try JSONSerialization.data(withJSONObject: object["instructions"] as Any), label: "request " + label))
                default: XCTFail("unexpected body on \(label)")
                }
            }
            guard let status = record.status, let response = record.responseBody, !response.isEmpty else { continue }
            let schema: String
            switch (record.method, status) {
            case ("GET", 200) where record.path.contains("/environments/"): schema = "Environment"
            case ("GET", 200), ("POST", 201), ("PATCH", 200): schema = "FeatureFlag"
            case (_, 400): schema = "InvalidRequestErrorRep"
            case (_, 401): schema = "UnauthorizedErrorRep"
            case (_, 404): schema = "NotFoundErrorRep"
            case (_, 405): schema = "MethodNotAllowedErrorRep"
            case (_, 409): schema = "StatusConflictErrorRep"
            case (_, 429): schema = "RateLimitedErrorRep"
            default: XCTFail("no schema for \(label)"); continue
            }
            documents.append(.init(schema: schema, json: response, label: "response " + label))
        }
        let statuses = Set(log.records.compactMap(\.status))
        XCTAssertTrue(statuses.isSuperset(of: [200, 201, 204, 400, 401, 404, 409, 429]), "\(statuses)")
        XCTAssertGreaterThanOrEqual(documents.count, 15)
        let failures = try LDSandboxFixture.validateAgainstOpenAPI(documents)
        XCTAssertEqual(failures, [], failures.joined(separator: "\n"))
    }
}
