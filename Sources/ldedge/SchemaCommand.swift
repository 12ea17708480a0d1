import ArgumentParser
import BuiltinSteps
import LDEdgeCore

struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema of workflow files (docs/workflow.schema.json is this output)."
    )

    func run() async throws {
        print(try WorkflowSchema.document(.builtin), terminator: "")
    }
}
