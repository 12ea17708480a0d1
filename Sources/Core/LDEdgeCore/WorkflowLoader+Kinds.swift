import Foundation
import Yams

extension WorkflowLoader {
    /// Every step's `uses:` in the workflow file at `path` (none when it cannot be read or parsed:
    /// loading reports that with its location).
    public func usesValues(in path: String) -> [String] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8),
            let root = try? Yams.compose(yaml: text)
        else { return [] }
        let steps = root.mapping?.first { $0.key.scalar?.string == "steps" }?.value.sequence ?? []
        return steps.compactMap { step in step.mapping?.first { $0.key.scalar?.string == "uses" }?.value.scalar?.string }
    }

    /// Prepares the kinds the workflow at `path` uses that resolvers provide (plugins are asked to
    /// describe themselves here, asynchronously), before the synchronous `load`.
    public func prepare(_ path: String) async {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().standardizedFileURL
        await registry.prepare(usesValues(in: path), in: StepResolutionContext(directory: directory, environment: environment))
    }

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
