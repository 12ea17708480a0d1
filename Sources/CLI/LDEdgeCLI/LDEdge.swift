import ArgumentParser
import BuiltinSteps
import Foundation
import LDEdgeApp
import LDEdgeCore
import StateS3

/// The root command; `LDEdgeCLI.main` runs it.
struct LDEdge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ldedge",
        abstract: "Ship a LaunchDarkly-gated Lambda@Edge rollout: plan it, deploy it, roll it back, tear it down.",
        discussion: """
            A workflow file (YAML) lists steps: upload the site, create the CloudFront distribution, \
            build and package the edge handler, attach it as a viewer-request trigger, flip the flag. \
            'plan' shows every change before anything is touched; 'deploy' applies them step by step \
            and rolls back in reverse on any failure; 'teardown' removes what ldedge created.

            State lives in .ldedge/<workflow>/ in the current directory (journal + snapshot, mode 0600), \
            or is shared through S3 with 'state: s3://BUCKET/PREFIX', --state or LDEDGE_STATE. \
            --env NAME (or LDEDGE_ENV) deploys another copy of a workflow with its own state \
            (.ldedge/<workflow>/env/NAME/) and resource names; 'envs' lists them, 'gc' removes expired ones.

            Exit codes: 0 success; 1 failure (rolled back unless --no-rollback); 2 changes pending \
            (plan --detailed-exitcode, status --drift); 3 teardown waiting on AWS (run it again later); \
            4 another run holds the lock; 64 usage error; 65 invalid workflow (nothing changed); \
            78 configuration problem (no AWS region or credentials, no LaunchDarkly token; nothing changed).
            """,
        version: LDEdgeVersion.current,
        subcommands: [
            ValidateCommand.self, PlanCommand.self, DeployCommand.self, TeardownCommand.self,
            StatusCommand.self, StepsCommand.self, SchemaCommand.self, SandboxCommand.self, RolloutCommand.self, InvokeCommand.self, LogsCommand.self,
            StateCommand.self, IAMPolicyCommand.self, SyncCommand.self, EnvsCommand.self, GCCommand.self,
        ]
    )
}

/// The service every command calls, with the built-in step kinds (and those given to
/// `LDEdgeCLI.main`) and the S3 state backend; `state` is the command's `--state URL`.
func service(state: String? = nil, environmentName: String? = nil) -> WorkflowService {
    let console = Console()
    let s3 = S3StateProvider(warn: { console.err("warning: \($0)") })
    return WorkflowService(registry: LDEdgeCLI.registry, stateSelection: StateSelection(flag: state, providers: [s3]), environmentName: environmentName)
}

/// Maps an exit status to ArgumentParser's exit.
func finish(_ status: ExitStatus) throws {
    if status != .success { throw ExitCode(status.rawValue) }
}
