import AWS
import EdgeFunctionStep
import Foundation
import LaunchDarkly
import LDEdgeCore
import LDEdgeTestSupport
import LDSandbox
import XCTest

/// The scheduled reconciler (`reconcile:`): the record it writes is FlagRecord's, byte for byte; the
/// step deploys it (secret, role, function, schedule) and tears it all down; its packaged code, run
/// as Lambda would run it, moves a LaunchDarkly change into the store with SigV4A verified by awscrt.
final class ReconcilerTests: XCTestCase {
    func testReconcilerRecordIsFlagRecordByteForByte() throws {
        let directory = try TemporaryDirectory("reconciler-records")
        defer { directory.remove() }
        let file = directory.file("cases.json")
        _ = try EdgeFixtures.python([EdgeFixtures.fixtures.appendingPathComponent("bucketing_judge.py").path, "--flags-only", "1", file.path])
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: file))
        var flags = (document["cases"]?.arrayValue ?? []).compactMap { $0["flag"] }
        // And flags the record cannot express: both refuse them.
        flags.append(try JSONDecoder().decode(JSONValue.self, from: Data(#"{"version":1,"on":true,"variations":[true,false],"fallthrough":{"variation":0},"rules":[{"variation":0}]}"#.utf8)))
        let cases: JSONValue = .object(["cases": .array(flags.map { .object(["flag": $0]) })])
        try JSONEncoder.canonical.encode(cases).write(to: file)
        let result = try runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                    ["node", EdgeFixtures.fixtures.appendingPathComponent("reconciler_records.mjs").path, file.path], in: EdgeFixtures.root)
        XCTAssertEqual(result.status, 0, result.stderr)
        let javascript = try JSONDecoder().decode([String?].self, from: Data(result.stdout.utf8))
        let swift = flags.map { try? FlagRecord.make($0, key: "rebrand") }
        XCTAssertEqual(javascript.count, flags.count)
        XCTAssertEqual(javascript, swift)
        XCTAssertNil(swift.last ?? "refused")
    }

    func testScheduledReconcilerIsDeployedRunsAndIsTornDown() async throws {
        let binary = try ldedgeBinary()
        let emulator = try await AWSEmulator.start(cloudFrontDeploySeconds: 0.2, lambdaReadySeconds: 0.1, replicaReleaseSeconds: 0.3)
        defer { emulator.stop() }
        try await EdgeFixtures.verifySigV4A(emulator)
        let sandbox = try await LDSandboxFixture.start()
        let project = try TemporaryDirectory("reconciler")
        defer { project.remove() }
        for folder in ["workflows", "templates"] {
            try FileManager.default.copyItem(at: EdgeFixtures.root.appendingPathComponent(folder), to: project.file(folder))
        }
        let workflow = try String(contentsOf: project.file("workflows/rebrand-cff.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "      mode: redirect\n", with: "      mode: redirect\n      reconcile: rate(1 minute)\n")
        try workflow.write(to: project.file("workflows/rebrand-cff.yaml"), atomically: true, encoding: .utf8)
        var environment = emulator.environment.merging(LDSandboxFixture.sdkEnvironment(for: sandbox)) { _, new in new }
        environment["LDEDGE_POLL_INTERVAL"] = "0.1"
        environment["HOME"] = project.path

        let deploy = try runProcess(binary, ["deploy", "workflows/rebrand-cff.yaml", "--yes"], in: project.url, environment: environment)
        XCTAssertEqual(deploy.status, 0, deploy.stdout + deploy.stderr)
        let aws = emulator.client()
        let rule = try await aws.eventBridge.describeRule(name: "rebrand-cff-edge-sync")
        XCTAssertEqual(rule.scheduleExpression, "rate(1 minute)")
        let function = try await aws.lambda.functionIfPresent(name: "rebrand-cff-edge-sync")
        XCTAssertEqual(function?.configuration.runtime, "nodejs20.x")
        let secret = try await aws.secretsManager.secretIfPresent(id: "ldedge/rebrand-cff/edge/sdk-key")
        XCTAssertNotNil(secret)

        // A change in LaunchDarkly; the packaged reconciler, run as Lambda runs it, writes it to the store.
        _ = try await LDSandboxFixture.client(for: sandbox).applySemanticPatch(project: "default", flag: "rebrand", environment: "production", instructions: [.turnFlagOff])
        let enumerator = FileManager.default.enumerator(atPath: project.file(".ldedge").path)
        let index = try XCTUnwrap((enumerator?.allObjects as? [String] ?? []).first { $0.hasSuffix("reconciler/index.mjs") })
        let script = "import('\(project.file(".ldedge/" + index).path)').then(m => m.handler()).then(r => console.log(JSON.stringify(r)))"
        let run = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["node", "--input-type=module", "-e", script], in: project.url, environment: emulator.environment)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("\"changed\":1"), run.stdout + run.stderr)
        let state = try StateStore(root: project.file(".ldedge"), workflow: "rebrand-cff").load()
        let storeArn = try XCTUnwrap(state.steps["edge"]?.outputs["storeArn"])
        let record = try await aws.keyValueStore.getKey(store: storeArn, key: "rebrand")
        XCTAssertTrue(record?.contains("\"on\":false") ?? false, record ?? "no record")
        let counts = try await EdgeFixtures.sigV4ACounts(emulator)
        XCTAssertEqual(counts["mismatches"], 0)
        print("scheduled reconciler: \(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)); SigV4A \(counts)")

        let teardown = try runProcess(binary, ["teardown", "--yes"], in: project.url, environment: environment)
        XCTAssertEqual(teardown.status, 0, teardown.stderr)
        let ruleAfter = try await aws.eventBridge.ruleIfPresent(name: "rebrand-cff-edge-sync")
        XCTAssertNil(ruleAfter)
        let functionAfter = try await aws.lambda.functionIfPresent(name: "rebrand-cff-edge-sync")
        XCTAssertNil(functionAfter)
        let roleAfter = try await aws.iam.roleIfPresent(name: "ldedge-rebrand-cff-edge-sync")
        XCTAssertNil(roleAfter)
        let secretAfter = try await aws.secretsManager.secretIfPresent(id: "ldedge/rebrand-cff/edge/sdk-key")
        XCTAssertTrue(secretAfter == nil || secretAfter?.deletedDate != nil)
        await sandbox.stop()
    }
}
