import ArgumentParser
import LDEdgeApp
import LDEdgeCore

struct EnvsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "envs",
        abstract: "List a workflow's environments: created, last deploy (time, commit, who), expiry and status.",
        discussion: """
            Environments are deployments made with --env NAME (or LDEDGE_ENV), each with its own \
            state and lock. Without a workflow, lists the environments of every workflow with state \
            at the state location. Status is deployed, failed, interrupted, pending-teardown \
            (CloudFront still holds replicas) or torn-down (shown with --all). LDEDGE_NOW (ISO 8601) \
            replaces the clock expiry is judged by.
            """
    )

    @Argument(help: "The workflow file or name (optional: every workflow with state).")
    var workflow: String?

    @Flag(help: "Print one JSON document (location, now, environments) instead of a table.")
    var json = false

    @Flag(help: "Also list environments that are torn down.")
    var all = false

    @OptionGroup var state: StateURLOption

    func run() async throws {
        try finish(await service(state: state.url).environments(workflow, json: json, all: all))
    }
}
