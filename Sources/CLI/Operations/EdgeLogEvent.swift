import AWS
import Foundation

/// One log line of the edge function, with the region that wrote it.
public struct EdgeLogEvent: Sendable, Equatable, Encodable {
    /// Milliseconds since 1970.
    public var timestamp: Int64
    public var region: String
    public var logGroup: String
    public var logStream: String?
    public var eventId: String?
    /// The Lambda request id the line belongs to, when it carries one.
    public var requestId: String?
    /// The line without Lambda's timestamp and request-id columns.
    public var message: String

    public init(_ event: FilteredLogEvent, region: String, logGroup: String) {
        timestamp = event.timestamp
        self.region = region
        self.logGroup = logGroup
        logStream = event.logStreamName
        eventId = event.eventId
        let parts = Self.split(event.message)
        requestId = parts.requestId
        message = parts.message
    }

    /// `2026-12-01T09:30:00.123Z`.
    public var time: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(timestamp) / 1000))
    }

    /// `TIME REGION REQUEST-ID MESSAGE` (`-` when the line has no request id).
    public var line: String { "\(time) \(region) \(requestId ?? "-") \(message)" }

    enum CodingKeys: String, CodingKey { case time, timestamp, region, requestId, message, logGroup, logStream, eventId }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(time, forKey: .time)
        try container.encode(timestamp, forKey: .timestamp)
        try container.encode(region, forKey: .region)
        try container.encode(requestId, forKey: .requestId)
        try container.encode(message, forKey: .message)
        try container.encode(logGroup, forKey: .logGroup)
        try container.encodeIfPresent(logStream, forKey: .logStream)
        try container.encodeIfPresent(eventId, forKey: .eventId)
    }

    /// Finds the request id in Lambda's line shapes and drops the columns Lambda adds:
    /// `START RequestId: ID Version: 3`, `END RequestId: ID`, `REPORT RequestId: ID\tDuration: ...`,
    /// Python's `[INFO]\tTIME\tID\tmessage` and Node's `TIME\tID\tINFO\tmessage`.
    public static func split(_ raw: String) -> (requestId: String?, message: String) {
        var text = raw
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        if let range = text.range(of: "RequestId: ") {
            let id = text[range.upperBound...].prefix { !$0.isWhitespace }
            if isRequestId(String(id)) { return (String(id), text.replacingOccurrences(of: "\t", with: " ")) }
        }
        let columns = text.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        if let index = columns.prefix(3).firstIndex(where: isRequestId) {
            var rest = columns
            let id = rest.remove(at: index)
            // Drop Lambda's own timestamp column (the event has its timestamp); keep the level.
            if let stamp = rest.prefix(2).firstIndex(where: isLambdaTimestamp) { rest.remove(at: stamp) }
            return (id, rest.joined(separator: " ").trimmingCharacters(in: .whitespaces))
        }
        return (nil, text)
    }

    /// `2026-12-01T09:30:00.123Z`, as Lambda's runtimes prefix their lines.
    static func isLambdaTimestamp(_ text: String) -> Bool {
        text.count >= 20 && text.contains("T") && AWSTimestamp.parse(text) != nil
    }

    /// Lambda request ids are UUIDs.
    static func isRequestId(_ text: String) -> Bool {
        UUID(uuidString: text) != nil
    }
}
