import Foundation
import Yams

/// Writes a checked workflow back as YAML (used to prove the loader round-trips, and by tools
/// that generate workflows). Resolved values are written literally; `${` is escaped as `$${`
/// except in step output references, which stay references.
public enum WorkflowWriter {
    public static func yaml(_ workflow: Workflow) throws -> String {
        var root: [(String, Any)] = [("name", workflow.name)]
        if let summary = workflow.summary { root.append(("description", summary)) }
        if let aws = workflow.settings.aws { root.append(("aws", plain(try JSONValue(encoding: aws), workflow))) }
        if let ld = workflow.settings.launchdarkly { root.append(("launchdarkly", plain(try JSONValue(encoding: ld), workflow))) }
        var steps: [Any] = []
        for step in workflow.steps {
            var entry: [String: Any] = ["id": step.id, "uses": step.kind]
            if !step.dependencies.isEmpty { entry["needs"] = step.dependencies }
            if case .object(let input) = step.input, !input.isEmpty { entry["with"] = plain(step.input, workflow) }
            steps.append(entry)
        }
        root.append(("steps", steps))
        var text = ""
        for (key, value) in root {
            text += try Yams.dump(object: [key: value], sortKeys: true)
        }
        return text
    }

    static func plain(_ value: JSONValue, _ workflow: Workflow) -> Any {
        switch value {
        case .null: return NSNull()
        case .bool(let bool): return bool
        case .number(let number): return number.rounded() == number && abs(number) < 1e15 ? Int(number) as Any : number
        case .string(let string): return workflow.secretSources[string] ?? escape(string)
        case .array(let array): return array.map { plain($0, workflow) }
        case .object(let object): return object.mapValues { plain($0, workflow) }
        }
    }

    static func escape(_ string: String) -> String {
        var result = ""
        var rest = Substring(string)
        while let range = rest.range(of: "${") {
            result += rest[..<range.lowerBound]
            let after = rest[range.upperBound...]
            result += after.hasPrefix("steps.") ? "${" : "$${"
            rest = after
        }
        return result + rest
    }
}
