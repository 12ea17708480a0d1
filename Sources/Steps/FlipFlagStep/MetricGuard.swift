import AWS
import AWSStepSupport
import Foundation
import LDEdgeKit

/// The CloudWatch guard of a staged rollout: during each hold it reads a metric of the distribution
/// (`5xxErrorRate`, `4xxErrorRate`) or of the edge function (`lambdaErrors`) and fails the stage, so that
/// the flag is restored, when a period is over `max` or when CloudWatch has no data for the hold at all.
struct MetricGuard {
    static let metrics = ["5xxErrorRate", "4xxErrorRate", "lambdaErrors"]
    /// Periods CloudWatch accepts: high resolution 1/5/10/30 s, else whole minutes.
    static func validPeriod(_ seconds: Int) -> Bool { [1, 5, 10, 30].contains(seconds) || (seconds >= 60 && seconds % 60 == 0) }

    let name: String
    let metric: EdgeMetric
    let limit: Double
    /// `max: 1%` on lambdaErrors compares Errors / Invocations; a bare number compares the count.
    let limitIsPercentage: Bool
    let limitText: String
    let period: Int
    let distribution: String?
    let function: String?

    /// `recorded` finds the workflow's resources of a type (`distribution`, `function`): the guard
    /// reads the workflow's own distribution or function unless the input names one.
    init?(_ check: FlipFlagStep.Guard, recorded: (String) -> [Resource] = { _ in [] }) {
        guard let name = check.metric, let maxText = check.max?.text, let parsed = Self.parseLimit(maxText) else { return nil }
        self.name = name
        switch name {
        case "5xxErrorRate": metric = .errorRate5xx
        case "4xxErrorRate": metric = .errorRate4xx
        case "lambdaErrors": metric = .lambdaErrors
        default: return nil
        }
        limit = parsed.value
        limitIsPercentage = parsed.percent || metric.isPercentage
        limitText = maxText
        period = Int(Swift.min(Duration.parse(check.period ?? "60s") ?? 60, 86_400))
        distribution = check.distribution ?? Self.only(recorded("distribution"))
        function = check.function ?? Self.only(recorded("function"))
    }

    /// The id of the one recorded resource; nil when there is none or the choice is ambiguous.
    static func only(_ resources: [Resource]) -> String? {
        Set(resources.map(\.id)).count == 1 ? resources.first?.id : nil
    }

    static func parseLimit(_ text: String) -> (value: Double, percent: Bool)? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let percent = trimmed.hasSuffix("%")
        guard let value = Double(percent ? String(trimmed.dropLast()) : trimmed), value >= 0, value.isFinite else { return nil }
        return (value, percent)
    }

    static func validate(_ check: FlipFlagStep.Guard) -> [InputIssue] {
        var issues: [InputIssue] = []
        switch (check.url, check.metric) {
        case (nil, nil):
            issues.append(InputIssue(["guard"], "give the guard a 'url' to probe or a 'metric' to read (5xxErrorRate, 4xxErrorRate, lambdaErrors)"))
        case (.some, .some):
            issues.append(InputIssue(["guard", "metric"], "give either 'url' or 'metric', not both"))
        default:
            break
        }
        guard let metric = check.metric else {
            for (key, value) in [("max", check.max?.text), ("period", check.period)] where value != nil {
                issues.append(InputIssue(["guard", key], "'\(key)' belongs to a metric guard; add 'metric' or remove it"))
            }
            return issues
        }
        guard metrics.contains(metric) else {
            issues.append(InputIssue(["guard", "metric"], "unknown metric '\(metric)'; use one of \(metrics.joined(separator: ", "))"))
            return issues
        }
        if let max = check.max?.text {
            if let limit = parseLimit(max) {
                if metric != "lambdaErrors" && !max.hasSuffix("%") {
                    issues.append(InputIssue(["guard", "max"], "\(metric) is a percentage; write max: \(max)%"))
                } else if max.hasSuffix("%") && limit.value > 100 {
                    issues.append(InputIssue(["guard", "max"], "\(max) is more than 100%"))
                }
            } else {
                issues.append(InputIssue(["guard", "max"], "'\(max)' is not a threshold; write 1% (or a count of errors for lambdaErrors)"))
            }
        } else {
            issues.append(InputIssue(["guard", "max"], "a metric guard needs 'max', e.g. max: 1%"))
        }
        if let period = check.period, !(Duration.parse(period).map { $0 < 1e9 && $0 == $0.rounded() && validPeriod(Int($0)) } ?? false) {
            issues.append(InputIssue(["guard", "period"], "'\(period)' is not a CloudWatch period; use 1s, 5s, 10s, 30s or a multiple of 60s"))
        }
        for (key, given) in [("expectStatus", check.expectStatus != nil), ("maxErrorRate", check.maxErrorRate != nil), ("samples", check.samples != nil)] where given {
            issues.append(InputIssue(["guard", key], "'\(key)' belongs to a URL guard; remove it from the metric guard"))
        }
        return issues
    }

    var subject: String {
        metric == .lambdaErrors ? "function \(function ?? "")" : "distribution \(distribution ?? "")"
    }

    /// Waits out the rest of a hold, reading the metric every period (at most every 10 s) and once more at the end.
    func hold(stage index: Int, seconds: Double, elapsed: Double, startedAt: Date, context: StepContext) async throws {
        if metric == .lambdaErrors ? function == nil : distribution == nil {
            throw MetricGuardError.noSubject(metric: name, what: metric == .lambdaErrors ? "function" : "distribution")
        }
        let client = try context.awsClient(region: EdgeMetric.region).cloudWatch
        var remaining = Swift.max(0, seconds - elapsed)
        var periodsWithData = 0
        let started = Date()
        repeat {
            let slice = Swift.min(remaining, Double(Swift.min(period, 10)))
            if slice > 0 { try await Task.sleep(nanoseconds: UInt64(slice * 1e9)) }
            remaining -= slice
            try context.checkInterrupted()
            let points = try await read(client, since: startedAt)
            periodsWithData = Swift.max(periodsWithData, points.count)
            if let worst = points.max(by: { $0.value < $1.value }), worst.value > limit {
                throw MetricGuardError.overThreshold(metric: name, subject: subject, measured: format(worst.value), at: worst.timestamp, limit: limitText)
            }
            context.progress(String(format: "stage %d: holding, %.0fs of %.0fs, %@ %@", index + 1, Date().timeIntervalSince(started) + elapsed, seconds,
                                    name, points.first.map { format($0.value) } ?? "no data yet"))
        } while remaining > 0
        if periodsWithData == 0 {
            throw MetricGuardError.notEnoughData(metric: name, subject: subject, period: period, held: Int(seconds))
        }
    }

    /// The measured value per period since the stage started (one period earlier, so a short hold still sees the current period).
    func read(_ client: CloudWatchClient, since start: Date) async throws -> [(timestamp: Date, value: Double)] {
        let end = Date().addingTimeInterval(1)
        let begin = Swift.min(start, end.addingTimeInterval(-1)).addingTimeInterval(-Double(period))
        guard let errors = metric.query(distribution: distribution, function: function, period: period) else { return [] }
        guard metric == .lambdaErrors && limitIsPercentage else {
            return try await client.getMetricData([errors], start: begin, end: end)[errors.id]?.points ?? []
        }
        // Errors as a share of invocations, period by period; a period without invocations has no rate.
        guard let invocations = EdgeMetric.lambdaInvocations.query(distribution: distribution, function: function, period: period) else { return [] }
        let series = try await client.getMetricData([errors, invocations], start: begin, end: end)
        let calls = Dictionary((series[invocations.id]?.points ?? []).map { ($0.timestamp, $0.value) }, uniquingKeysWith: +)
        let failed = Dictionary((series[errors.id]?.points ?? []).map { ($0.timestamp, $0.value) }, uniquingKeysWith: +)
        return calls.compactMap { time, count in count > 0 ? (time, (failed[time] ?? 0) / count * 100) : nil }
    }

    func format(_ value: Double) -> String {
        limitIsPercentage ? EdgeMetric.errorRate5xx.format(value) : EdgeMetric.lambdaErrors.format(value)
    }
}

/// A guard's `max`: written `1%` or as a bare number (`max: 5` errors).
public struct GuardThreshold: Codable, Sendable, Equatable {
    public var text: String

    public init(_ text: String) { self.text = text }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Double.self) {
            text = number.rounded() == number && abs(number) < 1e15 ? String(Int(number)) : String(number)
        } else {
            text = try container.decode(String.self)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

enum MetricGuardError: Error, CustomStringConvertible {
    case overThreshold(metric: String, subject: String, measured: String, at: Date, limit: String)
    case notEnoughData(metric: String, subject: String, period: Int, held: Int)
    case noSubject(metric: String, what: String)

    var description: String {
        switch self {
        case .overThreshold(let metric, let subject, let measured, let at, let limit):
            return "guard failed: \(metric) of \(subject) was \(measured) in the period starting \(ISO8601DateFormatter().string(from: at)) (max \(limit)); the flag is being restored"
        case .noSubject(let metric, let what):
            return "guard failed: \(metric) needs a \(what), and this workflow records none (or several); set guard.\(what): to its \(what == "function" ? "name" : "id (e.g. ${steps.cdn.outputs.id})"). The flag is being restored"
        case .notEnoughData(let metric, let subject, let period, let held):
            return "guard failed: not enough data: CloudWatch has no \(metric) of \(subject) for the \(held) s hold; the guard needs at least 1 period of \(period) s with data (traffic through the distribution) before it can pass. The flag is being restored"
        }
    }
}
