import Foundation

extension Engine {
    // MARK: Teardown

    /// Tears down every recorded step in reverse order of application; resumable after any failure.
    public func teardown(workflow name: String, workflow: Workflow? = nil) async throws -> TeardownReport {
        let store = store(for: name)
        guard try await store.hasState() else { throw StateError.noState(folder: store.location) }
        let runID = Self.newRunID()
        return try await locked(store, runID: runID) {
            let services = ServiceCache()
            defer { Task { await services.close() } }
            let recorder = Recorder(store: store, state: try await store.load(), runID: runID)
            try recorder.record(JournalRecord(.runBegin(JournalEntry.RunBegin(command: "teardown"))))
            let targets = recorder.state.teardownOrder.map(\.id)
            let (removed, failed, pending) = await teardownSteps(targets, workflow: workflow, recorder: recorder, services: services)
            try recorder.record(JournalRecord(.runEnd(error: !failed.isEmpty || !pending.isEmpty ? "teardown incomplete" : nil)))
            try await recorder.checkpoint()
            if !failed.isEmpty || !pending.isEmpty {
                await removeUnreferencedCopies(store, state: recorder.state)
                throw EngineError.teardownIncomplete(failed: failed, pending: pending)
            }
            await removeUnreferencedCopies(store, state: recorder.state, all: true)
            // A teardown that waited on AWS and was resumed reports what every one of its runs removed.
            let earlier = recorder.state.stepsTornDownByEarlierRuns(ofTeardownRun: recorder.runID)
            var all = removed
            for step in earlier { all[step.id] = step.removedOnTeardown ?? [] }
            return TeardownReport(workflow: name, removed: all, steps: earlier.map(\.id) + targets)
        }
    }

    func teardownSteps(
        _ ids: [String], workflow: Workflow?, recorder: Recorder, services: ServiceCache
    ) async -> (removed: [String: [String]], failed: [String: String], pending: [String: String]) {
        var removed: [String: [String]] = [:]
        var failed: [String: String] = [:]
        var pending: [String: String] = [:]
        for id in ids {
            guard let stepState = recorder.state.steps[id], stepState.status.mayOwnResources || !stepState.resources.isEmpty else { continue }
            reporter.report(.stepStarted(id: id, kind: stepState.kind, phase: "teardown"))
            do {
                let kind = try await stepKind(stepState.kind, step: id, workflow: workflow, state: recorder.state)
                let step = try kind.makeStep(id: id, input: stepState.input)
                try recorder.record(JournalRecord(.teardownBegin(step: id)))
                let context = makeContext(
                    workflow: workflow, stepID: id, kind: kind.kind, phase: .teardown, state: recorder.state, recorder: recorder, services: services)
                // Undo a half-applied change first; an applied step's own teardown removes the rest.
                if stepState.status == .applying || stepState.status == .failed, !stepState.undo.isEmpty {
                    try await step.rollback(journaled: Array(stepState.undo.reversed()), context)
                }
                let before = recorder.state.steps[id] ?? stepState
                try await step.teardown(before, context)
                removed[id] = stepState.resources.map { resource in
                    resource.adopted || resource.attributes["onTeardown"] != nil ? "restored \(resource.label)" : resource.label
                }
                try recorder.record(JournalRecord(.stepTornDown(step: id, removed: removed[id] ?? [])))
                try await recorder.flush()
                reporter.report(.stepFinished(id: id, phase: "teardown", outcome: "removed"))
            } catch let error as TeardownPending {
                _ = try? recorder.record(JournalRecord(.teardownPending(step: id, reason: error.reason)))
                pending[id] = error.reason
                reporter.report(.stepWaiting(id: id, phase: "teardown", reason: error.reason))
            } catch {
                let message = Secrets.shared.redact("\(error)")
                _ = try? recorder.record(JournalRecord(.stepFailed(step: id, error: "teardown failed: \(message)")))
                failed[id] = message
                reporter.report(.stepFailed(id: id, phase: "teardown", error: message))
            }
        }
        return (removed, failed, pending)
    }
}
