import Foundation
import LDEdgeCore
import Synchronization

/// Resolves `uses: ./path` and `uses: plugin:NAME` to a step kind by asking the plugin to
/// `describe` itself; the answer is kept per executable (and its modification time) for the
/// life of the process, so a workflow's plugins are described once per command.
public final class PluginResolver: StepKindResolver, Sendable {
    /// How long `describe` may take.
    public static let describeTimeout: TimeInterval = 30

    /// Executable path -> (modification date, the description or why there is none).
    private let cache = Mutex<[String: (Date?, Result<PluginDescription, StepResolutionError>)]>([:])

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
            make: { id, input in PluginStep(id: id, input: input, permissions: description.permissions) })
    }

    /// Asks the plugin to describe itself (asynchronously) and keeps the answer for `resolve`.
    public func prepare(_ uses: String, in context: StepResolutionContext) async {
        guard let executable = try? PluginLocator.locate(uses, in: context) else { return }
        let modified = Self.modified(executable)
        if let cached = cache.withLock({ $0[executable.path] }), cached.0 == modified { return }
        let answer: Result<JSONValue, PluginCallFailure>
        do {
            answer = .success(try await process(executable, context).call("describe", params: .object([:]), handler: RefusingHandler()))
        } catch let failure as PluginCallFailure {
            answer = .failure(failure)
        } catch {
            answer = .failure(PluginCallFailure(reason: .cannotStart("\(error)"), lastLine: nil))
        }
        let description = Self.description(answer, uses: uses)
        cache.withLock { $0[executable.path] = (modified, description) }
    }

    /// The description `prepare` fetched; a resolver used without `prepare` (a library caller
    /// loading a workflow itself) asks the plugin here and waits on this thread.
    func describe(_ executable: URL, uses: String, context: StepResolutionContext) throws -> PluginDescription {
        let modified = Self.modified(executable)
        if let cached = cache.withLock({ $0[executable.path] }), cached.0 == modified { return try cached.1.get() }
        let answer: Result<JSONValue, PluginCallFailure>
        do {
            answer = .success(try process(executable, context).callBlocking("describe", params: .object([:]), handler: RefusingHandler()))
        } catch let failure as PluginCallFailure {
            answer = .failure(failure)
        }
        let description = Self.description(answer, uses: uses)
        cache.withLock { $0[executable.path] = (modified, description) }
        return try description.get()
    }

    private func process(_ executable: URL, _ context: StepResolutionContext) -> PluginProcess {
        PluginProcess(executable: executable, directory: context.directory, environment: context.environment, timeout: Self.describeTimeout, onStderrLine: { _ in })
    }

    private static func modified(_ executable: URL) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: executable.path))?[.modificationDate] as? Date
    }

    private static func description(_ answer: Result<JSONValue, PluginCallFailure>, uses: String) -> Result<PluginDescription, StepResolutionError> {
        switch answer {
        case .failure(let failure):
            return .failure(StepResolutionError(PluginError(step: nil, plugin: uses, method: "describe", failure: failure).description))
        case .success(let result):
            do {
                return .success(try PluginDescription(result))
            } catch {
                return .failure(StepResolutionError("step plugin '\(uses)' answered describe with \(error); see docs/plugins.md for its shape"))
            }
        }
    }
}

/// What a plugin says about itself in answer to `describe`.
struct PluginDescription: Sendable {
    var kind: String
    var summary: String
    var schema: PluginSchema
    var outputs: [OutputField]
    /// What the deploying principal needs in AWS for this kind (`ldedge iam-policy`).
    var permissions: [PluginPermission]

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
        var permissions: [PluginPermission] = []
        if case .array(let entries)? = object["permissions"] {
            for entry in entries {
                guard let action = entry["action"]?.stringValue, let resource = entry["resource"]?.stringValue else {
                    throw PluginSchemaError("a permission without an \"action\" and a \"resource\" string")
                }
                var phases: Set<PermissionPhase> = Set(PermissionPhase.allCases)
                if case .array(let names)? = entry["phases"] {
                    phases = Set(try names.map { name in
                        guard let phase = name.stringValue.flatMap(PermissionPhase.init(rawValue:)) else {
                            throw PluginSchemaError("a permission phase that is not deploy, teardown or operate")
                        }
                        return phase
                    })
                }
                permissions.append(PluginPermission(action: action, resource: resource, phases: phases))
            }
        } else if object["permissions"] != nil {
            throw PluginSchemaError("\"permissions\" that is not an array of {action, resource}")
        }
        self.permissions = permissions
    }
}

/// One `{action, resource}` of a plugin's `describe`; the resource may name `{account}`, `{region}`,
/// `{workflow}` and `{step}`, filled in by `ldedge iam-policy`.
struct PluginPermission: Sendable {
    var action: String
    var resource: String
    var phases: Set<PermissionPhase>

    func resolved(_ context: PermissionContext) -> Permission {
        var resource = resource
        for (name, value) in [("account", context.account), ("region", context.region), ("workflow", context.workflowName), ("step", context.stepID)] {
            resource = resource.replacingOccurrences(of: "{\(name)}", with: value)
        }
        return Permission([action], on: [resource], wildcard: resource == "*" ? "declared by the plugin" : nil)
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
