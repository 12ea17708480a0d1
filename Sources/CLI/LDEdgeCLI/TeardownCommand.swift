import ArgumentParser
import LDEdgeApp
import LDEdgeCore

struct TeardownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "teardown",
        abstract: "Remove everything a workflow created, newest first; restore what it adopted.",
        discussion: """
            Without an argument, tears down the only workflow with state in .ldedge/. Resumable: \
            after a failure, or while AWS still holds replicas of a Lambda@Edge function (exit 3), \
            run it again and it continues where it stopped.
            """
    )

    @Argument(help: "The workflow file or name (optional when only one has state).")
    var workflow: String?

    @Flag(name: [.short, .long], help: "Tear down without asking.")
    var yes = false

    @Flag(help: "Write NDJSON progress events on stdout (docs/events.schema.json); the last, 'summary', holds the result.")
    var json = false

    @Flag(help: "Also delete LaunchDarkly flags ldedge created (by default their targeting is restored and they are kept).")
    var deleteFlag = false

    @Flag(help: "Keep the Lambda@Edge function (skip the hours-long wait for replica removal).")
    var retainFunction = false

    @OptionGroup var waiting: ReplicaWaitOption

    @OptionGroup var state: StateOption

    func run() async throws {
        var options: [String: String] = [:]
        if deleteFlag { options["delete-flag"] = "true" }
        if retainFunction { options["retain-function"] = "true" }
        try finish(await service(state).teardown(workflow, yes: yes, json: json, stepOptions: options, wait: waiting.teardownWait))
    }
}
