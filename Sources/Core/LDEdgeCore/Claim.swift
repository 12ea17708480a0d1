import Foundation

/// Something outside AWS names that a step changes and that two deployments must never share,
/// such as a LaunchDarkly flag's targeting in one project and environment. Environments of a
/// workflow get their own AWS names (`StepContext.scopedName`); for what they cannot rename, the
/// plan of a second environment claiming the same thing is refused (`Engine.conflicts`).
public struct Claim: Hashable, Sendable {
    /// Equal keys are the same thing: `launchdarkly-flag/PROJECT/ENVIRONMENT/FLAG`.
    public var key: String
    /// For messages: "flag 'rebrand' in LaunchDarkly project default, environment production".
    public var description: String
    /// The input that decides it (`["flag"]`), where the error points.
    public var input: [String]
    /// How to separate two environments, for the error.
    public var advice: String

    public init(key: String, description: String, input: [String], advice: String) {
        self.key = key
        self.description = description
        self.input = input
        self.advice = advice
    }
}

extension Engine {
    /// Errors for the claims of `workflow`'s steps that another deployment of the same workflow
    /// (another environment, or the workflow without one) already holds in its recorded state.
    func conflicts(_ workflow: Workflow, steps: [(WorkflowStep, any Step, StepContext)]) async -> [Diagnostic] {
        var mine: [(claim: Claim, step: WorkflowStep)] = []
        for (workflowStep, step, context) in steps {
            mine += step.claims(context).map { ($0, workflowStep) }
        }
        guard !mine.isEmpty else { return [] }
        let location = options.state ?? LocalStateLocation(root: options.stateRoot)
        var siblings: [Deployment] = [Deployment(workflow: workflow.name)]
        do {
            siblings += try await location.environments(of: workflow.name).map { Deployment(workflow: workflow.name, environment: $0) }
        } catch {
            reporter.report(.notice("could not list the other environments of '\(workflow.name)' at \(location.description) to check that none changes the same flag: \(Secrets.shared.redact("\(error)"))"))
            return []
        }
        var findings: [Diagnostic] = []
        let services = ServiceCache()
        defer { Task { await services.close() } }
        // The other deployments' states, read a few at a time (each is a journal read, or a LIST
        // and GETs in S3); one that cannot be read is skipped.
        let others = siblings.filter { $0 != workflow.deployment }
        var states: [Deployment: WorkflowState] = [:]
        await withTaskGroup(of: (Deployment, WorkflowState?).self) { group in
            var next = others.makeIterator()
            func add() -> Bool {
                guard let sibling = next.next() else { return false }
                group.addTask { (sibling, try? await location.store(for: sibling.stateKey).load()) }
                return true
            }
            for _ in 0..<8 { if !add() { break } }
            while let (sibling, state) = await group.next() {
                if let state { states[sibling] = state }
                _ = add()
            }
        }
        for sibling in others {
            guard let state = states[sibling] else { continue }
            var held: [String: Claim] = [:]
            for id in state.order {
                guard let stepState = state.steps[id], stepState.status.mayOwnResources, stepState.status != .pendingTeardown,
                      let kind = registry[stepState.kind], let step = try? kind.makeStep(id: id, input: stepState.input) else { continue }
                let context = makeContext(workflow: nil, stepID: id, kind: kind.kind, phase: .plan, state: state, recorder: nil, services: services)
                for claim in step.claims(context) { held[claim.key] = claim }
            }
            for (claim, workflowStep) in mine where held[claim.key] != nil {
                let other = sibling.environment.map { "environment '\($0)'" } ?? "the deployment without an environment"
                let this = workflow.environment.map { "environment '\($0)'" } ?? "the deployment without an environment"
                findings.append(.error(
                    "\(this) would change \(claim.description), which \(other) of workflow '\(workflow.name)' already changes; two environments must not fight over one flag: \(claim.advice)",
                    at: workflowStep.location(of: claim.input, anchor: .value), step: workflowStep.id))
            }
        }
        return findings
    }
}
