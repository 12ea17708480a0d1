import Foundation
import LDEdgeCore
import Synchronization

/// A step whose kind is an external executable speaking JSON-RPC 2.0 on stdio (docs/plugins.md).
///
/// Dry run: calls the plugin's `plan`; a `journal.intent` or `state.own` it sends is refused
/// (-32001) and fails the step.
///
/// Rollback: sends this run's journaled intents, newest first (uncertain where no
/// `journal.done` was recorded), to the plugin's `rollback`; when the step had not been applied
/// before this run, whatever it still owns afterwards is released.
///
/// Teardown: sends the resources it owns (`state.own`) to the plugin's `teardown`, which
/// releases each (`state.release`) as it goes, so a failed teardown resumes there.
struct PluginStep: Step {
    typealias Input = JSONValue

    static let kind = "plugin"
    static let summary = "An external step plugin (uses: ./path or plugin:NAME)"
    static let inputs: [InputField] = []
    static let outputs: [OutputField] = []
    /// The timeout of one call when the step sets no `timeout:`.
    static let defaultTimeout: TimeInterval = 600

    let id: String
    let input: JSONValue
    /// What `describe` declared the kind needs in AWS.
    var declaredPermissions: [PluginPermission] = []

    init(id: String, input: JSONValue) {
        self.id = id
        self.input = input
    }

    init(id: String, input: JSONValue, permissions: [PluginPermission]) {
        self.init(id: id, input: input)
        declaredPermissions = permissions
    }

    func permissions(_ context: PermissionContext) -> [Permission] {
        declaredPermissions.filter { $0.phases.contains(context.phase) }.map { $0.resolved(context) }
    }

    func plan(_ context: StepContext) async throws -> StepPlan {
        let result = try await call("plan", ["resources": .array(context.ownedResources.map(Self.json))], context)
        do {
            return try Self.stepPlan(result, step: id)
        } catch let error as PluginSchemaError {
            throw PluginError(step: id, plugin: context.kind, method: "plan", reason: "answered with \(error); see docs/plugins.md")
        }
    }

    func apply(_ plan: StepPlan, _ context: StepContext) async throws -> [String: String] {
        let result = try await call("apply", ["plan": plan.data], context)
        guard case .object = result else {
            throw PluginError(step: id, plugin: context.kind, method: "apply", reason: "answered with \(result), not an object {\"outputs\": {...}}")
        }
        return Self.strings(result["outputs"])
    }

    func rollback(_ records: [UndoRecord], _ context: StepContext) async throws {
        try await rollback(changes: records.map { UndoChange(undo: $0, uncertain: false) }, context)
    }

    /// Plugins get each record with whether its change is known to have happened.
    func rollback(changes: [UndoChange<UndoRecord>], _ context: StepContext) async throws {
        if !changes.isEmpty {
            let undo = changes.map { change in
                JSONValue.object([
                    "action": .string(change.undo.action), "resource": .string(change.undo.resource),
                    "undo": change.undo.data, "uncertain": .bool(change.uncertain),
                ])
            }
            _ = try await call("rollback", ["undo": .array(undo)], context)
        }
        // Applied for the first time in this run: everything it owns came from this run.
        if context.previous?.previous == nil {
            for resource in context.ownedResources { try context.release(resource) }
        }
    }

    func teardown(_ state: StepState, _ context: StepContext) async throws {
        guard !state.resources.isEmpty else { return }
        _ = try await call("teardown", ["resources": .array(state.resources.map(Self.json))], context)
    }

    /// One plugin process for one method: `params` gets `id` and `inputs` added.
    func call(_ method: String, _ params: [String: JSONValue], _ context: StepContext) async throws -> JSONValue {
        let location = StepResolutionContext(directory: context.workflowDirectory, environment: context.environment)
        guard let executable = try PluginLocator.locate(context.kind, in: location) else {
            throw PluginError(step: id, plugin: context.kind, method: method, reason: "is not a plugin reference")
        }
        var environment = context.environment
        environment["LDEDGE_WORKFLOW"] = context.workflowName
        environment["LDEDGE_ENVIRONMENT"] = context.environmentName ?? ""
        environment["LDEDGE_STEP"] = id
        environment["LDEDGE_PHASE"] = context.phase.rawValue
        let stepID = id
        let process = PluginProcess(
            executable: executable, directory: context.workflowDirectory, environment: environment,
            timeout: context.timeout ?? Self.defaultTimeout,
            onStderrLine: { line in context.progress("[\(stepID)] \(line)") })
        var params = params
        params["id"] = .string(id)
        params["inputs"] = input
        do {
            return try await process.call(method, params: .object(params), handler: JournalHandler(context: context))
        } catch let failure as PluginCallFailure {
            throw PluginError(step: id, plugin: context.kind, method: method, failure: failure)
        }
    }

    static func json(_ resource: Resource) -> JSONValue {
        .object([
            "type": .string(resource.type), "id": .string(resource.id),
            "attributes": .object(resource.attributes.mapValues(JSONValue.string)),
        ])
    }

    /// A JSON object's members as strings (non-strings as their JSON text).
    static func strings(_ value: JSONValue?) -> [String: String] {
        guard case .object(let object)? = value else { return [:] }
        return object.mapValues { $0.stringValue ?? $0.description }
    }

    /// Reads a plan result: `changes` (required), `findings`, `outputs`; the whole result is kept
    /// as the plan's data and sent back to `apply`.
    static func stepPlan(_ result: JSONValue, step: String) throws -> StepPlan {
        guard case .array(let entries)? = result["changes"] else { throw PluginSchemaError("a plan without a \"changes\" list") }
        var changes: [PlannedChange] = []
        for entry in entries {
            guard let name = entry["action"]?.stringValue, let action = ChangeAction(rawValue: name), action != .restore else {
                throw PluginSchemaError("a change whose \"action\" is not one of create, update, delete, replace, run, none: \(entry)")
            }
            guard let resource = entry["resource"]?.stringValue else { throw PluginSchemaError("a change without a \"resource\" string: \(entry)") }
            changes.append(PlannedChange(action, resource, detail: entry["detail"]?.stringValue))
        }
        var findings: [Diagnostic] = []
        if case .array(let entries)? = result["findings"] {
            for entry in entries {
                guard let message = entry["message"]?.stringValue else { throw PluginSchemaError("a finding without a \"message\": \(entry)") }
                let severity: Diagnostic.Severity = entry["severity"]?.stringValue == "warning" ? .warning : .error
                var finding = Diagnostic(severity, message, step: step)
                if case .array(let path)? = entry["path"] { finding.inputPath = path.map { $0.stringValue ?? $0.description } }
                findings.append(finding)
            }
        }
        return StepPlan(changes: changes, findings: findings, outputs: strings(result["outputs"]), data: result)
    }
}

/// Serves a plugin's requests against the step's context: the journal and the owned resources.
final class JournalHandler: PluginRequestHandler, Sendable {
    let context: StepContext
    /// Intents without `journal.done` yet, oldest first (resource, sequence number).
    private let open = Mutex<[(resource: String, seq: Int)]>([])

    init(context: StepContext) {
        self.context = context
    }

    func handle(method: String, params: JSONValue) -> Result<JSONValue, RPCError> {
        switch method {
        case "journal.intent":
            guard !context.isDryRun else { return .failure(.dryRun) }
            guard !InterruptFlag.shared.isRaised || context.phase != .apply else { return .failure(RPCError(-32003, "interrupted: make no further changes")) }
            guard let action = params["action"]?.stringValue, let resource = params["resource"]?.stringValue else {
                return .failure(.invalidParams("journal.intent needs \"action\" and \"resource\" strings"))
            }
            let undo = Self.redacted(params["undo"] ?? .null)
            do {
                let seq = try context.journalIntent("\(action) \(resource)", undo: UndoRecord(action, resource: resource, data: undo))
                open.withLock { $0.append((resource, seq)) }
                return .success(.object(["ok": .bool(true)]))
            } catch {
                return .failure(RPCError(-32002, "the intent could not be journaled, so the change must not be made: \(error)"))
            }
        case "journal.done":
            guard !context.isDryRun else { return .failure(.dryRun) }
            guard let resource = params["resource"]?.stringValue else { return .failure(.invalidParams("journal.done needs a \"resource\" string")) }
            let seq = open.withLock { open -> Int? in
                guard let index = open.lastIndex(where: { $0.resource == resource }) else { return nil }
                return open.remove(at: index).seq
            }
            guard let seq else { return .failure(.invalidParams("no journal.intent for resource '\(resource)' is waiting for journal.done")) }
            do {
                try context.journalDone(seq)
                return .success(.object([:]))
            } catch {
                return .failure(RPCError(-32002, "could not journal the result: \(error)"))
            }
        case "state.own":
            guard !context.isDryRun else { return .failure(.dryRun) }
            guard let type = params["type"]?.stringValue, let id = params["id"]?.stringValue else {
                return .failure(.invalidParams("state.own needs \"type\" and \"id\" strings"))
            }
            let attributes = PluginStep.strings(params["attributes"]).mapValues { Secrets.shared.redact($0) }
            do {
                try context.own(Resource(type: type, id: id, attributes: attributes))
                return .success(.object([:]))
            } catch {
                return .failure(RPCError(-32002, "could not record the resource: \(error)"))
            }
        case "state.release":
            guard !context.isDryRun else { return .failure(.dryRun) }
            guard let type = params["type"]?.stringValue, let id = params["id"]?.stringValue else {
                return .failure(.invalidParams("state.release needs \"type\" and \"id\" strings"))
            }
            guard let resource = context.ownedResources.first(where: { $0.type == type && $0.id == id }) else { return .success(.object([:])) }
            do {
                try context.release(resource)
                return .success(.object([:]))
            } catch {
                return .failure(RPCError(-32002, "could not record the release: \(error)"))
            }
        default:
            return .failure(.methodNotFound(method))
        }
    }

    /// The payload with every registered secret masked, as it will be on disk.
    static func redacted(_ value: JSONValue) -> JSONValue {
        guard let data = try? JSONEncoder.canonical.encode(value) else { return value }
        return (try? JSONDecoder().decode(JSONValue.self, from: Secrets.shared.redact(data))) ?? value
    }
}
