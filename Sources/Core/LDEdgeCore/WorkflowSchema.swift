import Foundation

/// The JSON Schema of workflow files (`docs/workflow.schema.json`), generated from the registry
/// so it always matches the step kinds' inputs.
public enum WorkflowSchema {
    public static func generate(_ registry: StepRegistry) -> JSONValue {
        let stepVariants: [JSONValue] = registry.sorted.map { kind in
            var properties: [String: JSONValue] = [
                "id": .object(["type": .string("string"), "pattern": .string("^[A-Za-z_][A-Za-z0-9_-]{0,62}$")]),
                "uses": .object(["const": .string(kind.kind), "description": .string(kind.summary)]),
                "needs": .object(["oneOf": .array([
                    .object(["type": .string("string")]),
                    .object(["type": .string("array"), "items": .object(["type": .string("string")])]),
                ])]),
                "with": kind.inputSchema ?? InputField.objectSchema(kind.inputs),
                "timeout": timeoutSchema,
            ]
            if case .object(var with) = properties["with"] {
                with["description"] = .string("inputs of '\(kind.kind)'")
                properties["with"] = .object(with)
            }
            let needsWith = kind.inputs.contains(where: \.required)
            return .object([
                "type": .string("object"),
                "properties": .object(properties),
                "required": .array((["id", "uses"] + (needsWith ? ["with"] : [])).map(JSONValue.string)),
                "additionalProperties": .bool(false),
                "if": .object(["properties": .object(["uses": .object(["const": .string(kind.kind)])])]),
            ])
        }
        let stepSchema: JSONValue = .object([
            "type": .string("object"),
            "required": .array([.string("id"), .string("uses")]),
            "properties": .object(["uses": .object(["anyOf": .array([
                .object(["enum": .array(registry.sorted.map { .string($0.kind) })]),
                .object([
                    "type": .string("string"), "pattern": .string("^(\\./|\\.\\./|/|plugin:)"),
                    "description": .string("an external step plugin: a path relative to the workflow file, or plugin:NAME for ldedge-step-NAME on PATH"),
                ]),
            ])])]),
            "allOf": .array(stepVariants.map { variant in
                guard case .object(let object) = variant, let condition = object["if"] else { return variant }
                var then = object
                then["if"] = nil
                return .object(["if": condition, "then": .object(then)])
            }),
        ])
        return .object([
            "$schema": .string("https://json-schema.org/draft/2020-12/schema"),
            "$id": .string("https://ldedge.dev/schemas/workflow.schema.json"),
            "title": .string("ldedge workflow"),
            "description": .string("A workflow: a name and a list of steps, each an id, a step kind in 'uses' and its inputs in 'with'."),
            "type": .string("object"),
            "required": .array([.string("name"), .string("steps")]),
            "additionalProperties": .bool(false),
            "properties": .object([
                "name": .object(["type": .string("string"), "pattern": .string("^[a-z0-9][a-z0-9-]{0,62}$")]),
                "description": .object(["type": .string("string")]),
                "aws": InputField.objectSchema(WorkflowSettings.awsFields),
                "launchdarkly": InputField.objectSchema(WorkflowSettings.launchDarklyFields),
                "state": .object([
                    "type": .string("string"), "pattern": .string("^(s3|file)://"),
                    "description": .string("where state is kept: s3://BUCKET/PREFIX shares it (locked with a conditional write); default .ldedge/"),
                ]),
                "stateKmsKey": .object(["type": .string("string"), "description": .string("KMS key for remote state objects (aws:kms); AES256 otherwise")]),
                "steps": .object(["type": .string("array"), "minItems": .number(1), "items": stepSchema]),
                "vars": variablesSchema(
                    "values read with ${workflow.vars.NAME}: used without --env, and for any variable the environment's entry in 'environments' leaves out"),
                "environments": .object([
                    "type": .string("object"),
                    "description": .string("per-environment variables (--env NAME): keys are environment names or patterns with '*' (pr-*); an exact name wins over a pattern; when present, --env must match a key"),
                    "propertyNames": .object(["pattern": .string("^[a-z0-9*][a-z0-9*-]{0,62}$")]),
                    "additionalProperties": .object(["oneOf": .array([variablesSchema("the variables of this environment, over 'vars'"), .object(["type": .string("null")])])]),
                ]),
            ]),
        ])
    }

    /// A `vars:` mapping: variable names to text or numbers.
    static func variablesSchema(_ description: String) -> JSONValue {
        .object([
            "type": .string("object"),
            "description": .string(description),
            "propertyNames": .object(["pattern": .string("^[A-Za-z_][A-Za-z0-9_]*$")]),
            "additionalProperties": .object(["type": .array([.string("string"), .string("number"), .string("boolean")])]),
        ])
    }

    /// `timeout:` of a step: seconds one call of an external plugin may take.
    static let timeoutSchema: JSONValue = .object([
        "description": .string("seconds one call of an external step plugin may take before it is killed (default 600)"),
        "oneOf": .array([
            .object(["type": .string("number"), "exclusiveMinimum": .number(0)]),
            .object(["type": .string("string"), "pattern": .string("^[0-9]+(\\.[0-9]+)?(ms|s|m)?$")]),
        ]),
    ])

    /// The schema as the bytes written to `docs/workflow.schema.json`.
    public static func document(_ registry: StepRegistry) throws -> String {
        String(decoding: try JSONEncoder.pretty.encode(generate(registry)), as: UTF8.self) + "\n"
    }
}
