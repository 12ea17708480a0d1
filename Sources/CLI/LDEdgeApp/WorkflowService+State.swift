import Foundation
import LDEdgeCore

/// Choosing the state location, and `ldedge state show|pull|push|unlock`.
extension WorkflowService {
    /// The state location for a workflow (or for none: `--state`, `LDEDGE_STATE`, else `.ldedge/`).
    public func stateLocation(_ workflow: Workflow?) throws -> any StateLocation {
        try stateSelection.location(workflow: workflow, environment: environment, localRoot: stateRoot)
    }

    /// Builds again on this machine the recorded outputs of the build steps `ids` (and what they
    /// depend on): see `BuildOutputStep`. Returns each built step's outputs here.
    public func materialize(_ ids: [String], of workflow: Workflow) async throws -> [String: [String: String]] {
        try await engine(state: try stateLocation(workflow), quiet: true).materialize(ids, of: workflow)
    }

    /// Which workflow a command means (a workflow file, a recorded name, or the only one) and where its state is.
    public func resolveState(_ argument: String?) async throws -> (name: String, workflow: Workflow?, location: any StateLocation) {
        if let argument, FileManager.default.fileExists(atPath: argument) {
            let workflow = try await load(argument)
            return (workflow.stateKey, workflow, try stateLocation(workflow))
        }
        let location = try stateLocation(nil)
        if let argument {
            let key = Deployment(workflow: argument, environment: environmentName).stateKey
            if try await location.store(for: key).hasState() { return (key, nil, location) }
            throw StateError.noState(folder: "\(location.description)/\(key)")
        }
        var names = try await location.workflows()
        if let environmentName {
            // With --env and no workflow: the workflows that have this environment.
            var having: [String] = []
            for name in names where try await location.store(for: Deployment(workflow: name, environment: environmentName).stateKey).hasState() {
                having.append(name)
            }
            names = having
        }
        if names.count == 1 { return (Deployment(workflow: names[0], environment: environmentName).stateKey, nil, location) }
        if names.isEmpty { throw StateError.noState(folder: location.description + (environmentName.map { " (environment \($0))" } ?? "")) }
        throw StateError.ambiguous(folder: location.description, workflows: names)
    }

    /// `ldedge state show`: where the state is, its serial, the lock, and what it records.
    public func stateShow(_ argument: String?, json: Bool) async -> ExitStatus {
        await run {
            let (name, _, location) = try await resolveState(argument)
            let state = try await location.store(for: name).load()
            let holder = try await location.lockHolder(workflow: name)
            if json {
                struct Shown: Encodable {
                    var location: String
                    var workflow: String
                    var serial: Int
                    var lock: LockHolder?
                    var state: WorkflowState
                }
                let shown = Shown(location: "\(location.description)/\(name)", workflow: name, serial: state.seq, lock: holder, state: state)
                console.out(String(decoding: try JSONEncoder.pretty.encode(shown), as: UTF8.self))
                return .success
            }
            console.out("state of '\(name)' at \(location.description)/\(name): serial \(state.seq)")
            console.out("  lock: \(holder.map { $0.message(workflow: name) } ?? "free")")
            if let run = state.lastRun {
                console.out("  last run: \(run.command) \(run.id), \(run.finishedAt == nil ? "did not finish (interrupted)" : run.outcome ?? "")")
                if let git = run.git { console.out("  source: \(git.summary)") }
            }
            for id in state.order {
                guard let step = state.steps[id] else { continue }
                console.out("  \(id) (\(step.kind)): \(step.status.rawValue)")
                for resource in step.resources { console.out("      \(resource.adopted ? "adopted" : "owns") \(resource.label)") }
            }
            return .success
        }
    }

    /// `ldedge state pull`: copies the remote state into `.ldedge/<workflow>/`.
    public func statePull(_ argument: String?, force: Bool) async -> ExitStatus {
        await run {
            let (name, _, remote) = try await requireRemote(argument, command: "pull")
            let local = LocalStateLocation(root: stateRoot).store(for: name)
            let source = remote.store(for: name)
            let state = try await source.load()
            let records = try await source.readJournal()
            let existing = try await local.load()
            if try await local.hasState(), !existing.isEmpty || existing.seq > state.seq, !force {
                throw StateError.conflict(
                    location: local.location,
                    reason: "local state already exists (serial \(existing.seq), \(existing.isEmpty ? "empty" : "owns resources")); pass --force to overwrite it with the remote serial \(state.seq)")
            }
            let runID = Engine.newRunID()
            try await local.lock(runID: runID)
            defer { (local as? StateStore)?.unlock() }
            try await local.replace(records: records, state: state)
            console.out("pulled '\(name)' from \(remote.description): serial \(state.seq), \(records.count) journal records -> \(local.location)")
            return .success
        }
    }

    /// `ldedge state push`: migrates `.ldedge/<workflow>/` to the remote location; refuses to
    /// replace a remote state that is newer or owns something unless `force`.
    public func statePush(_ argument: String?, force: Bool) async -> ExitStatus {
        await run {
            let names = StateStore.workflows(in: stateRoot)
            guard let chosen = argument ?? (names.count == 1 ? names[0] : nil) else {
                throw names.isEmpty ? StateError.noState(folder: stateRoot.path) : StateError.ambiguous(folder: stateRoot.path, workflows: names)
            }
            let (name, _, remote) = try await requireRemote(chosen, command: "push", needState: false)
            let local = LocalStateLocation(root: stateRoot).store(for: name)
            guard try await local.hasState() else { throw StateError.noState(folder: local.location) }
            let state = try await local.load()
            let records = try await local.readJournal()
            let target = remote.store(for: name)
            let runID = Engine.newRunID()
            try await target.lock(runID: runID)
            do {
                let existing = try await target.load()
                if try await target.hasState(), !existing.isEmpty || existing.seq > state.seq, !force {
                    throw StateError.conflict(
                        location: target.location,
                        reason: "the remote state is \(existing.isEmpty ? "newer" : "not empty") (serial \(existing.seq) vs local \(state.seq)); nothing was changed. Pass --force to overwrite it, or 'ldedge state pull' to take it")
                }
                try await target.replace(records: records, state: state)
            } catch {
                await target.unlock()
                throw error
            }
            await target.unlock()
            console.out("pushed '\(name)' to \(target.location): serial \(state.seq), \(records.count) journal records; use this state URL from now on (the local copy in \(local.location) is kept)")
            return .success
        }
    }

    /// `ldedge state unlock WORKFLOW --force RUNID`: removes a dead run's lock, only if it is that run's.
    public func stateUnlock(_ argument: String, runID: String) async -> ExitStatus {
        await run {
            let (name, _, location) = try await requireRemote(argument, command: "unlock", needState: false)
            try await location.forceUnlock(workflow: name, runID: runID)
            console.out("removed the lock of run \(runID) on '\(name)' at \(location.description)")
            return .success
        }
    }

    func requireRemote(_ argument: String?, command: String, needState: Bool = true) async throws -> (String, Workflow?, any StateLocation) {
        let resolved: (name: String, workflow: Workflow?, location: any StateLocation)
        if needState {
            resolved = try await resolveState(argument)
        } else if let argument, FileManager.default.fileExists(atPath: argument) {
            let workflow = try await load(argument)
            resolved = (workflow.name, workflow, try stateLocation(workflow))
        } else {
            resolved = (argument ?? "", nil, try stateLocation(nil))
        }
        guard resolved.location.isRemote else {
            throw StateError.badURL(
                url: resolved.location.description,
                reason: "'ldedge state \(command)' needs a remote state: pass --state s3://BUCKET/PREFIX, set LDEDGE_STATE, or add 'state:' to the workflow")
        }
        return resolved
    }
}
