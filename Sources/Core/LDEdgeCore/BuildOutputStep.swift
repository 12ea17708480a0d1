import Foundation

/// A step whose outputs are files built on the machine that runs it — a cache, not state.
///
/// The state records what such a step built from (a digest of its inputs) and what came out (a
/// `CodeSha256`, a size), so a plan on any machine can say "no changes" without building anything.
/// The files themselves exist only where they were built: after a deploy from another machine, or
/// once `.ldedge/` is gone, the state says the outputs are current while the folder is empty. The
/// engine then asks the step to build them again, deterministically, only when a later step that
/// does change something in this run depends on it (directly or through other steps), and
/// `ldedge invoke` does the same for the package it runs.
public protocol BuildOutputStep: Step {
    /// Builds the step's recorded outputs again on this machine when they are missing. Writes only
    /// in the step's work folder, journals nothing, and fails when the rebuilt bytes differ from the
    /// recorded ones (the inputs did not pin everything), rather than handing on different bytes.
    /// Returns the outputs as they are on this machine (paths under this machine's work folder).
    func materialize(_ context: StepContext) async throws -> [String: String]
}

extension Engine {
    /// Builds again, on this machine, the outputs of the build steps `ids` depend on (and of `ids`
    /// themselves with `including`), in workflow order, so that the files they recorded exist here.
    /// Returns the outputs of every step it built, as they are on this machine.
    @discardableResult
    public func materialize(_ ids: [String], of workflow: Workflow, including: Bool = true) async throws -> [String: [String: String]] {
        let store = store(for: workflow.stateKey)
        let state = try await store.load()
        let services = ServiceCache()
        defer { Task { await services.close() } }
        var outputs: [String: [String: String]] = [:]
        for (id, step) in state.steps where step.status == .applied { outputs[id] = step.outputs }
        return try await materialize(ids, of: workflow, state: state, outputs: outputs, including: including, services: services)
    }

    @discardableResult
    func materialize(
        _ ids: [String], of workflow: Workflow, state: WorkflowState, outputs recorded: [String: [String: String]], including: Bool, services: ServiceCache
    ) async throws -> [String: [String: String]] {
        var needed: Set<String> = []
        var pending = including ? ids : ids.flatMap { workflow.step($0)?.dependencies ?? [] }
        while let id = pending.popLast() {
            if needed.insert(id).inserted { pending += workflow.step(id)?.dependencies ?? [] }
        }
        var outputs = recorded
        var built: [String: [String: String]] = [:]
        for workflowStep in workflow.steps where needed.contains(workflowStep.id) {
            guard state.steps[workflowStep.id]?.status == .applied else { continue }
            let kind = try await stepKind(workflowStep.kind, step: workflowStep.id, workflow: workflow, state: state)
            guard let input = workflowStep.input.resolvingStepOutputs(outputs, as: .object(kind.inputs)),
                  let step = try kind.makeStep(id: workflowStep.id, input: input) as? any BuildOutputStep else { continue }
            let context = makeContext(workflow: workflow, stepID: workflowStep.id, kind: kind.kind, phase: .apply, state: state,
                                      recorder: nil, services: services)
            do {
                let here = try await step.materialize(context)
                built[workflowStep.id] = here
                // Later steps read this machine's paths.
                outputs[workflowStep.id] = (outputs[workflowStep.id] ?? [:]).merging(here) { _, new in new }
            } catch {
                throw EngineError.unresolved(step: workflowStep.id, detail: "could not build its recorded outputs again on this machine: \(Secrets.shared.redact("\(error)"))")
            }
        }
        return built
    }
}
