import ArgumentParser
import IAMPolicy
import LDEdgeCore
import StateS3

struct IAMPolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iam-policy",
        abstract: "Print the IAM policy the deploying principal needs for a workflow, scoped to what it creates.",
        discussion: """
            One policy document (for 'aws iam create-policy --policy-document') allowing exactly what \
            ldedge's steps call for the workflow: deploy includes plan, rollback and crash recovery; \
            teardown includes --wait; operate is status --live, status --drift, logs and rollout. The \
            state backend's objects are included. Actions AWS authorizes only on "*" are listed on \
            stderr (--json: 'wildcards'). See docs/iam.md.
            """
    )

    enum Phase: String, ExpressibleByArgument, CaseIterable {
        case deploy, teardown, operate, all
    }

    @Argument(help: "The workflow file.")
    var workflow: String

    @Option(help: "Which commands the policy covers: deploy, teardown, operate or all.")
    var phase: Phase = .all

    @OptionGroup var state: StateOption

    @Flag(help: "Print one JSON object: policy, wildcards (with reasons), account, and trustPolicy with --trust.")
    var json = false

    @Option(help: "The AWS account id (default: STS GetCallerIdentity with the current credentials).")
    var account: String?

    @Option(help: "Also print the trust policy for GitHub Actions' OIDC: github:OWNER/REPO[:REF].")
    var trust: String?

    func validate() throws {
        if let account, account.count != 12 || !account.allSatisfy(\.isNumber) {
            throw ValidationError("'\(account)' is not an AWS account id (12 digits)")
        }
        if let trust {
            do { _ = try GitHubTrust(trust) } catch { throw ValidationError("\(error)") }
        }
    }

    func run() async throws {
        let phases = phase == .all ? PermissionPhase.allCases : [PermissionPhase(rawValue: phase.rawValue)].compactMap { $0 }
        let service = IAMPolicyService(registry: LDEdgeCLI.registry, stateSelection: StateSelection(flag: state.url, providers: [S3StateProvider()]), environmentName: state.environmentName)
        try finish(await service.run(workflow, phases: phases, account: account, trust: trust, json: json))
    }
}
