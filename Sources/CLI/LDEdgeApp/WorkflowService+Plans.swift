import Foundation
import LDEdgeCore

/// `ldedge plan --out FILE` and `ldedge deploy FILE`.
extension WorkflowService {
    /// Writes a saved plan (mode 0600, secrets redacted); `-` writes it to stdout.
    func save(_ plan: WorkflowPlan, of workflow: Workflow, location: any StateLocation, to path: String) throws {
        let saved = try SavedPlan(plan: plan, workflow: workflow, state: location.description, serial: plan.serial ?? 0)
        let data = try saved.encoded()
        if path == "-" {
            console.out(String(decoding: data, as: UTF8.self))
            return
        }
        let url = URL(fileURLWithPath: path).standardizedFileURL
        do {
            try StateStore.atomicWrite(data, to: url)
        } catch {
            throw StateError.io(path: url.path, reason: "cannot write the plan file: \(error)")
        }
        console.err("saved the plan to \(path) (state serial \(saved.serial)); apply exactly this plan with: ldedge deploy \(path)")
    }

    /// Refuses a saved plan whose workflow file changed or that was made against another state.
    func check(_ saved: SavedPlan, against workflow: Workflow) throws {
        try saved.checkWorkflowFile()
        let location = try stateLocation(workflow).description
        if location != saved.state { throw SavedPlanError.otherState(planned: saved.state, now: location) }
    }
}
