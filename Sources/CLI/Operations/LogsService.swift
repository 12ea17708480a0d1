import AWS
import Foundation
import LDEdgeApp
import LDEdgeCore

/// `ldedge logs`: the edge function's log lines from every region, merged by time, once or following.
public struct LogsService: Sendable {
    public struct Request: Sendable {
        public var workflow: String?
        public var step: String?
        /// A duration back from now (`15m`) or an ISO 8601 time.
        public var since: String = "15m"
        public var follow = false
        public var filterPattern: String?
        public var json = false
        public init() {}
    }

    let workflows: WorkflowService
    /// How long `--follow` waits between polls: the first wait, doubled while nothing new arrives, up to the cap.
    public var pollInterval: TimeInterval = 1
    public var maxPollInterval: TimeInterval = 10
    /// How often `--follow` looks for log groups in regions that had none (a region serving its first viewer).
    public var rediscoverInterval: TimeInterval = 10

    public init(workflows: WorkflowService) {
        self.workflows = workflows
    }

    public func run(_ request: Request) async -> ExitStatus {
        let console = workflows.console
        return await workflows.run {
            let (name, _, location) = try await workflows.resolveState(request.workflow)
            let state = try await location.store(for: name).load()
            let edge = try DeployedEdge.find(in: state, step: request.step, registry: workflows.registry)
            let start = try TimeSpec.parse(request.since)
            let client = try state.settings.awsClient(region: "us-east-1", environment: workflows.environment)
            let regions = try await EdgeRegions.enabled(client)
            let reader = EdgeLogReader(client: client, groupName: edge.logGroupName, regions: regions) { console.err($0) }
            var groups = try await reader.regionsWithGroup()
            var lastDiscovery = Date()
            if groups.isEmpty {
                console.err("no log group \(edge.logGroupName) in any of \(regions.count) regions yet (CloudFront creates one in each region that serves a viewer)")
            }
            var options = EdgeLogReader.Options(startTime: Self.milliseconds(start), filterPattern: request.filterPattern)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            func show(_ event: EdgeLogEvent) {
                if request.json {
                    console.out((try? encoder.encode(event)).map { String(decoding: $0, as: UTF8.self) } ?? "{}")
                } else {
                    console.out(event.line)
                }
            }
            var cursor = Self.milliseconds(start)
            var seen = Set<String>()
            for event in try await reader.read(regions: groups, options: options) {
                show(event)
                seen.insert(Self.key(event))
                cursor = max(cursor, event.timestamp)
            }
            guard request.follow else { return .success }

            // Follow: re-read from a little before the newest line (CloudWatch may ingest late lines), skip what was shown.
            var delay = pollInterval
            while true {
                try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
                if Date().timeIntervalSince(lastDiscovery) >= rediscoverInterval || groups.isEmpty {
                    groups = try await reader.regionsWithGroup()
                    lastDiscovery = Date()
                }
                let lookback = cursor - Self.lateArrival
                options.startTime = lookback
                let fresh = try await reader.read(regions: groups, options: options).filter { !seen.contains(Self.key($0)) }
                for event in fresh {
                    show(event)
                    seen.insert(Self.key(event))
                    cursor = max(cursor, event.timestamp)
                }
                if seen.count > 50_000 { seen = [] }  // bounded memory on a busy function; at worst a late line shows twice
                delay = fresh.isEmpty ? min(delay * 2, maxPollInterval) : pollInterval
            }
        }
    }

    /// Milliseconds `--follow` looks back for lines CloudWatch ingested after newer ones.
    static let lateArrival: Int64 = 30_000

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    static func key(_ event: EdgeLogEvent) -> String {
        "\(event.region)/\(event.eventId ?? "\(event.logStream ?? "")/\(event.timestamp)/\(event.message)")"
    }
}
