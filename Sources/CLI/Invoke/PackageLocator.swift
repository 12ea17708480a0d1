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

/// Finds what `ldedge invoke` needs from the recorded state: the handler package, and the
/// runtime, entry point and new-site prefix of the build it came from (by `OutputRole`).
public struct PackageLocator: Sendable {
    public var stateRoot: URL
    /// The step kinds, whose declared output roles say where the package is.
    public var registry: StepRegistry

    public init(stateRoot: URL, registry: StepRegistry) {
        self.stateRoot = stateRoot
        self.registry = registry
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
        let located = try Self.locate(in: try store.load(), step: step, registry: registry)
        guard FileManager.default.fileExists(atPath: located.package.zip) else {
            throw InvokeError.notDeployed(workflow: workflow, detail: "the package \(located.package.zip) of step '\(located.step)' is gone")
        }
        return located.package
    }

    /// The package a recorded state names, and the step that made it; the zip may be on another
    /// machine (the one that ran the deploy). Found through the outputs step kinds declare with an
    /// `OutputRole` (the package, the build it came from, its runtime, entry point and new-site
    /// prefix), never through kind or output names.
    public static func locate(in state: WorkflowState, step: String? = nil, registry: StepRegistry) throws -> (package: HandlerPackage, step: String) {
        let workflow = state.workflow
        let packages = state.outputs(withRole: .handlerPackage, registry: registry).filter { step == nil || $0.step == step }
        guard let package = packages.first else {
            let detail = step.map { "step '\($0)' has no applied handler package (a package-zip step)" } ?? "no step that makes a handler package has been applied"
            throw InvokeError.notDeployed(workflow: workflow, detail: detail)
        }
        if step == nil, packages.count > 1 { throw InvokeError.ambiguousPackage(packages.map(\.step)) }
        // The build whose folder was zipped (its folder is one of the package step's inputs), else any build.
        let builds = state.outputs(withRole: .handlerBuild, registry: registry)
        let packageInputs = state.steps[package.step]?.input.stringLeaves ?? []
        let build = builds.first { packageInputs.contains($0.value) }?.step
            ?? state.outputs(withRole: .handlerRuntime, registry: registry).first?.step
        var found: HandlerPackage
        if let build, let runtime = state.output(of: build, role: .handlerRuntime, registry: registry),
           let handler = state.output(of: build, role: .handlerEntryPoint, registry: registry) {
            found = HandlerPackage(zip: package.value, runtime: runtime, handler: handler,
                                   newPrefix: state.output(of: build, role: .newSitePrefix, registry: registry) ?? "/site/beta/")
        } else {
            found = try detect(zip: package.value)
        }
        found.awsEndpoint = state.settings.aws?.endpoint
        found.awsRegion = state.settings.aws?.region
        return (found, package.step)
    }

    /// Guesses runtime and handler from a zip's entry point (handler.py or index.js).
    public static func detect(zip: String, newPrefix: String = "/site/beta/") throws -> HandlerPackage {
        let names = Set(try ZipReader.entries(of: zip).map(\.path))
        if names.contains("handler.py") { return HandlerPackage(zip: zip, runtime: "python3.12", handler: "handler.handler", newPrefix: newPrefix) }
        if names.contains("index.js") { return HandlerPackage(zip: zip, runtime: "nodejs20.x", handler: "index.handler", newPrefix: newPrefix) }
        throw InvokeError.unknownEntryPoint(zip)
    }
}
