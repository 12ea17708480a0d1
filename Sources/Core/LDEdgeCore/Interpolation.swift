import Foundation

/// A `${...}` expression inside a workflow string.
public enum Expression: Hashable, Sendable, CustomStringConvertible {
    case environment(name: String, fallback: String?)
    case secret(name: String)
    case workflowName
    /// `${workflow.environment}`: the `--env` name, empty without one.
    case workflowEnvironment
    /// `${workflow.vars.NAME}`: the value of NAME for the environment (`environments:`, then `vars:`).
    case workflowVariable(name: String)
    case stepOutput(step: String, output: String)

    public var description: String {
        switch self {
        case .environment(let name, let fallback): return "${env:\(name)\(fallback.map { ":-\($0)" } ?? "")}"
        case .secret(let name): return "${secret:\(name)}"
        case .workflowName: return "${workflow.name}"
        case .workflowEnvironment: return "${workflow.environment}"
        case .workflowVariable(let name): return "${workflow.vars.\(name)}"
        case .stepOutput(let step, let output): return "${steps.\(step).outputs.\(output)}"
        }
    }
}

/// A piece of an interpolated string: literal text or an expression at a character offset.
public enum Segment: Hashable, Sendable {
    case text(String)
    case expression(Expression, offset: Int)
}

public struct InterpolationError: Error, Sendable {
    public var message: String
    public var offset: Int
}

/// Parses and resolves `${env:NAME}`, `${env:NAME:-default}`, `${secret:NAME}`,
/// `${workflow.name}`, `${workflow.environment}`, `${workflow.vars.NAME}` and
/// `${steps.ID.outputs.NAME}`; `$${` is a literal `${`.
public enum Interpolation {
    public static func parse(_ string: String) throws(InterpolationError) -> [Segment] {
        var segments: [Segment] = []
        var text = ""
        let characters = Array(string)
        var index = 0
        while index < characters.count {
            if characters[index] == "$", index + 2 < characters.count + 1, index + 1 < characters.count {
                if characters[index + 1] == "$", index + 2 < characters.count, characters[index + 2] == "{" {
                    text += "${"
                    index += 3
                    continue
                }
                if characters[index + 1] == "{" {
                    guard let close = characters[(index + 2)...].firstIndex(of: "}") else {
                        throw InterpolationError(message: "'${' is not closed by '}'; write '$${' for a literal '${'", offset: index)
                    }
                    let body = String(characters[(index + 2)..<close])
                    if !text.isEmpty { segments.append(.text(text)); text = "" }
                    segments.append(.expression(try expression(body, offset: index), offset: index))
                    index = close + 1
                    continue
                }
            }
            text.append(characters[index])
            index += 1
        }
        if !text.isEmpty { segments.append(.text(text)) }
        return segments
    }

    static func expression(_ body: String, offset: Int) throws(InterpolationError) -> Expression {
        let trimmed = body.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("env:") {
            let rest = String(trimmed.dropFirst(4))
            let parts = rest.components(separatedBy: ":-")
            let name = parts[0]
            guard isVariableName(name) else {
                throw InterpolationError(message: "'\(name)' is not an environment variable name in '${\(body)}'", offset: offset)
            }
            return .environment(name: name, fallback: parts.count > 1 ? parts.dropFirst().joined(separator: ":-") : nil)
        }
        if trimmed.hasPrefix("secret:") {
            let name = String(trimmed.dropFirst(7))
            guard isVariableName(name) else {
                throw InterpolationError(message: "'\(name)' is not an environment variable name in '${\(body)}'", offset: offset)
            }
            return .secret(name: name)
        }
        if trimmed == "workflow.name" { return .workflowName }
        if trimmed == "workflow.environment" { return .workflowEnvironment }
        if trimmed.hasPrefix("workflow.vars.") {
            let name = String(trimmed.dropFirst("workflow.vars.".count))
            guard isVariableName(name) else {
                throw InterpolationError(message: "'\(name)' is not a variable name in '${\(body)}'; variables are letters, digits and '_'", offset: offset)
            }
            return .workflowVariable(name: name)
        }
        let parts = trimmed.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 4, parts[0] == "steps", parts[2] == "outputs", !parts[1].isEmpty, !parts[3].isEmpty {
            return .stepOutput(step: parts[1], output: parts[3])
        }
        throw InterpolationError(
            message: "unknown expression '${\(body)}'; use ${env:NAME}, ${secret:NAME}, ${workflow.name}, ${workflow.environment}, ${workflow.vars.NAME} or ${steps.ID.outputs.NAME}",
            offset: offset
        )
    }

    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.first, first == "_" || first.isLetter else { return false }
        return name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }

    /// The step outputs a string refers to.
    public static func stepReferences(in string: String) -> [(step: String, output: String)] {
        guard let segments = try? parse(string) else { return [] }
        return segments.compactMap {
            if case .expression(.stepOutput(let step, let output), _) = $0 { return (step, output) }
            return nil
        }
    }

    /// Replaces step output references with their values; other text is kept as is.
    /// Only strings that were already interpolated for env/secret/workflow reach here, and those
    /// kept their step references in canonical `${steps.ID.outputs.NAME}` form.
    public static func resolveStepOutputs(in string: String, outputs: [String: [String: String]]) -> String? {
        var result = ""
        var index = string.startIndex
        while let open = string.range(of: "${steps.", range: index..<string.endIndex) {
            result += string[index..<open.lowerBound]
            guard let close = string.range(of: "}", range: open.upperBound..<string.endIndex) else { return nil }
            let body = String(string[open.lowerBound..<close.upperBound].dropFirst(2).dropLast())
            let parts = body.split(separator: ".").map(String.init)
            guard parts.count == 4, let value = outputs[parts[1]]?[parts[3]] else { return nil }
            result += value
            index = close.upperBound
        }
        result += string[index...]
        return result
    }

    /// Replaces the references whose outputs are known and keeps the others as written (plan time).
    public static func resolveKnownStepOutputs(in string: String, outputs: [String: [String: String]]) -> String {
        var result = ""
        var index = string.startIndex
        while let open = string.range(of: "${steps.", range: index..<string.endIndex) {
            result += string[index..<open.lowerBound]
            guard let close = string.range(of: "}", range: open.upperBound..<string.endIndex) else { break }
            let expression = String(string[open.lowerBound..<close.upperBound])
            let parts = expression.dropFirst(2).dropLast().split(separator: ".").map(String.init)
            if parts.count == 4, let value = outputs[parts[1]]?[parts[3]] { result += value } else { result += expression }
            index = close.upperBound
        }
        result += string[index...]
        return result
    }

    public static func containsStepReference(_ string: String) -> Bool {
        string.contains("${steps.")
    }
}

extension JSONValue {
    /// True when some string inside still refers to a step output.
    public var hasStepReferences: Bool {
        switch self {
        case .string(let value): return Interpolation.containsStepReference(value)
        case .array(let values): return values.contains { $0.hasStepReferences }
        case .object(let object): return object.values.contains { $0.hasStepReferences }
        default: return false
        }
    }

    /// Replaces step output references with the given outputs, converting to the input's type.
    /// Returns nil when a referenced output is not known yet.
    public func resolvingStepOutputs(_ outputs: [String: [String: String]], as type: InputType?) -> JSONValue? {
        switch self {
        case .string(let value):
            guard Interpolation.containsStepReference(value) else { return self }
            guard let resolved = Interpolation.resolveStepOutputs(in: value, outputs: outputs) else { return nil }
            return type.flatMap { JSONValue.coerce(resolved, to: $0) } ?? .string(resolved)
        case .array(let values):
            var element: InputType? = nil
            if case .list(let inner)? = type { element = inner }
            var result: [JSONValue] = []
            for value in values {
                guard let resolved = value.resolvingStepOutputs(outputs, as: element) else { return nil }
                result.append(resolved)
            }
            return .array(result)
        case .object(let object):
            var result: [String: JSONValue] = [:]
            for (key, value) in object {
                var fieldType: InputType? = nil
                switch type {
                case .object(let fields)?: fieldType = fields.first { $0.name == key }?.type
                case .dictionary(let inner)?: fieldType = inner
                default: break
                }
                guard let resolved = value.resolvingStepOutputs(outputs, as: fieldType) else { return nil }
                result[key] = resolved
            }
            return .object(result)
        default:
            return self
        }
    }

    /// Replaces the step output references that are known, converting fully resolved values to
    /// the input's type; unknown references stay as written (what plan shows as known after apply).
    public func resolvingKnownStepOutputs(_ outputs: [String: [String: String]], as type: InputType?) -> JSONValue {
        switch self {
        case .string(let value):
            guard Interpolation.containsStepReference(value) else { return self }
            let resolved = Interpolation.resolveKnownStepOutputs(in: value, outputs: outputs)
            if Interpolation.containsStepReference(resolved) { return .string(resolved) }
            return type.flatMap { JSONValue.coerce(resolved, to: $0) } ?? .string(resolved)
        case .array(let values):
            var element: InputType? = nil
            if case .list(let inner)? = type { element = inner }
            return .array(values.map { $0.resolvingKnownStepOutputs(outputs, as: element) })
        case .object(let object):
            var result: [String: JSONValue] = [:]
            for (key, value) in object {
                var fieldType: InputType? = nil
                switch type {
                case .object(let fields)?: fieldType = fields.first { $0.name == key }?.type
                case .dictionary(let inner)?: fieldType = inner
                default: break
                }
                result[key] = value.resolvingKnownStepOutputs(outputs, as: fieldType)
            }
            return .object(result)
        default:
            return self
        }
    }

    /// Converts a resolved string into the scalar type an input expects, or nil if it cannot.
    public static func coerce(_ text: String, to type: InputType) -> JSONValue? {
        switch type {
        case .string, .choice: return .string(text)
        case .integer: return Int(text).map { .number(Double($0)) }
        case .number: return Double(text).map { .number($0) }
        case .boolean:
            switch text.lowercased() {
            case "true", "yes", "on": return .bool(true)
            case "false", "no", "off": return .bool(false)
            default: return nil
            }
        case .oneOf(let types):
            for candidate in types { if let value = coerce(text, to: candidate) { return value } }
            return nil
        default: return .string(text)
        }
    }
}
