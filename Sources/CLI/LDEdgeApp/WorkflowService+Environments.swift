import Foundation
import LDEdgeCore

/// `ldedge envs` (what environments exist, who deployed them, when they expire) and `ldedge gc`
/// (tear down the expired ones).
extension WorkflowService {
    /// One environment as `envs` shows it.
    public struct EnvironmentSummary: Codable, Sendable {
        public struct LastDeploy: Codable, Sendable {
            public var time: Date
            public var commit: String?
            public var branch: String?
            public var user: String?
            public var outcome: String?
        }

        public var workflow: String
        public var environment: String
        /// Where its state is: `.ldedge/rebrand/env/pr-42` or `s3://…/rebrand/env/pr-42`.
        public var state: String
        /// The first run recorded for it.
        public var created: Date?
        public var lastDeploy: LastDeploy?
        public var expires: Date?
        /// `deploy --ttl` in seconds: how far each deploy pushes the expiry out.
        public var ttl: Double?
        public var expired: Bool
        /// deployed, failed, interrupted, pending-teardown (CloudFront still holds replicas), torn-down.
        public var status: String
        /// What owns resources, for the table: how many resources the state records.
        public var resources: Int
    }

    /// `ldedge envs [WORKFLOW] [--json]`.
    public func environments(_ argument: String?, json: Bool, all: Bool) async -> ExitStatus {
        await run {
            let (names, location) = try await workflowsForEnvironments(argument)
            let now = WallClock.now(environment: environment)
            var rows: [EnvironmentSummary] = []
            for name in names {
                for environmentName in try await location.environments(of: name) {
                    let deployment = Deployment(workflow: name, environment: environmentName)
                    let state: WorkflowState
                    do {
                        state = try await location.store(for: deployment.stateKey).load()
                    } catch {
                        console.err("warning: could not read the state of \(deployment): \(Secrets.shared.redact("\(error)")); not listed")
                        continue
                    }
                    let summary = Self.summary(state, deployment: deployment, location: location, now: now)
                    if all || summary.status != "torn-down" { rows.append(summary) }
                }
            }
            if json {
                struct Listing: Encodable {
                    var location: String
                    var now: Date
                    var environments: [EnvironmentSummary]
                }
                console.out(String(decoding: try JSONEncoder.pretty.encode(Listing(location: location.description, now: now, environments: rows)), as: UTF8.self))
                return .success
            }
            if rows.isEmpty {
                console.out("no environments\(names.count == 1 ? " of '\(names[0])'" : "") in \(location.description)\(all ? "" : " (torn-down ones are shown with --all)"); deploy one with 'ldedge deploy WORKFLOW --env NAME'")
                return .success
            }
            console.out(Self.table(rows, now: now))
            return .success
        }
    }

    /// `ldedge gc [WORKFLOW] [--dry-run] [--wait]`: tears down every expired environment, each
    /// newest step first as teardown does, and finishes the teardowns already started (a preview
    /// torn down when its pull request closed, still waiting on replicas); skips the ones whose
    /// lock is held. Exit 3 while CloudFront still holds replicas of one (a later gc resumes it).
    public func collectExpired(_ argument: String?, dryRun: Bool, json: Bool, stepOptions: [String: String], wait: TeardownWait?) async -> ExitStatus {
        let events = json ? EventStream(console: console) : nil
        return await run(command: "gc", events: events) { result in
            let (names, location) = try await workflowsForEnvironments(argument)
            let now = WallClock.now(environment: environment)
            var expired: [(Deployment, WorkflowState)] = []
            var kept = 0
            var unreadable = false
            let log = { (message: String) in if json { events?.report(.notice(message)) } else { self.console.err(message) } }
            for name in names {
                for environmentName in try await location.environments(of: name) {
                    let deployment = Deployment(workflow: name, environment: environmentName)
                    let state: WorkflowState
                    do {
                        state = try await location.store(for: deployment.stateKey).load()
                    } catch {
                        // One unreadable state must not keep gc from the others.
                        log("could not read the state of \(deployment) at \(location.description)/\(deployment.stateKey): \(Secrets.shared.redact("\(error)")); skipped it ('ldedge state show \(name) --env \(environmentName)' shows more)")
                        unreadable = true
                        continue
                    }
                    guard !state.isEmpty else { continue }
                    // Expired, or a teardown already started (a preview closed with 'teardown', waiting on replicas).
                    let resuming = state.steps.values.contains { $0.status == .pendingTeardown || $0.status == .tearingDown }
                    if resuming || state.expires.map({ $0 <= now }) == true { expired.append((deployment, state)) } else { kept += 1 }
                }
            }
            struct Outcome: Encodable {
                var workflow: String
                var environment: String
                var expired: Date?
                /// would-tear-down (dry run), torn-down, pending-teardown, skipped-locked, failed.
                var result: String
                var message: String?
            }
            var outcomes: [Outcome] = []
            if expired.isEmpty {
                log("gc: nothing has expired in \(location.description) (\(kept) environment\(kept == 1 ? "" : "s") not expired)")
            }
            var pending = false
            var failed = unreadable
            for (deployment, state) in expired {
                let when = state.expires.flatMap { $0 <= now ? "expired \(WallClock.format($0))" : nil } ?? "its teardown was started and waits on AWS"
                var outcome = Outcome(workflow: deployment.workflow, environment: deployment.environment ?? "", expired: state.expires, result: "", message: nil)
                if dryRun {
                    let owned = state.teardownOrder.flatMap { step in step.resources.map { "\(step.id): \($0.label)" } }
                    log("would tear down \(deployment) (\(when)): \(owned.isEmpty ? "nothing left but state" : owned.joined(separator: ", "))")
                    outcome.result = "would-tear-down"
                    outcomes.append(outcome)
                    continue
                }
                log("tearing down \(deployment) (\(when))")
                do {
                    let report = try await teardownWaiting(deployment.stateKey, workflow: nil, location: location, events: events, stepOptions: stepOptions, wait: wait)
                    let removed = report.steps.flatMap { report.removed[$0] ?? [] }
                    log("tore down \(deployment): \(removed.isEmpty ? "nothing left to remove" : "removed " + removed.joined(separator: ", "))")
                    outcome.result = "torn-down"
                } catch let error as StateError where error.isLockHeld {
                    log("skipped \(deployment): \(Secrets.shared.redact("\(error)"))")
                    outcome.result = "skipped-locked"
                    outcome.message = Secrets.shared.redact("\(error)")
                } catch EngineError.teardownIncomplete(let stepFailures, let waiting) where stepFailures.isEmpty && !waiting.isEmpty {
                    log("\(deployment): waiting on AWS for \(waiting.keys.sorted().joined(separator: ", ")); run 'ldedge gc' again later (or with --wait) to finish")
                    outcome.result = "pending-teardown"
                    pending = true
                } catch {
                    log("could not tear down \(deployment): \(Secrets.shared.redact("\(error)")); 'ldedge gc' tries again, 'ldedge teardown \(deployment.workflow)\(deployment.envFlag)' shows more")
                    outcome.result = "failed"
                    outcome.message = Secrets.shared.redact("\(error)")
                    failed = true
                }
                outcomes.append(outcome)
            }
            if dryRun, !expired.isEmpty { log("dry run: nothing was changed") }
            if json {
                struct Report: Encodable {
                    var dryRun: Bool
                    var now: Date
                    var environments: [Outcome]
                }
                result.value = try JSONValue(encoding: Report(dryRun: dryRun, now: now, environments: outcomes))
            }
            if failed { return .failure }
            return pending ? .teardownPending : .success
        }
    }

    /// The workflows `envs` and `gc` look at (a workflow file or name, or every one with state)
    /// and where their state is.
    func workflowsForEnvironments(_ argument: String?) async throws -> (names: [String], location: any StateLocation) {
        if let argument, FileManager.default.fileExists(atPath: argument) {
            var service = self
            service.environmentName = nil
            let workflow = try await service.load(argument)
            return ([workflow.name], try stateLocation(workflow))
        }
        let location = try stateLocation(nil)
        if let argument { return ([argument], location) }
        return (try await location.workflows(), location)
    }

    static func summary(_ state: WorkflowState, deployment: Deployment, location: any StateLocation, now: Date) -> EnvironmentSummary {
        let deploys = state.runs.filter { $0.command == "deploy" }
        let last = deploys.last
        let status: String
        if state.isEmpty {
            status = "torn-down"
        } else if state.steps.values.contains(where: { $0.status == .pendingTeardown }) {
            status = "pending-teardown"
        } else if state.interrupted {
            status = "interrupted"
        } else if let outcome = state.lastRun?.outcome, outcome != "succeeded" {
            status = "failed"
        } else {
            status = "deployed"
        }
        return EnvironmentSummary(
            workflow: deployment.workflow, environment: deployment.environment ?? "", state: "\(location.description)/\(deployment.stateKey)",
            created: state.runs.first?.startedAt,
            lastDeploy: last.map { .init(time: $0.startedAt, commit: $0.git?.commit, branch: $0.git?.branch, user: $0.user, outcome: $0.outcome) },
            expires: state.expires, ttl: state.ttl, expired: state.expires.map { $0 <= now } ?? false, status: status,
            resources: state.steps.values.reduce(0) { $0 + $1.resources.count })
    }

    static func table(_ rows: [EnvironmentSummary], now: Date) -> String {
        let header = ["WORKFLOW", "ENVIRONMENT", "STATUS", "CREATED", "LAST DEPLOY", "COMMIT", "BY", "EXPIRES"]
        let lines = rows.map { row -> [String] in
            let expires = row.expires.map { WallClock.format($0) + (row.expired ? " (expired)" : " (in \(Self.clock($0.timeIntervalSince(now))))") } ?? "never"
            return [row.workflow, row.environment, row.status, row.created.map(WallClock.format) ?? "-", row.lastDeploy.map { WallClock.format($0.time) } ?? "-",
                    row.lastDeploy?.commit.map { String($0.prefix(12)) } ?? "-", row.lastDeploy?.user ?? "-", expires]
        }
        let widths = header.indices.map { column in ([header] + lines).map { $0[column].count }.max() ?? 0 }
        return ([header] + lines).map { cells in
            cells.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}
