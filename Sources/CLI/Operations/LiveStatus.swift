import AWS
import Foundation
import LaunchDarkly
import LDEdgeCore

/// The live view of a deployed workflow: what CloudFront, Lambda, LaunchDarkly and CloudWatch say now.
public struct LiveStatus: Sendable, Encodable {
    public struct DistributionView: Sendable, Encodable {
        public var id: String
        public var status: String?
        public var domainName: String?
        public var error: String?
    }

    public struct FunctionView: Sendable, Encodable {
        public var name: String
        /// The version the distribution runs (from its association), and the one ldedge recorded.
        public var associatedVersion: String?
        public var recordedVersion: String?
        /// Published versions that exist (numbered, oldest first).
        public var versions: [String]
        public var error: String?
    }

    public struct FlagView: Sendable, Encodable {
        public var key: String
        public var project: String
        public var environment: String
        /// What the flag serves now in LaunchDarkly.
        public var current: String?
        /// What ldedge last set (the flip-flag step's `targeting` output).
        public var setByLdedge: String?
        /// True when someone changed the flag after ldedge set it.
        public var drift: Bool
        public var error: String?
    }

    public struct MetricView: Sendable, Encodable {
        public var name: String
        public var namespace: String
        public var stat: String
        /// The newest data point in the window, as measured; nil when CloudWatch has none.
        public var value: Double?
        public var formatted: String
        public var timestamp: Date?
    }

    public var workflow: String
    public var distribution: DistributionView?
    public var function: FunctionView?
    public var flags: [FlagView]
    /// The window the metrics cover, in seconds back from now.
    public var metricsWindow: Int
    public var metrics: [MetricView]
    public var metricsError: String?
}

/// Reads a workflow's live status; each part that fails is reported in place, the others still shown.
public struct LiveStatusReader: Sendable {
    public var environment: [String: String]
    /// The step kinds, whose declared output roles name the function version.
    public var registry: StepRegistry
    /// Metrics cover this many seconds back from now, in 60-second periods.
    public var window: Int = 900

    public init(environment: [String: String], registry: StepRegistry) {
        self.environment = environment
        self.registry = registry
    }

    public func read(_ state: WorkflowState, step: String? = nil, now: Date = Date()) async throws -> LiveStatus {
        let edge = try? DeployedEdge.find(in: state, step: step, registry: registry)
        let distributionId = edge?.distributionId
            ?? state.order.compactMap { state.steps[$0] }.flatMap(\.resources).first { $0.type == "distribution" }?.id
        let client = try state.settings.awsClient(region: EdgeMetric.region, environment: environment)

        var distribution: LiveStatus.DistributionView?
        var associatedArns: [String] = []
        if let distributionId {
            do {
                let found = try await client.cloudFront.getDistribution(id: distributionId)
                distribution = .init(id: distributionId, status: found.status, domainName: found.domainName)
                associatedArns = Self.associations(found.config)
            } catch {
                distribution = .init(id: distributionId, error: "\(error)")
            }
        }

        var function: LiveStatus.FunctionView?
        if let edge {
            let prefix = ":function:\(edge.functionName):"
            let associated = associatedArns.first { $0.contains(prefix) }.map { String($0.split(separator: ":").last ?? "") }
            do {
                let versions = try await client.lambda.listVersionsByFunction(name: edge.functionName).compactMap(\.version)
                    .filter { $0 != "$LATEST" }.sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }
                function = .init(name: edge.functionName, associatedVersion: associated, recordedVersion: edge.functionVersion, versions: versions)
            } catch {
                function = .init(name: edge.functionName, associatedVersion: associated, recordedVersion: edge.functionVersion, versions: [], error: "\(error)")
            }
        }

        let flags = await readFlags(state)

        var metrics: [LiveStatus.MetricView] = []
        var metricsError: String?
        let wanted: [EdgeMetric] = [.requests, .errorRate4xx, .errorRate5xx, .lambdaErrors, .lambdaThrottles]
        let queries = wanted.compactMap { $0.query(distribution: distributionId, function: edge?.functionName, period: 60) }
        do {
            let series = try await client.cloudWatch.getMetricData(queries, start: now.addingTimeInterval(-Double(window)), end: now)
            for metric in wanted where queries.contains(where: { $0.id == metric.queryId }) {
                let latest = series[metric.queryId]?.latest
                metrics.append(.init(name: metric.rawValue, namespace: metric.namespace, stat: metric.stat, value: latest?.value,
                                     formatted: latest.map { metric.format($0.value) } ?? "no data", timestamp: latest?.timestamp))
            }
        } catch {
            metricsError = "\(error)"
        }
        return LiveStatus(workflow: state.workflow, distribution: distribution, function: function, flags: flags,
                          metricsWindow: window, metrics: metrics, metricsError: metricsError)
    }

    /// Every Lambda ARN the distribution's behaviors (default and ordered) run.
    static func associations(_ config: DistributionConfig) -> [String] {
        config.lambdaFunctionAssociations().map(\.lambdaFunctionARN)
            + config.cacheBehaviorPathPatterns.flatMap { config.lambdaFunctionAssociations(pathPattern: $0).map(\.lambdaFunctionARN) }
    }

    func readFlags(_ state: WorkflowState) async -> [LiveStatus.FlagView] {
        var views: [LiveStatus.FlagView] = []
        let owners = state.order.compactMap { state.steps[$0] }
        for owner in owners {
            for resource in owner.resources where resource.type == "launchdarkly-flag" {
                let project = resource.attributes["project"] ?? "default"
                let environmentKey = resource.attributes["environment"] ?? "production"
                let setByLdedge = nonEmpty(state.output(of: owner.id, role: .flagTargeting, registry: registry))
                var view = LiveStatus.FlagView(key: resource.id, project: project, environment: environmentKey, setByLdedge: setByLdedge, drift: false)
                do {
                    let settings = state.settings.launchdarkly
                    let token = settings?.accessToken == "***" ? nil : settings?.accessToken
                    let configuration = try LaunchDarklyConfiguration.fromEnvironment(environment, accessToken: token, baseURI: settings?.baseUri)
                    Secrets.shared.register(configuration.accessToken)
                    let client = LaunchDarklyClient(configuration: configuration)
                    if let flag = try await client.flagIfExists(project: project, key: resource.id, environment: environmentKey) {
                        let current = try flag.configuration(for: environmentKey).targetingSummary(of: flag)
                        view.current = current
                        view.drift = setByLdedge.map { $0 != current } ?? false
                    } else {
                        view.error = "the flag no longer exists in LaunchDarkly"
                        view.drift = true
                    }
                } catch {
                    view.error = Secrets.shared.redact("\(error)")
                }
                views.append(view)
            }
        }
        return views
    }
}
