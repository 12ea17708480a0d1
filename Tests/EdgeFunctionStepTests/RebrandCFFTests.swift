import AWS
import BuiltinSteps
import EdgeFunctionCommands
import EdgeFunctionStep
import Foundation
import Invoke
import LaunchDarkly
import LDEdgeCore
import LDEdgeTestSupport
import LDSandbox
import XCTest
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// workflows/rebrand-cff.yaml end to end with the real `ldedge` binary against the AWS emulator
/// (CloudFront Functions + KeyValueStore, every data-plane request's SigV4A verified by awscrt) and
/// `ldedge sandbox`: deploy, the split, rollout, sync (once and --watch), teardown; the same IPs on
/// the same sites as the Lambda@Edge target; a fault at every mutating call rolls back to nothing.
final class RebrandCFFTests: XCTestCase {
    var emulator: AWSEmulator!
    var sandbox: SandboxServer!
    var client: LaunchDarklyClient!
    var project: TemporaryDirectory!
    var binary: URL!

    override func setUp() async throws {
        binary = try ldedgeBinary()
        emulator = try await AWSEmulator.start(cloudFrontDeploySeconds: 0.2, lambdaReadySeconds: 0.1, replicaReleaseSeconds: 0.3)
        try await EdgeFixtures.verifySigV4A(emulator)
        sandbox = try await LDSandboxFixture.start()
        client = LDSandboxFixture.client(for: sandbox)
        project = try TemporaryDirectory("rebrand-cff")
        for folder in ["workflows", "templates"] {
            try FileManager.default.copyItem(at: EdgeFixtures.root.appendingPathComponent(folder), to: project.file(folder))
        }
    }

    override func tearDown() async throws {
        emulator?.stop()
        await sandbox?.stop()
        project?.remove()
    }

    var environment: [String: String] {
        var environment = emulator.environment.merging(LDSandboxFixture.sdkEnvironment(for: sandbox)) { _, new in new }
        environment["LDEDGE_POLL_INTERVAL"] = "0.1"
        environment["HOME"] = project.path
        return environment
    }

    @discardableResult
    func ldedge(_ arguments: [String]) throws -> ProcessResult {
        try runProcess(binary, arguments, in: project.url, environment: environment)
    }

    func split(_ count: Int, seed: Int = 7) throws -> SplitReport {
        let result = try ldedge(["invoke", "workflows/rebrand-cff.yaml", "--ips", String(count), "--seed", String(seed), "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return try JSONDecoder().decode(SplitReport.self, from: Data(result.stdout.utf8))
    }

    func storeRecord() async throws -> String? {
        let state = try StateStore(root: project.file(".ldedge"), workflow: "rebrand-cff").load()
        guard let arn = state.steps["edge"]?.outputs["storeArn"] else { return nil }
        return try await emulator.client().keyValueStore.getKey(store: arn, key: "rebrand")
    }

    func testDeployInvokeRolloutSyncTeardown() async throws {
        let before = try await emulator.inventory().ignoringVolatileFields

        let deploy = try ldedge(["deploy", "workflows/rebrand-cff.yaml", "--yes"])
        XCTAssertEqual(deploy.status, 0, deploy.stderr)
        let half = try split(1_000)
        print("rebrand-cff 50/50: \(half.summary)")
        XCTAssertEqual(half.inconsistent, 0)
        XCTAssertTrue((0.45...0.55).contains(half.newShare), "50/50 rollout gave \(half.newShare * 100)% new site")

        let one = try ldedge(["invoke", "workflows/rebrand-cff.yaml", "--ip", "203.0.113.9", "--querystring", "a=1"])
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertTrue(one.stdout.contains("CloudFront Function") && (one.stdout.contains("302 /site/beta/index.html?a=1 (new site")
            || one.stdout.contains("forwarded /site/index.html (old site")), one.stdout)

        let rollout = try ldedge(["rollout", "workflows/rebrand-cff.yaml", "--percent", "100", "--yes"])
        XCTAssertEqual(rollout.status, 0, rollout.stderr)
        XCTAssertEqual(try split(1_000).newSite, 1_000, "100% rollout: every visitor on the new site at the next request")

        // A change made in LaunchDarkly itself (the sandbox's REST API) reaches the store through sync.
        _ = try await client.applySemanticPatch(project: "default", flag: "rebrand", environment: "production", instructions: [.turnFlagOff])
        let once = try ldedge(["sync", "workflows/rebrand-cff.yaml"])
        XCTAssertEqual(once.status, 0, once.stderr)
        XCTAssertTrue(once.stdout.contains("1 record changed"), once.stdout + once.stderr)
        XCTAssertEqual(try split(200).newSite, 0, "flag off: everyone on the old site")

        // --watch: the stream's patch reaches the store; the delay is measured.
        let watcher = try startProcess(binary, ["sync", "workflows/rebrand-cff.yaml", "--watch"], in: project.url, environment: environment)
        defer { watcher.signal(SIGTERM); _ = watcher.wait() }
        let deadline = Date().addingTimeInterval(20)
        while !watcher.stderrSoFar.contains("following"), Date() < deadline { try await Task.sleep(nanoseconds: 50_000_000) }
        try await Task.sleep(nanoseconds: 300_000_000)
        let changed = Date()
        _ = try await client.applySemanticPatch(project: "default", flag: "rebrand", environment: "production", instructions: [.turnFlagOn])
        var record = try await storeRecord()
        while !(record?.contains("\"on\":true") ?? false), Date() < deadline {
            try await Task.sleep(nanoseconds: 20_000_000)
            record = try await storeRecord()
        }
        let delay = Date().timeIntervalSince(changed)
        print(String(format: "sync --watch: LaunchDarkly change reached the store in %.0f ms", delay * 1000))
        XCTAssertTrue(record?.contains("\"on\":true") ?? false, "the stream's change did not reach the store: \(watcher.stderrSoFar)")
        XCTAssertLessThan(delay, 5)

        let teardown = try ldedge(["teardown", "--yes"])
        XCTAssertEqual(teardown.status, 0, teardown.stderr)
        let (functions, stores) = try await EdgeFixtures.inventory(emulator)
        XCTAssertTrue(functions.isEmpty, "teardown leaves no function: \(functions)")
        XCTAssertTrue(stores.isEmpty, "teardown leaves no store: \(stores)")
        let after = try await emulator.inventory().ignoringVolatileFields
        XCTAssertEqual(after, before, "teardown leaves nothing (no distribution, so no association)")
        let counts = try await EdgeFixtures.sigV4ACounts(emulator)
        print("SigV4A (awscrt in the emulator): \(counts)")
        XCTAssertEqual(counts["mismatches"], 0)
        XCTAssertGreaterThan(counts["verified"] ?? 0, 0)
    }

    /// A redeploy that changes the rollout and then fails: the record is put back byte for byte
    /// (and the flag with it), through the journaled undo of the write.
    func testFailedRedeployRestoresTheRecordExactly() async throws {
        XCTAssertEqual(try ldedge(["deploy", "workflows/rebrand-cff.yaml", "--yes"]).status, 0)
        let before = try await storeRecord()
        XCTAssertTrue(before?.contains("[[0,50000],[1,50000]]") ?? false, before ?? "no record")
        // A no-change redeploy changes nothing in AWS.
        try await emulator.clearCalls()
        let again = try ldedge(["deploy", "workflows/rebrand-cff.yaml", "--yes"])
        XCTAssertEqual(again.status, 0, again.stderr)
        let mutating = try await emulator.mutatingCalls().map(\.operation)
        XCTAssertEqual(mutating, [], "a no-change redeploy makes no mutating AWS call")
        let original = try String(contentsOf: project.file("workflows/rebrand-cff.yaml"), encoding: .utf8)
        let changed = original.replacingOccurrences(of: "rollout: {true: 50, false: 50}", with: "rollout: {true: 80, false: 20}")
            + "\n  - id: check\n    uses: run\n    needs: edge\n    with:\n      run: \"exit 3\"\n"
        try changed.write(to: project.file("workflows/rebrand-cff.yaml"), atomically: true, encoding: .utf8)
        let failed = try ldedge(["deploy", "workflows/rebrand-cff.yaml", "--yes"])
        XCTAssertEqual(failed.status, 1, failed.stdout + failed.stderr)
        XCTAssertTrue((failed.stdout + failed.stderr).contains("put back record rebrand"), failed.stdout + failed.stderr)
        let after = try await storeRecord()
        XCTAssertEqual(after, before, "the record is restored exactly")
        try original.write(to: project.file("workflows/rebrand-cff.yaml"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try ldedge(["teardown", "--yes"]).status, 0)
    }

    /// A targeting rule the record cannot express is refused at plan, located at the step's `flag:`,
    /// naming the Lambda@Edge target; nothing is created.
    func testTargetingRulesAreRefusedAtPlanNamingTheLambdaEdgeTarget() async throws {
        _ = try await client.createBooleanFlag(project: "default", key: "rebrand")
        var request = URLRequest(url: try XCTUnwrap(URL(string: "\(sandbox.baseURI)/api/v2/flags/default/rebrand")))
        request.httpMethod = "PATCH"
        request.setValue(sandbox.accessToken, forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(#"[{"op":"add","path":"/environments/production/rules/-","value":{"clauses":[{"attribute":"country","op":"in","values":["NZ"]}],"variation":0}}]"#.utf8)
        let (body, response) = try await URLSession.shared.data(for: request)
        XCTAssertEqual((response as? HTTPURLResponse)?.statusCode, 200, String(decoding: body, as: UTF8.self))

        let plan = try ldedge(["plan", "workflows/rebrand-cff.yaml"])
        XCTAssertNotEqual(plan.status, 0)
        let output = plan.stdout + plan.stderr
        // Located at the edge step's `flag:` input (line 42, column 7 of the shipped workflow).
        XCTAssertTrue(output.contains("workflows/rebrand-cff.yaml:42:7: error: flag 'rebrand' uses targeting rules"), output)
        XCTAssertTrue(output.contains("Lambda@Edge target (build-handler + package-zip + attach-trigger)"), output)
        let deploy = try ldedge(["deploy", "workflows/rebrand-cff.yaml", "--yes"])
        XCTAssertNotEqual(deploy.status, 0)
        let (functions, stores) = try await EdgeFixtures.inventory(emulator)
        XCTAssertTrue(functions.isEmpty && stores.isEmpty)
        let distributions = try await emulator.inventory().distributions
        XCTAssertTrue(distributions.isEmpty, "nothing was created")
        print("plan refusal: \(output.split(separator: "\n").first { $0.contains("targeting rules") } ?? "")")
    }

    /// The same 1,000 client IPs through this target and through rebrand.yaml's Lambda@Edge handler
    /// (the real Python package and the real LaunchDarkly SDK), for the same flag.
    func testSameVisitorsOnTheSameSitesAsTheLambdaEdgeHandler() async throws {
        XCTAssertEqual(try ldedge(["deploy", "workflows/rebrand.yaml", "--yes"]).status, 0)
        let cff = try ldedge(["deploy", "workflows/rebrand-cff.yaml", "--yes"])
        XCTAssertEqual(cff.status, 0, cff.stderr)

        var generator = SplitMix64(seed: 2026)
        var requests: [ViewerRequest] = []
        for _ in 0..<1_000 {
            var request = ViewerRequest()
            request.clientIp = "\(1 + generator.next() % 223).\(generator.next() % 256).\(generator.next() % 256).\(1 + generator.next() % 254)"
            requests.append(request)
        }
        let stateRoot = project.file(".ldedge")
        let target = try XCTUnwrap(EdgeFunctionInvoke.find(in: try StateStore(root: stateRoot, workflow: "rebrand-cff").load()))
        let edge = try await target.run(requests, environment: environment).map(\.servesNewSite)

        let package = try PackageLocator(stateRoot: stateRoot, registry: StepRegistry.builtin).locate(workflow: "rebrand")
        var handlerEnvironment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        handlerEnvironment["PATH"] = ProcessInfo.processInfo.environment["PATH"]
        let session = try await InvokeSession(package: package, runnerDirectory: try RunnerLocator.locate(environment: handlerEnvironment, extraStarts: [EdgeFixtures.root]),
                                              environment: handlerEnvironment)
        var lambda: [Bool] = []
        for request in requests {
            let invocation = try await session.invoke(request)
            lambda.append(HandlerResponse(invocation.response).servesNewSite(newPrefix: package.newPrefix))
        }
        await session.stop()
        let differences = zip(edge, lambda).filter { $0 != $1 }.count
        print("same 1,000 IPs: CloudFront Function new site \(edge.filter { $0 }.count), Lambda@Edge new site \(lambda.filter { $0 }.count), differences \(differences)")
        XCTAssertEqual(differences, 0)
        XCTAssertTrue((400...600).contains(edge.filter { $0 }.count))
    }

    /// A fault at every mutating AWS call of a first deploy: rollback leaves no store, function,
    /// association, distribution or bucket, and the flag as it was.
    func testFaultAtEveryMutatingCallRollsBackToNothing() async throws {
        try await sweepFaults(reconcile: false)
    }

    /// The same with the scheduled reconciler: its secret, role, function and schedule go too.
    func testFaultAtEveryMutatingCallWithTheScheduledReconcilerRollsBackToNothing() async throws {
        let file = project.file("workflows/rebrand-cff.yaml")
        let workflow = try String(contentsOf: file, encoding: .utf8)
            .replacingOccurrences(of: "      mode: redirect\n", with: "      mode: redirect\n      reconcile: rate(5 minutes)\n")
        try workflow.write(to: file, atomically: true, encoding: .utf8)
        try await sweepFaults(reconcile: true)
    }

    func sweepFaults(reconcile: Bool) async throws {
        let registry = StepRegistry.builtin
        let path = project.file("workflows/rebrand-cff.yaml").path
        func engine(_ root: String) -> Engine {
            Engine(registry: registry, options: EngineOptions(stateRoot: project.file(root), environment: environment))
        }
        try await emulator.clearCalls()
        _ = try await engine(".ldedge-baseline").deploy(try WorkflowLoader(registry: registry, environment: environment).load(path: path))
        let calls = try await emulator.mutatingCalls()
        _ = try await engine(".ldedge-baseline").teardown(workflow: try WorkflowLoader(registry: registry, environment: environment).load(path: path).name)
        try await emulator.reset()
        try await EdgeFixtures.verifySigV4A(emulator)
        if try await client.flagIfExists(project: "default", key: "rebrand") != nil { try await client.deleteFlag(project: "default", key: "rebrand") }
        print("mutating calls of a first deploy: \(calls.map { "\($0.service) \($0.operation)" })")
        XCTAssertTrue(calls.contains { $0.operation == "CreateKeyValueStore" } && calls.contains { $0.operation == "PutKey" })

        var clean = 0
        var failures: [String] = []
        for (index, call) in calls.enumerated() {
            let before = try await emulator.inventory().ignoringVolatileFields
            let skip = calls[..<index].filter { $0.service == call.service && $0.operation == call.operation }.count
            try await emulator.injectFault(service: call.service, operation: call.operation, skip: skip)
            let label = "fault at \(index + 1)/\(calls.count) (\(call.service) \(call.operation) #\(skip + 1))"
            do {
                _ = try await engine(".ldedge-\(index)").deploy(try WorkflowLoader(registry: registry, environment: environment).load(path: path))
                failures.append("\(label): the deploy succeeded")
            } catch let error as EngineError {
                if case .stepFailed(_, _, let outcomes, true) = error, let failed = outcomes.first(where: { $0.error != nil }) {
                    failures.append("\(label): rollback of \(failed.step) failed: \(failed.error ?? "")")
                }
            }
            try await emulator.clearFaults()
            let after = try await emulator.inventory().ignoringVolatileFields
            let (functions, stores) = try await EdgeFixtures.inventory(emulator)
            let flag = try await client.flagIfExists(project: "default", key: "rebrand")
            let aws = emulator.client()
            let rule = try await aws.eventBridge.ruleIfPresent(name: "rebrand-cff-edge-sync")
            let secret = try await aws.secretsManager.secretIfPresent(id: "ldedge/rebrand-cff/edge/sdk-key")
            if after != before || !functions.isEmpty || !stores.isEmpty || flag != nil || rule != nil || (secret != nil && secret?.deletedDate == nil) {
                failures.append("\(label): left \(functions.keys.sorted()) \(stores.keys.sorted()) flag \(flag != nil); inventory equal: \(after == before)")
            } else {
                clean += 1
            }
        }
        print("rebrand-cff\(reconcile ? " with the scheduled reconciler" : ""): \(clean) of \(calls.count) injected faults rolled back to nothing")
        XCTAssertEqual(clean, calls.count, failures.joined(separator: "\n"))
    }
}
