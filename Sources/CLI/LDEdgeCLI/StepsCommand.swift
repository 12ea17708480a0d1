import ArgumentParser
import LDEdgeApp
import LDEdgeCore

struct StepsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steps",
        abstract: "List the step kinds a workflow can use, with their inputs and outputs."
    )

    @Flag(help: "Print the list as JSON on stdout.")
    var json = false

    @Option(help: "Also list the external plugin steps this workflow file uses (uses: ./path or plugin:NAME).")
    var workflow: String?

    func run() async throws {
        try finish(await service().steps(json: json, workflow: workflow))
    }
}
