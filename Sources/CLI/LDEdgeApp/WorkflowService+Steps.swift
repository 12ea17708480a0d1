import Foundation
import LDEdgeCore
import Terminal

extension WorkflowService {
    /// `ldedge steps`: every registered step kind with its inputs and outputs, as text or JSON.
    public func steps(json: Bool) async -> ExitStatus {
        if json {
            let kinds: [JSONValue] = registry.sorted.map { kind in
                .object([
                    "kind": .string(kind.kind),
                    "summary": .string(kind.summary),
                    "documentation": .string(kind.documentation),
                    "inputs": .array(kind.inputs.map { field in
                        .object([
                            "name": .string(field.name), "type": .string(field.type.phrase), "required": .bool(field.required),
                            "default": field.defaultValue.map(JSONValue.string) ?? .null, "secret": .bool(field.secret),
                            "summary": .string(field.summary),
                        ])
                    }),
                    "outputs": .array(kind.outputs.map { .object(["name": .string($0.name), "summary": .string($0.summary)]) }),
                ])
            }
            console.out(String(decoding: (try? JSONEncoder.pretty.encode(JSONValue.array(kinds))) ?? Data(), as: UTF8.self))
            return .success
        }
        for kind in registry.sorted {
            console.out(console.paint(kind.kind, .bold, stderr: false) + " - " + kind.summary)
            if !kind.documentation.isEmpty { console.out("  \(kind.documentation)") }
            console.out("  inputs:")
            for field in kind.inputs {
                var line = "    \(field.name)\(field.required ? " (required)" : ""): \(field.type.phrase) - \(field.summary)"
                if let value = field.defaultValue { line += " [default: \(value)]" }
                if field.secret { line += " [secret]" }
                console.out(line)
            }
            console.out("  outputs: \(kind.outputs.isEmpty ? "none" : kind.outputs.map(\.name).joined(separator: ", "))")
            console.out("")
        }
        return .success
    }
}
