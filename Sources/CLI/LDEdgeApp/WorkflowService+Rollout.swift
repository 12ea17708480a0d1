import Foundation
import LDEdgeCore

/// `ldedge rollout`: the flag prompts and wording live here, not in the core.
extension WorkflowService {
    /// What `ldedge rollout` changes (declared by the step kinds that support it, `RolloutStep`).
    public typealias RolloutChange = LDEdgeCore.RolloutChange

    /// Changes only the rollout, through the workflow's step whose kind supports it (a
    /// `RolloutStep`, such as flip-flag), journaled like a deploy.
    public func rollout(_ path: String, step: String?, change: RolloutChange, yes: Bool, json: Bool, noWait: Bool = false) async -> ExitStatus {
        let events = json ? EventStream(console: console) : nil
        return await run(command: "rollout", events: events) { result in
            var workflow = try await load(path)
            let rollable = workflow.steps.filter { registry[$0.kind]?.rollout != nil }
            let candidates = rollable.filter { step == nil || $0.id == step }
            let kinds = Set(registry.sorted.filter { $0.rollout != nil }.map(\.kind)).sorted().joined(separator: ", ")
            guard candidates.count == 1, let target = candidates.first, let index = workflow.steps.firstIndex(where: { $0.id == target.id }),
                let rewrite = registry[target.kind]?.rollout
            else {
                let all = rollable.map(\.id)
                throw EngineError.unresolved(
                    step: step ?? kinds,
                    detail: all.isEmpty ? "\(path) has no \(kinds) step to change" : "name the \(kinds) step with --step (one of: \(all.joined(separator: ", ")))")
            }
            guard case .object(let input) = target.input else {
                throw EngineError.unresolved(step: target.id, detail: "its 'with:' is not a mapping; give the \(target.kind) inputs under 'with:' (see 'ldedge steps')")
            }
            do {
                workflow.steps[index].input = .object(try rewrite(input, change))
            } catch let error as RolloutError {
                throw EngineError.unresolved(step: target.id, detail: error.message)
            }
            let location = try stateLocation(workflow)
            let state = try await location.store(for: workflow.stateKey).load()
            if state.steps[target.id]?.status != .applied && change != .resume {
                console.err("note: '\(target.id)' has not been deployed yet; this sets the flag only (run 'ldedge deploy' for the rest)")
            }
            for step in workflow.steps {
                if let notice = registry[step.kind]?.rolloutNotice(input: step.input) { console.err("warning: \(notice) (step '\(step.id)')") }
            }
            let console = self.console
            let interactive = !yes && Console.standardInputIsTerminal
            let trap = SignalTrap.install(console: console)
            defer { trap.remove() }
            // Deployed steps that copy the flag (edge-function's store record) follow it in the same run.
            let followers = workflow.steps.filter { registry[$0.kind]?.followsRollout == true && state.steps[$0.id]?.status == .applied }.map(\.id)
            let report = try await engine(state: location, events: events) { if noWait { $0.stepOptions["no-wait"] = "true" } }.deploy(workflow, only: Set([target.id] + followers), command: "rollout") { plan in
                if let events { events.plan(plan) } else { console.err(PlanRenderer(colors: console.colorsOnStderr).render(plan)) }
                if plan.hasDrift, !yes {
                    // Someone changed the targeting in LaunchDarkly since the last run: never overwrite it unasked.
                    let changed = plan.drift.map(\.summary).joined(separator: "; ")
                    guard interactive else {
                        throw EngineError.unresolved(step: target.id, detail: "the targeting was changed outside ldedge since the last run (\(changed)); pass --yes to overwrite it")
                    }
                    console.err("the targeting was changed outside ldedge since the last run: \(changed)")
                    return await console.confirm("Overwrite it?")
                }
                guard plan.hasChanges else { return true }
                return interactive ? await console.confirm("Change the flag?") : true
            }
            if json {
                result.value = try JSONValue(encoding: report)
            } else {
                let field = registry[target.kind]?.outputs.first { $0.role == .flagTargeting }?.name
                console.out("\(target.id): \(field.flatMap { report.outputs[target.id]?[$0] } ?? "unchanged")")
            }
            return .success
        }
    }
}
