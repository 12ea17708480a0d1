import Crypto
import Foundation

/// Plans, applies, rolls back and tears down workflows: plan everything first, apply one step at
/// a time, unwind in reverse on failure.
public final class Engine: Sendable {
    public let registry: StepRegistry
    public let options: EngineOptions
    public let reporter: any Reporter

    public init(registry: StepRegistry, options: EngineOptions, reporter: any Reporter = SilentReporter()) {
        self.registry = registry
        self.options = options
        self.reporter = reporter
        Secrets.shared.registerWellKnown(in: options.environment)
    }

    public func store(for workflow: String) -> any StateBackend {
        (options.state ?? LocalStateLocation(root: options.stateRoot)).store(for: workflow)
    }

    // MARK: Plan

    /// Plans every step against the recorded state and the world; changes nothing.
    public func plan(_ workflow: Workflow, git: GitStamp? = nil) async throws -> WorkflowPlan {
        let store = store(for: workflow.stateKey)
        let state = try await store.load()
        let services = ServiceCache()
        defer { Task { await services.close() } }
        return try await plan(workflow, state: state, git: git, services: services)
    }

    func plan(_ workflow: Workflow, state: WorkflowState, git: GitStamp?, services: ServiceCache) async throws -> WorkflowPlan {
        var outputs: [String: [String: String]] = [:]
        for (id, step) in state.steps where step.status == .applied { outputs[id] = step.outputs }
        var entries: [StepPlanEntry] = []
        var drift: [DriftItem] = []
        var driftWarnings: [Diagnostic] = []
        var planned: [(WorkflowStep, any Step, StepContext)] = []
        for workflowStep in workflow.steps {
            let kind = try await stepKind(workflowStep.kind, step: workflowStep.id, workflow: workflow, state: state)
            var entry = StepPlanEntry(id: workflowStep.id, kind: workflowStep.kind)
            let resolved = workflowStep.input.resolvingStepOutputs(outputs, as: .object(kind.inputs))
            let input = resolved ?? workflowStep.input.resolvingKnownStepOutputs(outputs, as: .object(kind.inputs))
            if resolved == nil {
                let missing = workflowStep.dependencies.filter { outputs[$0] == nil }
                entry.pending = "some inputs are known only after \(missing.joined(separator: ", ")) appl\(missing.count == 1 ? "ies" : "y")"
            }
            guard let step = try? kind.makeStep(id: workflowStep.id, input: input) else {
                entries.append(entry)
                continue
            }
            // Input rules first, each located at its key; a step that breaks one is not planned.
            let issues = kind.literalIssues(input: input)
            if !issues.isEmpty {
                entry.plan = StepPlan(findings: issues.map {
                    .error($0.message, at: workflowStep.location(of: $0.path, anchor: $0.anchor), step: workflowStep.id)
                })
                entries.append(entry)
                continue
            }
            let upcoming = workflowStep.dependencies.filter { id in entries.first { $0.id == id }.map { $0.plan?.hasChanges ?? true } ?? false }
            let context = makeContext(workflow: workflow, stepID: workflowStep.id, kind: kind.kind, phase: .plan, state: state, recorder: nil,
                                      services: services, upcoming: workflow.steps.map(\.id).filter(upcoming.contains))
            do {
                planned.append((workflowStep, step, context))
                var stepPlan = try await step.plan(context)
                stepPlan.findings += context.notes.withLock { $0 }.map { Diagnostic.note($0, step: workflowStep.id) }
                stepPlan.findings = stepPlan.findings.map { finding in
                    var finding = finding
                    finding.step = finding.step ?? workflowStep.id
                    if finding.location == nil { finding.location = finding.inputPath.map { workflowStep.location(of: $0) } ?? workflowStep.locations["with"] ?? workflowStep.location }
                    return finding
                }
                if !stepPlan.outputs.isEmpty { outputs[workflowStep.id] = stepPlan.outputs }
                entry.plan = stepPlan
                let checked = await planDrift(of: step, id: workflowStep.id, state: state, context: context)
                drift += checked.items
                if let warning = checked.warning { driftWarnings.append(warning) }
            } catch where error.isConfigurationProblem {
                var finding = Diagnostic.error(Secrets.shared.redact("\(error)"), step: workflowStep.id)
                finding.category = .configuration
                entry.plan = StepPlan(findings: [finding])
            } catch {
                entry.plan = StepPlan(findings: [.error("planning failed: \(Secrets.shared.redact("\(error)"))", at: workflowStep.location, step: workflowStep.id)])
            }
            entries.append(entry)
        }
        let conflicts = await conflicts(workflow, steps: planned)
        return WorkflowPlan(workflow: workflow.name, file: workflow.file, git: git, steps: entries, findings: conflicts + driftWarnings, serial: state.seq, drift: drift)
    }

    // MARK: Deploy

    /// Plans, asks `confirm`, and applies step by step; on failure rolls back this run's steps in reverse.
    public func deploy(
        _ workflow: Workflow, git: GitStamp? = nil, only: Set<String>? = nil, command: String = "deploy",
        confirm: @Sendable (WorkflowPlan) async throws -> Bool = { _ in true }
    ) async throws -> DeployReport {
        var workflow = workflow
        if let only {
            // Other steps keep their recorded state; only the named ones are planned and applied.
            workflow.steps = workflow.steps.filter { only.contains($0.id) }
        }
        if let git, git.dirty, !options.allowDirty { throw EngineError.dirtyTree(paths: git.changedPaths) }
        let store = store(for: workflow.stateKey)
        let runID = Self.newRunID()
        return try await locked(store, runID: runID) {
            let services = ServiceCache()
            defer { Task { await services.close() } }
            let recorder = Recorder(store: store, state: try await store.load(), runID: runID)
            if let expected = options.expectedSerial {
                if recorder.state.seq != expected { throw SavedPlanError.serialChanged(planned: expected, now: recorder.state.seq) }
                if recorder.state.interrupted { throw SavedPlanError.interrupted }
            }

            var begin = JournalEntry.RunBegin(command: command, git: git, workflowFile: workflow.file, settings: redacted(workflow.settings))
            begin.environment = workflow.environment
            begin.user = LockHolder.currentUser
            if command == "deploy", workflow.environment != nil, let ttl = options.ttl ?? recorder.state.ttl {
                // Every deploy of an environment with a time to live pushes its expiry out again.
                begin.ttl = ttl
                begin.expires = WallClock.now(environment: options.environment).addingTimeInterval(ttl)
            }

            // A run killed earlier left a step half-applied: undo its journaled changes first.
            let recovered = try await recoverInterrupted(workflow: workflow, recorder: recorder, services: services, begin: begin)

            let plan = try await self.plan(workflow, state: recorder.state, git: git, services: services)
            if plan.hasErrors { throw EngineError.planHasErrors(plan.allFindings) }
            guard try await confirm(plan) else { throw EngineError.declined }
            if plan.hasDrift {
                reporter.report(.notice("restoring what changed outside ldedge: \(plan.drift.map { "\($0.step): \($0.summary)" }.joined(separator: "; "))"))
            }

            if recovered.isEmpty { try recorder.record(JournalRecord(.runBegin(begin))) }
            var applied: [String] = []
            var unchanged: [String] = []
            var begun: [String] = []
            for workflowStep in workflow.steps {
                do {
                    let changed = try await applyStep(workflowStep, workflow: workflow, recorder: recorder, services: services, begun: &begun)
                    if changed { applied.append(workflowStep.id) } else { unchanged.append(workflowStep.id) }
                    try await recorder.checkpoint()
                } catch {
                    let message = Secrets.shared.redact("\(error)")
                    reporter.report(.stepFailed(id: workflowStep.id, phase: "apply", error: message))
                    if begun.last == workflowStep.id {
                        _ = try? recorder.record(JournalRecord(.stepFailed(step: workflowStep.id, error: message)))
                    }
                    var outcomes: [RollbackOutcome] = []
                    if options.rollbackOnFailure {
                        InterruptFlag.shared.clear()
                        for id in begun.reversed() {
                            outcomes.append(await rollbackStep(id, workflow: workflow, recorder: recorder, services: services))
                        }
                    }
                    _ = try? recorder.record(JournalRecord(.runEnd(error: "failed at \(workflowStep.id)")))
                    try? await recorder.checkpoint()
                    throw EngineError.stepFailed(step: workflowStep.id, error: message, rollback: outcomes, rolledBack: options.rollbackOnFailure)
                }
            }
            await afterDeploy(applied + unchanged, workflow: workflow, recorder: recorder, services: services)
            try recorder.record(JournalRecord(.runEnd(error: nil)))
            try await recorder.checkpoint()
            let state = recorder.state
            await removeUnreferencedCopies(store, state: state)
            let resolvable = recorder.resolvableOutputs
            var outputs: [String: [String: String]] = [:]
            for step in workflow.steps { outputs[step.id] = resolvable[step.id] ?? state.steps[step.id]?.outputs ?? [:] }
            return DeployReport(workflow: workflow.name, applied: applied, unchanged: unchanged, outputs: outputs, recovered: recovered,
                                environment: workflow.environment)
        }
    }

    /// Runs `body` holding the workflow's lock, and releases it however `body` ends.
    func locked<T>(_ store: any StateBackend, runID: String, _ body: () async throws -> T) async throws -> T {
        try await store.lock(runID: runID)
        do {
            let value = try await body()
            await store.unlock()
            return value
        } catch {
            await store.unlock()
            throw error
        }
    }

    /// Re-plans one step with real outputs and applies it; returns false when nothing changed.
    func applyStep(
        _ workflowStep: WorkflowStep, workflow: Workflow, recorder: Recorder, services: ServiceCache, begun: inout [String]
    ) async throws -> Bool {
        if InterruptFlag.shared.isRaised { throw Interrupted() }
        let state = recorder.state
        let kind = try await stepKind(workflowStep.kind, step: workflowStep.id, workflow: workflow, state: state)
        let outputs = recorder.resolvableOutputs
        guard let input = workflowStep.input.resolvingStepOutputs(outputs, as: .object(kind.inputs)) else {
            throw EngineError.unresolved(step: workflowStep.id, detail: "an output it refers to was not produced; check the steps it depends on: \(workflowStep.dependencies.joined(separator: ", "))")
        }
        let step = try kind.makeStep(id: workflowStep.id, input: input)
        for issue in kind.validate(input: input) {
            throw DiagnosticsError([.error("step '\(workflowStep.id)': \(issue.message)", at: workflowStep.location(of: issue.path, anchor: issue.anchor))])
        }
        let planContext = makeContext(workflow: workflow, stepID: workflowStep.id, kind: kind.kind, phase: .plan, state: state, recorder: nil, services: services)
        let plan = try await step.plan(planContext)
        if plan.findings.hasErrors { throw DiagnosticsError(plan.findings.filter { $0.severity == .error }) }
        let digest = Self.digest(input)
        let previous = state.steps[workflowStep.id]
        if !plan.hasChanges, previous?.status == .applied {
            reporter.report(.stepFinished(id: workflowStep.id, phase: "apply", outcome: "unchanged"))
            let merged = (previous?.outputs ?? [:]).merging(plan.outputs) { _, new in new }
            if merged != previous?.outputs {
                // Only this machine's paths differ (another machine built and recorded them): use
                // them in this run without recording them, so runners do not rewrite each other's.
                let local = Set(kind.outputs.filter { $0.role?.isMachineLocal == true }.map(\.name))
                if merged.filter({ !local.contains($0.key) }) == (previous?.outputs ?? [:]).filter({ !local.contains($0.key) }) {
                    recorder.setLocalOutputs(merged, of: workflowStep.id)
                } else {
                    try recorder.record(JournalRecord(.outputs(step: workflowStep.id, outputs: merged)))
                }
            }
            return false
        }
        reporter.report(.stepStarted(id: workflowStep.id, kind: kind.kind, phase: "apply"))
        try recorder.record(JournalRecord(.stepBegin(step: workflowStep.id, kind: kind.kind, input: input, digest: digest)))
        begun.append(workflowStep.id)
        // Build outputs this step reads may have been built on another machine: build them here first.
        try await materialize([workflowStep.id], of: workflow, state: state, outputs: outputs, including: false, services: services)
        let context = makeContext(workflow: workflow, stepID: workflowStep.id, kind: kind.kind, phase: .apply, state: state, recorder: recorder, services: services)
        let stepOutputs = try await step.apply(plan, context)
        try recorder.record(JournalRecord(.outputs(step: workflowStep.id, outputs: plan.outputs.merging(stepOutputs) { _, new in new })))
        try recorder.record(JournalRecord(.stepApplied(step: workflowStep.id)))
        reporter.report(.stepFinished(id: workflowStep.id, phase: "apply", outcome: "applied"))
        return true
    }

    /// Undoes a step's changes from its latest run, newest first.
    func rollbackStep(_ id: String, workflow: Workflow?, recorder: Recorder, services: ServiceCache) async -> RollbackOutcome {
        let state = recorder.state
        guard let stepState = state.steps[id], stepState.status != .tornDown else { return RollbackOutcome(step: id, undone: 0) }
        let records = Array(stepState.undo.reversed())
        reporter.report(.stepStarted(id: id, kind: stepState.kind, phase: "rollback"))
        do {
            let kind = try await stepKind(stepState.kind, step: id, workflow: workflow, state: state)
            let step = try kind.makeStep(id: id, input: stepState.input)
            let context = makeContext(
                workflow: workflow, stepID: id, kind: kind.kind, phase: .rollback, state: state, recorder: recorder, services: services)
            try await step.rollback(journaled: records, context)
            try recorder.record(JournalRecord(.stepRolledBack(step: id, error: nil)))
            try await recorder.flush()
            reporter.report(.stepFinished(id: id, phase: "rollback", outcome: "rolled back \(records.count) change\(records.count == 1 ? "" : "s")"))
            return RollbackOutcome(step: id, undone: records.count)
        } catch {
            let message = Secrets.shared.redact("\(error)")
            _ = try? recorder.record(JournalRecord(.stepRolledBack(step: id, error: "rollback failed: \(message)")))
            try? await recorder.flush()
            reporter.report(.stepFailed(id: id, phase: "rollback", error: message))
            return RollbackOutcome(step: id, undone: 0, error: message)
        }
    }

    /// Rolls back steps a killed run left half-applied, so the next deploy starts from a known world.
    func recoverInterrupted(workflow: Workflow?, recorder: Recorder, services: ServiceCache, begin: JournalEntry.RunBegin) async throws -> [String] {
        let state = recorder.state
        let halfApplied = state.order.reversed().filter { id in
            guard let step = state.steps[id] else { return false }
            return step.status == .applying || (step.status == .failed && !step.undo.isEmpty)
        }
        guard !halfApplied.isEmpty else { return [] }
        reporter.report(.notice("an earlier run stopped in the middle of \(halfApplied.joined(separator: ", ")); undoing its unfinished changes first"))
        var recovery = begin
        recovery.command = "\(begin.command) (recovering)"
        try recorder.record(JournalRecord(.runBegin(recovery)))
        for id in halfApplied {
            let outcome = await rollbackStep(id, workflow: workflow, recorder: recorder, services: services)
            if let error = outcome.error {
                throw EngineError.unresolved(step: id, detail: "could not undo the interrupted run's changes: \(error); fix the cause or run 'ldedge teardown'")
            }
        }
        try await recorder.checkpoint()
        return halfApplied
    }

    // MARK: Helpers

    /// After a successful run: deletes the recovery copies no step's undo records or memory name
    /// any more (`all`: every copy, once the workflow is torn down). A failure only warns: the
    /// copies are garbage, and the next successful run tries again.
    func removeUnreferencedCopies(_ store: any StateBackend, state: WorkflowState, all: Bool = false) async {
        do {
            let copies = try await store.listCopies()
            let garbage = all ? copies : RecoveryCopyCollector.unreferenced(copies, in: state)
            try await store.deleteCopies(garbage)
        } catch {
            reporter.report(.notice("could not remove recovery copies no longer needed from \(store.location): \(Secrets.shared.redact("\(error)")); the next successful run tries again"))
        }
    }

    func makeContext(
        workflow: Workflow?, stepID: String, kind: String, phase: Phase, state: WorkflowState, recorder: Recorder?, services: ServiceCache,
        upcoming: [String] = []
    ) -> StepContext {
        let store = store(for: state.deployment.stateKey)
        let directory = workflowDirectory(workflow, state)
        var handler: (@Sendable ([String]) async throws -> [String])?
        if let recorder {
            handler = { @Sendable [weak self] ids in
                guard let self else { return [] }
                let order = recorder.state.teardownOrder.map(\.id).filter { $0 != stepID }
                let targets = ids.isEmpty ? order : order.filter { ids.contains($0) }
                let (removed, failed, pending) = await self.teardownSteps(targets, workflow: workflow, recorder: recorder, services: services)
                if !failed.isEmpty || !pending.isEmpty { throw EngineError.teardownIncomplete(failed: failed, pending: pending) }
                return targets.flatMap { removed[$0] ?? [] }
            }
        }
        var settings = workflow?.settings ?? state.settings
        if settings.launchdarkly?.accessToken == "***" { settings.launchdarkly?.accessToken = nil }
        let context = StepContext(
            stepID: stepID, kind: kind, phase: phase, workflowName: state.workflow, workflowDirectory: directory,
            workDirectory: store.workDirectory.appendingPathComponent(stepID), settings: settings,
            environment: options.environment, previous: state.steps[stepID], options: options.stepOptions,
            recorder: recorder, reporter: reporter, services: services, teardownHandler: handler,
            timeout: workflow?.step(stepID)?.timeout, backend: store, upcomingDependencies: upcoming,
            environmentName: workflow?.environment ?? state.environment)
        return context
    }

    /// The folder `uses:` paths and relative inputs are resolved against.
    func workflowDirectory(_ workflow: Workflow?, _ state: WorkflowState) -> URL {
        workflow?.directory
            ?? state.workflowFile.map { URL(fileURLWithPath: $0).deletingLastPathComponent().standardizedFileURL }
            ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }

    /// The kind a step uses: registered, or resolved through the registry's resolvers (an external plugin).
    func stepKind(_ name: String, step id: String, workflow: Workflow?, state: WorkflowState) async throws -> StepKind {
        let context = StepResolutionContext(directory: workflowDirectory(workflow, state), environment: options.environment)
        await registry.prepare([name], in: context)
        guard let kind = try registry.resolve(name, in: context) else { throw EngineError.unknownKind(step: id, kind: name) }
        return kind
    }

    func redacted(_ settings: WorkflowSettings) -> WorkflowSettings {
        var settings = settings
        if settings.launchdarkly?.accessToken != nil { settings.launchdarkly?.accessToken = "***" }
        return settings
    }

    /// A new run's ID: the UTC time and a random suffix (`20250101T120000Z-1a2b3c4d`).
    public static func newRunID() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return "\(formatter.string(from: Date()))-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    }

    /// A digest of a resolved input, to tell when a step's inputs changed.
    public static func digest(_ input: JSONValue) -> String { InputDigest.of(input) }
}
