import Foundation

/// A metric dimension (`DistributionId=E123`).
public struct MetricDimension: Sendable, Hashable, Codable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// One statistic of one metric, per period: what a GetMetricData query asks for.
public struct MetricQuery: Sendable, Hashable {
    /// Identifies the result; lower-case letter first, then letters, digits and '_' (AWS's rule).
    public var id: String
    public var namespace: String
    public var metricName: String
    public var dimensions: [MetricDimension]
    /// Seconds per data point (a multiple of 60, or 1/5/10/30 for high resolution).
    public var period: Int
    /// `Average`, `Sum`, `Maximum`, `Minimum`, `SampleCount` or a percentile such as `p99`.
    public var stat: String

    public init(id: String, namespace: String, metricName: String, dimensions: [MetricDimension], period: Int, stat: String) {
        self.id = id
        self.namespace = namespace
        self.metricName = metricName
        self.dimensions = dimensions
        self.period = period
        self.stat = stat
    }
}

/// The data points of one query, newest first.
public struct MetricSeries: Sendable, Equatable {
    public var id: String
    public var label: String?
    public var points: [(timestamp: Date, value: Double)]
    public var statusCode: String?

    public static func == (lhs: MetricSeries, rhs: MetricSeries) -> Bool {
        lhs.id == rhs.id && lhs.label == rhs.label && lhs.statusCode == rhs.statusCode
            && lhs.points.map(\.timestamp) == rhs.points.map(\.timestamp) && lhs.points.map(\.value) == rhs.points.map(\.value)
    }

    /// The newest data point, if any.
    public var latest: (timestamp: Date, value: Double)? { points.max { $0.timestamp < $1.timestamp } }
}

/// One value PutMetricData writes.
public struct MetricDatum: Sendable {
    public var metricName: String
    public var dimensions: [MetricDimension]
    public var value: Double
    public var unit: String?
    public var timestamp: Date?

    public init(metricName: String, dimensions: [MetricDimension], value: Double, unit: String? = nil, timestamp: Date? = nil) {
        self.metricName = metricName
        self.dimensions = dimensions
        self.value = value
        self.unit = unit
        self.timestamp = timestamp
    }
}

/// CloudWatch metrics (query API 2010-08-01, `monitoring`), in the client's region.
public struct CloudWatchClient: Sendable {
    public let client: AWSClient
    static let version = "2010-08-01"

    public init(_ client: AWSClient) { self.client = client }

    /// The data points of each query between `start` and `end`, following all pages; one series per query id.
    public func getMetricData(_ queries: [MetricQuery], start: Date, end: Date) async throws -> [String: MetricSeries] {
        guard !queries.isEmpty else { return [:] }
        var base: [(String, String)] = [
            ("StartTime", Self.timestamp(start)), ("EndTime", Self.timestamp(end)), ("ScanBy", "TimestampDescending"),
        ]
        for (index, query) in queries.enumerated() {
            let prefix = "MetricDataQueries.member.\(index + 1)"
            base += [
                ("\(prefix).Id", query.id),
                ("\(prefix).MetricStat.Metric.Namespace", query.namespace),
                ("\(prefix).MetricStat.Metric.MetricName", query.metricName),
                ("\(prefix).MetricStat.Period", String(query.period)),
                ("\(prefix).MetricStat.Stat", query.stat),
                ("\(prefix).ReturnData", "true"),
            ]
            for (position, dimension) in query.dimensions.enumerated() {
                base += [
                    ("\(prefix).MetricStat.Metric.Dimensions.member.\(position + 1).Name", dimension.name),
                    ("\(prefix).MetricStat.Metric.Dimensions.member.\(position + 1).Value", dimension.value),
                ]
            }
        }
        var series: [String: MetricSeries] = [:]
        var token: String?
        let resource = "metrics " + queries.map { "\($0.namespace)/\($0.metricName)" }.joined(separator: ", ")
        repeat {
            let parameters = base + (token.map { [("NextToken", $0)] } ?? [])
            let response = try await client.queryCall(.cloudWatch, operation: "GetMetricData", version: Self.version, parameters: parameters,
                                                      resource: resource, mutating: false)
            let root = try XMLTreeNode(parsing: response.body)
            guard let result = root.descendant("GetMetricDataResult") else {
                throw AWSError.decoding(service: .cloudWatch, operation: "GetMetricData", field: "GetMetricDataResult", detail: "required field is missing")
            }
            for member in result.child("MetricDataResults")?.elements ?? [] {
                let id = try member.requiredText("Id", service: .cloudWatch, operation: "GetMetricData", context: "MetricDataResults.member")
                let timestamps = (member.child("Timestamps")?.elements ?? []).map(\.text)
                let values = (member.child("Values")?.elements ?? []).map(\.text)
                guard timestamps.count == values.count else {
                    throw AWSError.decoding(service: .cloudWatch, operation: "GetMetricData", field: "MetricDataResults.member.Values",
                                            detail: "\(values.count) values for \(timestamps.count) timestamps")
                }
                var points: [(timestamp: Date, value: Double)] = []
                for (time, value) in zip(timestamps, values) {
                    guard let date = AWSTimestamp.parse(time), let number = Double(value) else {
                        throw AWSError.decoding(service: .cloudWatch, operation: "GetMetricData", field: "MetricDataResults.member",
                                                detail: "unreadable data point \(time) = \(value)")
                    }
                    points.append((date, number))
                }
                var entry = series[id] ?? MetricSeries(id: id, label: member.optionalText("Label"), points: [], statusCode: nil)
                entry.points += points
                entry.statusCode = member.optionalText("StatusCode") ?? entry.statusCode
                series[id] = entry
            }
            token = nonEmpty(result.optionalText("NextToken"))
        } while token != nil
        return series
    }

    /// Publishes data points under `namespace` (tests and fixtures; AWS namespaces are written by AWS itself).
    public func putMetricData(namespace: String, _ data: [MetricDatum]) async throws {
        var parameters: [(String, String)] = [("Namespace", namespace)]
        for (index, datum) in data.enumerated() {
            let prefix = "MetricData.member.\(index + 1)"
            parameters += [("\(prefix).MetricName", datum.metricName), ("\(prefix).Value", String(datum.value))]
            if let unit = datum.unit { parameters.append(("\(prefix).Unit", unit)) }
            if let timestamp = datum.timestamp { parameters.append(("\(prefix).Timestamp", Self.timestamp(timestamp))) }
            for (position, dimension) in datum.dimensions.enumerated() {
                parameters += [
                    ("\(prefix).Dimensions.member.\(position + 1).Name", dimension.name),
                    ("\(prefix).Dimensions.member.\(position + 1).Value", dimension.value),
                ]
            }
        }
        try await client.queryCall(.cloudWatch, operation: "PutMetricData", version: Self.version, parameters: parameters,
                                   resource: "namespace \(namespace)", mutating: true)
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
