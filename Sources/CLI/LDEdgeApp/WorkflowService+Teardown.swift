import Foundation
import LDEdgeCore

/// `ldedge teardown [--wait]`.
extension WorkflowService {
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
                    console.out("nothing to tear down for \(Deployment(stateKey: name)): no step owns anything")
                }
                return .success
            }
            if !json {
                console.err("Teardown of \(Deployment(stateKey: name)) will remove, newest first:")
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
                console.out("tore down \(Deployment(stateKey: name)):")
                for id in report.steps {
                    let removed = report.removed[id] ?? []
                    console.out("  \(id): \(removed.isEmpty ? "nothing left to remove" : "removed " + removed.joined(separator: ", "))")
                }
            }
            return .success
        }
    }

    /// Tears down, and while only waits on AWS remain (nothing failed), retries with backoff until done,
    /// the timeout passes or the user interrupts; each attempt resumes where the last one stopped.
    func teardownWaiting(
        _ name: String, workflow: Workflow?, location: any StateLocation, events: EventStream?, stepOptions: [String: String], wait: TeardownWait?
    ) async throws -> TeardownReport {
        let started = Date()
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await engine(state: location, events: events) { $0.stepOptions = stepOptions }.teardown(workflow: name, workflow: workflow)
            } catch EngineError.teardownIncomplete(let failed, let pending) where failed.isEmpty && !pending.isEmpty {
                guard let wait else { throw EngineError.teardownIncomplete(failed: failed, pending: pending) }
                let elapsed = Date().timeIntervalSince(started)
                let delay = min(wait.delay(afterAttempt: attempt), max(0, wait.timeout - elapsed))
                guard delay > 0, !InterruptFlag.shared.isRaised else {
                    console.err("gave up waiting after \(Self.clock(elapsed)) (--timeout \(Self.clock(wait.timeout)))")
                    throw EngineError.teardownIncomplete(failed: failed, pending: pending)
                }
                console.err("waiting on AWS for \(pending.keys.sorted().joined(separator: ", ")): \(Self.clock(elapsed)) so far, next attempt in \(Self.clock(delay)). \(TeardownWait.typicalWait). Ctrl-C stops waiting; 'ldedge teardown' resumes later")
                if try await !sleep(delay) {
                    console.err("stopped waiting after \(Self.clock(Date().timeIntervalSince(started))); run 'ldedge teardown' again to resume")
                    throw EngineError.teardownIncomplete(failed: failed, pending: pending)
                }
            }
        }
    }

    /// Sleeps `seconds` in short slices; false when a signal asked to stop.
    private func sleep(_ seconds: TimeInterval) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if InterruptFlag.shared.isRaised { return false }
            try await Task.sleep(nanoseconds: UInt64(min(0.2, max(0, deadline.timeIntervalSinceNow)) * 1e9))
        }
        return !InterruptFlag.shared.isRaised
    }

    /// `42s`, `3m05s`, `1h02m`.
    static func clock(_ seconds: TimeInterval) -> String {
        Elapsed.whole(seconds.isFinite ? Int(seconds.rounded()) : 0)
    }
}
