import Foundation
import Yams

extension WorkflowParser {
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
                if inVariables, let problem = Self.notInVariables(expression) {
                    error(problem, offsetLocation(node, scalar, offset))
                    return nil
                }
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
                case .workflowEnvironment:
                    result += environmentName ?? ""
                case .workflowVariable(let name):
                    guard !inVariables else {
                        error("a value in 'vars:' or 'environments:' cannot refer to another variable; write the value out", offsetLocation(node, scalar, offset))
                        return nil
                    }
                    guard let variable = variables[name] else {
                        error(missingVariable(name), offsetLocation(node, scalar, offset))
                        return nil
                    }
                    result += variable.value
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
