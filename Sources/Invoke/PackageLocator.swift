import Archive
import Foundation
import LDEdgeCore
import Yams

/// The packaged handler `ldedge invoke` runs, found in a workflow's recorded state.
public struct HandlerPackage: Sendable, Equatable {
    public var zip: String
    public var runtime: String
    public var handler: String
    /// The new site's path prefix, to tell old from new in `--ips` splits.
    public var newPrefix: String
    /// The workflow's `aws.endpoint` and `aws.region`: the handler's AWS SDK (daemon mode) talks to them.
    public var awsEndpoint: String?
    public var awsRegion: String?

    public init(zip: String, runtime: String, handler: String, newPrefix: String = "/site/beta/") {
        self.zip = zip
        self.runtime = runtime
        self.handler = handler
        self.newPrefix = newPrefix
    }
}

/// Finds what `ldedge invoke` needs from the recorded state: the package-zip step's `zip` and the
/// build-handler step's runtime, handler and new-site prefix.
public struct PackageLocator: Sendable {
    public var stateRoot: URL

    public init(stateRoot: URL) {
        self.stateRoot = stateRoot
    }

    /// The workflow name from a workflow file's `name:` (secrets are not needed for that), a
    /// recorded workflow name, or the only workflow with state.
    public func workflowName(_ argument: String?) throws -> String {
        let recorded = StateStore.workflows(in: stateRoot)
        guard let argument else {
            if recorded.count == 1 { return recorded[0] }
            throw InvokeError.noWorkflow(recorded: recorded, folder: stateRoot.path)
        }
        if FileManager.default.fileExists(atPath: argument) {
            guard let text = try? String(contentsOfFile: argument, encoding: .utf8),
                let node = try? Yams.compose(yaml: text), let name = node["name"]?.string
            else {
                throw InvokeError.unreadableWorkflow(argument)
            }
            return name
        }
        guard recorded.contains(argument) else { throw InvokeError.unknownWorkflow(argument, recorded: recorded, folder: stateRoot.path) }
        return argument
    }

    /// The package of `workflow`; `step` picks a package-zip step when there are several.
    public func locate(workflow: String, step: String? = nil) throws -> HandlerPackage {
        let store = StateStore(root: stateRoot, workflow: workflow)
        guard store.exists else { throw InvokeError.notDeployed(workflow: workflow, detail: "there is no recorded state in \(store.directory.path)") }
        let located = try Self.locate(in: try store.load(), step: step)
        guard FileManager.default.fileExists(atPath: located.package.zip) else {
            throw InvokeError.notDeployed(workflow: workflow, detail: "the package \(located.package.zip) of step '\(located.step)' is gone")
        }
        return located.package
    }

    /// The package a recorded state names, and the step that made it; the zip may be on another
    /// machine (the one that ran the deploy).
    public static func locate(in state: WorkflowState, step: String? = nil) throws -> (package: HandlerPackage, step: String) {
        let workflow = state.workflow
        let applied = state.order.compactMap { state.steps[$0] }.filter { $0.status == .applied }
        let packages = applied.filter { $0.kind == "package-zip" && (step == nil || $0.id == step) }
        guard let package = packages.first else {
            let detail = step.map { "no applied package-zip step '\($0)'" } ?? "no package-zip step has been applied"
            throw InvokeError.notDeployed(workflow: workflow, detail: detail)
        }
        if step == nil, packages.count > 1 { throw InvokeError.ambiguousPackage(packages.map(\.id)) }
        guard let zip = package.outputs["zip"] else {
            throw InvokeError.notDeployed(workflow: workflow, detail: "step '\(package.id)' recorded no package")
        }
        // The build step whose folder was zipped, else any build step, else the zip's own entry point.
        let builds = applied.filter { $0.kind == "build-handler" }
        let source = package.input["source"]?.stringValue
        let build = builds.first { source != nil && $0.outputs["dir"] == source } ?? builds.first
        var found: HandlerPackage
        if let build, let runtime = build.outputs["runtime"], let handler = build.outputs["handler"] {
            found = HandlerPackage(zip: zip, runtime: runtime, handler: handler, newPrefix: build.input["newPrefix"]?.stringValue ?? "/site/beta/")
        } else {
            found = try detect(zip: zip)
        }
        found.awsEndpoint = state.settings.aws?.endpoint
        found.awsRegion = state.settings.aws?.region
        return (found, package.id)
    }

    /// Guesses runtime and handler from a zip's entry point (handler.py or index.js).
    public static func detect(zip: String, newPrefix: String = "/site/beta/") throws -> HandlerPackage {
        let names = Set(try ZipReader.entries(of: zip).map(\.path))
        if names.contains("handler.py") { return HandlerPackage(zip: zip, runtime: "python3.12", handler: "handler.handler", newPrefix: newPrefix) }
        if names.contains("index.js") { return HandlerPackage(zip: zip, runtime: "nodejs20.x", handler: "index.handler", newPrefix: newPrefix) }
        throw InvokeError.unknownEntryPoint(zip)
    }
}
