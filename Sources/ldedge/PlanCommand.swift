import ArgumentParser
import LDEdgeCore

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show every change a deploy would make, and every limit it would break; change nothing.",
        discussion: "Reads AWS and LaunchDarkly to compare; never writes. With --json, prints one JSON document on stdout."
    )

    @Argument(help: "The workflow file.")
    var workflow: String

    @Flag(help: "Print the plan as one JSON document on stdout.")
    var json = false

    @Flag(help: "Exit 2 when changes are pending, 0 when there are none.")
    var detailedExitcode = false

    @Option(help: "Save the full plan to this file ('-': stdout) for 'ldedge deploy FILE', which applies exactly it.")
    var out: String?

    @OptionGroup var state: StateOption

    func run() async throws {
        try finish(await service(state: state.url).plan(workflow, json: json, detailedExitCode: detailedExitcode, out: out))
    }
}
