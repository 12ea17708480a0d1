import ArgumentParser
import EdgeFunctionCommands

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Make the edge-function KeyValueStore hold the flag as LaunchDarkly has it now (once, or with --watch continuously).",
        discussion: """
            Reads the flag in the SDK representation and writes its record to each deployed edge-function \
            store (If-Match on the store's ETag). With --watch it follows LaunchDarkly's streaming endpoint, \
            reconnecting when the connection drops, so a change made in LaunchDarkly's UI reaches the edge \
            (docs/cloudfront-functions.md states the worst-case delay).
            """
    )

    @Argument(help: "The workflow file or name (optional when only one has state).")
    var workflow: String?

    @Flag(help: "Keep following LaunchDarkly's stream until Ctrl-C.")
    var watch = false

    @OptionGroup var state: StateOption

    func run() async throws {
        try finish(await SyncService(workflows: service(state)).run(workflow, watch: watch))
    }
}
