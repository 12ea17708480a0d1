import Foundation
import LDEdgeCore
import LaunchDarkly

/// What the LaunchDarkly step kinds share (they never depend on each other): one client per run
/// and phase, configured from the workflow's `launchdarkly:` settings and the environment
/// (`LD_ACCESS_TOKEN`, `LD_BASE_URI`), refusing every change during a plan or dry run.
extension StepContext {
    /// The run's LaunchDarkly client; throws `LaunchDarklyError.missingAccessToken` without a token.
    public func launchDarklyClient() throws -> LaunchDarklyClient {
        let settings = settings.launchdarkly
        let dryRun = isDryRun
        return try shared("launchdarkly-\(dryRun ? "plan" : "apply")") {
            var configuration = try LaunchDarklyConfiguration.fromEnvironment(
                environment, accessToken: settings?.accessToken, baseURI: settings?.baseUri, dryRun: dryRun)
            Secrets.shared.register(configuration.accessToken)
            configuration.dryRun = dryRun
            return LaunchDarklyClient(configuration: configuration)
        }
    }

    /// The LaunchDarkly project: `launchdarkly.project`, else `LD_PROJECT`, else `default`.
    public var launchDarklyProject: String {
        settings.launchdarkly?.project ?? environment["LD_PROJECT"] ?? "default"
    }

    /// The LaunchDarkly environment: `launchdarkly.environment`, else `LD_ENVIRONMENT`, else `production`.
    public var launchDarklyEnvironment: String {
        settings.launchdarkly?.environment ?? environment["LD_ENVIRONMENT"] ?? "production"
    }
}
