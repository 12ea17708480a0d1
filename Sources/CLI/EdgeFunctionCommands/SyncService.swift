import AWS
import Foundation
import EdgeFunctionStep
import LDEdgeApp
import LDEdgeCore
import LaunchDarkly

/// The logic behind `ldedge sync WORKFLOW [--watch]`: finds the workflow's deployed edge-function
/// stores in its recorded state and reconciles their records with LaunchDarkly.
public struct SyncService: Sendable {
    let workflows: WorkflowService

    public init(workflows: WorkflowService) {
        self.workflows = workflows
    }

    public func run(_ argument: String?, watch: Bool) async -> ExitStatus {
        let console = workflows.console
        return await workflows.run {
            let (name, _, location) = try await workflows.resolveState(argument)
            let state = try await location.store(for: name).load()
            let targets = EdgeFunctionSync.targets(in: state)
            guard !targets.isEmpty else {
                throw SyncError.nothingToSync("workflow '\(name)' has no deployed edge-function step (no recorded storeArn); run 'ldedge deploy' first")
            }
            let environment = workflows.environment
            let settings = state.settings
            var awsEnvironment = environment
            if let endpoint = settings.aws?.endpoint { awsEnvironment["AWS_ENDPOINT_URL"] = endpoint }
            let aws = AWSClient(configuration: try AWSConfiguration.fromEnvironment(awsEnvironment, profile: settings.aws?.profile, region: "us-east-1"))
            let source = try await FlagSource.resolve(
                sdkKey: nil, settings: settings, environment: environment,
                client: {
                    LaunchDarklyClient(configuration: try LaunchDarklyConfiguration.fromEnvironment(
                        environment, accessToken: settings.launchdarkly?.accessToken, baseURI: settings.launchdarkly?.baseUri))
                },
                project: settings.launchdarkly?.project ?? environment["LD_PROJECT"] ?? "default",
                ldEnvironment: settings.launchdarkly?.environment ?? environment["LD_ENVIRONMENT"] ?? "production")
            let sync = EdgeFunctionSync(targets: targets, source: source, kvs: aws.keyValueStore) { console.err($0) }
            let changed = try await sync.once()
            console.out("\(name): \(changed) record\(changed == 1 ? "" : "s") changed (\(targets.map { "\($0.step): \($0.flag)" }.joined(separator: ", ")))")
            guard watch else { return .success }
            console.err("following \(source.streamURI)/all; Ctrl-C stops")
            try await sync.watch()
            return .success
        }
    }
}
