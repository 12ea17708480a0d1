import Foundation

/// A resource that changed outside ldedge since the last run recorded it: `Step.drift` reports
/// them, plan and `status --drift` show them in their own section, deploy restores them.
public struct DriftItem: Codable, Hashable, Sendable {
    /// The step that owns or adopted the resource (set by the engine when a step leaves it empty).
    public var step: String
    /// `distribution E123`, `function edge-router`.
    public var resource: String
    /// What changed: `DefaultCacheBehavior.ViewerProtocolPolicy`, `CodeSha256`, `fallthrough`.
    public var field: String
    public var recorded: String?
    public var actual: String?

    public init(step: String = "", resource: String, field: String, recorded: String?, actual: String?) {
        self.step = step
        self.resource = resource
        self.field = field
        self.recorded = recorded
        self.actual = actual
    }

    /// `distribution E123: PriceClass recorded PriceClass_100, actual PriceClass_All`.
    public var summary: String {
        "\(resource): \(field) recorded \(recorded ?? "(none)"), actual \(actual ?? "(none)")"
    }
}

extension Engine {
    /// Out-of-band changes to what the recorded state owns or adopted, from the steps' `drift`
    /// (`status --drift`); works from the recorded inputs, without the workflow file.
    public func drift(workflow name: String, workflow: Workflow? = nil) async throws -> [DriftItem] {
        let state = try await store(for: name).load()
        let services = ServiceCache()
        defer { Task { await services.close() } }
        var items: [DriftItem] = []
        for id in state.order {
            guard let stepState = state.steps[id], stepState.status == .applied, let kind = registry[stepState.kind] else { continue }
            let step = try kind.makeStep(id: id, input: stepState.input)
            let context = makeContext(workflow: workflow, stepID: id, kind: kind.kind, phase: .plan, state: state, recorder: nil, services: services)
            items += try await step.drift(context).map { item in
                var item = item
                if item.step.isEmpty { item.step = id }
                return item
            }
        }
        return items
    }

    /// The drift of one step during a plan; a failure to check becomes a warning, not an error.
    func planDrift(of step: any Step, id: String, state: WorkflowState, context: StepContext) async -> (items: [DriftItem], warning: Diagnostic?) {
        guard state.steps[id]?.status == .applied else { return ([], nil) }
        do {
            let items = try await step.drift(context).map { item in
                var item = item
                if item.step.isEmpty { item.step = id }
                return item
            }
            return (items, nil)
        } catch {
            return ([], .warning("could not check for drift: \(Secrets.shared.redact("\(error)"))", step: id))
        }
    }
}
