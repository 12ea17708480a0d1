import AWS
import Foundation
import LDEdgeApp
import LDEdgeCore
import LDEdgeTestSupport
import LDSandbox
import XCTest

/// `ldedge iam-policy` proven under the emulator's IAM enforcement: a user holding only the printed
/// policy of each phase deploys (through an injected failure that rolls back and a SIGKILLed run
/// the next one recovers), operates (`status --live`, `status --drift`, `logs`, `rollout`) and tears
/// down (`--wait`) workflows/rebrand.yaml and workflows/rebrand-relay.yaml; every statement of every
/// policy was needed (without it, a call that ran would have been refused), a policy without one
/// statement fails with an AccessDenied naming the step, the action and `ldedge iam-policy`, and
/// parliament finds nothing to report in any printed policy.
final class LeastPrivilegeTests: XCTestCase {
    var emulator: AWSEmulator!
    var sandbox: SandboxServer!
    var project: TemporaryDirectory!
    var binary: URL!
    var user: AWSEmulator.IAMUser?
    /// `LDEDGE_STATE` for every command (the S3 backend's statements are then part of each policy).
    var state: String?
    static let table = "ldedge-relay-iam"
    static let account = "123456789012"

    override func setUp() async throws {
        binary = try ldedgeBinary()
        emulator = try await AWSEmulator.start(cloudFrontDeploySeconds: 0.2, lambdaReadySeconds: 0.1, replicaReleaseSeconds: 0.5)
        var options = SandboxOptions(port: 0, dynamoDB: DynamoDBStoreOptions(table: Self.table, pollInterval: 0.2))
        options.awsEnvironment = emulator.environment
        sandbox = try await SandboxServer.start(options)
        project = try TemporaryDirectory("least-privilege")
        for folder in ["workflows", "templates"] {
            try FileManager.default.copyItem(at: packageRoot.appendingPathComponent(folder), to: project.file(folder))
        }
    }

    override func tearDown() async throws {
        emulator?.stop()
        await sandbox?.stop()
        project?.remove()
    }

    /// The administrator's environment, or the restricted user's once `user` is set.
    var environment: [String: String] {
        var environment = (user.map { emulator.environment(as: $0) } ?? emulator.environment)
            .merging(LDSandboxFixture.sdkEnvironment(for: sandbox)) { _, new in new }
        environment["LDEDGE_POLL_INTERVAL"] = "0.2"
        environment["LDEDGE_RELAY_TABLE"] = Self.table
        if let state { environment["LDEDGE_STATE"] = state }
        return environment
    }

    @discardableResult
    func ldedge(_ arguments: [String], extra: [String: String] = [:]) throws -> ProcessResult {
        try runProcess(binary, arguments, in: project.url, environment: environment.merging(extra) { _, new in new })
    }

    /// `iam-policy --json` for one phase, as the administrator (the account id from STS).
    func policy(_ workflow: String, phase: String) throws -> (document: String, wildcards: [[String: String]]) {
        let result = try ldedge(["iam-policy", workflow, "--phase", phase, "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["account"] as? String, Self.account)
        let policy = try XCTUnwrap(object["policy"])
        let document = String(decoding: try JSONSerialization.data(withJSONObject: policy, options: [.sortedKeys]), as: UTF8.self)
        return (document, object["wildcards"] as? [[String: String]] ?? [])
    }

    /// Runs `body` as a user holding only `policy`, then checks that every statement was needed.
    func asUser(holding policy: String, _ label: String, _ body: () async throws -> Void) async throws {
        user = try await emulator.iamUser("ldedge-ci", policy: policy)
        try await emulator.clearIAMDecisions()
        try await body()
        let decisions = try await emulator.iamDecisions()
        XCTAssertFalse(decisions.isEmpty, "\(label): the calls were checked")
        let refused = decisions.filter { !$0.allowed }
        XCTAssertEqual(refused.map { "\($0.action) on \($0.resource)" }, [], "\(label): the printed policy allowed every call")
        let statements = try await emulator.necessaryStatements(of: policy)
        for statement in statements {
            XCTAssertFalse(statement.deniedWithout.isEmpty, "\(label): statement \(statement.sid ?? "?") was not needed by any call")
        }
        print("least privilege, \(label): \(decisions.count) authorizations, \(Set(decisions.map(\.action)).count) actions, "
              + "each of \(statements.count) statements needed (e.g. \(statements.compactMap { $0.deniedWithout.first?.action }.prefix(4).joined(separator: ", ")))")
        user = nil
    }

    /// With the state in S3: the killed run leaves its lock, which the deployer unlocks.
    func testRebrandWithOnlyThePrintedPolicy() async throws {
        let s3 = emulator.client().s3
        try await s3.createBucket("ldedge-iam-state")
        try await s3.enableVersioning("ldedge-iam-state")
        state = "s3://ldedge-iam-state/edge"
        try await proveLeastPrivilege("workflows/rebrand.yaml", function: "rebrand-viewer-request")
    }

    func testRebrandRelayWithOnlyThePrintedPolicy() async throws {
        try await proveLeastPrivilege("workflows/rebrand-relay.yaml", function: "rebrand-relay-viewer-request")
    }

    func proveLeastPrivilege(_ workflow: String, function: String, crashPoint: Int = 9) async throws {
        let allPolicy = try policy(workflow, phase: "all")
        let deployPolicy = try policy(workflow, phase: "deploy")
        let operatePolicy = try policy(workflow, phase: "operate")
        let teardownPolicy = try policy(workflow, phase: "teardown")
        let all = try ldedge(["iam-policy", workflow, "--trust", "github:acme/site:main"])
        XCTAssertEqual(all.status, 0, all.stderr)
        XCTAssertTrue(all.stderr.contains("cloudfront:ListDistributions is granted on \"*\""), all.stderr)
        XCTAssertTrue(all.stdout.contains("repo:acme/site:refs/heads/main"), all.stdout)
        XCTAssertTrue(deployPolicy.wildcards.contains { $0["action"] == "cloudfront:ListDistributions" && !($0["reason"] ?? "").isEmpty })
        for document in [allPolicy.document, deployPolicy.document, operatePolicy.document, teardownPolicy.document] {
            try assertParliamentFindsNothing(document)
        }

        // Without the statement Lambda@Edge checks on the caller when CloudFront associates a version,
        // the deploy fails at the trigger step, naming the action, and rolls back.
        let withoutReplicator = try policyRemovingStatement(containing: "iam:CreateServiceLinkedRole", from: deployPolicy.document)
        try await asUserWithout(withoutReplicator) {
            let denied = try ldedge(["deploy", workflow, "--yes"])
            XCTAssertEqual(denied.status, 1, denied.stderr)
            XCTAssertTrue(denied.stderr.contains("step 'trigger' failed"), denied.stderr)
            XCTAssertTrue(denied.stderr.contains("IAM does not allow iam:CreateServiceLinkedRole on arn:aws:iam::\(Self.account):role/aws-service-role/"), denied.stderr)
            XCTAssertTrue(denied.stderr.contains("`ldedge iam-policy WORKFLOW` prints the policy"), denied.stderr)
            XCTAssertTrue(denied.stderr.contains("rolled back"), denied.stderr)
        }

        try await asUser(holding: deployPolicy.document, "deploy") {
            // An injected failure at the association rolls every step back.
            try await emulator.injectFault(service: "cloudfront", operation: "UpdateDistribution", status: 400, code: "InjectedFault", count: 1)
            let failed = try ldedge(["deploy", workflow, "--yes"])
            XCTAssertEqual(failed.status, 1, failed.stderr)
            XCTAssertTrue(failed.stderr.contains("step 'trigger' failed"), failed.stderr)
            XCTAssertFalse(failed.stderr.contains("AccessDenied"), failed.stderr)
            // A run killed in the middle of a step (after a change's intent, before its result);
            // the next one undoes that step's changes and finishes.
            let crashed = try ldedge(["deploy", workflow, "--yes"], extra: ["LDEDGE_CRASH_AFTER_RECORD": String(crashPoint)])
            XCTAssertTrue(crashed.signaled, crashed.stderr)
            var resumed = try ldedge(["deploy", workflow, "--yes"])
            if state != nil {
                // The killed run's lock stays in S3 until someone who knows it is dead removes it.
                XCTAssertEqual(resumed.status, ExitStatus.locked.rawValue, resumed.stderr)
                let runID = try XCTUnwrap(resumed.stderr.firstMatch(of: /--force (\S+)/)?.1, resumed.stderr)
                let unlocked = try ldedge(["state", "unlock", workflowName(workflow), "--force", String(runID)])
                XCTAssertEqual(unlocked.status, 0, unlocked.stderr)
                resumed = try ldedge(["deploy", workflow, "--yes"])
            }
            XCTAssertEqual(resumed.status, 0, resumed.stderr)
            XCTAssertTrue(resumed.stderr.contains("an earlier run stopped in the middle of"), resumed.stderr)
        }

        // Lambda@Edge writes its logs in the regions that served viewers.
        for region in ["us-east-1", "eu-west-1"] {
            let logs = emulator.client(region: region).logs
            let group = "/aws/lambda/us-east-1.\(function)"
            try await logs.createLogGroup(name: group)
            try await logs.createLogStream(group: group, stream: "2026/01/01/[1]abc")
            try await logs.putLogEvents(group: group, stream: "2026/01/01/[1]abc",
                                        events: [(Int64(Date().timeIntervalSince1970 * 1000), "START RequestId: 1 \(region)")])
        }
        try await asUser(holding: operatePolicy.document, "operate") {
            if state != nil {
                // An operator's runner takes a copy of the shared state (status --live and logs read it).
                let pulled = try ldedge(["state", "pull", workflow])
                XCTAssertEqual(pulled.status, 0, pulled.stderr)
            }
            let live = try ldedge(["status", workflow, "--live", "--json"])
            XCTAssertEqual(live.status, 0, live.stderr)
            let drift = try ldedge(["status", workflow, "--drift"])
            XCTAssertEqual(drift.status, 0, drift.stderr)
            let logs = try ldedge(["logs", workflow, "--since", "1h"])
            XCTAssertEqual(logs.status, 0, logs.stderr)
            XCTAssertTrue(logs.stdout.contains("eu-west-1"), logs.stdout)
            let rollout = try ldedge(["rollout", workflow, "--percent", "100", "--yes"])
            XCTAssertEqual(rollout.status, 0, rollout.stderr)
        }

        if state != nil {
            // Each operate statement removed for real: some operate command is refused with an
            // AccessDenied that names one of its actions.
            let statements = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(operatePolicy.document.utf8)) as? [String: Any])["Statement"] as? [[String: Any]] ?? []
            for index in statements.indices {
                let actions = (statements[index]["Action"] as? [String] ?? []).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "*")) }
                try await asUserWithout(try policyRemovingStatement(at: index, from: operatePolicy.document)) {
                    let commands = [["status", workflow, "--live", "--json"], ["status", workflow, "--drift"], ["logs", workflow, "--since", "1h"],
                                    ["rollout", workflow, "--percent", "100", "--yes"]]
                    let text = try commands.map { try ldedge($0) }.map { $0.stdout + $0.stderr }.joined(separator: "\n")
                    let named = actions.filter { text.contains($0) }
                    XCTAssertTrue((text.contains("AccessDenied") || text.contains("access denied")) && !named.isEmpty,
                                  "without statement \(statements[index]["Sid"] ?? index), an operate command is refused naming one of \(actions):\n\(text)")
                }
            }
        }

        try await asUser(holding: teardownPolicy.document, "teardown") {
            let teardown = try ldedge(["teardown", workflow, "--yes", "--wait", "--poll", "1s", "--timeout", "2m"])
            XCTAssertEqual(teardown.status, 0, teardown.stderr)
        }
    }

    /// Runs `body` as the user holding `policy`, without checking that each statement was needed.
    func asUserWithout(_ policy: String, _ body: () async throws -> Void) async throws {
        user = try await emulator.iamUser("ldedge-ci", policy: policy)
        defer { user = nil }
        try await body()
    }

    func workflowName(_ path: String) -> String {
        URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    }

    func policyRemovingStatement(at index: Int, from document: String) throws -> String {
        var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(document.utf8)) as? [String: Any])
        var statements = object["Statement"] as? [[String: Any]] ?? []
        statements.remove(at: index)
        object["Statement"] = statements
        return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    func policyRemovingStatement(containing action: String, from document: String) throws -> String {
        var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(document.utf8)) as? [String: Any])
        let statements = object["Statement"] as? [[String: Any]] ?? []
        let kept = statements.filter { !(($0["Action"] as? [String]) ?? []).contains(action) }
        XCTAssertEqual(kept.count, statements.count - 1, "one statement holds \(action)")
        object["Statement"] = kept
        return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    /// parliament (PyPI), AWS's policy linter: no finding of any severity.
    func assertParliamentFindsNothing(_ document: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let script = """
            import json, sys
            from parliament import analyze_policy_string
            policy = analyze_policy_string(sys.stdin.read())
            print(json.dumps([{"issue": f.issue, "detail": str(f.detail), "location": str(f.location)} for f in policy.findings]))
            """
        let result = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script], in: project.url, environment: ProcessInfo.processInfo.environment, stdin: document)
        XCTAssertEqual(result.status, 0, "parliament: \(result.stderr)", file: file, line: line)
        XCTAssertEqual(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "[]", "parliament findings for \(document)", file: file, line: line)
    }
}
