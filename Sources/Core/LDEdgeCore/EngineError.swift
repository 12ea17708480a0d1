import Foundation

/// Errors from a run, with what to do about them.
public enum EngineError: Error, CustomStringConvertible, Sendable {
    case unknownKind(step: String, kind: String)
    case unresolved(step: String, detail: String)
    case dirtyTree(paths: [String])
    case planHasErrors([Diagnostic])
    case stepFailed(step: String, error: String, rollback: [RollbackOutcome], rolledBack: Bool)
    case teardownIncomplete(failed: [String: String], pending: [String: String])
    case declined

    public var description: String {
        switch self {
        case .unknownKind(let step, let kind):
            return "step '\(step)' was recorded with kind '\(kind)', which this ldedge does not know; use the ldedge version that deployed it"
        case .unresolved(let step, let detail):
            return "step '\(step)': \(detail)"
        case .dirtyTree(let paths):
            let list = paths.prefix(20).map { "  \($0)" }.joined(separator: "\n")
            return "the working tree has uncommitted changes; commit them or pass --allow-dirty:\n\(list)\(paths.count > 20 ? "\n  ... and \(paths.count - 20) more" : "")"
        case .planHasErrors(let diagnostics):
            return diagnostics.filter { $0.severity == .error }.map(\.description).joined(separator: "\n")
        case .stepFailed(let step, let error, let rollback, let rolledBack):
            var text = "step '\(step)' failed: \(error)"
            if rolledBack {
                let failed = rollback.filter { $0.error != nil }
                text += failed.isEmpty
                    ? "\nrolled back \(rollback.count) step\(rollback.count == 1 ? "" : "s"): \(rollback.map(\.step).joined(separator: ", "))"
                    : "\nrollback did not finish for: \(failed.map { "\($0.step) (\($0.error ?? ""))" }.joined(separator: "; ")); run 'ldedge teardown' to remove what is left"
            } else {
                text += "\nnothing was rolled back (--no-rollback); run 'ldedge deploy' again to continue or 'ldedge teardown' to remove it"
            }
            return text
        case .teardownIncomplete(let failed, let pending):
            var parts: [String] = []
            if !pending.isEmpty {
                let reasons = pending.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; ")
                parts.append("teardown is waiting on AWS for: " + reasons + (reasons.contains("ldedge teardown") ? "" : "; run 'ldedge teardown' again later, it resumes there"))
            }
            if !failed.isEmpty {
                parts.append("teardown failed for: " + failed.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; ") + "; fix the cause and run 'ldedge teardown' again, it resumes there")
            }
            return parts.joined(separator: "\n")
        case .declined:
            return "deploy cancelled; nothing was changed"
        }
    }
}

/// A step's teardown cannot finish yet (a replicated Lambda@Edge function); it resumes later.
public struct TeardownPending: Error, CustomStringConvertible, Sendable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
