import ArgumentParser
import LDEdgeApp
import LDEdgeCore
import Operations

struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Plan, confirm, and apply a workflow step by step; roll back in reverse on any failure.",
        discussion: """
            Asks for confirmation on a terminal unless --yes (never when stdin is not a terminal). \
            Ctrl-C stops after the current change and rolls back. A run killed any other way is \
            recovered by the next deploy or teardown. Refuses a git tree with uncommitted changes \
            unless --allow-dirty; the commit is recorded in state.
            """
    )

    @Argument(help: "The workflow file, or a plan file from 'ldedge plan WORKFLOW --out FILE' (applied only if nothing moved since).")
    var workflow: String

    @Flag(name: [.short, .long], help: "Apply without asking.")
    var yes = false

    @Flag(help: "Only plan: show what would change and change nothing.")
    var dryRun = false

    @Flag(help: "On failure, leave applied steps as they are (for debugging); 'ldedge teardown' removes them.")
    var noRollback = false

    @Flag(help: "Deploy from a working tree with uncommitted changes.")
    var allowDirty = false

    @Flag(help: "Write NDJSON progress events on stdout (docs/events.schema.json); the last, 'summary', holds the result.")
    var json = false

    @Flag(help: "Do not wait for CloudFront to report Deployed.")
    var noWait = false

    @Option(help: ArgumentHelp(
        "With --env: the environment expires this long after this deploy (30s, 15m, 72h, 7d); each later deploy extends it by the same again. 'ldedge gc' tears expired environments down.",
        valueName: "duration"))
    var ttl: String?

    @OptionGroup var state: StateOption

    func validate() throws {
        if let ttl, TimeSpec.duration(ttl).map({ $0 > 0 }) != true {
            throw ValidationError("--ttl '\(ttl)' is not a duration; write 30s, 15m, 72h or 7d")
        }
    }

    func run() async throws {
        var flags = WorkflowService.DeployFlags()
        flags.yes = yes
        flags.dryRun = dryRun
        flags.rollback = !noRollback
        flags.allowDirty = allowDirty
        flags.json = json
        if noWait { flags.stepOptions["no-wait"] = "true" }
        flags.ttl = ttl.flatMap(TimeSpec.duration)
        try finish(await service(state).deploy(workflow, flags: flags))
    }
}
