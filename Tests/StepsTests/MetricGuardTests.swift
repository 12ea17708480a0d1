import AWS
import BuiltinSteps
import Foundation
import LaunchDarkly
import LDEdgeCore
import LDEdgeTestSupport
import LDSandbox
@testable import FlipFlagStep
import XCTest

/// flip-flag's CloudWatch guard: metrics written to the emulator with PutMetricData, the flag in `ldedge sandbox`.
final class MetricGuardTests: XCTestCase {
    var emulator: AWSEmulator!
    var sandbox: SandboxServer!
    var client: LaunchDarklyClient!
    var directory: TemporaryDirectory!
    let distribution = "EGUARD\(UUID().uuidString.prefix(6))"

    override func setUp() async throws {
        emulator = try await AWSEmulator.shared()
        try await emulator.reset()
        sandbox = try await LDSandboxFixture.start()
        client = LDSandboxFixture.client(for: sandbox)
        directory = try TemporaryDirectory("metric-guard")
        // An adopted flag: off, serving false; the guard's failure must put exactly this back.
        _ = try await client.createBooleanFlag(project: "default", key: "rebrand")
    }

    override func tearDown() async throws {
        await sandbox?.stop()
        directory?.remove()
    }

    var environment: [String: String] {
        emulator.environment.merging(LDSandboxFixture.sdkEnvironment(for: sandbox)) { _, new in new }.merging(["HOME": directory.path]) { _, new in new }
    }

    func workflow(_ guardLine: String) throws -> Workflow {
        try directory.write("guard.yaml", """
            name: guarded
            launchdarkly:
              accessToken: ${secret:LD_ACCESS_TOKEN}
              baseUri: ${env:LD_BASE_URI}
            steps:
              - id: flip
                uses: flip-flag
                with:
                  flag: rebrand
                  stages:
                    - {percent: 10, hold: 4s}
                    - {percent: 100}
                  guard: \(guardLine)
            """)
        return try WorkflowLoader(registry: .builtin, environment: environment).load(path: directory.file("guard.yaml").path)
    }

    func engine() -> Engine {
        Engine(registry: .builtin, options: EngineOptions(stateRoot: directory.file(".ldedge"), environment: environment))
    }

    func targeting() async throws -> FlagEnvironmentConfiguration {
        try await client.flag(project: "default", key: "rebrand", environment: "production").configuration(for: "production")
    }

    func put(_ metric: String, _ value: Double, dimensions: [MetricDimension]? = nil, namespace: String = "AWS/CloudFront") async throws {
        let dims = dimensions ?? [MetricDimension("DistributionId", distribution), MetricDimension("Region", "Global")]
        try await emulator.client().cloudWatch.putMetricData(namespace: namespace, [
            MetricDatum(metricName: metric, dimensions: dims, value: value, unit: namespace == "AWS/CloudFront" ? "Percent" : "Count", timestamp: Date()),
        ])
    }

    func testOverThresholdRestoresTheFlagAndFailsWithTheMeasuredValue() async throws {
        let before = try await targeting()
        try await put("5xxErrorRate", 7.25)
        let flow = try workflow("{metric: 5xxErrorRate, max: 1%, period: 60s, distribution: \(distribution)}")
        do {
            _ = try await engine().deploy(flow)
            XCTFail("the guard passed at 7.25%")
        } catch {
            XCTAssertTrue("\(error)".contains("5xxErrorRate of distribution \(distribution) was 7.25%"), "\(error)")
            XCTAssertTrue("\(error)".contains("max 1%"), "\(error)")
        }
        let after = try await targeting()
        XCTAssertEqual(after.on, before.on)
        XCTAssertEqual(after.fallthrough, before.fallthrough, "the 10% stage was undone")
        XCTAssertEqual(after.offVariation, before.offVariation)
    }

    func testUnderThresholdProceedsToTheNextStage() async throws {
        try await put("5xxErrorRate", 0.25)
        _ = try await engine().deploy(try workflow("{metric: 5xxErrorRate, max: 1%, period: 60s, distribution: \(distribution)}"))
        let after = try await targeting()
        XCTAssertTrue(after.on)
        XCTAssertEqual(after.fallthrough?.rollout?.variations.map(\.weight).sorted(), [0, 100_000])
    }

    func testNoDataDoesNotPass() async throws {
        let before = try await targeting()
        // Data for another distribution only.
        try await put("5xxErrorRate", 0, dimensions: [MetricDimension("DistributionId", "EOTHER"), MetricDimension("Region", "Global")])
        do {
            _ = try await engine().deploy(try workflow("{metric: 5xxErrorRate, max: 1%, period: 60s, distribution: \(distribution)}"))
            XCTFail("no data passed the guard")
        } catch {
            XCTAssertTrue("\(error)".contains("not enough data"), "\(error)")
            XCTAssertTrue("\(error)".contains("at least 1 period of 60 s"), "\(error)")
        }
        let after = try await targeting()
        XCTAssertEqual(after.fallthrough, before.fallthrough)
    }

    func testLambdaErrorsAsCountAndInvalidGuards() async throws {
        try await put("Errors", 4, dimensions: [MetricDimension("FunctionName", "edge-fn")], namespace: "AWS/Lambda")
        do {
            _ = try await engine().deploy(try workflow("{metric: lambdaErrors, max: 2, period: 60s, function: edge-fn}"))
            XCTFail("4 errors passed max 2")
        } catch {
            XCTAssertTrue("\(error)".contains("lambdaErrors of function edge-fn was 4"), "\(error)")
        }
        for (line, message) in [
            ("{metric: 5xxErrorRate, max: 1, distribution: E1}", "write max: 1%"),
            ("{metric: 5xxErrorRate, max: 1%, period: 45s, distribution: E1}", "not a CloudWatch period"),
            ("{metric: latency, max: 1%, distribution: E1}", "latency"),
            ("{url: 'http://127.0.0.1:9/', metric: 5xxErrorRate, max: 1%, distribution: E1}", "either 'url' or 'metric'"),
        ] {
            XCTAssertThrowsError(try workflow(line), line) { error in
                XCTAssertTrue("\(error)".contains(message), "\(line): \(error)")
            }
        }
    }

    /// Without `distribution:` the guard reads the workflow's own recorded distribution (or
    /// function); with none recorded, the stage fails with what to set, and the flag is restored.
    func testTheGuardFindsTheWorkflowsDistributionOrSaysWhatToSet() async throws {
        let check = try JSONValue.object(["metric": .string("5xxErrorRate"), "max": .string("1%")]).decode(FlipFlagStep.Guard.self)
        let found = MetricGuard(check) { type in type == "distribution" ? [Resource(type: "distribution", id: "EFOUND")] : [] }
        XCTAssertEqual(found?.distribution, "EFOUND")
        let ambiguous = MetricGuard(check) { _ in [Resource(type: "distribution", id: "E1"), Resource(type: "distribution", id: "E2")] }
        XCTAssertNil(ambiguous?.distribution, "two distributions: the guard must be told which")

        let before = try await targeting()
        do {
            _ = try await engine().deploy(try workflow("{metric: 5xxErrorRate, max: 1%, period: 60s}"))
            XCTFail("a guard with no distribution passed")
        } catch {
            XCTAssertTrue("\(error)".contains("set guard.distribution:"), "\(error)")
        }
        let after = try await targeting()
        XCTAssertEqual(after.fallthrough, before.fallthrough)
    }
}
