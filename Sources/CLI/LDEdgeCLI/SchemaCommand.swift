import ArgumentParser
import LDEdgeApp
import LDEdgeCore

struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema of workflow files (docs/workflow.schema.json is this output)."
    )

    @Option(help: "Also describe the external plugin steps this workflow file uses (uses: ./path or plugin:NAME).")
    var workflow: String?

    func run() async throws {
        try finish(await service().schema(workflow: workflow))
    }
}
