import ArgumentParser
import LDEdgeCore

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what ldedge recorded for a workflow: steps, resources, outputs, last run, git commit."
    )

    @Argument(help: "The workflow file or name (optional when only one has state).")
    var workflow: String?

    @Flag(help: "Print the recorded state as JSON on stdout.")
    var json = false

    @Flag(help: "Compare what the workflow owns and adopted with what the last run recorded; exit 2 on drift.")
    var drift = false

    @OptionGroup var state: StateOption

    func run() async throws {
        if drift { return try finish(await service(state: state.url).statusDrift(workflow, json: json)) }
        try finish(await service(state: state.url).status(workflow, json: json))
    }
}
