import Foundation
import Yams

/// Reads a workflow file into a checked `Workflow`, reporting every problem at its line and column.
public struct WorkflowLoader: Sendable {
    public var registry: StepRegistry
    public var environment: [String: String]
    /// `--env NAME` / `LDEDGE_ENV`: the environment to load the workflow for (nil: none).
    public var environmentName: String?

    public init(registry: StepRegistry, environment: [String: String] = ProcessInfo.processInfo.environment, environmentName: String? = nil) {
        self.registry = registry
        self.environment = environment
        self.environmentName = environmentName
    }

    /// Loads and checks the workflow at `path`; throws every error found, changes nothing.
    public func load(path: String) throws -> Workflow {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw DiagnosticsError([.error(exists ? "cannot read the workflow file \(path): check its permissions" : "no workflow file at \(path): check the path (workflows usually live in workflows/NAME.yaml)")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DiagnosticsError([.error("the workflow is not UTF-8 text", at: SourceLocation(file: path, line: 1, column: 1))])
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().standardizedFileURL
        let (workflow, diagnostics) = parse(text: text, file: path, directory: directory)
        if let workflow, !diagnostics.hasErrors { return workflow }
        throw DiagnosticsError(diagnostics.filter { $0.severity == .error } + diagnostics.filter { $0.severity != .error })
    }

    /// Parses workflow text; returns the workflow when there are no errors, and all findings.
    public func parse(text: String, file: String, directory: URL) -> (Workflow?, [Diagnostic]) {
        var parser = WorkflowParser(file: file, registry: registry, environment: environment)
        parser.environmentName = environmentName
        let workflow = parser.parse(text: text, directory: directory)
        return (parser.diagnostics.hasErrors ? nil : workflow, parser.diagnostics)
    }
}

let workflowNamePattern = "^[a-z0-9][a-z0-9-]{0,62}$"
let stepIDPattern = "^[A-Za-z_][A-Za-z0-9_-]{0,62}$"

/// Turns a workflow file's YAML into a `Workflow`, collecting every problem as a located
/// diagnostic; `WorkflowParser+Steps` checks the steps and orders them, `WorkflowParser+Values`
/// converts YAML values to typed JSON inputs.
struct WorkflowParser {
    let file: String
    let registry: StepRegistry
    let environment: [String: String]
    var diagnostics: [Diagnostic] = []
    var workflowName = ""
    /// Step output references found while converting the current step, with their locations.
    var references: [(step: String, output: String, location: SourceLocation)] = []
    var locations: [String: SourceLocation] = [:]
    var secretSources: [String: String] = [:]
    /// The workflow file's folder: `uses: ./path` is relative to it.
    var directory = URL(fileURLWithPath: ".")
    /// Kinds resolved from `uses:` values the registry does not hold (external plugins).
    var resolvedKinds: [String: StepKind] = [:]
    /// Per step: the outputs its inputs refer to, and its `needs:`, with where they are written.
    var stepReferences: [String: [(step: String, output: String, location: SourceLocation)]] = [:]
    var needsLocations: [String: [(String, SourceLocation)]] = [:]
    /// The environment the workflow is loaded for (`--env`), and its variables (`vars:` with the
    /// matching `environments:` entry over them), each with where its value is written.
    var environmentName: String?
    var variables: [String: (value: String, location: SourceLocation)] = [:]
    /// Where `vars:` and `environments:` are, and which entry of `environments:` applies, for messages.
    var variablesOrigin = "vars:"
    /// True while `vars:` and `environments:` values are interpolated: they may not refer to variables or step outputs.
    var inVariables = false

    init(file: String, registry: StepRegistry, environment: [String: String]) {
        self.file = file
        self.registry = registry
        self.environment = environment
    }

    mutating func error(_ message: String, _ location: SourceLocation) {
        diagnostics.append(.error(message, at: location))
    }

    func location(_ node: Node?) -> SourceLocation {
        let mark = node?.mark
        return SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    mutating func parse(text: String, directory: URL) -> Workflow? {
        self.directory = directory
        let root: Node
        do {
            guard let composed = try Yams.compose(yaml: text) else {
                error("the workflow is empty; it needs 'name' and 'steps'", SourceLocation(file: file, line: 1, column: 1))
                return nil
            }
            root = composed
        } catch let yamlError as YamlError {
            diagnostics.append(syntaxDiagnostic(yamlError))
            return nil
        } catch {
            self.error("the workflow is not valid YAML: \(error)", SourceLocation(file: file, line: 1, column: 1))
            return nil
        }
        guard let mapping = root.mapping else {
            error("the workflow must be a mapping with 'name' and 'steps', found \(describe(root))", location(root))
            return nil
        }
        let entries = uniqueEntries(mapping)
        let known = ["name", "description", "steps", "aws", "launchdarkly", "state", "stateKmsKey", "vars", "environments"]
        for (key, keyNode, _) in entries where !known.contains(key) {
            error("unknown key '\(key)' at the top level; expected one of: \(known.joined(separator: ", "))", location(keyNode))
        }

        var name = ""
        if let (_, node) = entry(entries, "name") {
            if let value = scalarString(node), value.range(of: workflowNamePattern, options: .regularExpression) != nil {
                name = value
            } else {
                error("the workflow name must be lower-case letters, digits and '-' (it names state folders and AWS resources), found \(describe(node))", location(node))
            }
        } else {
            error("the workflow has no 'name'; add for example 'name: rebrand'", location(root))
        }
        workflowName = name
        parseEnvironments(entries, root: root)

        let summary = entry(entries, "description").flatMap { scalarString($0.1) }
        var settings = WorkflowSettings()
        if let (_, node) = entry(entries, "aws"), let value = convert(node, .object(WorkflowSettings.awsFields), path: "aws") {
            settings.aws = try? value.decode(WorkflowSettings.AWS.self)
        }
        if let (_, node) = entry(entries, "launchdarkly"),
            let value = convert(node, .object(WorkflowSettings.launchDarklyFields), path: "launchdarkly")
        {
            settings.launchdarkly = try? value.decode(WorkflowSettings.LaunchDarkly.self)
        }

        let state = entry(entries, "state").flatMap { convert($0.1, .string, path: "state")?.stringValue }
        if let state, let node = entry(entries, "state")?.1, !state.hasPrefix("s3://") && !state.hasPrefix("file://") {
            error("'state' must be s3://BUCKET/PREFIX (shared state) or file://PATH, found '\(state)'", location(node))
        }
        let stateKmsKey = entry(entries, "stateKmsKey").flatMap { convert($0.1, .string, path: "stateKmsKey")?.stringValue }

        guard let (_, stepsNode) = entry(entries, "steps") else {
            error("the workflow has no 'steps'; add a list of steps, each with 'id' and 'uses'", location(root))
            return nil
        }
        guard let sequence = stepsNode.sequence else {
            error("'steps' must be a list of steps, found \(describe(stepsNode))", location(stepsNode))
            return nil
        }
        if sequence.isEmpty {
            error("'steps' is empty; add at least one step", location(stepsNode))
        }
        var steps: [WorkflowStep] = []
        var seen: [String: SourceLocation] = [:]
        for node in sequence {
            guard let step = parseStep(node) else { continue }
            if let first = seen[step.id] {
                error("duplicate step id '\(step.id)'; the first is at \(first.line):\(first.column)", locations["id"] ?? step.location)
                continue
            }
            seen[step.id] = step.location
            steps.append(step)
        }
        checkReferences(steps)
        let ordered = order(steps)
        validateInputs(ordered)
        var workflow = Workflow(name: name, summary: summary, file: file, directory: directory, settings: settings, steps: ordered)
        workflow.secretSources = secretSources
        workflow.state = state
        workflow.stateKmsKey = stateKmsKey
        workflow.environment = environmentName
        return workflow
    }
}
