import Foundation
import LDEdgeCore

/// `ldedge validate`, `plan` and `deploy`.
extension WorkflowService {
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
        /// `--ttl`: seconds until the environment expires (re-deploying extends it).
        public var ttl: Double?
        public init() {}
    }

    public func deploy(_ path: String, flags: DeployFlags) async -> ExitStatus {
        let events = flags.json ? EventStream(console: console) : nil
        return await run(command: "deploy", events: events) { result in
            let saved = try SavedPlan.read(path)
            var service = self
            if let saved {
                // A saved plan is applied to the environment it was made for.
                if environmentName != nil, environmentName != saved.environment {
                    throw SavedPlanError.otherEnvironment(planned: saved.environment, now: environmentName)
                }
                service.environmentName = saved.environment
            }
            let workflow = try await service.load(saved?.workflowPath ?? path)
            if flags.ttl != nil, workflow.environment == nil {
                throw DeployOptionError.ttlWithoutEnvironment
            }
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
                options.ttl = flags.ttl
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
                console.out("deployed \(workflow.deployment): \(report.applied.count) step\(report.applied.count == 1 ? "" : "s") applied, \(report.unchanged.count) unchanged")
                for (id, outputs) in report.outputs.sorted(by: { $0.key < $1.key }) where !outputs.isEmpty {
                    for (name, value) in outputs.sorted(by: { $0.key < $1.key }) where !value.isEmpty {
                        console.out("  \(id).\(name) = \(value.count > 120 ? String(value.prefix(117)) + "..." : value)")
                    }
                }
            }
            return .success
        }
    }
}

/// A deploy flag that does not fit the rest of the command.
public enum DeployOptionError: Error, CustomStringConvertible {
    case ttlWithoutEnvironment

    public var description: String {
        switch self {
        case .ttlWithoutEnvironment:
            return "--ttl needs --env NAME (or LDEDGE_ENV): only an environment expires (ldedge gc tears expired ones down); nothing was changed"
        }
    }
}
