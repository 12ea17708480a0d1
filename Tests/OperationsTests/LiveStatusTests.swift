import AWS
import Foundation
import LaunchDarkly
import LDEdgeTestSupport
import LDSandbox
import XCTest

/// `ldedge status --live` against the emulator (CloudFront, Lambda, CloudWatch) and `ldedge sandbox`.
final class LiveStatusTests: OperationsTestCase {
    var sandbox: SandboxServer!

    override func setUp() async throws {
        try await super.setUp()
        sandbox = try await LDSandboxFixture.start()
    }

    override func tearDown() async throws {
        await sandbox?.stop()
        try await super.tearDown()
    }

    var ldEnvironment: [String: String] { LDSandboxFixture.sdkEnvironment(for: sandbox) }

    let flip = """
          - id: flip
            uses: flip-flag
            needs: edge
            with:
              flag: rebrand
              rollout: {true: 25, false: 75}
        """

    func testShowsMetricsAsMeasuredAndFlagDrift() async throws {
        let header = "launchdarkly:\n  accessToken: ${secret:LD_ACCESS_TOKEN}\n  baseUri: ${env:LD_BASE_URI}\n"
        let state = try await deploy(edgeWorkflow(more: flip, header: header), extra: ldEnvironment)
        let distribution = try XCTUnwrap(state.steps["cdn"]?.outputs["id"])
        let cloudWatch = emulator.client().cloudWatch
        let cloudFront = [MetricDimension("DistributionId", distribution), MetricDimension("Region", "Global")]
        let now = Date()
        try await cloudWatch.putMetricData(namespace: "AWS/CloudFront", [
            MetricDatum(metricName: "Requests", dimensions: cloudFront, value: 120, unit: "None", timestamp: now.addingTimeInterval(-240)),
            MetricDatum(metricName: "Requests", dimensions: cloudFront, value: 345, unit: "None", timestamp: now.addingTimeInterval(-60)),
            MetricDatum(metricName: "5xxErrorRate", dimensions: cloudFront, value: 7.25, unit: "Percent", timestamp: now.addingTimeInterval(-60)),
            MetricDatum(metricName: "4xxErrorRate", dimensions: cloudFront, value: 0.5, unit: "Percent", timestamp: now.addingTimeInterval(-60)),
            // Another distribution's numbers must not count.
            MetricDatum(metricName: "5xxErrorRate", dimensions: [MetricDimension("DistributionId", "EOTHER"), MetricDimension("Region", "Global")],
                        value: 99, unit: "Percent", timestamp: now.addingTimeInterval(-30)),
        ])
        try await cloudWatch.putMetricData(namespace: "AWS/Lambda", [
            MetricDatum(metricName: "Errors", dimensions: [MetricDimension("FunctionName", functionName)], value: 3, unit: "Count", timestamp: now.addingTimeInterval(-120)),
        ])

        let result = try ldedge(["status", "ops", "--live"], extra: ldEnvironment)
        XCTAssertEqual(result.status, 0, result.stderr)
        let out = result.stdout
        XCTAssertTrue(out.contains("5xxErrorRate  7.25%"), out)
        XCTAssertTrue(out.contains("4xxErrorRate  0.5%"), out)
        XCTAssertTrue(out.contains("Requests      345"), out)
        XCTAssertTrue(out.contains("Errors        3"), out)
        XCTAssertTrue(out.contains("Throttles     no data"), out)
        XCTAssertTrue(out.contains("\(distribution) Deployed"), out)
        XCTAssertTrue(out.contains("\(functionName): version 1 associated"), out)
        XCTAssertTrue(out.contains("versions      1"), out)
        XCTAssertTrue(out.contains("rebrand in default/production: on: rollout true 25% / false 75%"), out)
        XCTAssertTrue(out.contains("no drift"), out)

        // Someone changes the flag by hand: drift.
        let client = LDSandboxFixture.client(for: sandbox)
        let flag = try await client.flag(project: "default", key: "rebrand", environment: "production")
        let trueId = try flag.variationID(for: .bool(true))
        _ = try await client.applySemanticPatch(project: "default", flag: "rebrand", environment: "production",
                                                instructions: [.updateFallthroughVariation(variationID: trueId)])
        let drifted = try ldedge(["status", "ops", "--live", "--json"], extra: ldEnvironment)
        XCTAssertEqual(drifted.status, 0, drifted.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(drifted.stdout.utf8)) as? [String: Any])
        let flags = try XCTUnwrap(object["flags"] as? [[String: Any]])
        XCTAssertEqual(flags.first?["drift"] as? Bool, true)
        XCTAssertEqual(flags.first?["current"] as? String, "on: serve true (off serves false)")
        XCTAssertEqual(flags.first?["setByLdedge"] as? String, "on: rollout true 25% / false 75% (off serves false)")
        let metrics = try XCTUnwrap(object["metrics"] as? [[String: Any]])
        XCTAssertEqual(metrics.first { $0["name"] as? String == "5xxErrorRate" }?["value"] as? Double, 7.25)
        XCTAssertFalse(drifted.stdout.contains(sandbox.accessToken), "no secret in output")
        let text = try ldedge(["status", "ops", "--live"], extra: ldEnvironment)
        XCTAssertTrue(text.stdout.contains("DRIFT: changed outside ldedge"), text.stdout)
    }

    func testMetricFormatting() {
        XCTAssertEqual(EdgeMetric.errorRate5xx.format(7.25), "7.25%")
        XCTAssertEqual(EdgeMetric.errorRate5xx.format(10), "10%")
        XCTAssertEqual(EdgeMetric.requests.format(100), "100")
        XCTAssertEqual(EdgeMetric.requests.format(0), "0")
        XCTAssertEqual(EdgeMetric.errorRate4xx.format(0.5), "0.5%")
    }
}
