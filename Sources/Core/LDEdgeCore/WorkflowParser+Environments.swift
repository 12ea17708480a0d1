import Foundation
import Yams

/// `vars:` and `environments:`: values that differ per environment, read with `${workflow.vars.NAME}`.
///
///     vars:                      # the values without --env, and the defaults
///       flag: rebrand
///     environments:
///       staging:                 # --env staging
///         ldEnvironment: staging
///       "pr-*":                  # --env pr-42: any name the pattern matches
///         flag: rebrand-${workflow.environment}
extension WorkflowParser {
    /// Checks both maps and keeps the variables of the selected environment (`variables`).
    mutating func parseEnvironments(_ entries: [(String, Node, Node)], root: Node) {
        if let environmentName, let problem = Deployment.problem(environment: environmentName) {
            error("--env: \(problem)", SourceLocation(file: file, line: 1, column: 1))
        }
        inVariables = true
        defer { inVariables = false }
        if let (_, node) = entry(entries, "vars") {
            for (name, value) in variableMap(node, owner: "vars") { variables[name] = value }
        }
        guard let (keyNode, node) = entry(entries, "environments") else { return }
        guard let mapping = node.mapping else {
            error("'environments' must map environment names (or patterns such as pr-*) to their variables, found \(describe(node))", location(node))
            return
        }
        var declared: [(key: String, keyNode: Node, value: Node)] = []
        for (key, keyNode, value) in uniqueEntries(mapping) {
            if !Self.isEnvironmentKey(key) {
                error("'\(key)' in 'environments' is not an environment name or pattern: use lower-case letters, digits and '-', with '*' for any characters (for example staging or pr-*)", location(keyNode))
                continue
            }
            declared.append((key, keyNode, value))
        }
        guard let environmentName else { return }
        let match = declared.first { $0.key == environmentName } ?? declared.first { Self.matches(environmentName, pattern: $0.key) }
        guard let match else {
            let names = declared.map(\.key).joined(separator: ", ")
            error("environment '\(environmentName)' is not declared in 'environments' (\(names.isEmpty ? "none are" : names)); add it (or a pattern that matches it), or choose one of those", location(keyNode))
            return
        }
        variablesOrigin = "environments.\(match.key)"
        guard !isNull(match.value) else { return }
        for (name, value) in variableMap(match.value, owner: "environments.\(match.key)") { variables[name] = value }
    }

    /// A mapping of variable names to scalar values, interpolated now.
    mutating func variableMap(_ node: Node, owner: String) -> [String: (value: String, location: SourceLocation)] {
        guard let mapping = node.mapping else {
            error("'\(owner)' must map variable names to values, found \(describe(node))", location(node))
            return [:]
        }
        var result: [String: (value: String, location: SourceLocation)] = [:]
        for (name, keyNode, valueNode) in uniqueEntries(mapping) {
            guard Interpolation.isVariableName(name) else {
                error("'\(name)' in '\(owner)' is not a variable name: use letters, digits and '_' (read it as ${workflow.vars.NAME})", location(keyNode))
                continue
            }
            guard let scalar = valueNode.scalar, !isNull(valueNode) else {
                error("'\(owner).\(name)' must be a single value (text or a number), found \(describe(valueNode))", location(valueNode))
                continue
            }
            if let text = interpolate(scalar, node: valueNode) { result[name] = (text, location(valueNode)) }
        }
        return result
    }

    /// The message for `${workflow.vars.NAME}` when no value applies.
    func missingVariable(_ name: String) -> String {
        let known = variables.keys.sorted()
        let hint = closest(name, in: known).map { "did you mean '\($0)'? " } ?? ""
        if let environmentName {
            return "variable '\(name)' has no value in environment '\(environmentName)': \(hint)add '\(name)' to '\(variablesOrigin)' or to 'vars:'"
        }
        return "variable '\(name)' has no value without --env: \(hint)add '\(name)' to 'vars:' (the values used without an environment), or pass --env NAME"
    }

    /// Why `expression` cannot appear in `vars:` or `environments:` (nil when it can).
    static func notInVariables(_ expression: Expression) -> String? {
        switch expression {
        case .workflowVariable: return "a value in 'vars:' or 'environments:' cannot refer to another variable; write the value out"
        case .secret: return "'vars:' and 'environments:' cannot hold secrets (they are not redacted there); write ${secret:NAME} in the input that takes the secret"
        case .stepOutput: return "'vars:' and 'environments:' are read before any step runs, so they cannot refer to step outputs"
        case .environment, .workflowName, .workflowEnvironment: return nil
        }
    }

    static func isEnvironmentKey(_ key: String) -> Bool {
        if !key.contains("*") { return Deployment.problem(environment: key) == nil }
        return !key.isEmpty && key.count <= 63 && key.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" || $0 == "*" }
    }

    /// True when `name` matches `pattern`, where `*` stands for any characters (possibly none).
    static func matches(_ name: String, pattern: String) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        guard parts.count > 1 else { return name == pattern }
        guard name.hasPrefix(parts[0]) else { return false }
        var rest = Substring(name.dropFirst(parts[0].count))
        for (index, part) in parts.dropFirst().enumerated() {
            let isLast = index == parts.count - 2
            if isLast { return rest.hasSuffix(part) && rest.count >= part.count }
            guard let range = rest.range(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        return true
    }
}
