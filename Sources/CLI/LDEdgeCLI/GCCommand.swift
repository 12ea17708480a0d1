import ArgumentParser
import LDEdgeApp
import LDEdgeCore

struct GCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Tear down every expired environment (deploy --env NAME --ttl DURATION).",
        discussion: """
            Each expired environment is torn down as 'teardown --env NAME' would: newest step first, \
            resumable; so is one whose teardown was started and still waits on AWS. An environment \
            that has not expired, or whose lock another run holds, is not touched. While CloudFront still holds replicas of a Lambda@Edge function, gc exits 3; \
            run it again later (a nightly job does) or pass --wait. Flags ldedge created for an \
            environment are deleted with it (--keep-flags restores their targeting instead). \
            LDEDGE_NOW (ISO 8601) replaces the clock expiry is judged by.
            """
    )

    @Argument(help: "The workflow file or name (optional: every workflow with state).")
    var workflow: String?

    @Flag(help: "Only list what has expired and would be torn down; change nothing.")
    var dryRun = false

    @OptionGroup var waiting: ReplicaWaitOption

    @Flag(help: "Keep the LaunchDarkly flags ldedge created for expired environments (their targeting is restored).")
    var keepFlags = false

    @Flag(help: "Write NDJSON progress events on stdout (docs/events.schema.json); the last, 'summary', holds the result.")
    var json = false

    @OptionGroup var state: StateURLOption

    func run() async throws {
        var options: [String: String] = [:]
        if !keepFlags { options["delete-flag"] = "true" }
        try finish(await service(state: state.url).collectExpired(workflow, dryRun: dryRun, json: json, stepOptions: options, wait: waiting.teardownWait))
    }
}
