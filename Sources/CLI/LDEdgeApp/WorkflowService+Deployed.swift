import Foundation
import LDEdgeCore

/// Which workflow a command means, and what it says when nothing is deployed.
extension WorkflowService {
    /// Finds which workflow a command means: a workflow file, a recorded name, or the only one.
    public func resolveWorkflowName(_ argument: String?) async throws -> (name: String, workflow: Workflow?) {
        guard let deployed = try await deployedWorkflow(argument) else {
            throw StateError.noState(folder: argument.map { stateRoot.appendingPathComponent($0).path } ?? stateRoot.path)
        }
        return deployed
    }

    /// Like `resolveWorkflowName`, but nil when nothing is deployed (no state recorded for the
    /// named workflow, or none at all), so every command says so the same way.
    public func deployedWorkflow(_ argument: String?) async throws -> (name: String, workflow: Workflow?)? {
        if let argument {
            if FileManager.default.fileExists(atPath: argument) {
                let workflow = try await load(argument)
                return StateStore(root: stateRoot, workflow: workflow.stateKey).exists ? (workflow.stateKey, workflow) : nil
            }
            let key = Deployment(workflow: argument, environment: environmentName).stateKey
            return StateStore(root: stateRoot, workflow: key).exists ? (key, nil) : nil
        }
        var names = StateStore.workflows(in: stateRoot)
        if let environmentName {
            names = names.filter { StateStore(root: stateRoot, workflow: Deployment(workflow: $0, environment: environmentName).stateKey).exists }
            if names.count == 1 { return (Deployment(workflow: names[0], environment: environmentName).stateKey, nil) }
        }
        if names.count == 1 { return (names[0], nil) }
        if names.isEmpty { return nil }
        throw StateError.ambiguous(folder: stateRoot.path, workflows: names)
    }

    /// `resolveState`, but nil when nothing is deployed at the state location; with `json` an
    /// error is also a JSON document on stdout (status) — NDJSON commands report it as an event.
    func deployedState(_ argument: String?, json: Bool = false) async throws -> (name: String, workflow: Workflow?, location: any StateLocation)? {
        do {
            let resolved = try await resolveState(argument)
            return try await resolved.location.store(for: resolved.name).hasState() ? resolved : nil
        } catch StateError.noState {
            return nil
        } catch {
            if json {
                var object: [String: JSONValue] = ["error": .string(Secrets.shared.redact("\(error)"))]
                if case StateError.ambiguous(_, let names) = error { object["workflows"] = .array(names.map(JSONValue.string)) }
                console.out(String(decoding: (try? JSONEncoder.pretty.encode(JSONValue.object(object))) ?? Data(), as: UTF8.self))
            }
            throw error
        }
    }

    /// "nothing deployed: ..." — one wording for status and teardown, with or without a workflow.
    func nothingDeployed(_ argument: String?) -> String {
        let place = (try? stateLocation(nil).description) ?? stateRoot.path
        if let argument { return "nothing deployed: no ldedge state for '\(argument)' in \(place)" }
        return "nothing deployed: no ldedge state in \(place) (deploy from this directory, or run where you deployed)"
    }

    /// What `status --json` and `teardown --json` (in its `summary` event) say when nothing is deployed.
    func nothingDeployedValue(_ argument: String?) -> JSONValue {
        var object: [String: JSONValue] = ["workflows": .array([]), "message": .string(nothingDeployed(argument))]
        if let argument { object["workflow"] = .string(argument) }
        return .object(object)
    }
}
