import Foundation
import Yams

extension WorkflowLoader {
    /// The step kinds a workflow file uses that the registry resolves rather than holds (external
    /// plugins), for `ldedge steps --workflow` and `ldedge schema --workflow`. Reads only the
    /// steps' `uses:`; a plugin that cannot be used is reported at its `uses:`.
    public func resolvedKinds(usedIn path: String) throws -> [StepKind] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw DiagnosticsError([.error("cannot read the workflow file \(path): check the path and its permissions")])
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            // The full loader reports syntax errors with their location.
            _ = try load(path: path)
            return []
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().standardizedFileURL
        let context = StepResolutionContext(directory: directory, environment: environment)
        var kinds: [String: StepKind] = [:]
        var diagnostics: [Diagnostic] = []
        func value(_ key: String, in node: Node?) -> Node? {
            node?.mapping?.first { $0.key.scalar?.string == key }?.value
        }
        for step in value("steps", in: root)?.sequence ?? [] {
            guard let usesNode = value("uses", in: step), let uses = usesNode.scalar?.string, registry[uses] == nil, kinds[uses] == nil else { continue }
            let mark = usesNode.mark
            let location = SourceLocation(file: path, line: mark?.line ?? 1, column: mark?.column ?? 1)
            do {
                if let kind = try registry.resolve(uses, in: context) { kinds[uses] = kind } else {
                    diagnostics.append(.error("unknown step kind '\(uses)' (run 'ldedge steps' to list them)", at: location))
                }
            } catch {
                diagnostics.append(.error("\(error)", at: location))
            }
        }
        if diagnostics.hasErrors { throw DiagnosticsError(diagnostics) }
        return kinds.values.sorted { $0.kind < $1.kind }
    }
}
