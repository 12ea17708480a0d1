import Foundation
import LDEdgeCore
import Synchronization

/// Resolves `uses: ./path` and `uses: plugin:NAME` to a step kind by asking the plugin to
/// `describe` itself; the answer is kept per executable (and its modification time) for the
/// life of the process, so a workflow's plugins are described once per command.
public final class PluginResolver: StepKindResolver, Sendable {
    /// How long `describe` may take.
    public static let describeTimeout: TimeInterval = 30

    /// Executable path -> (modification date, description).
    private let cache = Mutex<[String: (Date?, PluginDescription)]>([:])

    public init() {}

    public func resolve(_ uses: String, in context: StepResolutionContext) throws -> StepKind? {
        guard let executable = try PluginLocator.locate(uses, in: context) else { return nil }
        let description = try describe(executable, uses: uses, context: context)
        let schema = description.schema
        return StepKind(
            kind: uses,
            summary: description.summary,
            documentation: "External step plugin '\(description.kind)' (\(executable.path)), over JSON-RPC on stdio.",
            inputs: schema.fields,
            outputs: description.outputs,
            inputSchema: schema.schema,
            validate: { input in schema.validate(input) },
            make: { id, input in PluginStep(id: id, input: input) })
    }

    func describe(_ executable: URL, uses: String, context: StepResolutionContext) throws -> PluginDescription {
        let modified = (try? FileManager.default.attributesOfItem(atPath: executable.path))?[.modificationDate] as? Date
        if let cached = cache.withLock({ $0[executable.path] }), cached.0 == modified { return cached.1 }
        let process = PluginProcess(
            executable: executable, directory: context.directory, environment: context.environment,
            timeout: Self.describeTimeout, onStderrLine: { _ in })
        let result: JSONValue
        do {
            result = try process.callBlocking("describe", params: .object([:]), handler: RefusingHandler())
        } catch let failure as PluginCallFailure {
            throw StepResolutionError(PluginError(step: nil, plugin: uses, method: "describe", failure: failure).description)
        }
        let description: PluginDescription
        do {
            description = try PluginDescription(result)
        } catch {
            throw StepResolutionError("step plugin '\(uses)' answered describe with \(error); see docs/plugins.md for its shape")
        }
        cache.withLock { $0[executable.path] = (modified, description) }
        return description
    }
}

/// What a plugin says about itself in answer to `describe`.
struct PluginDescription: Sendable {
    var kind: String
    var summary: String
    var schema: PluginSchema
    var outputs: [OutputField]

    init(_ result: JSONValue) throws {
        guard case .object(let object) = result else { throw PluginSchemaError("a result that is not an object") }
        guard let kind = object["kind"]?.stringValue, !kind.isEmpty else { throw PluginSchemaError("no \"kind\" string") }
        self.kind = kind
        summary = object["summary"]?.stringValue ?? ""
        schema = try PluginSchema(object["inputs"] ?? .object(["type": .string("object"), "properties": .object([:])]))
        var outputs: [OutputField] = []
        if case .array(let entries)? = object["outputs"] {
            for entry in entries {
                guard let name = entry["name"]?.stringValue else { throw PluginSchemaError("an output without a \"name\"") }
                outputs.append(OutputField(name, entry["description"]?.stringValue ?? ""))
            }
        }
        self.outputs = outputs
    }
}

/// Answers every plugin request with the dry-run error (describe and plan change nothing).
struct RefusingHandler: PluginRequestHandler {
    func handle(method: String, params: JSONValue) -> Result<JSONValue, RPCError> {
        switch method {
        case "journal.intent", "journal.done", "state.own", "state.release": return .failure(.dryRun)
        default: return .failure(.methodNotFound(method))
        }
    }
}
