import Foundation

/// A log group as DescribeLogGroups lists it.
public struct LogGroup: Sendable, Equatable, Decodable {
    public var logGroupName: String
    public var arn: String?
    public var creationTime: Int64?
    public var storedBytes: Int64?
}

/// One event FilterLogEvents returned; `timestamp` is milliseconds since 1970.
public struct FilteredLogEvent: Sendable, Equatable, Decodable {
    public var logStreamName: String?
    public var timestamp: Int64
    public var message: String
    public var ingestionTime: Int64?
    public var eventId: String?

    public init(logStreamName: String?, timestamp: Int64, message: String, ingestionTime: Int64? = nil, eventId: String? = nil) {
        self.logStreamName = logStreamName
        self.timestamp = timestamp
        self.message = message
        self.ingestionTime = ingestionTime
        self.eventId = eventId
    }

    public var date: Date { Date(timeIntervalSince1970: Double(timestamp) / 1000) }
}

/// What FilterLogEvents reads: one group, a time window in milliseconds, an optional filter pattern.
public struct LogEventFilter: Sendable, Equatable {
    public var logGroupName: String
    public var startTime: Int64?
    public var endTime: Int64?
    public var filterPattern: String?
    /// Events per page (AWS caps it at 10,000; nil leaves the service default).
    public var pageSize: Int?

    public init(logGroupName: String, startTime: Int64? = nil, endTime: Int64? = nil, filterPattern: String? = nil, pageSize: Int? = nil) {
        self.logGroupName = logGroupName
        self.startTime = startTime
        self.endTime = endTime
        self.filterPattern = filterPattern
        self.pageSize = pageSize
    }
}

/// CloudWatch Logs operations (JSON 1.1, target prefix `Logs_20140328`), in the client's region.
public struct CloudWatchLogsClient: Sendable {
    public let client: AWSClient
    static let targetPrefix = "Logs_20140328"

    public init(_ client: AWSClient) { self.client = client }

    /// Every log group whose name starts with `prefix`, following all pages.
    public func describeLogGroups(prefix: String) async throws -> [LogGroup] {
        struct Page: Decodable {
            let logGroups: [LogGroup]?
            let nextToken: String?
        }
        var groups: [LogGroup] = []
        var token: String?
        repeat {
            var body: [String: Any] = ["logGroupNamePrefix": prefix]
            if let token { body["nextToken"] = token }
            let page = try await call("DescribeLogGroups", resource: "log groups \(prefix)*", body: body, Page.self)
            groups += page.logGroups ?? []
            token = nonEmpty(page.nextToken)
        } while token != nil
        return groups
    }

    /// One page of matching events and the token of the next page (nil on the last page).
    public func filterLogEventsPage(_ filter: LogEventFilter, nextToken: String? = nil) async throws -> (events: [FilteredLogEvent], nextToken: String?) {
        struct Page: Decodable {
            let events: [FilteredLogEvent]?
            let nextToken: String?
        }
        var body: [String: Any] = ["logGroupName": filter.logGroupName]
        if let start = filter.startTime { body["startTime"] = start }
        if let end = filter.endTime { body["endTime"] = end }
        if let pattern = filter.filterPattern, !pattern.isEmpty { body["filterPattern"] = pattern }
        if let size = filter.pageSize { body["limit"] = size }
        if let nextToken { body["nextToken"] = nextToken }
        let page = try await call("FilterLogEvents", resource: "log group \(filter.logGroupName)", body: body, Page.self)
        return (page.events ?? [], nonEmpty(page.nextToken))
    }

    /// Every matching event, following all pages (in the order the service returns them).
    public func filterLogEvents(_ filter: LogEventFilter) async throws -> [FilteredLogEvent] {
        var events: [FilteredLogEvent] = []
        var token: String?
        repeat {
            let page = try await filterLogEventsPage(filter, nextToken: token)
            events += page.events
            token = page.nextToken
        } while token != nil
        return events
    }

    /// Creates a log group (tests and fixtures; ldedge itself only reads logs).
    public func createLogGroup(name: String) async throws {
        try await send("CreateLogGroup", resource: "log group \(name)", body: ["logGroupName": name], mutating: true)
    }

    public func createLogStream(group: String, stream: String) async throws {
        try await send("CreateLogStream", resource: "log group \(group)", body: ["logGroupName": group, "logStreamName": stream], mutating: true)
    }

    /// Writes events to a stream; they must be in timestamp order (as AWS requires).
    public func putLogEvents(group: String, stream: String, events: [(timestamp: Int64, message: String)]) async throws {
        let items: [[String: Any]] = events.map { ["timestamp": $0.timestamp, "message": $0.message] }
        try await send("PutLogEvents", resource: "log group \(group)", body: ["logGroupName": group, "logStreamName": stream, "logEvents": items], mutating: true)
    }

    // MARK: Transport

    private func call<T: Decodable>(_ operation: String, resource: String, body: [String: Any], _ type: T.Type) async throws -> T {
        let response = try await send(operation, resource: resource, body: body, mutating: false)
        return try ResponseDecoding.json(T.self, from: response.body, service: .logs, operation: operation)
    }

    @discardableResult
    private func send(_ operation: String, resource: String, body: [String: Any], mutating: Bool) async throws -> AWSHTTPResponse {
        let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        return try await client.send(AWSHTTPRequest(
            service: .logs, operation: operation, resource: resource, method: .POST,
            headers: [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "\(Self.targetPrefix).\(operation)")],
            body: data, isMutating: mutating
        ))
    }
}
