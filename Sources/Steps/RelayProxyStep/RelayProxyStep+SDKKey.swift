import Foundation
import LaunchDarkly
import LDEdgeKit

extension RelayProxyStep {
    /// The SDK key: the `sdkKey` input, else `LD_SDK_KEY`, else the LaunchDarkly environment's
    /// `apiKey` read through the API. Registered as a secret the moment it is known, so it is
    /// masked in every output; it goes only into the Secrets Manager secret.
    func sdkKey(_ context: StepContext) async throws -> String {
        let candidates = [input.sdkKey, context.environment["LD_SDK_KEY"]]
        if let key = candidates.compactMap({ $0 }).first(where: { !$0.isEmpty && $0 != "***" }) {
            Secrets.shared.register(key)
            return key
        }
        let settings = context.settings.launchdarkly
        let configuration: LaunchDarklyConfiguration
        do {
            configuration = try LaunchDarklyConfiguration.fromEnvironment(
                context.environment, accessToken: settings?.accessToken, baseURI: settings?.baseUri, dryRun: context.isDryRun)
        } catch LaunchDarklyError.missingAccessToken {
            throw RelayProxyError.noSDKKey
        }
        Secrets.shared.register(configuration.accessToken)
        let project = settings?.project ?? context.environment["LD_PROJECT"] ?? "default"
        let environment = settings?.environment ?? context.environment["LD_ENVIRONMENT"] ?? "production"
        do {
            let key = try await LaunchDarklyClient(configuration: configuration).environment(project: project, environment: environment).apiKey
            Secrets.shared.register(key)
            return key
        } catch {
            throw RelayProxyError.sdkKeyUnavailable(project: project, environment: environment, reason: Secrets.shared.redact("\(error)"))
        }
    }
}
