import Foundation
import LDEdgeKit

/// Where the handler's LaunchDarkly SDK connects: polling base, streaming and events URIs.
struct SDKEndpoints: Equatable {
    var base: String
    var stream: String
    var events: String

    static let launchDarkly = SDKEndpoints(
        base: "https://sdk.launchdarkly.com", stream: "https://stream.launchdarkly.com", events: "https://events.launchdarkly.com")

    /// Explicit inputs win; otherwise a LaunchDarkly base URI that points at a local sandbox
    /// (`http://127.0.0.1...`, `http://localhost...`) serves all three; otherwise LaunchDarkly's own.
    static func resolve(_ input: BuildHandlerStep.Input, settings: WorkflowSettings, environment: [String: String]) -> SDKEndpoints {
        if input.dataSource == .relay, let relay = input.relayUri.map(trimmed) {
            return SDKEndpoints(base: relay, stream: relay, events: relay)
        }
        return launchDarkly(input, settings: settings, environment: environment)
    }

    /// LaunchDarkly's own SDK endpoints (or the local sandbox's), whatever the data source: where
    /// the build machine reads the snapshot.
    static func launchDarkly(_ input: BuildHandlerStep.Input, settings: WorkflowSettings, environment: [String: String]) -> SDKEndpoints {
        let configured = settings.launchdarkly?.baseUri ?? environment["LD_BASE_URI"]
        let local = configured.flatMap { isLocal($0) ? trimmed($0) : nil }
        return SDKEndpoints(
            base: input.baseUri.map(trimmed) ?? local ?? launchDarkly.base,
            stream: input.streamUri.map(trimmed) ?? local ?? launchDarkly.stream,
            events: input.eventsUri.map(trimmed) ?? local ?? launchDarkly.events)
    }

    static func isLocal(_ uri: String) -> Bool {
        guard let url = URL(string: uri), url.scheme == "http", let host = url.host else { return false }
        return host == "127.0.0.1" || host == "localhost" || host == "::1" || host == "[::1]"
    }

    static func trimmed(_ uri: String) -> String { uri.hasSuffix("/") ? String(uri.dropLast()) : uri }
}

/// Where the context key comes from: the client IP, a cookie or a request header.
struct ContextKeySource: Equatable {
    var source: String
    var name: String

    /// Parses `clientIp`, `cookie:NAME` or `header:NAME`; nil when it is none of these.
    init?(_ text: String?) {
        let text = text ?? "clientIp"
        if text == "clientIp" {
            source = "clientIp"
            name = ""
            return
        }
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, ["cookie", "header"].contains(parts[0]), !parts[1].isEmpty else { return nil }
        source = parts[0]
        name = parts[1]
    }
}

extension BuildHandlerStep {
    /// The values the templates see; every value is already a JSON literal, so templates use
    /// `{{{name}}}` and the generated config is valid JSON whatever the inputs contain.
    func templateValues(sdkKey: String, endpoints: SDKEndpoints, settings: WorkflowSettings) -> [String: String] {
        let contextKey = ContextKeySource(input.contextKey) ?? ContextKeySource(nil)!
        return [
            "flagKey": json(input.flag),
            "oldPrefix": json(input.oldPrefix ?? "/site/"),
            "newPrefix": json(input.newPrefix ?? "/site/beta/"),
            "mode": json((input.mode ?? .redirect).rawValue),
            "pagesOnly": (input.pagesOnly ?? true) ? "true" : "false",
            "contextKind": json(input.contextKind ?? "user"),
            "contextSource": json(contextKey.source),
            "contextName": json(contextKey.name),
            "initTimeout": String(input.initTimeout ?? 1.0),
            "events": json((input.events ?? .off).rawValue),
            "stream": (input.stream ?? false) ? "true" : "false",
            "dataSource": json((input.dataSource ?? .launchdarkly).rawValue),
            "fallback": json((input.fallback ?? .snapshot).rawValue),
            "pollInterval": String(input.pollInterval ?? 30),
            "table": json(input.table ?? ""),
            "prefix": json(input.prefix ?? ""),
            "tableRegion": json(tableRegion(settings)),
            "cacheTtl": String(input.cacheTtl ?? 30),
            "baseUri": json(endpoints.base),
            "streamUri": json(endpoints.stream),
            "eventsUri": json(endpoints.events),
            "sdkKey": json(sdkKey),
        ]
    }

    /// The table's region: `tableRegion`, else the workflow's AWS region, else us-east-1.
    func tableRegion(_ settings: WorkflowSettings) -> String {
        input.tableRegion ?? settings.aws?.region ?? "us-east-1"
    }

    /// A readable summary of the settings for plans (never the SDK key).
    func settingsSummary(endpoints: SDKEndpoints, settings: WorkflowSettings) -> String {
        let contextKey = input.contextKey ?? "clientIp"
        let source: String
        switch input.dataSource ?? .launchdarkly {
        case .launchdarkly: source = "SDK at \(endpoints.base)"
        case .relay: source = "Relay Proxy at \(endpoints.base)"
        case .dynamodb:
            source = "DynamoDB table \(input.table ?? "")\(input.prefix.map { " (prefix \($0))" } ?? "") in \(tableRegion(settings)), cache \(input.cacheTtl ?? 30) s"
        }
        return "flag \(input.flag), \((input.mode ?? .redirect).rawValue) \(input.oldPrefix ?? "/site/") -> \(input.newPrefix ?? "/site/beta/"), "
            + "context key \(contextKey), init wait \(input.initTimeout ?? 1.0) s, events \((input.events ?? .off).rawValue), \(source), fallback \((input.fallback ?? .snapshot).rawValue)"
    }

    private func json(_ value: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

extension BuildHandlerStep {
    /// The data-source inputs that belong together: relay needs relayUri, dynamodb needs a table
    /// and a Python runtime (the SDK's DynamoDB integration with the runtime's boto3).
    static func validateDataSource(_ input: Input) -> [InputIssue] {
        var issues: [InputIssue] = []
        let source = input.dataSource ?? .launchdarkly
        if source == .relay, input.relayUri == nil {
            issues.append(InputIssue(["relayUri"], "dataSource relay needs relayUri, the Relay Proxy's URI (for example http://relay.internal:8030)"))
        }
        if source != .relay, input.relayUri != nil {
            issues.append(InputIssue(["relayUri"], "relayUri is only used with dataSource relay; set 'dataSource: relay' or remove relayUri"))
        }
        if source == .dynamodb {
            if (input.table ?? "").isEmpty {
                issues.append(InputIssue(["table"], "dataSource dynamodb needs table, the Relay Proxy's DynamoDB table (the relay-proxy step's 'table' output)"))
            }
            if let runtime = input.runtime, !runtime.isPython {
                issues.append(InputIssue(["dataSource"], "dataSource dynamodb is supported by the Python handler only; use a python runtime or dataSource launchdarkly/relay"))
            }
        } else {
            for (name, value) in [("table", input.table), ("prefix", input.prefix), ("tableRegion", input.tableRegion)] where value != nil {
                issues.append(InputIssue([name], "\(name) is only used with dataSource dynamodb; set 'dataSource: dynamodb' or remove \(name)"))
            }
        }
        if let ttl = input.cacheTtl, !(ttl >= 0) {
            issues.append(InputIssue(["cacheTtl"], "cacheTtl must be 0 or more seconds, found \(ttl)"))
        }
        if let interval = input.pollInterval, !(interval >= 1) {
            issues.append(InputIssue(["pollInterval"], "pollInterval must be at least 1 second, found \(interval)"))
        }
        return issues
    }
}
