import AWS
import Foundation
import LDEdgeTestSupport
import Operations
import XCTest

/// `ldedge logs` against CloudWatch Logs on the emulator, run as the real binary.
final class LogsTests: OperationsTestCase {
    var group: String { "/aws/lambda/us-east-1.\(functionName)" }

    func lines(_ output: String) -> [String] { output.split(separator: "\n").map(String.init) }

    func testMergesThreeRegionsInTimeOrderAndIgnoresOtherFunctions() async throws {
        try await deploy()
        let base = Self.nowMilliseconds(offset: -300)
        let request = "6f1c2b9e-1d2a-4c3b-9e8f-0a1b2c3d4e5f"
        try await putLogs(region: "eu-west-1", group: group, [(base + 1000, "START RequestId: \(request) Version: 1\n"), (base + 4000, "eu second")])
        try await putLogs(region: "us-east-1", group: group, [(base + 2000, "[INFO]\t2026-12-01T10:00:02.000Z\t\(request)\tsource=launchdarkly variation=true\n")])
        try await putLogs(region: "ap-southeast-2", group: group, [(base + 3000, "ap first"), (base + 5000, "ap second")])
        try await putLogs(region: "eu-west-1", group: "/aws/lambda/us-east-1.\(functionName)-other", [(base + 2500, "OTHER FUNCTION")])
        try await putLogs(region: "eu-west-1", group: "/aws/lambda/\(functionName)", [(base + 2600, "NOT EDGE")])

        let result = try ldedge(["logs", "ops", "--since", "15m"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let output = lines(result.stdout)
        XCTAssertEqual(output.map { $0.split(separator: " ")[1] }, ["eu-west-1", "us-east-1", "ap-southeast-2", "eu-west-1", "ap-southeast-2"], result.stdout)
        XCTAssertTrue(output[0].hasSuffix(" eu-west-1 \(request) START RequestId: \(request) Version: 1"), output[0])
        XCTAssertTrue(output[1].hasSuffix(" us-east-1 \(request) [INFO] source=launchdarkly variation=true"), output[1])
        XCTAssertTrue(output[2].hasSuffix(" ap-southeast-2 - ap first"), output[2])
        XCTAssertFalse(result.stdout.contains("OTHER FUNCTION") || result.stdout.contains("NOT EDGE"), result.stdout)
        let times = output.map { String($0.split(separator: " ")[0]) }
        XCTAssertEqual(times, times.sorted())
        XCTAssertEqual(times.first, EdgeLogEvent(FilteredLogEvent(logStreamName: nil, timestamp: base + 1000, message: ""), region: "", logGroup: "").time)
        XCTAssertEqual(result.stderr, "", "regions without the group are silent")

        let json = try ldedge(["logs", "ops", "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let objects = try lines(json.stdout).map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        XCTAssertEqual(objects.count, 5)
        XCTAssertEqual(objects.map { $0["timestamp"] as? Int64 }, [base + 1000, base + 2000, base + 3000, base + 4000, base + 5000])
        XCTAssertEqual(objects[1]["region"] as? String, "us-east-1")
        XCTAssertEqual(objects[1]["requestId"] as? String, request)
        XCTAssertEqual(objects[4]["message"] as? String, "ap second")
    }

    func testSinceCutsByDurationAndByTime() async throws {
        try await deploy()
        let now = Self.nowMilliseconds()
        try await putLogs(region: "us-west-2", group: group, [(now - 3 * 3_600_000, "three hours ago"), (now - 40 * 60_000, "forty minutes ago"), (now - 60_000, "a minute ago")])
        let recent = try ldedge(["logs", "--since", "15m"])
        XCTAssertEqual(recent.status, 0, recent.stderr)
        XCTAssertEqual(lines(recent.stdout).map { $0.components(separatedBy: " - ").last }, ["a minute ago"])
        let hour = try ldedge(["logs", "--since", "1h"])
        XCTAssertEqual(lines(hour.stdout).count, 2, hour.stdout)
        let formatter = ISO8601DateFormatter()
        let iso = formatter.string(from: Date(timeIntervalSince1970: Double(now) / 1000 - 4 * 3600))
        let all = try ldedge(["logs", "ops", "--since", iso])
        XCTAssertEqual(lines(all.stdout).count, 3, all.stdout + all.stderr)
        XCTAssertEqual(lines(all.stdout).first?.hasSuffix("three hours ago"), true)

        let bad = try ldedge(["logs", "--since", "yesterday"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("'yesterday' is neither a duration"), bad.stderr)
    }

    func testFollowShowsAnEventWrittenAfterItStarted() async throws {
        try await deploy()
        try await putLogs(region: "eu-central-1", group: group, [(Self.nowMilliseconds(offset: -5), "before follow")])
        let process = try startProcess(try ldedgeBinary(), ["logs", "ops", "--follow", "--since", "5m"], in: directory.url, environment: environment)
        let sawFirst = try await eventually(30) { process.stdoutSoFar.contains("before follow") }
        XCTAssertTrue(sawFirst, process.stderrSoFar)
        try await putLogs(region: "eu-central-1", group: group, stream: "2026/12/01/[1]later", [(Self.nowMilliseconds(), "after follow started")])
        try await putLogs(region: "sa-east-1", group: group, [(Self.nowMilliseconds(), "new region while following")])
        let sawSecond = try await eventually(40) {
            process.stdoutSoFar.contains("after follow started") && process.stdoutSoFar.contains("new region while following")
        }
        process.signal(SIGINT)
        let result = process.wait()
        XCTAssertTrue(sawSecond, result.stdout + result.stderr)
        XCTAssertEqual(result.stdout.components(separatedBy: "before follow").count, 2, "each line once: \(result.stdout)")
        XCTAssertEqual(result.stdout.components(separatedBy: "after follow started").count, 2, "each line once: \(result.stdout)")
    }

    func testPaginatesOverTwoThousandEvents() async throws {
        try await deploy()
        let base = Self.nowMilliseconds(offset: -600)
        try await putLogs(region: "us-east-1", group: group, (0..<2000).map { (base + Int64($0) * 10, "event \($0)") })
        try await emulator.clearCalls()
        let result = try ldedge(["logs", "ops", "--since", "15m"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let output = lines(result.stdout)
        XCTAssertEqual(output.count, 2000)
        XCTAssertEqual(output.first?.hasSuffix(" event 0"), true)
        XCTAssertEqual(output.last?.hasSuffix(" event 1999"), true)
        XCTAssertEqual(Set(output.map { $0.components(separatedBy: " - ").last ?? "" }).count, 2000)
        let filterCalls = try await emulator.calls().filter { $0.operation == "FilterLogEvents" }
        XCTAssertGreaterThanOrEqual(filterCalls.count, 2, "more than one page")
    }

    func testAccessDeniedInOneRegionIsReportedOnceAndOthersShown() async throws {
        try await deploy()
        let base = Self.nowMilliseconds(offset: -60)
        try await putLogs(region: "us-east-1", group: group, [(base, "visible")])
        try await putLogs(region: "eu-west-2", group: group, [(base + 1, "hidden")])
        try await emulator.injectFault(service: "logs", status: 400, code: "AccessDeniedException",
                                       message: "User is not authorized to perform logs:DescribeLogGroups", count: 10, region: "eu-west-2")
        let result = try ldedge(["logs", "ops"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(lines(result.stdout).count, 1)
        XCTAssertTrue(result.stdout.contains("visible"))
        XCTAssertEqual(result.stderr.components(separatedBy: "eu-west-2").count - 1, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("access denied"), result.stderr)
    }

    func testFilterPatternAndMissingFunction() async throws {
        let empty = try ldedge(["logs", "nothing"])
        XCTAssertEqual(empty.status, 1)
        try await deploy()
        try await putLogs(region: "us-east-1", group: group, [(Self.nowMilliseconds(offset: -30), "source=fallback reason=timeout"), (Self.nowMilliseconds(offset: -29), "source=launchdarkly")])
        let result = try ldedge(["logs", "ops", "--filter", "fallback"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(lines(result.stdout).count, 1, result.stdout)
        XCTAssertTrue(result.stdout.contains("reason=timeout"))
        let wrongStep = try ldedge(["logs", "ops", "--step", "cdn"])
        XCTAssertEqual(wrongStep.status, 1)
        XCTAssertTrue(wrongStep.stderr.contains("step 'cdn' owns no Lambda function"), wrongStep.stderr)
    }

    func testSplitsLambdaLineShapes() {
        let id = "6f1c2b9e-1d2a-4c3b-9e8f-0a1b2c3d4e5f"
        XCTAssertEqual(EdgeLogEvent.split("2026-12-01T10:00:00.000Z\t\(id)\tINFO\tflag=true\n").requestId, id)
        XCTAssertEqual(EdgeLogEvent.split("2026-12-01T10:00:00.000Z\t\(id)\tINFO\tflag=true\n").message, "INFO flag=true")
        XCTAssertEqual(EdgeLogEvent.split("REPORT RequestId: \(id)\tDuration: 2.1 ms").requestId, id)
        XCTAssertNil(EdgeLogEvent.split("plain text").requestId)
        XCTAssertEqual(TimeSpec.duration("1h30m"), 5400)
        XCTAssertNil(TimeSpec.duration("15"))
        XCTAssertNil(TimeSpec.duration("m"))
    }
}
