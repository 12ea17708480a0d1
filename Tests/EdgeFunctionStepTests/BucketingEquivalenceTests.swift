import EdgeFunctionStep
import Foundation
import LDEdgeCore
import LDEdgeTestSupport
import XCTest

/// The CloudFront Function's bucketing against the official LaunchDarkly SDK (launchdarkly-server-sdk):
/// 100,000 keys x 30 flags (22 percentage rollouts over as many weight sets, salts, seeds and value
/// orders; 4 off; 4 single-variation), each flag's record made by FlagRecord (what the step writes to
/// the store), run in Node.js through the real function code (templates/edge-function), and the
/// SDK's own evaluator on the flag itself: 0 differences.
final class BucketingEquivalenceTests: XCTestCase {
    func testFunctionMatchesTheLaunchDarklySDKOn100000KeysPerFlag() throws {
        let keys = Int(ProcessInfo.processInfo.environment["LDEDGE_BUCKETING_KEYS"] ?? "") ?? 100_000
        let directory = try TemporaryDirectory("bucketing")
        defer { directory.remove() }
        let file = directory.file("cases.json")
        let judge = EdgeFixtures.fixtures.appendingPathComponent("bucketing_judge.py").path
        _ = try EdgeFixtures.python([judge, "--flags-only", String(keys), file.path])

        // Each flag's record, as the step makes it.
        guard case .object(var document) = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: file)),
              let cases = document["cases"]?.arrayValue else { return XCTFail("unreadable case file") }
        document["cases"] = .array(try cases.map { item in
            guard let flag = item["flag"] else { throw TestSupportError("a case without a flag") }
            return .object(["flag": flag, "record": .string(try FlagRecord.make(flag, key: "rebrand"))])
        })
        try JSONEncoder.canonical.encode(JSONValue.object(document)).write(to: file)

        let result = try EdgeFixtures.python([judge, file.path])
        print("bucketing: \(result.stdout)")
        let summary = try JSONDecoder().decode(JSONValue.self, from: Data(result.stdout.utf8))
        XCTAssertEqual(summary["differences"]?.intValue, 0, result.stdout)
        XCTAssertEqual(summary["keys"]?.intValue, keys)
        XCTAssertGreaterThanOrEqual(summary["cases"]?.intValue ?? 0, 28)
        XCTAssertEqual(summary["evaluations"]?.intValue, keys * (summary["cases"]?.intValue ?? 0))
    }
}
