import Foundation
import LDEdgeCore

/// `ldedge status` and `status --drift`.
extension WorkflowService {
    /// `ldedge status`: what the state records, per step.
    public func status(_ argument: String?, json: Bool) async -> ExitStatus {
        await run {
            guard let (name, _, location) = try await deployedState(argument, json: json) else {
                if json {
                    console.out(String(decoding: try JSONEncoder.pretty.encode(nothingDeployedValue(argument)), as: UTF8.self))
                } else {
                    console.out(nothingDeployed(argument))
                }
                return .success
            }
            let state = try await location.store(for: name).load()
            if json {
                console.out(String(decoding: try JSONEncoder.pretty.encode(state), as: UTF8.self))
                return .success
            }
            console.out("workflow \(Deployment(stateKey: name))\(state.workflowFile.map { " (\($0))" } ?? "")")
            if let expires = state.expires { console.out("  expires: \(WallClock.format(expires))\(expires <= WallClock.now(environment: environment) ? " (expired: 'ldedge gc' tears it down)" : "")") }
            if let run = state.lastRun {
                console.out("  last run: \(run.command) \(run.id), \(run.finishedAt == nil ? "did not finish (interrupted)" : run.outcome ?? "")")
                if let git = run.git { console.out("  source: \(git.summary)") }
            }
            for id in state.order {
                guard let step = state.steps[id] else { continue }
                let note = step.error.map { step.status == .pendingTeardown ? " - waiting: \($0)" : " - \($0)" } ?? ""
                console.out("  \(id) (\(step.kind)): \(step.status.rawValue)\(note)")
                for resource in step.resources { console.out("      \(resource.adopted ? "adopted" : "owns") \(resource.label)") }
                for (key, value) in step.outputs.sorted(by: { $0.key < $1.key }) where !value.isEmpty {
                    console.out("      \(key) = \(value)")
                }
            }
            return .success
        }
    }

    /// `ldedge status --drift`: what changed outside ldedge since the last run; exit 2 when anything did.
    public func statusDrift(_ argument: String?, json: Bool) async -> ExitStatus {
        await run {
            let (name, workflow, location) = try await resolveState(argument)
            let items = try await engine(state: location, quiet: true).drift(workflow: name, workflow: workflow)
            if json {
                console.out(String(decoding: try JSONEncoder.pretty.encode(items), as: UTF8.self))
            } else if items.isEmpty {
                console.out("no drift: what '\(name)' owns and adopted matches what the last run recorded")
            } else {
                console.out(PlanRenderer(colors: console.colorsOnStdout).renderDrift(items).dropFirst().joined(separator: "\n"))
            }
            return items.isEmpty ? .success : .changesPending
        }
    }
}
