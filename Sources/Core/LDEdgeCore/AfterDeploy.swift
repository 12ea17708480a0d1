import Foundation

/// A step that tidies up once a whole deploy has succeeded, when nothing will be rolled back any more
/// (attach-trigger deletes old function versions there).
///
/// `afterDeploy` runs for every step of the deploy, changed or not, in workflow order. Its changes go
/// through `context.perform` like any other, but have no undo: a failure is reported as a note and
/// never fails the deploy that already succeeded.
public protocol AfterDeployStep: Step {
    func afterDeploy(_ context: StepContext) async throws
}

extension Engine {
    /// Calls `afterDeploy` on each of `ids` whose kind adopts `AfterDeployStep`, with its applied inputs.
    func afterDeploy(_ ids: [String], workflow: Workflow, recorder: Recorder, services: ServiceCache) async {
        for workflowStep in workflow.steps where ids.contains(workflowStep.id) {
            guard let kind = registry[workflowStep.kind], let applied = recorder.state.steps[workflowStep.id], applied.status == .applied else { continue }
            let outputs = recorder.resolvableOutputs
            guard let input = workflowStep.input.resolvingStepOutputs(outputs, as: .object(kind.inputs)),
                  let step = try? kind.makeStep(id: workflowStep.id, input: input) as? any AfterDeployStep else { continue }
            let context = makeContext(workflow: workflow, stepID: workflowStep.id, kind: kind.kind, phase: .apply, state: recorder.state,
                                      recorder: recorder, services: services)
            do {
                try await step.afterDeploy(context)
            } catch {
                reporter.report(.notice("\(workflowStep.id): tidying up after the deploy did not finish: \(Secrets.shared.redact("\(error)")); the next deploy tries again"))
            }
        }
    }
}
