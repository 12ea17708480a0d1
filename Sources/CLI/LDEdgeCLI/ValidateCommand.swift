import ArgumentParser
import LDEdgeApp
import LDEdgeCore

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a workflow file without touching anything.",
        discussion: "Reports every problem as file:line:column: error: message and exits 65 when there is one."
    )

    @Argument(help: "The workflow file, e.g. workflows/rebrand.yaml.")
    var workflow: String

    @Flag(help: "Print the diagnostics as one JSON document on stdout.")
    var json = false

    @OptionGroup var state: StateOption

    func run() async throws {
        try finish(await service(state).validate(workflow, json: json))
    }
}
