import ArgumentParser
import LDEdgeApp
import LDEdgeCore

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show every change a deploy would make, and every limit it would break; change nothing.",
        discussion: "Reads AWS and LaunchDarkly to compare; never writes. With --json, writes NDJSON events (docs/events.schema.json): the plan document is the 'plan' event's 'plan'; --out - prints the saved-plan document instead."
    )

    @Argument(help: "The workflow file.")
    var workflow: String

    @Flag(help: "Write NDJSON events on stdout: a 'plan' event with the whole plan, diagnostics, drift, a 'summary'.")
    var json = false

    @Flag(help: "Exit 2 when changes are pending, 0 when there are none.")
    var detailedExitcode = false

    @Option(help: "Save the full plan to this file ('-': stdout) for 'ldedge deploy FILE', which applies exactly it.")
    var out: String?

    @OptionGroup var state: StateOption

    func run() async throws {
        try finish(await service(state).plan(workflow, json: json, detailedExitCode: detailedExitcode, out: out))
    }
}
