import Foundation
import LDEdgeCore
import Synchronization
import Terminal

/// `--json` on plan, deploy, teardown and rollout: one JSON event per line on stdout (NDJSON),
/// `{"@v": "1", "type": ..., "time": ...}`, documented by `docs/events.schema.json`.
///
/// Types: `plan` (the whole plan, once), `change_start` / `change_done` (a step's apply or
/// teardown), `progress` (each journaled change and long waits), `rollback` (a step being undone),
/// `drift`, `diagnostic` (findings, notices, errors) and `summary` (last, with the exit code).
/// Every line passes through secret redaction.
public final class EventStream: Reporter, Sendable {
    public static let version = "1"
    let console: Console
    /// Held while a line is written, so concurrent steps never interleave two lines.
    private let writing = Mutex(())
    /// When each step's last status line was written.
    private let lastStatus = Mutex<[String: ContinuousClock.Instant]>([:])

    public init(console: Console) {
        self.console = console
    }

    /// Writes one event.
    public func emit(_ type: String, _ fields: [String: JSONValue] = [:]) {
        var object = fields
        object["@v"] = .string(Self.version)
        object["type"] = .string(type)
        object["time"] = .string(Self.timestamp())
        let data = (try? JSONEncoder.canonical.encode(JSONValue.object(object))) ?? Data("{}".utf8)
        writing.withLock { _ in console.out(String(decoding: data, as: UTF8.self)) }
    }

    public func report(_ event: EngineEvent) {
        switch event {
        case .stepStarted(let id, let kind, let phase):
            if phase == "rollback" {
                emit("rollback", ["step": .string(id), "kind": .string(kind), "status": .string("started")])
            } else {
                emit("change_start", ["step": .string(id), "kind": .string(kind), "phase": .string(phase)])
            }
        case .action(let step, let description):
            emit("progress", ["step": .string(step), "change": .string(description)])
        case .progress(let step, let message):
            emit("progress", ["step": .string(step), "message": .string(message)])
        case .status(let step, let message):
            if statusDue(step) { emit("progress", ["step": .string(step), "message": .string(message)]) }
        case .transfer(let step, let done, let total, let detail):
            // Like a status while it fills; the finished transfer is always written.
            if done >= total || statusDue(step) {
                emit("progress", ["step": .string(step), "message": .string(ProgressBar().render(done: done, total: total, detail: detail))])
            }
        case .stepFinished(let id, let phase, let outcome):
            if phase == "rollback" {
                emit("rollback", ["step": .string(id), "status": .string("done"), "outcome": .string(outcome)])
            } else {
                emit("change_done", ["step": .string(id), "phase": .string(phase), "ok": .bool(true), "outcome": .string(outcome)])
            }
        case .stepFailed(let id, let phase, let error):
            if phase == "rollback" {
                emit("rollback", ["step": .string(id), "status": .string("failed"), "error": .string(error)])
            } else {
                emit("change_done", ["step": .string(id), "phase": .string(phase), "ok": .bool(false), "outcome": .string("failed"), "error": .string(error)])
            }
        case .stepWaiting(let id, let phase, let reason):
            emit("progress", ["step": .string(id), "phase": .string(phase), "message": .string("waiting: \(reason)")])
        case .notice(let message):
            emit("diagnostic", ["severity": .string("note"), "message": .string(message)])
        }
    }

    /// At most one status line per step every 5 s: a wait ticks every second.
    private func statusDue(_ step: String) -> Bool {
        lastStatus.withLock { last in
            let now = ContinuousClock.now
            guard last[step].map({ now - $0 >= .seconds(5) }) ?? true else { return false }
            last[step] = now
            return true
        }
    }

    /// The `plan` event, then one `diagnostic` per finding.
    public func plan(_ plan: WorkflowPlan) {
        let changes = plan.steps.flatMap { $0.plan?.changes ?? [] }.filter { $0.action != .none }.count
        var fields: [String: JSONValue] = [
            "workflow": .string(plan.workflow), "file": .string(plan.file),
            "hasChanges": .bool(plan.hasChanges), "changes": .number(Double(changes)),
            "plan": (try? JSONValue(encoding: plan)) ?? .null,
        ]
        if let serial = plan.serial { fields["serial"] = .number(Double(serial)) }
        emit("plan", fields)
        diagnostics(plan.allFindings)
        drift(plan.drift)
    }

    /// One `drift` event per out-of-band change.
    public func drift(_ items: [DriftItem]) {
        for item in items {
            emit("drift", [
                "step": .string(item.step), "resource": .string(item.resource), "field": .string(item.field),
                "recorded": item.recorded.map(JSONValue.string) ?? .null, "actual": item.actual.map(JSONValue.string) ?? .null,
            ])
        }
    }

    public func diagnostics(_ diagnostics: [Diagnostic]) {
        for diagnostic in diagnostics {
            var fields: [String: JSONValue] = ["severity": .string(diagnostic.severity.rawValue), "message": .string(diagnostic.message)]
            if let location = diagnostic.location {
                fields["file"] = .string(location.file)
                fields["line"] = .number(Double(location.line))
                fields["column"] = .number(Double(location.column))
            }
            if let step = diagnostic.step { fields["step"] = .string(step) }
            emit("diagnostic", fields)
        }
    }

    public func error(_ error: Error) {
        if let error = error as? DiagnosticsError { return diagnostics(error.diagnostics) }
        if case EngineError.planHasErrors(let findings) = error { return diagnostics(findings) }
        emit("diagnostic", ["severity": .string("error"), "message": .string(Secrets.shared.redact("\(error)"))])
    }

    /// The last event: what the command did and how it exits.
    public func summary(command: String, status: ExitStatus, result: JSONValue? = nil) {
        let outcome: String
        switch status {
        case .success: outcome = "succeeded"
        case .changesPending: outcome = "changes-pending"
        case .teardownPending: outcome = "teardown-pending"
        case .locked: outcome = "locked"
        default: outcome = "failed"
        }
        var fields: [String: JSONValue] = ["command": .string(command), "outcome": .string(outcome), "exitCode": .number(Double(status.rawValue))]
        if let result { fields["result"] = result }
        emit("summary", fields)
    }

    static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }
}
