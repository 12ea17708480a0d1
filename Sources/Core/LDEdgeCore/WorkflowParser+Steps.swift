import Foundation
import Yams

extension WorkflowParser {
    // MARK: Steps

    mutating func parseStep(_ node: Node) -> WorkflowStep? {
        guard let mapping = node.mapping else {
            error("a step must be a mapping with 'id', 'uses' and 'with', found \(describe(node))", location(node))
            return nil
        }
        let entries = uniqueEntries(mapping)
        let known = ["id", "uses", "with", "needs", "timeout"]
        for (key, keyNode, _) in entries where !known.contains(key) {
            error("unknown key '\(key)' in a step; expected one of: \(known.joined(separator: ", "))", location(keyNode))
        }
        locations = [:]
        references = []
        guard let (_, idNode) = entry(entries, "id") else {
            error("the step has no 'id'; add one, e.g. 'id: upload'", location(node))
            return nil
        }
        guard let id = scalarString(idNode), id.range(of: stepIDPattern, options: .regularExpression) != nil else {
            error("a step id must start with a letter and use letters, digits, '-' and '_', found \(describe(idNode))", location(idNode))
            return nil
        }
        locations["id"] = location(idNode)
        guard let (_, usesNode) = entry(entries, "uses") else {
            error("step '\(id)' has no 'uses'; name a step kind (run 'ldedge steps' to list them)", location(node))
            return nil
        }
        guard let kindName = scalarString(usesNode) else {
            error("'uses' must be a step kind name, found \(describe(usesNode))", location(usesNode))
            return nil
        }
        let resolved: StepKind?
        do {
            resolved = try resolveKind(named: kindName)
        } catch {
            self.error("step '\(id)': \(error)", location(usesNode))
            return nil
        }
        guard let kind = resolved else {
            let suggestion = closest(kindName, in: registry.sorted.map(\.kind)).map { "; did you mean '\($0)'?" } ?? ""
            error("unknown step kind '\(kindName)' in step '\(id)'\(suggestion) (run 'ldedge steps' to list them)", location(usesNode))
            return nil
        }
        var input = JSONValue.object([:])
        let withEntry = entry(entries, "with")
        if let (_, withNode) = withEntry, !isNull(withNode) {
            locations["with"] = location(withNode)
            input = convert(withNode, .object(kind.inputs), path: "with", stepKind: kind.kind) ?? .object([:])
        } else {
            let missing = kind.inputs.filter(\.required).map(\.name)
            if !missing.isEmpty {
                error("step '\(id)' (\(kind.kind)) needs 'with:' and its required input\(missing.count == 1 ? "" : "s") \(missing.map { "'\($0)'" }.joined(separator: ", "))", location(withEntry?.1 ?? node))
            }
        }
        var needs: [(String, SourceLocation)] = []
        if let (_, needsNode) = entry(entries, "needs") {
            if let value = scalarString(needsNode) {
                needs.append((value, location(needsNode)))
            } else if let sequence = needsNode.sequence {
                for item in sequence {
                    if let value = scalarString(item) { needs.append((value, location(item))) } else {
                        error("'needs' lists step ids, found \(describe(item))", location(item))
                    }
                }
            } else {
                error("'needs' must be a step id or a list of step ids, found \(describe(needsNode))", location(needsNode))
            }
        }
        // A step that acts on other steps (cleanup) depends on them, as its kind declares.
        for (target, path) in kind.stepReferences(input: input) {
            needs.append((target, locations[(["with"] + path).joined(separator: ".")] ?? locations["with"] ?? location(node)))
        }
        var timeout: Double?
        if let (_, timeoutNode) = entry(entries, "timeout") {
            timeout = scalarString(timeoutNode).flatMap(Self.seconds)
            if timeout == nil {
                error("'timeout' must be a number of seconds greater than 0 (or '90s', '10m'), found \(describe(timeoutNode))", location(timeoutNode))
            }
        }
        stepReferences[id] = references
        needsLocations[id] = needs
        let dependencies = Array(Set(references.map(\.step) + needs.map(\.0))).sorted()
        var step = WorkflowStep(id: id, kind: kind.kind, input: input, dependencies: dependencies, location: location(node), locations: locations)
        step.timeout = timeout
        return step
    }

    /// A registered kind or one a resolver makes of `uses:` (an external plugin), resolved once per file.
    mutating func resolveKind(named name: String) throws -> StepKind? {
        if let kind = registry[name] ?? resolvedKinds[name] { return kind }
        guard let kind = try registry.resolve(name, in: StepResolutionContext(directory: directory, environment: environment)) else { return nil }
        resolvedKinds[name] = kind
        return kind
    }

    /// `30`, `2.5`, `90s`, `10m` as seconds; nil when not a positive duration.
    static func seconds(_ text: String) -> Double? {
        var text = text.trimmingCharacters(in: .whitespaces)
        var scale = 1.0
        if text.hasSuffix("ms") { scale = 0.001; text.removeLast(2) } else if text.hasSuffix("s") { text.removeLast() } else if text.hasSuffix("m") {
            scale = 60
            text.removeLast()
        }
        guard let value = Double(text), value > 0, value.isFinite else { return nil }
        return value * scale
    }

    mutating func checkReferences(_ steps: [WorkflowStep]) {
        let byID = Dictionary(steps.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for step in steps {
            for reference in stepReferences[step.id] ?? [] {
                guard let target = byID[reference.step] else {
                    error("step '\(step.id)' refers to unknown step '\(reference.step)' in ${steps.\(reference.step).outputs.\(reference.output)}", reference.location)
                    continue
                }
                if target.id == step.id {
                    error("step '\(step.id)' refers to its own output '\(reference.output)'", reference.location)
                    continue
                }
                let outputs = (registry[target.kind] ?? resolvedKinds[target.kind])?.outputs.map(\.name) ?? []
                if !outputs.contains(reference.output) {
                    error("step '\(target.id)' (\(target.kind)) has no output '\(reference.output)'; its outputs are: \(outputs.isEmpty ? "none" : outputs.joined(separator: ", "))", reference.location)
                }
            }
            for (need, location) in needsLocations[step.id] ?? [] where byID[need] == nil {
                error("step '\(step.id)' needs unknown step '\(need)'", location)
            }
        }
    }

    /// Orders steps so each follows what it depends on, keeping file order otherwise.
    mutating func order(_ steps: [WorkflowStep]) -> [WorkflowStep] {
        let ids = Set(steps.map(\.id))
        var remaining = steps
        var done: Set<String> = []
        var result: [WorkflowStep] = []
        while !remaining.isEmpty {
            guard let index = remaining.firstIndex(where: { $0.dependencies.allSatisfy { done.contains($0) || !ids.contains($0) } }) else {
                let cycle = findCycle(remaining)
                let first = remaining.first { $0.id == cycle.first } ?? remaining[0]
                let location = (stepReferences[first.id] ?? []).first { cycle.contains($0.step) }?.location
                    ?? (needsLocations[first.id] ?? []).first { cycle.contains($0.0) }?.1 ?? first.location
                error("steps depend on each other in a cycle: \((cycle + [cycle.first ?? ""]).joined(separator: " -> ")); remove one of the references", location)
                return result + remaining
            }
            let step = remaining.remove(at: index)
            done.insert(step.id)
            result.append(step)
        }
        return result
    }

    func findCycle(_ steps: [WorkflowStep]) -> [String] {
        let byID = Dictionary(steps.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for start in steps {
            var path: [String] = []
            var current: String? = start.id
            while let id = current, let step = byID[id] {
                if let index = path.firstIndex(of: id) { return Array(path[index...]) }
                path.append(id)
                current = step.dependencies.first { byID[$0] != nil }
            }
        }
        return steps.map(\.id)
    }

    mutating func validateInputs(_ steps: [WorkflowStep]) {
        guard !diagnostics.hasErrors else { return }
        for step in steps {
            guard let kind = registry[step.kind] ?? resolvedKinds[step.kind] else { continue }
            if !step.input.hasStepReferences {
                do {
                    _ = try kind.makeStep(id: step.id, input: step.input)
                } catch {
                    self.error("step '\(step.id)' (\(step.kind)): the inputs do not fit the step: \(error)", step.locations["with"] ?? step.location)
                    continue
                }
            }
            // Limits that literal values decide are checked here, offline; values that refer to
            // another step's outputs are checked by plan once those are known.
            for issue in kind.literalIssues(input: step.input) {
                self.error("step '\(step.id)' (\(step.kind)): \(issue.message)", step.location(of: issue.path, anchor: issue.anchor))
            }
        }
    }
}
