import AWS
import ChildProcess
import Foundation
import Invoke
import EdgeFunctionStep
import LDEdgeApp
import LDEdgeCore

/// `ldedge invoke` on the edge-function target: the deployed function's LIVE code and the store's
/// records, read from AWS, run locally in Node.js (`scripts/handler-runner/cff_runtime.mjs`, a
/// stand-in for cloudfront-js-2.0) on CloudFront Functions viewer-request events.
public struct EdgeFunctionInvoke: Sendable {
    public var functionName: String
    public var storeArn: String
    public var newPrefix: String
    public var settings: WorkflowSettings

    /// The deployed edge-function step of `state` (`step` picks one), or nil when it has none.
    public static func find(in state: WorkflowState, step: String? = nil) -> EdgeFunctionInvoke? {
        for id in state.order where step == nil || step == id {
            guard let recorded = state.steps[id], recorded.status == .applied, recorded.kind == EdgeFunctionStep.kind,
                  let store = recorded.outputs["storeArn"],
                  let function = recorded.resources.first(where: { $0.type == "cloudfront-function" }) else { continue }
            return EdgeFunctionInvoke(functionName: function.id, storeArn: store,
                                      newPrefix: recorded.outputs["newPrefix"] ?? recorded.input["newPrefix"]?.stringValue ?? "/site/beta/",
                                      settings: state.settings)
        }
        return nil
    }

    /// `ldedge invoke WORKFLOW` when the workflow's deployed edge target is a CloudFront Function:
    /// what goes to stdout, or nil when the workflow has no deployed edge-function step.
    public static func command(workflow: String?, step: String?, request: ViewerRequest, ips: Int?, seed: UInt64?, json: Bool,
                               workflows: WorkflowService) async throws -> String? {
        guard let resolved = try? await workflows.resolveState(workflow),
              let state = try? await resolved.location.store(for: resolved.name).load(),
              let target = find(in: state, step: step) else { return nil }
        let environment = workflows.environment
        if let ips {
            guard ips > 0 else { throw InvokeError.badOption("--ips needs a positive number of invocations") }
            let report = try await target.split(count: ips, request: request, seed: seed ?? UInt64.random(in: 0...UInt64(UInt32.max)), environment: environment)
            return json ? pretty(try JSONValue(encoding: report)) : report.summary(evaluatedBy: "CloudFront Function")
        }
        guard let answer = try await target.run([request], environment: environment).first else { return nil }
        if json { return pretty(answer.response) }
        let status = answer.response["statusCode"]?.intValue.map { "\($0) \(answer.response["headers"]?["location"]?["value"]?.stringValue ?? "")" }
            ?? "forwarded \(answer.response["uri"]?.stringValue ?? request.uri)"
        return String(format: "%@ (%@; CloudFront Function %.3f ms)", status, answer.servesNewSite ? "new site" : "old site", answer.durationMs)
    }

    static func pretty(_ value: JSONValue) -> String {
        (try? JSONEncoder.pretty.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
    }

    /// What one request got: the response (or the forwarded request) and whether it serves the new site.
    public struct Answer: Sendable {
        public var response: JSONValue
        public var servesNewSite: Bool
        public var durationMs: Double
    }

    /// Runs the deployed function on `requests` (one Node.js process for all of them).
    public func run(_ requests: [ViewerRequest], environment: [String: String]) async throws -> [Answer] {
        var awsEnvironment = environment
        if let endpoint = settings.aws?.endpoint { awsEnvironment["AWS_ENDPOINT_URL"] = endpoint }
        let aws = AWSClient(configuration: try AWSConfiguration.fromEnvironment(awsEnvironment, profile: settings.aws?.profile, region: "us-east-1"))
        let code = String(decoding: try await aws.cloudFront.getFunction(name: functionName, stage: .live).code, as: UTF8.self)
        var kvs: [String: JSONValue] = [:]
        for item in try await aws.keyValueStore.listKeys(store: storeArn) { kvs[item.key] = .string(item.value) }
        let input: JSONValue = .object(["code": .string(code), "kvs": .object(kvs), "events": .array(requests.map(Self.event))])
        let runner = try RunnerLocator.locate(environment: environment).appendingPathComponent("cff_invoke.mjs")
        let process = ChildProcess("/usr/bin/env", ["node", runner.path], environment: environment,
                                   outputLimit: 256 * 1024 * 1024, timeout: .seconds(600))
        let result = try await process.run(input: Array(try JSONEncoder.canonical.encode(input)))
        guard result.succeeded, let output = try? JSONDecoder().decode(JSONValue.self, from: Data(result.stdout.utf8)) else {
            throw SyncError.stream("the CloudFront Function runner failed: \(result.stderr.suffix(500))")
        }
        let responses = output["responses"]?.arrayValue ?? []
        let durations = output["durationsMs"]?.arrayValue ?? []
        return responses.enumerated().map { index, response in
            let location = response["headers"]?["location"]?["value"]?.stringValue
            let uri = response["uri"]?.stringValue
            let isNew = (response["statusCode"]?.intValue == 302 && (location?.hasPrefix(newPrefix) ?? false)) || (uri?.hasPrefix(newPrefix) ?? false)
            let duration: Double = { if index < durations.count, case .number(let value) = durations[index] { return value } else { return 0 } }()
            return Answer(response: response, servesNewSite: isNew, durationMs: duration)
        }
    }

    /// `--ips N`: N random client IPs (the same ones as the Lambda@Edge target's for the same seed) and the split.
    public func split(count: Int, request: ViewerRequest, seed: UInt64, environment: [String: String]) async throws -> SplitReport {
        let requests = SplitTally.clientIPs(count: count, seed: seed).map { clientIp -> ViewerRequest in
            var event = request
            event.clientIp = clientIp
            return event
        }
        let answers = try await run(requests, environment: environment)
        var tally = SplitTally(count: count, seed: seed)
        for (request, answer) in zip(requests, answers) {
            tally.add(clientIp: request.clientIp, servesNewSite: answer.servesNewSite, durationMs: answer.durationMs)
        }
        return tally.report
    }

    /// A CloudFront Functions viewer-request event (`event.viewer.ip`, headers/querystring/cookies as `{value}` objects).
    static func event(_ request: ViewerRequest) -> JSONValue {
        var query: [String: JSONValue] = [:]
        for pair in request.querystring.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            query[parts[0]] = .object(["value": .string(parts.count > 1 ? parts[1] : "")])
        }
        var headers: [String: JSONValue] = [:]
        var cookies: [String: JSONValue] = [:]
        for header in request.headers {
            let name = header.name.lowercased()
            if name == "cookie" {
                for cookie in header.value.split(separator: ";") {
                    let parts = cookie.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1).map(String.init)
                    if parts.count == 2 { cookies[parts[0]] = .object(["value": .string(parts[1])]) }
                }
            } else {
                headers[name] = .object(["value": .string(header.value)])
            }
        }
        return .object([
            "version": .string("1.0"),
            "context": .object(["eventType": .string("viewer-request"), "distributionId": .string(request.distributionId)]),
            "viewer": .object(["ip": .string(request.clientIp)]),
            "request": .object(["method": .string(request.method), "uri": .string(request.uri), "querystring": .object(query),
                                "headers": .object(headers), "cookies": .object(cookies)]),
        ])
    }
}

/// How `--ips N` split on the edge-function target (the same fields as the Lambda@Edge target's `SplitReport`).
