import Foundation
import LDEdgeCore

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
    func templateValues(sdkKey: String, endpoints: SDKEndpoints) -> [String: String] {
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
            "stream": (input.dataSource ?? .polling) == .streaming ? "true" : "false",
            "baseUri": json(endpoints.base),
            "streamUri": json(endpoints.stream),
            "eventsUri": json(endpoints.events),
            "sdkKey": json(sdkKey),
        ]
    }

    /// A readable summary of the settings for plans (never the SDK key).
    func settingsSummary(endpoints: SDKEndpoints) -> String {
        let contextKey = input.contextKey ?? "clientIp"
        return "flag \(input.flag), \((input.mode ?? .redirect).rawValue) \(input.oldPrefix ?? "/site/") -> \(input.newPrefix ?? "/site/beta/"), "
            + "context key \(contextKey), init wait \(input.initTimeout ?? 1.0) s, events \((input.events ?? .off).rawValue), SDK at \(endpoints.base)"
    }

    private func json(_ value: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
