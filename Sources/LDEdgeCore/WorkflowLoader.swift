import Foundation
import Yams

/// Reads a workflow file into a checked `Workflow`, reporting every problem at its line and column.
public struct WorkflowLoader: Sendable {
    public var registry: StepRegistry
    public var environment: [String: String]

    public init(registry: StepRegistry, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.registry = registry
        self.environment = environment
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
        var parser = Parser(file: file, registry: registry, environment: environment)
        let workflow = parser.parse(text: text, directory: directory)
        return (parser.diagnostics.hasErrors ? nil : workflow, parser.diagnostics)
    }
}

private let namePattern = "^[a-z0-9][a-z0-9-]{0,62}$"
private let idPattern = "^[A-Za-z_][A-Za-z0-9_-]{0,62}$"

private struct Parser {
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
        let known = ["name", "description", "steps", "aws", "launchdarkly", "state", "stateKmsKey"]
        for (key, keyNode, _) in entries where !known.contains(key) {
            error("unknown key '\(key)' at the top level; expected one of: \(known.joined(separator: ", "))", location(keyNode))
        }

        var name = ""
        if let (_, node) = entry(entries, "name") {
            if let value = scalarString(node), value.range(of: namePattern, options: .regularExpression) != nil {
                name = value
            } else {
                error("the workflow name must be lower-case letters, digits and '-' (it names state folders and AWS resources), found \(describe(node))", location(node))
            }
        } else {
            error("the workflow has no 'name'; add for example 'name: rebrand'", location(root))
        }
        workflowName = name

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
        return workflow
    }

    // MARK: Steps

    var stepReferences: [String: [(step: String, output: String, location: SourceLocation)]] = [:]
    var needsLocations: [String: [(String, SourceLocation)]] = [:]

    mutating func parseStep(_ node: Node) -> WorkflowStep? {
        guard let mapping = node.mapping else {
            error("a step must be a mapping with 'id', 'uses' and 'with', found \(describe(node))", location(node))
            return nil
        }
        let entries = uniqueEntries(mapping)
        let known = ["id", "uses", "with", "needs", "timeout"]
        for (key, keyNode, _) in entries where !known.contains(key) {
            error("unknown key '\(key)' in a step; expected one of: \(known.joined(separator: ", "))", location(keyNode))
        }
        locations = [:]
        references = []
        guard let (_, idNode) = entry(entries, "id") else {
            error("the step has no 'id'; add one, e.g. 'id: upload'", location(node))
            return nil
        }
        guard let id = scalarString(idNode), id.range(of: idPattern, options: .regularExpression) != nil else {
            error("a step id must start with a letter and use letters, digits, '-' and '_', found \(describe(idNode))", location(idNode))
            return nil
        }
        locations["id"] = location(idNode)
        guard let (_, usesNode) = entry(entries, "uses") else {
            error("step '\(id)' has no 'uses'; name a step kind (run 'ldedge steps' to list them)", location(node))
            return nil
        }
        guard let kindName = scalarString(usesNode) else {
            error("'uses' must be a step kind name, found \(describe(usesNode))", location(usesNode))
            return nil
        }
        let resolved: StepKind?
        do {
            resolved = try resolveKind(named: kindName)
        } catch {
            self.error("step '\(id)': \(error)", location(usesNode))
            return nil
        }
        guard let kind = resolved else {
            let suggestion = closest(kindName, in: registry.sorted.map(\.kind)).map { "; did you mean '\($0)'?" } ?? ""
            error("unknown step kind '\(kindName)' in step '\(id)'\(suggestion) (run 'ldedge steps' to list them)", location(usesNode))
            return nil
        }
        var input = JSONValue.object([:])
        let withEntry = entry(entries, "with")
        if let (_, withNode) = withEntry, !isNull(withNode) {
            locations["with"] = location(withNode)
            input = convert(withNode, .object(kind.inputs), path: "with", stepKind: kind.kind) ?? .object([:])
        } else {
            let missing = kind.inputs.filter(\.required).map(\.name)
            if !missing.isEmpty {
                error("step '\(id)' (\(kind.kind)) needs 'with:' and its required input\(missing.count == 1 ? "" : "s") \(missing.map { "'\($0)'" }.joined(separator: ", "))", location(withEntry?.1 ?? node))
            }
        }
        var needs: [(String, SourceLocation)] = []
        if let (_, needsNode) = entry(entries, "needs") {
            if let value = scalarString(needsNode) {
                needs.append((value, location(needsNode)))
            } else if let sequence = needsNode.sequence {
                for item in sequence {
                    if let value = scalarString(item) { needs.append((value, location(item))) } else {
                        error("'needs' lists step ids, found \(describe(item))", location(item))
                    }
                }
            } else {
                error("'needs' must be a step id or a list of step ids, found \(describe(needsNode))", location(needsNode))
            }
        }
        // A step that acts on other steps (cleanup) depends on them, as its kind declares.
        for (target, path) in kind.stepReferences(input: input) {
            needs.append((target, locations[(["with"] + path).joined(separator: ".")] ?? locations["with"] ?? location(node)))
        }
        var timeout: Double?
        if let (_, timeoutNode) = entry(entries, "timeout") {
            timeout = scalarString(timeoutNode).flatMap(Self.seconds)
            if timeout == nil {
                error("'timeout' must be a number of seconds greater than 0 (or '90s', '10m'), found \(describe(timeoutNode))", location(timeoutNode))
            }
        }
        stepReferences[id] = references
        needsLocations[id] = needs
        let dependencies = Array(Set(references.map(\.step) + needs.map(\.0))).sorted()
        var step = WorkflowStep(id: id, kind: kind.kind, input: input, dependencies: dependencies, location: location(node), locations: locations)
        step.timeout = timeout
        return step
    }

    /// A registered kind or one a resolver makes of `uses:` (an external plugin), resolved once per file.
    mutating func resolveKind(named name: String) throws -> StepKind? {
        if let kind = registry[name] ?? resolvedKinds[name] { return kind }
        guard let kind = try registry.resolve(name, in: StepResolutionContext(directory: directory, environment: environment)) else { return nil }
        resolvedKinds[name] = kind
        return kind
    }

    /// `30`, `2.5`, `90s`, `10m` as seconds; nil when not a positive duration.
    static func seconds(_ text: String) -> Double? {
        var text = text.trimmingCharacters(in: .whitespaces)
        var scale = 1.0
        if text.hasSuffix("ms") { scale = 0.001; text.removeLast(2) } else if text.hasSuffix("s") { text.removeLast() } else if text.hasSuffix("m") {
            scale = 60
            text.removeLast()
        }
        guard let value = Double(text), value > 0, value.isFinite else { return nil }
        return value * scale
    }

    mutating func checkReferences(_ steps: [WorkflowStep]) {
        let byID = Dictionary(steps.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for step in steps {
            for reference in stepReferences[step.id] ?? [] {
                guard let target = byID[reference.step] else {
                    error("step '\(step.id)' refers to unknown step '\(reference.step)' in ${steps.\(reference.step).outputs.\(reference.output)}", reference.location)
                    continue
                }
                if target.id == step.id {
                    error("step '\(step.id)' refers to its own output '\(reference.output)'", reference.location)
                    continue
                }
                let outputs = (registry[target.kind] ?? resolvedKinds[target.kind])?.outputs.map(\.name) ?? []
                if !outputs.contains(reference.output) {
                    error("step '\(target.id)' (\(target.kind)) has no output '\(reference.output)'; its outputs are: \(outputs.isEmpty ? "none" : outputs.joined(separator: ", "))", reference.location)
                }
            }
            for (need, location) in needsLocations[step.id] ?? [] where byID[need] == nil {
                error("step '\(step.id)' needs unknown step '\(need)'", location)
            }
        }
    }

    /// Orders steps so each follows what it depends on, keeping file order otherwise.
    mutating func order(_ steps: [WorkflowStep]) -> [WorkflowStep] {
        let ids = Set(steps.map(\.id))
        var remaining = steps
        var done: Set<String> = []
        var result: [WorkflowStep] = []
        while !remaining.isEmpty {
            guard let index = remaining.firstIndex(where: { $0.dependencies.allSatisfy { done.contains($0) || !ids.contains($0) } }) else {
                let cycle = findCycle(remaining)
                let first = remaining.first { $0.id == cycle.first } ?? remaining[0]
                let location = (stepReferences[first.id] ?? []).first { cycle.contains($0.step) }?.location
                    ?? (needsLocations[first.id] ?? []).first { cycle.contains($0.0) }?.1 ?? first.location
                error("steps depend on each other in a cycle: \((cycle + [cycle.first ?? ""]).joined(separator: " -> ")); remove one of the references", location)
                return result + remaining
            }
            let step = remaining.remove(at: index)
            done.insert(step.id)
            result.append(step)
        }
        return result
    }

    func findCycle(_ steps: [WorkflowStep]) -> [String] {
        let byID = Dictionary(steps.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for start in steps {
            var path: [String] = []
            var current: String? = start.id
            while let id = current, let step = byID[id] {
                if let index = path.firstIndex(of: id) { return Array(path[index...]) }
                path.append(id)
                current = step.dependencies.first { byID[$0] != nil }
            }
        }
        return steps.map(\.id)
    }

    mutating func validateInputs(_ steps: [WorkflowStep]) {
        guard !diagnostics.hasErrors else { return }
        for step in steps {
            guard let kind = registry[step.kind] ?? resolvedKinds[step.kind] else { continue }
            if !step.input.hasStepReferences {
                do {
                    _ = try kind.makeStep(id: step.id, input: step.input)
                } catch {
                    self.error("step '\(step.id)' (\(step.kind)): the inputs do not fit the step: \(error)", step.locations["with"] ?? step.location)
                    continue
                }
            }
            // Limits that literal values decide are checked here, offline; values that refer to
            // another step's outputs are checked by plan once those are known.
            for issue in kind.literalIssues(input: step.input) {
                self.error("step '\(step.id)' (\(step.kind)): \(issue.message)", step.location(of: issue.path, anchor: issue.anchor))
            }
        }
    }

    // MARK: Values

    mutating func convert(_ node: Node, _ type: InputType, path: String, stepKind: String? = nil) -> JSONValue? {
        locations[path] = location(node)
        if case .alias = node {
            error("YAML aliases are not supported in workflows; repeat the value", location(node))
            return nil
        }
        switch type {
        case .object(let fields):
            guard let mapping = node.mapping else {
                error("'\(leaf(path))' must be a mapping, found \(describe(node))", location(node))
                return nil
            }
            var result: [String: JSONValue] = [:]
            let entries = uniqueEntries(mapping)
            for (key, keyNode, valueNode) in entries {
                guard let field = fields.first(where: { $0.name == key }) else {
                    let names = fields.map(\.name)
                    let hint = closest(key, in: names).map { "did you mean '\($0)'? " } ?? ""
                    let owner = path == "with" ? (stepKind.map { "step kind '\($0)'" } ?? "this step") : "'\(leaf(path))'"
                    error("unknown key '\(key)' for \(owner); \(hint)expected one of: \(names.joined(separator: ", "))", location(keyNode))
                    continue
                }
                // Rules about a value (`memory: 256`) point at its key, where the reader looks.
                locations["key:" + path + "." + key] = location(keyNode)
                if isNull(valueNode) {
                    if field.required { error("'\(key)' has no value; it expects \(field.type.phrase)", location(valueNode)) }
                    continue
                }
                if let value = convert(valueNode, field.type, path: path + "." + key) {
                    if field.secret {
                        checkSecret(valueNode, key: key)
                        if let raw = valueNode.scalar?.string, let resolved = value.stringValue { secretSources[resolved] = raw }
                    }
                    result[key] = value
                }
            }
            for field in fields where field.required && !entries.contains(where: { $0.0 == field.name }) {
                let owner = path == "with" ? (stepKind.map { "step kind '\($0)'" } ?? "this step") : "'\(leaf(path))'"
                error("missing required input '\(field.name)' for \(owner): \(field.summary)", location(node))
            }
            return .object(result)
        case .dictionary(let valueType):
            guard let mapping = node.mapping else {
                error("'\(leaf(path))' must be a mapping, found \(describe(node))", location(node))
                return nil
            }
            var result: [String: JSONValue] = [:]
            for (key, _, valueNode) in uniqueEntries(mapping) {
                if let value = convert(valueNode, valueType, path: path + "." + key) { result[key] = value }
            }
            return .object(result)
        case .list(let element):
            guard let sequence = node.sequence else {
                error("'\(leaf(path))' must be a list (\(type.phrase)), found \(describe(node))", location(node))
                return nil
            }
            var result: [JSONValue] = []
            for (index, item) in sequence.enumerated() {
                if let value = convert(item, element, path: path + "." + String(index)) { result.append(value) }
            }
            return .array(result)
        case .oneOf(let types):
            for candidate in types where shapeMatches(node, candidate) {
                return convert(node, candidate, path: path, stepKind: stepKind)
            }
            error("'\(leaf(path))' must be \(type.phrase), found \(describe(node))", location(node))
            return nil
        case .string, .integer, .number, .boolean, .choice:
            guard let scalar = node.scalar else {
                error("'\(leaf(path))' must be \(type.phrase), found \(describe(node))", location(node))
                return nil
            }
            guard let text = interpolate(scalar, node: node) else { return nil }
            if Interpolation.containsStepReference(text) {
                // Typed again once the output is known (JSONValue.resolvingStepOutputs).
                return .string(text)
            }
            let fromReference = scalar.string.contains("${")
            switch type {
            case .string:
                if scalar.style == .plain, !fromReference, node.tag == Tag(.null) {
                    error("'\(leaf(path))' must be a string, found null", location(node))
                    return nil
                }
                return .string(text)
            case .choice(let values):
                guard values.contains(text) else {
                    let hint = closest(text, in: values).map { "did you mean '\($0)'? " } ?? ""
                    error("'\(leaf(path))' must be \(type.phrase), found '\(text)'; \(hint)", location(node))
                    return nil
                }
                return .string(text)
            default:
                let quoted = scalar.style != .plain && !fromReference
                guard !quoted, let value = JSONValue.coerce(text, to: type) else {
                    error("'\(leaf(path))' must be \(type.phrase), found \(quoted ? "the string " : "")'\(text)'", location(node))
                    return nil
                }
                return value
            }
        }
    }

    /// Resolves env, secret and workflow references now; keeps step output references.
    mutating func interpolate(_ scalar: Node.Scalar, node: Node) -> String? {
        let raw = scalar.string
        guard raw.contains("$") else { return raw }
        let segments: [Segment]
        do {
            segments = try Interpolation.parse(raw)
        } catch {
            self.error(error.message, offsetLocation(node, scalar, error.offset))
            return nil
        }
        var result = ""
        for segment in segments {
            switch segment {
            case .text(let text): result += text
            case .expression(let expression, let offset):
                switch expression {
                case .environment(let name, let fallback):
                    if let value = environment[name] { result += value } else if let fallback { result += fallback } else {
                        error("environment variable \(name) is not set; export it, or write ${env:\(name):-DEFAULT}", offsetLocation(node, scalar, offset))
                        return nil
                    }
                case .secret(let name):
                    guard let value = environment[name], !value.isEmpty else {
                        error("secret \(name) is not set; export \(name) in the environment (it is never written to state or output)", offsetLocation(node, scalar, offset))
                        return nil
                    }
                    Secrets.shared.register(value)
                    result += value
                case .workflowName:
                    result += workflowName
                case .stepOutput(let step, let output):
                    references.append((step, output, offsetLocation(node, scalar, offset)))
                    result += expression.description
                }
            }
        }
        return result
    }

    mutating func checkSecret(_ node: Node, key: String) {
        guard let scalar = node.scalar else { return }
        if !scalar.string.contains("${") {
            error("'\(key)' is a secret and must not be written in the workflow; write ${secret:NAME} and export NAME", location(node))
        }
    }

    func offsetLocation(_ node: Node, _ scalar: Node.Scalar, _ offset: Int) -> SourceLocation {
        var base = location(node)
        let prefix = scalar.string.prefix(offset)
        if scalar.style == .plain || scalar.style == .singleQuoted || scalar.style == .doubleQuoted, !prefix.contains("\n") {
            base.column += offset + (scalar.style == .plain ? 0 : 1)
        }
        return base
    }

    func shapeMatches(_ node: Node, _ type: InputType) -> Bool {
        switch type {
        case .object, .dictionary: return node.mapping != nil
        case .list: return node.sequence != nil
        case .string, .choice: return node.scalar != nil
        case .boolean: return node.scalar.map { ["true", "false", "yes", "no", "on", "off"].contains($0.string.lowercased()) && $0.style == .plain } ?? false
        case .integer: return node.scalar.map { Int($0.string) != nil && $0.style == .plain } ?? false
        case .number: return node.scalar.map { Double($0.string) != nil && $0.style == .plain } ?? false
        case .oneOf(let types): return types.contains { shapeMatches(node, $0) }
        }
    }

    // MARK: Helpers

    mutating func uniqueEntries(_ mapping: Node.Mapping) -> [(String, Node, Node)] {
        var result: [(String, Node, Node)] = []
        var seen: Set<String> = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else {
                error("mapping keys must be plain names, found \(describe(keyNode))", location(keyNode))
                continue
            }
            if seen.contains(key) {
                error("duplicate key '\(key)'; remove one of them", location(keyNode))
                continue
            }
            seen.insert(key)
            result.append((key, keyNode, value))
        }
        return result
    }

    func entry(_ entries: [(String, Node, Node)], _ key: String) -> (Node, Node)? {
        entries.first { $0.0 == key }.map { ($0.1, $0.2) }
    }

    func scalarString(_ node: Node) -> String? {
        guard let scalar = node.scalar, !isNull(node) else { return nil }
        return scalar.string
    }

    func isNull(_ node: Node) -> Bool {
        guard let scalar = node.scalar else { return false }
        return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            if isNull(node) { return "nothing (null)" }
            return "'\(scalar.string)'"
        }
    }

    func leaf(_ path: String) -> String {
        let parts = path.split(separator: ".")
        if let last = parts.last, Int(last) != nil, parts.count > 1 { return "\(parts[parts.count - 2])[\(last)]" }
        return parts.last.map(String.init) ?? path
    }

    func syntaxDiagnostic(_ error: YamlError) -> Diagnostic {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let extra = context.map { " (\($0.text) at \($0.mark.line):\($0.mark.column))" } ?? ""
            return .error("invalid YAML: \(problem)\(extra)", at: SourceLocation(file: file, line: mark.line, column: mark.column))
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return .error("duplicate key \(keys) in this mapping; remove one of them", at: SourceLocation(file: file, line: context.mark.line, column: context.mark.column))
        case .reader(let problem, _, _, _):
            return .error("invalid YAML: \(problem)", at: SourceLocation(file: file, line: 1, column: 1))
        default:
            return .error("invalid YAML: \(error)", at: SourceLocation(file: file, line: 1, column: 1))
        }
    }
}

/// The candidate with the smallest edit distance, when it is close enough to be a typo.
func closest(_ word: String, in candidates: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
    let scored = candidates.map { ($0, distance(Array(word.lowercased()), Array($0.lowercased()))) }
    guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, word.count / 3) else { return nil }
    return best.0
}
