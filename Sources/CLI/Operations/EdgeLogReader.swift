import AWS
import Foundation
import Synchronization

/// Reads the edge function's log groups in every region and merges them by time.
///
/// Lambda@Edge writes to `/aws/lambda/us-east-1.FUNCTION` in whichever region served the viewer,
/// so the groups are found region by region (concurrently); regions without the group cost one
/// DescribeLogGroups call and are skipped silently. A region that refuses (AccessDenied) is
/// reported once through `warn` and left out; the others are still read.
public final class EdgeLogReader: Sendable {
    public struct Options: Sendable {
        public var startTime: Int64?
        public var endTime: Int64?
        public var filterPattern: String?
        /// Events per FilterLogEvents page.
        public var pageSize: Int = 1000

        public init(startTime: Int64? = nil, endTime: Int64? = nil, filterPattern: String? = nil) {
            self.startTime = startTime
            self.endTime = endTime
            self.filterPattern = filterPattern
        }
    }

    let client: AWSClient
    let groupName: String
    let regions: [String]
    let warn: @Sendable (String) -> Void
    /// Regions already reported as failing, so each is reported once.
    private let reported = Mutex<Set<String>>([])

    /// `client` supplies credentials and endpoints; each region gets its own copy of it.
    public init(client: AWSClient, groupName: String, regions: [String], warn: @escaping @Sendable (String) -> Void) {
        self.client = client
        self.groupName = groupName
        self.regions = regions
        self.warn = warn
    }

    /// The regions that hold the log group (exact name: a longer function name sharing the prefix is not ours).
    public func regionsWithGroup() async throws -> [String] {
        let found = await withTaskGroup(of: (String, Result<Bool, Error>).self) { group in
            for region in regions {
                group.addTask { [client, groupName] in
                    do {
                        let groups = try await client.inRegion(region).logs.describeLogGroups(prefix: groupName)
                        return (region, .success(groups.contains { $0.logGroupName == groupName }))
                    } catch {
                        return (region, .failure(error))
                    }
                }
            }
            var results: [(String, Result<Bool, Error>)] = []
            for await result in group { results.append(result) }
            return results
        }
        var regionsWithGroup: [String] = []
        var failures: [String] = []
        for (region, result) in found.sorted(by: { $0.0 < $1.0 }) {
            switch result {
            case .success(true): regionsWithGroup.append(region)
            case .success(false): break
            case .failure(let error):
                if error is CancellationError { throw error }
                failures.append("\(region): \(error)")
                report(region, error)
            }
        }
        if !regions.isEmpty && failures.count == regions.count {
            throw OperationsError.everyRegionFailed(failures.first ?? "")
        }
        return regionsWithGroup
    }

    /// Every matching event in `regions` (pages followed), merged by timestamp.
    public func read(regions: [String], options: Options) async throws -> [EdgeLogEvent] {
        let perRegion = await withTaskGroup(of: (String, Result<[EdgeLogEvent], Error>).self) { group in
            for region in regions {
                group.addTask { [client, groupName] in
                    do {
                        let filter = LogEventFilter(logGroupName: groupName, startTime: options.startTime, endTime: options.endTime,
                                                    filterPattern: options.filterPattern, pageSize: options.pageSize)
                        let events = try await client.inRegion(region).logs.filterLogEvents(filter)
                        return (region, .success(events.map { EdgeLogEvent($0, region: region, logGroup: groupName) }))
                    } catch {
                        return (region, .failure(error))
                    }
                }
            }
            var results: [(String, Result<[EdgeLogEvent], Error>)] = []
            for await result in group { results.append(result) }
            return results
        }
        var events: [EdgeLogEvent] = []
        for (region, result) in perRegion {
            switch result {
            case .success(let found): events += found
            case .failure(let error):
                if error is CancellationError { throw error }
                if (error as? AWSError)?.isNotFound == true { continue }  // the group went away meanwhile
                report(region, error)
            }
        }
        return Self.merge(events)
    }

    /// Time order; equal timestamps keep a stable order (region, then the service's order).
    public static func merge(_ events: [EdgeLogEvent]) -> [EdgeLogEvent] {
        events.enumerated().sorted { lhs, rhs in
            if lhs.element.timestamp != rhs.element.timestamp { return lhs.element.timestamp < rhs.element.timestamp }
            if lhs.element.region != rhs.element.region { return lhs.element.region < rhs.element.region }
            return lhs.offset < rhs.offset
        }.map(\.element)
    }

    private func report(_ region: String, _ error: Error) {
        let first = reported.withLock { $0.insert(region).inserted }
        guard first else { return }
        let code = (error as? AWSError)?.code ?? ""
        if code.hasPrefix("AccessDenied") || code == "UnrecognizedClientException" || code == "UnauthorizedOperation" {
            warn("warning: \(region): access denied to CloudWatch Logs (\(code)); its log lines are not shown. Grant logs:DescribeLogGroups and logs:FilterLogEvents there to see them")
        } else {
            warn("warning: \(region): \(error); its log lines are not shown")
        }
    }
}
