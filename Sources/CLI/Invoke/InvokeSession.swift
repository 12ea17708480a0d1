import Archive
import Foundation
import LDEdgeCore

/// A packaged handler unzipped into a temporary folder and running in a warm local runner.
public final class InvokeSession: Sendable {
    public let package: HandlerPackage
    public let runner: HandlerRunner
    private let directory: URL

    /// Unzips `package` (exactly the bytes Lambda would get) and starts its runner.
    public init(package: HandlerPackage, runnerDirectory: URL, environment: [String: String] = ProcessInfo.processInfo.environment) async throws {
        self.package = package
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ldedge-invoke-\(UUID().uuidString)")
        do {
            try ZipReader.extract(package.zip, to: directory.path)
            runner = try await HandlerRunner(runtime: package.runtime, directory: directory.path, handler: package.handler, runnerDirectory: runnerDirectory, environment: environment)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    deinit { close() }

    /// Ends the runner (without waiting for it) and removes the unzipped package.
    public func close() {
        runner.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Ends the runner, waits until it has exited, and removes the unzipped package.
    public func stop() async {
        await runner.stop()
        close()
    }

    public func invoke(_ request: ViewerRequest) async throws -> HandlerRunner.Invocation {
        try await runner.invoke(request.event)
    }

    /// Invokes `count` random client IPs on the same request and counts old and new site answers.
    public func split(count: Int, request: ViewerRequest, seed: UInt64) async throws -> SplitReport {
        var tally = SplitTally(count: count, seed: seed)
        for clientIp in SplitTally.clientIPs(count: count, seed: seed) {
            var event = request
            event.clientIp = clientIp
            let invocation = try await runner.invoke(event.event)
            let isNew = HandlerResponse(invocation.response).servesNewSite(newPrefix: package.newPrefix)
            tally.add(clientIp: clientIp, servesNewSite: isNew, durationMs: invocation.durationMs, timedOut: invocation.timedOut)
        }
        return tally.report
    }
}

/// Counts an `--ips N` split, whatever runs the edge decision (the Lambda@Edge handler, a
/// CloudFront Function): the same client IPs for the same seed, the same report.
public struct SplitTally: Sendable {
    private var partial: SplitReport
    private var answers: [String: Bool] = [:]
    private var durations: [Double] = []

    public init(count: Int, seed: UInt64) {
        partial = SplitReport(count: count, seed: seed)
        durations.reserveCapacity(count)
    }

    /// `count` public-looking IPv4 addresses (no 0/8, 10/8, 127/8 or multicast), repeatable by seed.
    public static func clientIPs(count: Int, seed: UInt64) -> [String] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            var first: UInt64
            repeat { first = 1 + generator.next() % 223 } while first == 10 || first == 127
            return "\(first).\(generator.next() % 256).\(generator.next() % 256).\(1 + generator.next() % 254)"
        }
    }

    /// Counts one answer; an IP that got another answer before counts as inconsistent.
    public mutating func add(clientIp: String, servesNewSite: Bool, durationMs: Double, timedOut: Bool = false) {
        if let earlier = answers[clientIp], earlier != servesNewSite { partial.inconsistent += 1 }
        answers[clientIp] = servesNewSite
        if servesNewSite { partial.newSite += 1 } else { partial.oldSite += 1 }
        if timedOut { partial.timedOut += 1 }
        durations.append(durationMs)
    }

    /// The split so far, with the p50 and p99 durations.
    public var report: SplitReport {
        var report = partial
        let sorted = durations.sorted()
        if !sorted.isEmpty {
            report.p50Ms = sorted[sorted.count / 2]
            report.p99Ms = sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
        }
        return report
    }
}

/// How `--ips N` split between the old and the new site.
public struct SplitReport: Codable, Sendable, Equatable {
    public var count: Int
    public var seed: UInt64
    public var oldSite = 0
    public var newSite = 0
    /// IPs that got different answers on different invocations (should be 0: bucketing is stable).
    public var inconsistent = 0
    public var timedOut = 0
    public var p50Ms = 0.0
    public var p99Ms = 0.0

    public var newShare: Double { count == 0 ? 0 : Double(newSite) / Double(count) }

    public var summary: String { summary(evaluatedBy: "handler") }

    /// The one-line split; `evaluator` names what decided (`handler`, `CloudFront Function`).
    public func summary(evaluatedBy evaluator: String) -> String {
        let old = count == 0 ? 0 : 100 * Double(oldSite) / Double(count)
        return String(
            format: "%d invocations (seed %llu): old site %d (%.1f%%), new site %d (%.1f%%); %@ p50 %.3f ms, p99 %.3f ms%@",
            count, seed, oldSite, old, newSite, 100 * newShare, evaluator as NSString, p50Ms, p99Ms,
            timedOut > 0 ? ", \(timedOut) over the 5 s limit" as NSString : "" as NSString)
    }
}

/// A small seeded generator, so a split can be repeated with `--seed`.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
