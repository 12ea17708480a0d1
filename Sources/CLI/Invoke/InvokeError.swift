import Foundation

/// Errors from `ldedge invoke`, each saying what to do next.
public enum InvokeError: Error, CustomStringConvertible, Sendable {
    case noWorkflow(recorded: [String], folder: String)
    case unknownWorkflow(String, recorded: [String], folder: String)
    case unreadableWorkflow(String)
    case notDeployed(workflow: String, detail: String)
    case ambiguousPackage([String])
    case unknownEntryPoint(String)
    case unsupportedRuntime(String)
    case runnerNotFound
    case runnerFailed(String)
    case handlerFailed(String)
    case badOption(String)

    public var description: String {
        switch self {
        case .noWorkflow(let recorded, let folder):
            return recorded.isEmpty
                ? "no workflow has state in \(folder); run 'ldedge deploy WORKFLOW' first (or 'ldedge invoke --zip PATH')"
                : "say which workflow to invoke: \(recorded.joined(separator: ", ")) have state in \(folder)"
        case .unknownWorkflow(let name, let recorded, let folder):
            return "no workflow file or recorded workflow named '\(name)' in \(folder)"
                + (recorded.isEmpty ? "; run 'ldedge deploy WORKFLOW' first" : "; recorded: \(recorded.joined(separator: ", "))")
        case .unreadableWorkflow(let path):
            return "cannot read the workflow name from \(path); it needs a top-level 'name:'"
        case .notDeployed(let workflow, let detail):
            return "nothing to invoke for '\(workflow)': \(detail); run 'ldedge deploy' (at least through the package-zip step) first"
        case .ambiguousPackage(let steps):
            return "the workflow packages more than one handler (\(steps.joined(separator: ", "))); pick one with --step"
        case .unknownEntryPoint(let zip):
            return "\(zip) has neither handler.py nor index.js at its root; give --runtime and --handler"
        case .unsupportedRuntime(let runtime):
            return "runtime '\(runtime)' cannot run at the edge; Lambda@Edge supports Node.js and Python"
        case .runnerNotFound:
            return "cannot find scripts/handler-runner (the local Lambda-like runner); run ldedge from the project folder or set LDEDGE_RUNNER_DIR"
        case .runnerFailed(let detail):
            return "the local runner failed: \(detail)"
        case .handlerFailed(let detail):
            return "the handler raised an error (CloudFront would answer 503):\n\(detail)"
        case .badOption(let detail):
            return detail
        }
    }
}
