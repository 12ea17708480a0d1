import ArgumentParser
import LDEdgeCore

struct StepsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steps",
        abstract: "List the step kinds a workflow can use, with their inputs and outputs."
    )

    @Flag(help: "Print the list as JSON on stdout.")
    var json = false

    func run() async throws {
        try finish(await service().steps(json: json))
    }
}
