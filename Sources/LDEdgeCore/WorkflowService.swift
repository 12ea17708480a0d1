import ChildProcess
import Foundation
import Synchronization

/// Documented exit codes of the `ldedge` command.
public enum ExitStatus: Int32, Sendable {
    case success = 0
    /// A run failed (and was rolled back unless --no-rollback), or an error occurred.
    case failure = 1
    /// `plan --detailed-exitcode`: changes are pending.
    case changesPending = 2
    /// Teardown is waiting on AWS (a replicated Lambda@Edge function); run it again later.
    case teardownPending = 3
    /// Another ldedge run holds the workflow's lock.
    case locked = 4
    /// Usage error (ArgumentParser's code).
    case usage = 64
    /// The workflow file is invalid; nothing was changed.
    case invalidWorkflow = 65
    /// The machine is not set up for a step (AWS credentials or region, LaunchDarkly token):
    /// `EX_CONFIG` from the same sysexits family as 64 and 65. Nothing was changed.
    case configuration = 78
}

/// The commands' logic: each `ldedge` subcommand parses its flags and calls one method here.
public struct WorkflowService: Sendable {
    public var registry: StepRegistry
    public var console: Console
    public var environment: [String: String]
    public var stateRoot: URL
    /// `--state`, `LDEDGE_STATE`, the workflow's `state:` and the remote backends (S3).
    public var stateSelection: StateSelection

    public init(
        registry: StepRegistry, environment: [String: String] = ProcessInfo.processInfo.environment, stateRoot: URL? = nil,
        stateSelection: StateSelection = StateSelection()
    ) {
        self.registry = registry
        self.stateSelection = stateSelection
        self.environment = environment
        self.console = Console(environment: environment)
        self.stateRoot = stateRoot ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".ldedge")
        Secrets.shared.registerWellKnown(in: environment)
    }

    func engine(
        state: (any StateLocation)? = nil, events: EventStream? = nil, _ options: (inout EngineOptions) -> Void = { _ in }, quiet: Bool = false
    ) -> Engine {
        var engineOptions = EngineOptions(stateRoot: stateRoot, environment: environment)
        engineOptions.state = state
        options(&engineOptions)
        return Engine(registry: registry, options: engineOptions, reporter: events ?? ConsoleReporter(console: console, quiet: quiet))
    }

    func load(_ path: String) async throws -> Workflow {
        let loader = WorkflowLoader(registry: registry, environment: environment)
        await loader.prepare(path)
        return try loader.load(path: path)
    }

    /// Runs `body`, printing any error the way users read it, and returns the exit status.
    public func run(_ body: () async throws -> ExitStatus) async -> ExitStatus {
        do {
            return try await body()
        } catch let error as DiagnosticsError {
            console.diagnostics(error.diagnostics)
            let errors = error.diagnostics.filter { $0.severity == .error }.count
            console.err("\(errors) error\(errors == 1 ? "" : "s"); nothing was changed")
            return .invalidWorkflow
        } catch let error as StateError {
            console.err(console.paint("error: \(error)", .red))
            if error.isLockConflict { return .locked }
            return .failure
        } catch let error as EngineError {
            switch error {
            case .planHasErrors(let diagnostics):
                if reportConfigurationProblems(diagnostics) { return .configuration }
                console.diagnostics(diagnostics)
                console.err("the plan has errors; nothing was changed")
                return .invalidWorkflow
            case .teardownIncomplete(let failed, _):
                if failed.isEmpty {
                    // Waiting on AWS (replicas) is the expected course of a Lambda@Edge teardown, not a failure.
                    console.err(console.paint("\(error)", .yellow))
                    return .teardownPending
                }
                console.err(console.paint("error: \(error)", .red))
                return .failure
            case .declined:
                console.err(error.description)
                return .failure
            default:
                console.err(console.paint("error: \(error)", .red))
                return .failure
            }
        } catch {
            console.err(console.paint("error: \(Secrets.shared.redact("\(error)"))", .red))
            return .failure
        }
    }

    /// Prints the configuration problems among `findings` to stderr, with the way to run without
    /// an account; true when there were any (the command then exits 78).
    func reportConfigurationProblems(_ findings: [Diagnostic]) -> Bool {
        let problems = findings.configurationProblems
        guard !problems.isEmpty else { return false }
        console.err(console.paint("ldedge is not configured for \(problems.count == 1 ? "a step" : "\(problems.count) steps") of this workflow:", .red))
        console.diagnostics(problems)
        console.err("note: \(Diagnostic.sandboxHint)")
        console.err("nothing was changed")
        return true
    }

    // MARK: Commands

    public func validate(_ path: String, json: Bool = false) async -> ExitStatus {
        if json {
            // Diagnostics as one JSON document on stdout, for editors and CI annotations.
            var diagnostics: [Diagnostic] = []
            var valid = true
            do { _ = try await load(path) } catch let error as DiagnosticsError {
                diagnostics = error.diagnostics
                valid = false
            } catch {
                diagnostics = [.error(Secrets.shared.redact("\(error)"))]
                valid = false
            }
            struct Report: Encodable { var file: String; var valid: Bool; var diagnostics: [Diagnostic] }
            let data = (try? JSONEncoder.pretty.encode(Report(file: path, valid: valid, diagnostics: diagnostics))) ?? Data()
            console.out(String(decoding: data, as: UTF8.self))
            return valid ? .success : .invalidWorkflow
        }
        return await run {
            let workflow = try await load(path)
            console.out("\(path): workflow '\(workflow.name)' is valid (\(workflow.steps.count) step\(workflow.steps.count == 1 ? "" : "s"): \(workflow.steps.map(\.id).joined(separator: " -> ")))")
            return .success
        }
    }

    public func plan(_ path: String, json: Bool, detailedExitCode: Bool, out: String? = nil) async -> ExitStatus {
        let events = json && out != "-" ? EventStream(console: console) : nil
        return await run(command: "plan", events: events) { _ in
            let workflow = try await load(path)
            let git = try? GitStamp.read(at: workflow.directory, stateRoot: stateRoot)
            let location = try stateLocation(workflow)
            let plan = try await engine(state: location, quiet: true).plan(workflow, git: git)
            let unconfigured = reportConfigurationProblems(plan.allFindings)
            if let out, !plan.hasErrors {
                try save(plan, of: workflow, location: location, to: out)
                if out == "-" { return detailedExitCode && (plan.hasChanges || plan.hasDrift) ? .changesPending : .success }
            }
            if let events {
                events.plan(plan)
            } else {
                console.out(PlanRenderer(colors: console.colorsOnStdout).render(plan))
            }
            if unconfigured { return .configuration }
            if plan.hasErrors { return .invalidWorkflow }
            return detailedExitCode && (plan.hasChanges || plan.hasDrift) ? .changesPending : .success
        }
    }

    public struct DeployFlags: Sendable {
        public var yes = false
        public var dryRun = false
        public var rollback = true
        public var allowDirty = false
        public var json = false
        public var stepOptions: [String: String] = [:]
        public init() {}
    }

    public func deploy(_ path: String, flags: DeployFlags) async -> ExitStatus {
        let events = flags.json ? EventStream(console: console) : nil
        return await run(command: "deploy", events: events) { result in
            let saved = try SavedPlan.read(path)
            let workflow = try await load(saved?.workflowPath ?? path)
            if let saved { try check(saved, against: workflow) }
            var git = try GitStamp.read(at: workflow.directory, stateRoot: stateRoot)
            if saved != nil { git = git.excluding(planFile: path) }
            if git.dirty && !flags.allowDirty { throw EngineError.dirtyTree(paths: git.changedPaths) }
            if flags.dryRun {
                let plan = try await engine(state: try stateLocation(workflow), quiet: true).plan(workflow, git: git)
                let unconfigured = reportConfigurationProblems(plan.allFindings)
                if let events {
                    events.plan(plan)
                } else {
                    console.out(PlanRenderer(colors: console.colorsOnStdout).render(plan))
                    console.err("dry run: nothing was changed")
                }
                if unconfigured { return .configuration }
                return plan.hasErrors ? .invalidWorkflow : .success
            }
            let engine = engine(state: try stateLocation(workflow), events: events) { options in
                options.rollbackOnFailure = flags.rollback
                options.allowDirty = flags.allowDirty
                options.stepOptions = flags.stepOptions
                options.expectedSerial = saved?.serial
            }
            let console = self.console
            let interactive = !flags.yes && Console.standardInputIsTerminal && saved == nil
            let json = flags.json
            let trap = SignalTrap.install(console: console)
            defer { trap.remove() }
            let report = try await engine.deploy(workflow, git: git) { plan in
                // A saved plan is applied only while the world still matches it.
                try saved?.verify(plan)
                if let events { events.plan(plan) } else if !json { console.err(PlanRenderer(colors: console.colorsOnStderr).render(plan)) }
                guard plan.hasChanges else { return true }
                return interactive ? await console.confirm("Apply these changes?") : true
            }
            if flags.json {
                result.value = try JSONValue(encoding: report)
            } else {
                if !report.recovered.isEmpty { console.out("recovered from an interrupted run: \(report.recovered.joined(separator: ", "))") }
                console.out("deployed '\(report.workflow)': \(report.applied.count) step\(report.applied.count == 1 ? "" : "s") applied, \(report.unchanged.count) unchanged")
                for (id, outputs) in report.outputs.sorted(by: { $0.key < $1.key }) where !outputs.isEmpty {
                    for (name, value) in outputs.sorted(by: { $0.key < $1.key }) where !value.isEmpty {
                        console.out("  \(id).\(name) = \(value.count > 120 ? String(value.prefix(117)) + "..." : value)")
                    }
                }
            }
            return .success
        }
    }

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
                return StateStore(root: stateRoot, workflow: workflow.name).exists ? (workflow.name, workflow) : nil
            }
            return StateStore.workflows(in: stateRoot).contains(argument) ? (argument, nil) : nil
        }
        let names = StateStore.workflows(in: stateRoot)
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

    /// With `wait`, keeps retrying while AWS still holds replicas (see `TeardownWait`) instead of exiting 3 at once.
    public func teardown(_ argument: String?, yes: Bool, json: Bool, stepOptions: [String: String], wait: TeardownWait? = nil) async -> ExitStatus {
        let events = json ? EventStream(console: console) : nil
        return await run(command: "teardown", events: events) { result in
            guard let (name, workflow, location) = try await deployedState(argument) else {
                if json { result.value = nothingDeployedValue(argument) } else { console.out(nothingDeployed(argument) + "; nothing to tear down") }
                return .success
            }
            let state = try await location.store(for: name).load()
            let targets = state.teardownOrder
            if targets.isEmpty {
                if json {
                    result.value = try JSONValue(encoding: TeardownReport(workflow: name, removed: [:], steps: []))
                } else {
                    console.out("nothing to tear down for '\(name)': no step owns anything")
                }
                return .success
            }
            if !json {
                console.err("Teardown of '\(name)' will remove, newest first:")
                for step in targets {
                    let owned = step.resources.map { "\($0.attributes["onTeardown"] ?? ($0.adopted ? "restore" : "delete")) \($0.label)" }
                    console.err("  \(step.id) (\(step.kind))\(owned.isEmpty ? "" : ": " + owned.joined(separator: ", "))")
                }
            }
            if !yes && Console.standardInputIsTerminal, !(await console.confirm("Tear these down?")) { throw EngineError.declined }
            let trap = SignalTrap.install(console: console)
            defer { trap.remove() }
            let report = try await teardownWaiting(name, workflow: workflow, location: location, events: events, stepOptions: stepOptions, wait: wait)
            if json {
                result.value = try JSONValue(encoding: report)
            } else {
                console.out("tore down '\(name)':")
                for id in report.steps {
                    let removed = report.removed[id] ?? []
                    console.out("  \(id): \(removed.isEmpty ? "nothing left to remove" : "removed " + removed.joined(separator: ", "))")
                }
            }
            return .success
        }
    }

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
            console.out("workflow '\(name)'\(state.workflowFile.map { " (\($0))" } ?? "")")
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

    public func steps(json: Bool) async -> ExitStatus {
        if json {
            let kinds: [JSONValue] = registry.sorted.map { kind in
                .object([
                    "kind": .string(kind.kind),
                    "summary": .string(kind.summary),
                    "documentation": .string(kind.documentation),
                    "inputs": .array(kind.inputs.map { field in
                        .object([
                            "name": .string(field.name), "type": .string(field.type.phrase), "required": .bool(field.required),
                            "default": field.defaultValue.map(JSONValue.string) ?? .null, "secret": .bool(field.secret),
                            "summary": .string(field.summary),
                        ])
                    }),
                    "outputs": .array(kind.outputs.map { .object(["name": .string($0.name), "summary": .string($0.summary)]) }),
                ])
            }
            console.out(String(decoding: (try? JSONEncoder.pretty.encode(JSONValue.array(kinds))) ?? Data(), as: UTF8.self))
            return .success
        }
        for kind in registry.sorted {
            console.out(console.paint(kind.kind, .bold, stderr: false) + " - " + kind.summary)
            if !kind.documentation.isEmpty { console.out("  \(kind.documentation)") }
            console.out("  inputs:")
            for field in kind.inputs {
                var line = "    \(field.name)\(field.required ? " (required)" : ""): \(field.type.phrase) - \(field.summary)"
                if let value = field.defaultValue { line += " [default: \(value)]" }
                if field.secret { line += " [secret]" }
                console.out(line)
            }
            console.out("  outputs: \(kind.outputs.isEmpty ? "none" : kind.outputs.map(\.name).joined(separator: ", "))")
            console.out("")
        }
        return .success
    }
}

/// Turns SIGINT/SIGTERM into a stop between two changes (then rollback); a second signal exits.
public final class SignalTrap: Sendable {
    private struct Installed {
        var sources: [any DispatchSourceSignal] = []
        var count = 0
    }
    private let installed = Mutex(Installed())

    public static func install(console: Console) -> SignalTrap {
        let trap = SignalTrap()
        trap.installed.withLock { installed in
            for signalNumber in [SIGINT, SIGTERM] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
                source.setEventHandler { [weak trap] in
                    guard let trap else { return }
                    let count = trap.installed.withLock { installed in
                        installed.count += 1
                        return installed.count
                    }
                    if count == 1 {
                        console.err("interrupted: stopping the command in progress (or finishing the current AWS or LaunchDarkly change), then rolling back (signal again to stop at once; 'ldedge teardown' cleans up)")
                        InterruptFlag.shared.raise()
                    } else {
                        // Stopping at once: nothing ldedge started may keep running.
                        ChildProcess.killAll()
                        exit(130)
                    }
                }
                source.resume()
                installed.sources.append(source)
            }
        }
        return trap
    }

    public func remove() {
        let sources = installed.withLock { installed in
            defer { installed.sources = [] }
            return installed.sources
        }
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}

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
            let state = try await location.store(for: workflow.name).load()
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
                console.out("\(target.id): \(report.outputs[target.id]?["targeting"] ?? "unchanged")")
            }
            return .success
        }
    }
}

