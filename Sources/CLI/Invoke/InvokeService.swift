import Foundation
import LDEdgeApp
import LDEdgeCore

/// What `ldedge invoke` was asked to do.
public struct InvokeOptions: Sendable {
    public var workflow: String?
    public var step: String?
    /// Run this zip instead of the workflow's package (runtime and handler detected unless given).
    public var zip: String?
    public var runtime: String?
    public var handler: String?
    public var newPrefix: String?
    public var request = ViewerRequest()
    public var json = false
    /// Invoke this many random client IPs and print the split.
    public var ips: Int?
    public var seed: UInt64?
    /// The package, when the caller found it already (in shared state, say).
    public var package: HandlerPackage?
    /// The step kinds, to find the package in `.ldedge/` by the roles of their outputs.
    public var registry: StepRegistry?
    public var stateRoot: URL
    public var environment: [String: String]

    public init(stateRoot: URL, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.stateRoot = stateRoot
        self.environment = environment
    }
}

/// The logic behind `ldedge invoke`: find the package, run it warm, print what CloudFront would do.
public struct InvokeService: Sendable {
    public init() {}

    /// Event templates `--event` prints, like `sam local generate-event cloudfront`.
    public static let sampleEvents = ["cloudfront-viewer-request"]

    public func sampleEvent(_ name: String, request: ViewerRequest = ViewerRequest()) throws -> String {
        guard Self.sampleEvents.contains(name) else {
            throw InvokeError.badOption("unknown event '\(name)'; known: \(Self.sampleEvents.joined(separator: ", "))")
        }
        return try Self.pretty(request.event)
    }

    /// Runs the invocation(s) and returns what goes to stdout; progress goes to `progress`.
    public func run(_ options: InvokeOptions, progress: (String) -> Void = { _ in }) async throws -> String {
        let package = try resolvePackage(options)
        let runnerDirectory = try RunnerLocator.locate(environment: options.environment)
        progress("starting \(package.runtime) runner for \(package.zip)")
        let session = try await InvokeSession(package: package, runnerDirectory: runnerDirectory,
                                              environment: HandlerEnvironment.make(options.environment, package: package))
        do {
            let output = try await run(options, session: session, package: package, progress: progress)
            await session.stop()
            return output
        } catch {
            await session.stop()
            throw error
        }
    }

    private func run(_ options: InvokeOptions, session: InvokeSession, package: HandlerPackage, progress: (String) -> Void) async throws -> String {
        progress(String(format: "handler loaded in %.0f ms (process start, import, SDK initialisation)", session.runner.initMs))
        if let count = options.ips {
            guard count > 0 else { throw InvokeError.badOption("--ips needs a positive number of invocations") }
            let seed = options.seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
            let report = try await session.split(count: count, request: options.request, seed: seed)
            return options.json ? try Self.pretty(try JSONValue(encoding: report)) : report.summary
        }
        let invocation = try await session.invoke(options.request)
        if options.json { return try Self.pretty(invocation.response) }
        let response = HandlerResponse(invocation.response)
        let site = response.servesNewSite(newPrefix: package.newPrefix) ? "new site" : "old site"
        return String(format: "%@ (%@; handler %.3f ms%@)", response.summary, site, invocation.durationMs, invocation.timedOut ? ", over the 5 s limit" : "")
    }

    func resolvePackage(_ options: InvokeOptions) throws -> HandlerPackage {
        var package: HandlerPackage
        if let known = options.package {
            package = known
        } else if let zip = options.zip {
            package = try PackageLocator.detect(zip: zip)
        } else {
            guard let registry = options.registry else {
                throw InvokeError.badOption("name the package: a zip (--zip), or a workflow with the step kinds that made it")
            }
            let locator = PackageLocator(stateRoot: options.stateRoot, registry: registry)
            package = try locator.locate(workflow: try locator.workflowName(options.workflow), step: options.step)
        }
        if let runtime = options.runtime { package.runtime = runtime }
        if let handler = options.handler { package.handler = handler }
        if let prefix = options.newPrefix { package.newPrefix = prefix }
        return package
    }

    /// The package of a deployed workflow, from the state wherever it lives (`.ldedge/`, S3). When
    /// the zip is not on this machine (another machine deployed it), it is built again from the
    /// recorded inputs, which needs the workflow file.
    public func locatePackage(_ argument: String?, step: String?, workflows: WorkflowService) async throws -> HandlerPackage {
        let (name, workflow, location) = try await workflows.resolveState(argument)
        let state = try await location.store(for: name).load()
        var (package, packageStep) = try PackageLocator.locate(in: state, step: step, registry: workflows.registry)
        guard !FileManager.default.fileExists(atPath: package.zip) else { return package }
        guard let workflow else {
            throw InvokeError.notDeployed(
                workflow: name,
                detail: "its package was built on another machine; name the workflow file (ldedge invoke path/to/\(name).yaml) so ldedge builds it here again from the recorded inputs")
        }
        let built = try await workflows.materialize([packageStep], of: workflow)
        guard let zip = built[packageStep]?["zip"], FileManager.default.fileExists(atPath: zip) else {
            throw InvokeError.notDeployed(workflow: name, detail: "the package of step '\(packageStep)' could not be built on this machine")
        }
        package.zip = zip
        return package
    }

    static func pretty(_ value: JSONValue) throws -> String {
        String(decoding: try JSONEncoder.pretty.encode(value), as: UTF8.self)
    }
}
