import Foundation

/// The shape of a step input, used three ways: to check a workflow with exact locations,
/// to convert YAML into the JSON the step's `Input` decodes from, and to generate the
/// JSON Schema editors use (`docs/workflow.schema.json`).
public indirect enum InputType: Sendable, Equatable {
    case string
    case integer
    case number
    case boolean
    /// A string from a fixed set.
    case choice([String])
    case list(InputType)
    /// A mapping with known keys; any other key is an error.
    case object([InputField])
    /// A mapping from free-form keys to values of one type.
    case dictionary(InputType)
    /// The first alternative whose shape matches (for example a path or an object).
    case oneOf([InputType])

    /// What a user reads in an error message: "a string", "a list of integers".
    public var phrase: String {
        switch self {
        case .string: return "a string"
        case .integer: return "an integer"
        case .number: return "a number"
        case .boolean: return "true or false"
        case .choice(let values): return "one of " + values.map { "'\($0)'" }.joined(separator: ", ")
        case .list(let element): return "a list of \(element.plural)"
        case .object: return "a mapping"
        case .dictionary(let value): return "a mapping of \(value.plural)"
        case .oneOf(let types): return types.map(\.phrase).joined(separator: " or ")
        }
    }

    var plural: String {
        switch self {
        case .string: return "strings"
        case .integer: return "integers"
        case .number: return "numbers"
        case .boolean: return "booleans"
        case .choice: return "choices (\(phrase))"
        case .list: return "lists"
        case .object, .dictionary: return "mappings"
        case .oneOf: return "values (\(phrase))"
        }
    }
}

/// One named input of a step kind.
public struct InputField: Sendable, Equatable {
    public var name: String
    public var type: InputType
    public var required: Bool
    public var summary: String
    /// The default, shown in `ldedge steps` and the schema.
    public var defaultValue: String?
    /// The value is secret: it is masked everywhere and must come from `${secret:NAME}` or the environment.
    public var secret: Bool

    public init(
        _ name: String, _ type: InputType, required: Bool = false, default defaultValue: String? = nil,
        secret: Bool = false, _ summary: String
    ) {
        self.name = name
        self.type = type
        self.required = required
        self.summary = summary
        self.defaultValue = defaultValue
        self.secret = secret
    }
}

/// One named output of a step kind, referenced as `${steps.ID.outputs.NAME}`.
public struct OutputField: Sendable, Equatable {
    public var name: String
    public var summary: String
    /// What other commands know this output as (see `OutputRole`); nil for most outputs.
    public var role: OutputRole?

    public init(_ name: String, _ summary: String, role: OutputRole? = nil) {
        self.name = name
        self.summary = summary
        self.role = role
    }
}

extension InputType {
    /// The JSON Schema (draft 2020-12) of this type.
    public var jsonSchema: JSONValue {
        switch self {
        case .string: return .object(["type": .string("string")])
        case .integer: return .object(["type": .string("integer")])
        case .number: return .object(["type": .string("number")])
        case .boolean: return .object(["type": .string("boolean")])
        case .choice(let values):
            return .object(["type": .string("string"), "enum": .array(values.map(JSONValue.string))])
        case .list(let element):
            return .object(["type": .string("array"), "items": element.jsonSchema])
        case .object(let fields):
            return InputField.objectSchema(fields)
        case .dictionary(let value):
            return .object(["type": .string("object"), "additionalProperties": value.jsonSchema])
        case .oneOf(let types):
            return .object(["oneOf": .array(types.map(\.jsonSchema))])
        }
    }
}

extension InputField {
    /// A closed object schema for a list of fields; interpolated strings are allowed wherever a
    /// scalar is expected because references resolve only at run time.
    public static func objectSchema(_ fields: [InputField]) -> JSONValue {
        var properties: [String: JSONValue] = [:]
        for field in fields {
            var schema = field.type.scalarsMayInterpolate
            if case .object(var object) = schema {
                object["description"] = .string(field.summary)
                if let value = field.defaultValue { object["default"] = .string(value) }
                schema = .object(object)
            }
            properties[field.name] = schema
        }
        let required = fields.filter(\.required).map { JSONValue.string($0.name) }
        var object: [String: JSONValue] = [
            "type": .string("object"),
            "properties": .object(properties),
            "additionalProperties": .bool(false),
        ]
        if !required.isEmpty { object["required"] = .array(required) }
        return .object(object)
    }
}

extension InputType {
    /// Non-string scalars also accept a `${...}` reference.
    var scalarsMayInterpolate: JSONValue {
        switch self {
        case .integer, .number, .boolean:
            return .object(["anyOf": .array([jsonSchema, .object(["type": .string("string"), "pattern": .string("\\$\\{[^}]+\\}")])])])
        default:
            return jsonSchema
        }
    }
}
