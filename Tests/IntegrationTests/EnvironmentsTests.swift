import AWS
import Foundation
import LaunchDarkly
import LDEdgeApp
import LDEdgeCore
import LDEdgeTestSupport
import LDSandbox
import XCTest

/// workflows/rebrand.yaml deployed as several environments (`--env`) against the patched moto
/// emulator and `ldedge sandbox`, with the real `ldedge` binary: concurrent deploys, names that
/// never collide and always fit, the flag conflict check, expiry (`--ttl`, `envs`, `gc`) on a
/// controllable clock (LDEDGE_NOW).
final class EnvironmentsTests: XCTestCase {
    var emulator: AWSEmulator!
    var sandbox: SandboxServer!
    var binary: URL!
    var project: TemporaryDirectory!

    override func setUp() async throws {
        binary = try ldedgeBinary()
        // Replicas outlive the association long enough for one gc to end waiting on them (exit 3).
        emulator = try await AWSEmulator.start(cloudFrontDeploySeconds: 0.3, lambdaReadySeconds: 0.1, replicaReleaseSeconds: 2)
        sandbox = try await LDSandboxFixture.start()
        project = try TemporaryDirectory("environments")
        for part in ["workflows", "templates"] {
            try FileManager.default.copyItem(at: packageRoot.appendingPathComponent(part), to: project.file(part))
        }
    }

    override func tearDown() async throws {
        emulator?.stop()
        await sandbox?.stop()
        project?.remove()
    }

    var environment: [String: String] {
        var environment = emulator.environment.merging(LDSandboxFixture.sdkEnvironment(for: sandbox)) { _, new in new }
        environment["LDEDGE_POLL_INTERVAL"] = "0.2"
        return environment
    }

    @discardableResult
    func ldedge(_ arguments: [String], extra: [String: String] = [:]) throws -> ProcessResult {
        try runProcess(binary, arguments, in: project.url, environment: environment.merging(extra) { _, new in new })
    }

    /// Deploys the environments at the same time, each in its own process; every one must succeed.
    func deployConcurrently(_ environments: [String], extra: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws {
        let processes = try environments.map { name in
            try startProcess(binary, ["deploy", "workflows/rebrand.yaml", "--env", name, "--yes", "--allow-dirty"] + extra, in: project.url, environment: environment)
        }
        for (name, process) in zip(environments, processes) {
            let result = process.wait()
            XCTAssertEqual(result.status, 0, "deploy --env \(name): \(result.stderr)", file: file, line: line)
        }
    }

    func split(_ environmentName: String, _ count: Int = 400) throws -> (old: Int, new: Int, flag: String) {
        let result = try ldedge(["invoke", "workflows/rebrand.yaml", "--env", environmentName, "--ips", String(count), "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        // The handler says which flag it evaluated on its first line of stderr.
        let flag = result.stderr.components(separatedBy: "\"flag\": \"").dropFirst().first?.components(separatedBy: "\"").first ?? ""
        return (object?["oldSite"] as? Int ?? -1, object?["newSite"] as? Int ?? -1, flag)
    }

    func teardownUntilDone(_ environmentName: String) throws {
        for attempt in 1...40 {
            let result = try ldedge(["teardown", "workflows/rebrand.yaml", "--env", environmentName, "--yes"])
            if result.status == 0 { return }
            XCTAssertEqual(result.status, ExitStatus.teardownPending.rawValue, "teardown attempt \(attempt): \(result.stderr)")
            Thread.sleep(forTimeInterval: 0.5)
        }
        XCTFail("teardown of \(environmentName) did not finish")
    }

    /// Distribution comments from the emulator's stored configs.
    func distributionComments() async throws -> [String: String] {
        var comments: [String: String] = [:]
        for (id, distribution) in try await emulator.inventory().distributions {
            comments[id] = distribution.config.components(separatedBy: "<Comment>").dropFirst().first?.components(separatedBy: "</Comment>").first ?? ""
        }
        return comments
    }

    func testThreeEnvironmentsDeployConcurrentlyWithTheirOwnNamesFlagsAndState() async throws {
        let names = ["staging", "pr-1", "pr-2"]
        try deployConcurrently(names)

        let inventory = try await emulator.inventory()
        XCTAssertEqual(Set(inventory.functions.keys), Set(names.map { "rebrand-viewer-request-\($0)" }))
        XCTAssertEqual(Set(inventory.roles.keys.filter { $0.hasPrefix("ldedge-") }), Set(names.map { "ldedge-rebrand-trigger-edge-\($0)" }))
        XCTAssertEqual(Set(inventory.buckets.keys), Set(names.map { "ldedge-rebrand-site-\($0)" }))
        for name in names {
            let objects = try XCTUnwrap(inventory.buckets["ldedge-rebrand-site-\(name)"]).objects.keys
            XCTAssertTrue(objects.contains("site/index.html") && objects.contains("site/beta/index.html"), "\(name): \(objects)")
        }
        XCTAssertEqual(Set(inventory.originAccessControls.values.map(\.name)), Set(names.map { "ldedge-rebrand-cdn-\($0)" }))
        let comments = try await distributionComments()
        XCTAssertEqual(comments.count, 3)
        XCTAssertEqual(Set(comments.values), Set(names.map { "ldedge workflow rebrand, environment \($0) (step cdn)" }))
        for name in names {
            let state = project.file(".ldedge/rebrand/env/\(name)/state.json")
            XCTAssertTrue(FileManager.default.fileExists(atPath: state.path), "each environment has its own state: \(state.path)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: project.file(".ldedge/rebrand/state.json").path), "no deployment without --env was made")

        // Each environment evaluates its own flag: moving pr-1's rollout leaves pr-2 and staging as they were.
        let rollout = try ldedge(["rollout", "workflows/rebrand.yaml", "--env", "pr-1", "--percent", "100", "--yes"])
        XCTAssertEqual(rollout.status, 0, rollout.stderr)
        let pr1 = try split("pr-1")
        XCTAssertEqual(pr1.flag, "rebrand-pr-1")
        XCTAssertEqual(pr1.new, 400, "pr-1's flag is at 100%")
        for name in ["pr-2", "staging"] {
            let other = try split(name)
            XCTAssertEqual(other.flag, "rebrand-\(name)")
            XCTAssertEqual(other.old + other.new, 400)
            XCTAssertTrue((140...260).contains(other.new), "\(name) stays at its 50/50 rollout: \(other)")
        }

        // status --env shows one environment's resources and nothing of the others.
        let status = try ldedge(["status", "workflows/rebrand.yaml", "--env", "pr-2"])
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertTrue(status.stdout.contains("environment pr-2"), status.stdout)
        XCTAssertTrue(status.stdout.contains("rebrand-viewer-request-pr-2"), status.stdout)
        XCTAssertFalse(status.stdout.contains("pr-1") || status.stdout.contains("staging"), status.stdout)
        let envs = try ldedge(["envs", "workflows/rebrand.yaml", "--json"])
        let listed = (try JSONSerialization.jsonObject(with: Data(envs.stdout.utf8)) as? [String: Any])?["environments"] as? [[String: Any]] ?? []
        XCTAssertEqual(listed.compactMap { $0["environment"] as? String }, ["pr-1", "pr-2", "staging"], envs.stdout + envs.stderr)
        XCTAssertTrue(listed.allSatisfy { $0["status"] as? String == "deployed" && $0["expires"] == nil })

        // Two environments may not change one flag: a workflow whose flag step names pr-1's flag is refused at that input.
        let fixed = try String(contentsOf: project.file("workflows/rebrand.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "flag: ${workflow.vars.flag}\n      rollout", with: "flag: rebrand-pr-1\n      rollout")
        try fixed.write(to: project.file("workflows/fixed.yaml"), atomically: true, encoding: .utf8)
        let line = (fixed.components(separatedBy: "\n").firstIndex { $0.contains("flag: rebrand-pr-1") } ?? -1) + 1
        let conflict = try ldedge(["plan", "workflows/fixed.yaml", "--env", "pr-9"])
        XCTAssertEqual(conflict.status, ExitStatus.invalidWorkflow.rawValue, conflict.stdout + conflict.stderr)
        let refusal = conflict.stdout + conflict.stderr
        XCTAssertTrue(refusal.contains("workflows/fixed.yaml:\(line):"), "located at the flag input (line \(line)): \(refusal)")
        XCTAssertTrue(refusal.contains("environment 'pr-1'") && refusal.contains("rebrand-pr-1"), refusal)
        XCTAssertTrue(refusal.contains("${workflow.environment}"), "says how to separate them: \(refusal)")

        // Tearing pr-1 down leaves the others intact.
        try teardownUntilDone("pr-1")
        let after = try await emulator.inventory()
        XCTAssertEqual(Set(after.functions.keys), ["rebrand-viewer-request-staging", "rebrand-viewer-request-pr-2"])
        XCTAssertEqual(Set(after.buckets.keys), ["ldedge-rebrand-site-staging", "ldedge-rebrand-site-pr-2"])
        XCTAssertEqual(after.distributions.count, 2)
        let survivor = try split("pr-2")
        XCTAssertEqual(survivor.old + survivor.new, 400)
        let plan = try ldedge(["plan", "workflows/rebrand.yaml", "--env", "staging", "--detailed-exitcode"])
        XCTAssertEqual(plan.status, 0, "staging is unchanged by pr-1's teardown: \(plan.stdout)\(plan.stderr)")
    }

    func testGCTearsDownExactlyTheExpiredEnvironmentsAndSkipsLockedOnes() async throws {
        try deployConcurrently(["pr-1", "pr-3"], extra: ["--ttl", "1h"])
        try deployConcurrently(["pr-2"], extra: ["--ttl", "3h"])
        try deployConcurrently(["staging", "pr-4"])
        // pr-4's pull request closed: its teardown waits on replicas (exit 3), and no expiry is set.
        let closed = try ldedge(["teardown", "workflows/rebrand.yaml", "--env", "pr-4", "--yes"])
        XCTAssertEqual(closed.status, ExitStatus.teardownPending.rawValue, closed.stderr)
        let formatter = ISO8601DateFormatter()
        let later = formatter.string(from: Date().addingTimeInterval(2 * 3600))
        let clock = ["LDEDGE_NOW": later]

        let envs = try ldedge(["envs", "--json"], extra: clock)
        let listed = (try JSONSerialization.jsonObject(with: Data(envs.stdout.utf8)) as? [String: Any])?["environments"] as? [[String: Any]] ?? []
        let expired = Dictionary(uniqueKeysWithValues: listed.map { ($0["environment"] as? String ?? "", $0["expired"] as? Bool ?? false) })
        XCTAssertEqual(expired, ["pr-1": true, "pr-2": false, "pr-3": true, "pr-4": false, "staging": false], envs.stdout)
        XCTAssertEqual(listed.first { $0["environment"] as? String == "pr-4" }?["status"] as? String, "pending-teardown")
        XCTAssertTrue(listed.allSatisfy { ($0["lastDeploy"] as? [String: Any])?["user"] != nil }, "who deployed is recorded")

        // --dry-run names the expired ones and changes nothing.
        let before = try await emulator.inventory().ignoringVolatileFields
        let dry = try ldedge(["gc", "--dry-run"], extra: clock)
        XCTAssertEqual(dry.status, 0, dry.stderr)
        XCTAssertTrue(dry.stderr.contains("would tear down 'rebrand' (environment pr-1)") && dry.stderr.contains("environment pr-3"), dry.stderr)
        XCTAssertTrue(dry.stderr.contains("would tear down 'rebrand' (environment pr-4) (its teardown was started"), dry.stderr)
        XCTAssertFalse(dry.stderr.contains("environment pr-2") || dry.stderr.contains("environment staging"), dry.stderr)
        let unchanged = try await emulator.inventory().ignoringVolatileFields
        XCTAssertEqual(unchanged, before)

        // pr-3's lock is held by another process: gc leaves it alone and says so.
        let holder = try startProcess(URL(fileURLWithPath: "/usr/bin/flock"), [project.file(".ldedge/rebrand/env/pr-3/lock").path, "sleep", "60"], in: project.url)
        defer { holder.signal(SIGTERM) }
        try await Task.sleep(nanoseconds: 300_000_000)
        let first = try ldedge(["gc"], extra: clock)
        XCTAssertEqual(first.status, ExitStatus.teardownPending.rawValue, "pr-1's function still has replicas: \(first.stderr)")
        XCTAssertTrue(first.stderr.contains("skipped 'rebrand' (environment pr-3)"), first.stderr)
        var functions = Set(try await emulator.inventory().functions.keys)
        XCTAssertTrue(functions.isSuperset(of: ["rebrand-viewer-request-pr-1", "rebrand-viewer-request-pr-2", "rebrand-viewer-request-pr-3", "rebrand-viewer-request-staging"]),
                      "pr-1's function waits for its replicas: \(functions)")
        let distributions = try await distributionComments()
        XCTAssertFalse(distributions.values.contains { $0.contains("environment pr-1") }, "pr-1's distribution is gone")
        holder.signal(SIGTERM)
        _ = holder.wait()

        // A later gc finishes pr-1 and takes pr-3 (its lock is free now); pr-2 and staging stay.
        var status: Int32 = -1
        for _ in 1...40 {
            let again = try ldedge(["gc"], extra: clock)
            status = again.status
            if status == 0 { break }
            XCTAssertEqual(status, ExitStatus.teardownPending.rawValue, again.stderr)
            try await Task.sleep(nanoseconds: 500_000_000)
        }
        XCTAssertEqual(status, 0)
        let inventory = try await emulator.inventory()
        functions = Set(inventory.functions.keys)
        XCTAssertEqual(functions, ["rebrand-viewer-request-pr-2", "rebrand-viewer-request-staging"])
        XCTAssertEqual(Set(inventory.buckets.keys), ["ldedge-rebrand-site-pr-2", "ldedge-rebrand-site-staging"])
        XCTAssertEqual(inventory.distributions.count, 2)
        let client = LDSandboxFixture.client(for: sandbox)
        for (key, kept) in [("rebrand-pr-1", false), ("rebrand-pr-3", false), ("rebrand-pr-2", true), ("rebrand-staging", true)] {
            let flag = try await client.flagIfExists(project: "default", key: key)
            XCTAssertEqual(flag != nil, kept, "flags ldedge created for expired previews are deleted, the others kept: \(key)")
        }

        // Re-deploying extends the expiry by the recorded time to live.
        let redeploy = try ldedge(["deploy", "workflows/rebrand.yaml", "--env", "pr-2", "--yes", "--allow-dirty"], extra: ["LDEDGE_NOW": later])
        XCTAssertEqual(redeploy.status, 0, redeploy.stderr)
        let state = try JSONSerialization.jsonObject(with: Data(contentsOf: project.file(".ldedge/rebrand/env/pr-2/state.json"))) as? [String: Any]
        let expires = try XCTUnwrap((state?["expires"] as? String).flatMap(formatter.date(from:)))
        XCTAssertEqual(expires.timeIntervalSince(try XCTUnwrap(formatter.date(from: later))), 3 * 3600, accuracy: 2)
    }

    func testFortyCharacterEnvironmentNamesGiveValidUniqueNames() async throws {
        let first = "preview-" + String(repeating: "a", count: 31) + "1"
        let second = "preview-" + String(repeating: "a", count: 31) + "2"
        XCTAssertEqual(first.count, 40)
        let plan = try ldedge(["plan", "workflows/rebrand.yaml", "--env", first])
        XCTAssertEqual(plan.status, 0, plan.stderr)
        XCTAssertTrue((plan.stdout + plan.stderr).contains("shortened with a stable hash"), "the plan says a name was shortened: \(plan.stdout)\(plan.stderr)")
        try deployConcurrently([first, second])

        let inventory = try await emulator.inventory()
        XCTAssertEqual(inventory.functions.count, 2)
        XCTAssertEqual(inventory.buckets.count, 2)
        XCTAssertEqual(inventory.distributions.count, 2)
        XCTAssertEqual(inventory.originAccessControls.count, 2)
        let roles = inventory.roles.keys.filter { $0.hasPrefix("ldedge-") }
        XCTAssertEqual(roles.count, 2)
        for name in inventory.functions.keys {
            XCTAssertLessThanOrEqual(name.count, 64, name)
            XCTAssertNotNil(name.range(of: "^[A-Za-z0-9_-]+$", options: .regularExpression), name)
        }
        for name in roles { XCTAssertLessThanOrEqual(name.count, 64, name) }
        for name in inventory.buckets.keys {
            XCTAssertLessThanOrEqual(name.count, 63, name)
            XCTAssertNotNil(name.range(of: "^[a-z0-9][a-z0-9.-]*[a-z0-9]$", options: .regularExpression), name)
        }
        for control in inventory.originAccessControls.values { XCTAssertLessThanOrEqual(control.name.count, 64, control.name) }
        // A second plan gives the same names (the hash is stable): nothing to change.
        let again = try ldedge(["plan", "workflows/rebrand.yaml", "--env", first, "--detailed-exitcode"])
        XCTAssertEqual(again.status, 0, again.stdout + again.stderr)
    }

    func testEnvironmentNamesAndUnknownEnvironmentsAreLocatedErrors() throws {
        let invalid = try ldedge(["plan", "workflows/rebrand.yaml", "--env", "PR_1"])
        XCTAssertEqual(invalid.status, ExitStatus.usage.rawValue)
        XCTAssertTrue(invalid.stderr.contains("--env: 'PR_1' is not a valid environment name"), invalid.stderr)
        let fromVariable = try ldedge(["plan", "workflows/rebrand.yaml"], extra: ["LDEDGE_ENV": "-x"])
        XCTAssertEqual(fromVariable.status, ExitStatus.usage.rawValue)
        XCTAssertTrue(fromVariable.stderr.contains("LDEDGE_ENV"), fromVariable.stderr)

        let workflow = """
            name: site
            vars:
              bucket: site-default
            environments:
              staging:
                bucket: site-staging
              Bad_Name: {}
            steps:
              - id: site
                uses: upload-site
                with:
                  source: ../templates/site
                  bucket: ${workflow.vars.bucket}-${workflow.vars.missing}
            """
        try workflow.write(to: project.file("workflows/site.yaml"), atomically: true, encoding: .utf8)
        let result = try ldedge(["validate", "workflows/site.yaml", "--env", "qa"])
        XCTAssertEqual(result.status, ExitStatus.invalidWorkflow.rawValue)
        XCTAssertTrue(result.stderr.contains("workflows/site.yaml:7:3: error: 'Bad_Name' in 'environments' is not an environment name"), result.stderr)
        XCTAssertTrue(result.stderr.contains("workflows/site.yaml:4:1: error: environment 'qa' is not declared in 'environments' (staging)"), result.stderr)
        let staging = try ldedge(["validate", "workflows/site.yaml", "--env", "staging"])
        XCTAssertTrue(staging.stderr.contains("workflows/site.yaml:13:39: error: variable 'missing' has no value in environment 'staging'"), staging.stderr)
    }
}
