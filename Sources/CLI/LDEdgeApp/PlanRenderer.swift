import Foundation
import LDEdgeCore
import Terminal

/// Renders a plan for people (stdout); `--json` encodes `WorkflowPlan` instead.
public struct PlanRenderer: Sendable {
    public var colors: Bool

    public init(colors: Bool) {
        self.colors = colors
    }

    public func render(_ plan: WorkflowPlan) -> String {
        var lines: [String] = []
        lines.append("Plan for workflow '\(plan.workflow)' (\(plan.file))")
        if let git = plan.git { lines.append("  source: \(git.summary)") }
        lines.append("")
        var counts: [ChangeAction: Int] = [:]
        var unplanned = 0
        for entry in plan.steps {
            let header = "\(entry.id) (\(entry.kind))"
            if let pending = entry.pending, entry.plan == nil {
                lines.append(paint("\(header): \(pending)", .yellow))
                continue
            }
            guard let stepPlan = entry.plan else { continue }
            if stepPlan.findings.hasErrors {
                // A step that could not be planned shows why, and none of its changes count.
                unplanned += 1
                lines.append(paint("\(header): not planned", .red))
                let configuration = stepPlan.findings.configurationProblems
                if !configuration.isEmpty {
                    lines.append(paint("  ldedge is not configured for this step (the problems are printed above, on stderr)", .red))
                }
                for finding in stepPlan.findings where finding.category != .configuration {
                    lines.append("  " + paint(finding.description, finding.severity == .error ? .red : .yellow))
                }
                continue
            }
            let changes = stepPlan.changes.filter { $0.action != .none }
            if changes.isEmpty {
                lines.append(paint("\(header): no changes", .dim))
            } else {
                lines.append(paint(header, .bold))
            }
            for change in stepPlan.changes where change.action != .none || changes.isEmpty && stepPlan.changes.count <= 3 {
                if change.action == .none && !changes.isEmpty { continue }
                counts[change.action, default: 0] += change.action == .none ? 0 : 1
                var line = change.action == .none
                    ? "  \(change.action.symbol) \(change.resource)"
                    : "  \(change.action.symbol) \(change.action.rawValue) \(change.resource)"
                if let detail = change.detail { line += ": \(detail)" }
                lines.append(paint(line, color(change.action)))
                if change.before != nil || change.after != nil {
                    lines.append("      before: \(change.before ?? "(none)")")
                    lines.append("      after:  \(change.after ?? "(none)")")
                }
            }
            if let pending = entry.pending { lines.append(paint("  (\(pending))", .yellow)) }
            for finding in stepPlan.findings {
                lines.append("  " + paint(finding.description, finding.severity == .error ? .red : .yellow))
            }
        }
        for finding in plan.findings {
            lines.append(paint(finding.description, finding.severity == .error ? .red : .yellow))
        }
        lines += renderDrift(plan.drift)
        lines.append("")
        if unplanned > 0 || plan.findings.hasErrors {
            let what = unplanned > 0 ? "\(unplanned) of \(plan.steps.count) step\(plan.steps.count == 1 ? "" : "s") could not be planned" : "the plan has errors"
            lines.append("No plan: \(what); fix the errors and plan again. Nothing was changed.")
        } else if !plan.hasChanges {
            lines.append("No changes: the world already matches the workflow.")
        } else {
            let summary = [ChangeAction.create, .update, .replace, .delete, .run, .restore]
                .compactMap { action in counts[action].map { "\($0) to \(action.rawValue)" } }
            lines.append("Plan: \(summary.isEmpty ? "changes pending" : summary.joined(separator: ", ")).")
        }
        return Secrets.shared.redact(lines.joined(separator: "\n"))
    }

    func color(_ action: ChangeAction) -> Style {
        switch action {
        case .create: return .green
        case .update, .replace, .restore: return .yellow
        case .delete: return .red
        case .run: return .cyan
        case .none: return .dim
        }
    }

    func paint(_ text: String, _ style: Style) -> String {
        style.paint(text, enabled: colors)
    }

    /// The "Drift" section: each out-of-band change, recorded vs actual.
    public func renderDrift(_ items: [DriftItem]) -> [String] {
        guard !items.isEmpty else { return [] }
        var lines = ["", paint("Drift (changed outside ldedge since the last run; deploy restores the declared state):", .magenta)]
        for item in items {
            lines.append(paint("  ! \(item.step): \(item.summary)", .magenta))
        }
        return lines
    }
}
