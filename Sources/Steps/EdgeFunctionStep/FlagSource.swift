import Foundation
import LDEdgeKit
import LaunchDarkly
import LaunchDarklyStepSupport

/// Where the flag is read in the SDK representation (salt, version, variation indices exactly as
/// the SDKs evaluate them): the polling endpoint `GET {base}/sdk/latest-all` and the streaming
/// endpoint `GET {stream}/all`, with the environment's SDK key. A local sandbox base URI
/// (`LD_BASE_URI=http://127.0.0.1:...`) serves both.
public struct FlagSource: Sendable {
    public var sdkKey: String
    public var baseURI: String
    public var streamURI: String

    public init(sdkKey: String, baseURI: String, streamURI: String) {
        self.sdkKey = sdkKey
        self.baseURI = baseURI
        self.streamURI = streamURI
    }

    /// The SDK key (`sdkKey`, else `LD_SDK_KEY`, else the environment's `apiKey` through the API) and the endpoints.
    public static func resolve(sdkKey: String?, settings: WorkflowSettings, environment: [String: String],
                               client: () throws -> LaunchDarklyClient, project: String, ldEnvironment: String) async throws -> FlagSource {
        let configured = settings.launchdarkly?.baseUri ?? environment["LD_BASE_URI"]
        let local = configured.flatMap { isLocal($0) ? trimmed($0) : nil }
        let base = local ?? "https://sdk.launchdarkly.com"
        let stream = local ?? "https://stream.launchdarkly.com"
        if let key = [sdkKey, environment["LD_SDK_KEY"]].compactMap({ $0 }).first(where: { !$0.isEmpty && $0 != "***" }) {
            Secrets.shared.register(key)
            return FlagSource(sdkKey: key, baseURI: base, streamURI: stream)
        }
        let api: LaunchDarklyClient
        do {
            api = try client()
        } catch LaunchDarklyError.missingAccessToken {
            throw EdgeFunctionError.noSDKKey
        }
        let key = try await api.environment(project: project, environment: ldEnvironment).apiKey
        Secrets.shared.register(key)
        return FlagSource(sdkKey: key, baseURI: base, streamURI: stream)
    }

    static func resolve(_ step: EdgeFunctionStep, _ context: StepContext) async throws -> FlagSource {
        try await resolve(sdkKey: step.input.sdkKey, settings: context.settings, environment: context.environment,
                          client: { try context.launchDarklyClient() }, project: context.launchDarklyProject,
                          ldEnvironment: context.launchDarklyEnvironment)
    }

    /// Every flag of the environment, by key (SDK representation).
    public func allFlags() async throws -> [String: JSONValue] {
        let data = try await SDKDataClient(baseURI: baseURI, sdkKey: sdkKey).latestAll()
        let document = try JSONDecoder().decode(JSONValue.self, from: data)
        return document["flags"]?.objectValue ?? [:]
    }

    /// One flag, or nil when the environment has no such flag (or it is deleted).
    public func flag(_ key: String) async throws -> JSONValue? {
        guard let flag = try await allFlags()[key], flag["deleted"]?.boolValue != true else { return nil }
        return flag
    }

    static func isLocal(_ uri: String) -> Bool {
        guard let url = URL(string: uri), url.scheme == "http", let host = url.host else { return false }
        return host == "127.0.0.1" || host == "localhost" || host == "::1" || host == "[::1]"
    }

    static func trimmed(_ uri: String) -> String { uri.hasSuffix("/") ? String(uri.dropLast()) : uri }
}
