import Foundation
import LDEdgeCore

/// A plugin's `describe` schema of `with:`, in the two forms the workflow checker needs: the
/// shape as `InputField`s (types, required keys, unknown keys, each reported at its node) and
/// the constraints JSON Schema adds on top (ranges, lengths, patterns), checked on the value.
struct PluginSchema: Sendable {
    let schema: JSONValue
    let fields: [InputField]

    /// Reads the top-level schema; it must describe an object (the `with:` mapping).
    init(_ schema: JSONValue) throws {
        guard case .object(let object) = schema else { throw PluginSchemaError("'inputs' must be a JSON Schema object") }
        if let type = object["type"], type != .string("object") {
            throw PluginSchemaError("'inputs' must describe an object (\"type\": \"object\"), found \(type)")
        }
        self.schema = schema
        fields = Self.fields(of: object)
    }

    static func fields(of object: [String: JSONValue]) -> [InputField] {
        guard case .object(let properties)? = object["properties"] else { return [] }
        var required: Set<String> = []
        if case .array(let names)? = object["required"] { required = Set(names.compactMap(\.stringValue)) }
        return properties.keys.sorted().map { name in
            let property = properties[name] ?? .object([:])
            let secret = property["writeOnly"] == .bool(true) || property["x-ldedge-secret"] == .bool(true)
            let defaultValue = property["default"].map { $0.stringValue ?? $0.description }
            return InputField(
                name, inputType(property), required: required.contains(name), default: defaultValue, secret: secret,
                property["description"]?.stringValue ?? "")
        }
    }

    /// The closest `InputType` of a property schema; an untyped schema accepts any scalar, list or mapping.
    static func inputType(_ schema: JSONValue) -> InputType {
        guard case .object(let object) = schema else { return anything }
        for key in ["oneOf", "anyOf"] {
            if case .array(let alternatives)? = object[key], !alternatives.isEmpty { return .oneOf(alternatives.map(inputType)) }
        }
        if case .array(let values)? = object["enum"] {
            let strings = values.compactMap(\.stringValue)
            if strings.count == values.count { return .choice(strings) }
        }
        var type = object["type"]?.stringValue
        if case .array(let types)? = object["type"] { type = types.compactMap(\.stringValue).first { $0 != "null" } }
        switch type ?? "" {
        case "string": return .string
        case "integer": return .integer
        case "number": return .number
        case "boolean": return .boolean
        case "array": return .list(object["items"].map(inputType) ?? anything)
        case "object":
            if object["properties"] != nil { return .object(fields(of: object)) }
            if let values = object["additionalProperties"], case .object = values { return .dictionary(inputType(values)) }
            return .dictionary(anything)
        default: return anything
        }
    }

    static let anything: InputType = .oneOf([.string, .list(.string), .dictionary(.string)])

    /// Checks the constraints the shape cannot carry; paths point into `with:`.
    func validate(_ value: JSONValue) -> [InputIssue] {
        var issues: [InputIssue] = []
        Self.check(value, against: schema, path: [], into: &issues)
        // A schema violation is about the value: it is located at the offending node itself.
        return issues.map { issue in
            var issue = issue
            issue.anchor = .value
            return issue
        }
    }

    static func check(_ value: JSONValue, against schema: JSONValue, path: [String], into issues: inout [InputIssue]) {
        guard case .object(let rule) = schema else { return }
        let name = Self.name(path)
        if case .string(let text) = value, Interpolation.containsStepReference(text) { return }
        if let constant = rule["const"], constant != value {
            issues.append(InputIssue(path, "\(name) must be \(constant)"))
        }
        if case .array(let allowed)? = rule["enum"], !allowed.contains(value) {
            issues.append(InputIssue(path, "\(name) must be one of \(allowed.map(\.description).joined(separator: ", ")), found \(value)"))
        }
        switch value {
        case .number(let number):
            if let minimum = rule["minimum"]?.number, number < minimum { issues.append(InputIssue(path, "\(name) must be at least \(format(minimum)), found \(format(number))")) }
            if let maximum = rule["maximum"]?.number, number > maximum { issues.append(InputIssue(path, "\(name) must be at most \(format(maximum)), found \(format(number))")) }
            if let bound = rule["exclusiveMinimum"]?.number, number <= bound { issues.append(InputIssue(path, "\(name) must be greater than \(format(bound)), found \(format(number))")) }
            if let bound = rule["exclusiveMaximum"]?.number, number >= bound { issues.append(InputIssue(path, "\(name) must be less than \(format(bound)), found \(format(number))")) }
        case .string(let text):
            if let minimum = rule["minLength"]?.number, Double(text.count) < minimum { issues.append(InputIssue(path, "\(name) must have at least \(format(minimum)) characters")) }
            if let maximum = rule["maxLength"]?.number, Double(text.count) > maximum { issues.append(InputIssue(path, "\(name) must have at most \(format(maximum)) characters")) }
            if let pattern = rule["pattern"]?.stringValue, text.range(of: pattern, options: .regularExpression) == nil {
                issues.append(InputIssue(path, "\(name) must match the pattern \(pattern), found '\(text)'"))
            }
        case .array(let items):
            if let minimum = rule["minItems"]?.number, Double(items.count) < minimum { issues.append(InputIssue(path, "\(name) must have at least \(format(minimum)) items")) }
            if let maximum = rule["maxItems"]?.number, Double(items.count) > maximum { issues.append(InputIssue(path, "\(name) must have at most \(format(maximum)) items")) }
            if let itemSchema = rule["items"] {
                for (index, item) in items.enumerated() { check(item, against: itemSchema, path: path + [String(index)], into: &issues) }
            }
        case .object(let members):
            if case .object(let properties)? = rule["properties"] {
                for (key, member) in members {
                    if let propertySchema = properties[key] { check(member, against: propertySchema, path: path + [key], into: &issues) }
                }
            } else if let values = rule["additionalProperties"], case .object = values {
                for (key, member) in members { check(member, against: values, path: path + [key], into: &issues) }
            }
        case .bool, .null:
            break
        }
    }

    /// `'count'`, `'files[1]'`: the input as a user reads it in an error.
    static func name(_ path: [String]) -> String {
        guard let last = path.last else { return "'with'" }
        if Int(last) != nil, path.count > 1 { return "'\(path[path.count - 2])[\(last)]'" }
        return "'\(last)'"
    }

    static func format(_ number: Double) -> String {
        number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }
}

struct PluginSchemaError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension JSONValue {
    var number: Double? {
        if case .number(let value) = self { return value }
        return nil
    }
}
