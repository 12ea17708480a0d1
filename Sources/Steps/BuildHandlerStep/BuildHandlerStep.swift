import Crypto
import Foundation
import LDEdgeKit
import LaunchDarkly
import LaunchDarklyStepSupport

/// Renders the LaunchDarkly edge handler from a template and installs its dependencies for Lambda.
///
/// Dry run: renders the template in memory and says what would be rebuilt and why (first build,
/// settings or template changed, dependency manifest changed, build folder missing) and whether
/// dependencies come from the cache or a fresh install. Writes nothing.
///
/// Rollback: nothing outside the step's own build folder to undo; the next deploy rebuilds.
///
/// Teardown: deletes the build folder and the dependency cache from the step's work folder.
public struct BuildHandlerStep: BuildOutputStep {
    public enum Mode: String, Decodable, Sendable, CaseIterable {
        case redirect, rewrite
    }

    public enum Events: String, Decodable, Sendable, CaseIterable {
        case off, flush
    }

    /// Where the handler reads the flag: LaunchDarkly, a Relay Proxy, or (daemon mode) the DynamoDB
    /// table a Relay Proxy keeps in sync.
    public enum DataSource: String, Decodable, Sendable, CaseIterable {
        case launchdarkly, relay, dynamodb
    }

    /// What the handler evaluates when no data source answers within `initTimeout`.
    public enum Fallback: String, Decodable, Sendable, CaseIterable {
        case snapshot, `default`
    }

    public struct Input: Decodable, Sendable {
        public var flag: String
        public var runtime: HandlerRuntime?
        public var template: String?
        public var oldPrefix: String?
        public var newPrefix: String?
        public var mode: Mode?
        public var pagesOnly: Bool?
        public var contextKey: String?
        public var contextKind: String?
        public var initTimeout: Double?
        public var events: Events?
        public var dataSource: DataSource?
        public var stream: Bool?
        public var pollInterval: Double?
        public var relayUri: String?
        public var table: String?
        public var prefix: String?
        public var tableRegion: String?
        public var cacheTtl: Double?
        public var fallback: Fallback?
        public var sdkKey: String?
        public var baseUri: String?
        public var streamUri: String?
        public var eventsUri: String?
    }

    public static let kind = "build-handler"
    /// `ldedge rollout` changes the flag, not the snapshot baked into the package.
    public static func rolloutNotice(_ input: Input) -> String? {
        guard (input.fallback ?? .snapshot) == .snapshot else { return nil }
        return "containers cut off from LaunchDarkly evaluate the flag snapshot baked into the handler at deploy time, "
            + "not this change; run 'ldedge deploy' to refresh the snapshot"
    }

    public static let summary = "Render the LaunchDarkly edge handler (Python or Node.js) and install its dependencies for Lambda"
    public static let documentation = """
        Dry run: renders in memory and shows what would be rebuilt and why, and whether dependencies \
        come from the cache. Rollback: nothing outside the step's build folder to undo. \
        Teardown: deletes the build folder and the dependency cache.
        """
    public static let inputs: [InputField] = [
        InputField("flag", .string, required: true, "key of the boolean LaunchDarkly flag that selects the new site"),
        InputField("runtime", .choice(HandlerRuntime.allCases.map(\.rawValue)), default: "python3.12", "Lambda runtime; picks the built-in template"),
        InputField("template", .string, "template folder instead of the built-in one (relative to the workflow file)"),
        InputField("oldPrefix", .string, default: "/site/", "path prefix of the old site"),
        InputField("newPrefix", .string, default: "/site/beta/", "path prefix of the new site"),
        InputField("mode", .choice(Mode.allCases.map(\.rawValue)), default: "redirect", "redirect: 302 to the new path; rewrite: serve the new site under the same URL"),
        InputField("pagesOnly", .boolean, default: "true", "route only pages (paths ending in '/' or '.html', or without extension); assets stay where they are"),
        InputField("contextKey", .string, default: "clientIp", "what identifies a visitor: clientIp, cookie:NAME or header:NAME (falls back to the client IP)"),
        InputField("contextKind", .string, default: "user", "LaunchDarkly context kind of the visitor"),
        InputField("initTimeout", .number, default: "1", "seconds the SDK may wait for flag data in a cold container; below the 5 s viewer-request limit"),
        InputField("events", .choice(Events.allCases.map(\.rawValue)), default: "off", "analytics events: off, or flush them at the end of every invocation"),
        InputField("dataSource", .choice(DataSource.allCases.map(\.rawValue)), default: "launchdarkly",
                   "launchdarkly; relay: a Relay Proxy at relayUri; dynamodb: SDK daemon mode on the Relay Proxy's DynamoDB table"),
        InputField("stream", .boolean, default: "false", "the SDK streams instead of polling (when the handler uses the SDK)"),
        InputField("pollInterval", .number, default: "30", "seconds between the handler's background re-polls of the flag in a warm container"),
        InputField("relayUri", .string, "Relay Proxy URI for dataSource relay (base, stream and events URIs)"),
        InputField("table", .string, "DynamoDB table of the Relay Proxy's store, for dataSource dynamodb"),
        InputField("prefix", .string, "key prefix in the table (the Relay Proxy's DynamoDB prefix), if any"),
        InputField("tableRegion", .string, "region of the table (default aws.region, else us-east-1)"),
        InputField("cacheTtl", .number, default: "30", "seconds the SDK caches what it read from the table"),
        InputField("fallback", .choice(Fallback.allCases.map(\.rawValue)), default: "snapshot",
                   "when LaunchDarkly is unreachable within initTimeout: snapshot evaluates the flag as the deploy left it; default serves the old site"),
        InputField("sdkKey", .string, secret: true, "LaunchDarkly SDK key baked into the package; ${secret:LD_SDK_KEY} (else LD_SDK_KEY, else read from the LaunchDarkly environment)"),
        InputField("baseUri", .string, "SDK polling URI (default LaunchDarkly's, or the local sandbox named by LD_BASE_URI)"),
        InputField("streamUri", .string, "SDK streaming URI"),
        InputField("eventsUri", .string, "SDK events URI"),
    ]
    public static let outputs: [OutputField] = [
        OutputField("dir", "folder with the rendered handler and its dependencies, ready to zip", role: .handlerBuild),
        OutputField("runtime", "Lambda runtime identifier (python3.12, nodejs20.x)", role: .handlerRuntime),
        OutputField("handler", "Lambda handler setting (handler.handler, index.handler)", role: .handlerEntryPoint),
        OutputField("newPrefix", "path prefix of the new site the handler sends visitors to", role: .newSitePrefix),
    ]

    public let id: String
    public let input: Input

    public init(id: String, input: Input) {
        self.id = id
        self.input = input
    }

    public static func validate(_ input: Input) -> [InputIssue] {
        var issues: [InputIssue] = []
        if input.flag.range(of: "^[A-Za-z0-9._-]+$", options: .regularExpression) == nil {
            issues.append(InputIssue(["flag"], "'\(input.flag)' is not a LaunchDarkly flag key; use letters, digits, '.', '_' and '-'"))
        }
        if let timeout = input.initTimeout, !(timeout > 0 && timeout < 5) {
            issues.append(InputIssue(["initTimeout"], "initTimeout must be more than 0 and less than 5 seconds (the viewer-request time limit), found \(timeout)"))
        }
        if ContextKeySource(input.contextKey) == nil {
            issues.append(InputIssue(["contextKey"], "contextKey must be clientIp, cookie:NAME or header:NAME, found '\(input.contextKey ?? "")'"))
        }
        for (name, value) in [("oldPrefix", input.oldPrefix), ("newPrefix", input.newPrefix)] {
            if let value, !(value.hasPrefix("/") && value.hasSuffix("/")) {
                issues.append(InputIssue([name], "\(name) must start and end with '/', found '\(value)'"))
            }
        }
        if (input.oldPrefix ?? "/site/") == (input.newPrefix ?? "/site/beta/") {
            issues.append(InputIssue(["newPrefix"], "newPrefix is the same as oldPrefix; the flag would route nowhere"))
        }
        issues += validateDataSource(input)
        for (name, value) in [("baseUri", input.baseUri), ("streamUri", input.streamUri), ("eventsUri", input.eventsUri), ("relayUri", input.relayUri)] {
            if let value, !(value.hasPrefix("https://") || value.hasPrefix("http://")) {
                issues.append(InputIssue([name], "\(name) must be an http(s) URI, found '\(value)'"))
            }
        }
        return issues
    }

    var runtime: HandlerRuntime { input.runtime ?? .python312 }

    /// The build folder is named by what is in it (rendered files and dependency key), so its path
    /// is known at plan time and changes exactly when its content will: a step that reads `dir`
    /// during plan never mistakes the previous build for the next one.
    func buildDirectory(_ context: StepContext, _ prepared: Prepared) -> URL {
        var hasher = SHA256()
        hasher.update(data: Data("\(prepared.renderDigest)|\(prepared.dependencyKey ?? "")|\(prepared.bytecode)".utf8))
        let name = hasher.finalize().prefix(8).map { String(format: "%02x", $0) }.joined()
        return context.workDirectory.appendingPathComponent("build").appendingPathComponent(name)
    }

    func outputs(_ context: StepContext, _ prepared: Prepared) -> [String: String] {
        ["dir": buildDirectory(context, prepared).path, "runtime": runtime.rawValue, "handler": runtime.handler, "newPrefix": input.newPrefix ?? "/site/beta/"]
    }

    /// Everything a build needs, computed without writing anything.
    struct Prepared {
        var template: HandlerTemplate
        var files: [(path: String, data: Data)]
        var renderDigest: String
        var installer: DependencyInstaller
        var dependencyKey: String?
        var endpoints: SDKEndpoints
        var snapshot: SnapshotOutcome
        var compiler: BytecodeCompiler?

        /// Which bytecode the build ships: part of the build folder's name.
        var bytecode: String { compiler.map { "cpython \($0.version)" } ?? "none" }
    }

    func prepare(_ context: StepContext) async throws -> Prepared {
        let search = TemplateSearch(workflowDirectory: context.workflowDirectory, environment: context.environment)
        let template = try HandlerTemplate.locate(name: runtime.templateName, explicit: input.template, context: search)
        let key = try await sdkKey(context)
        let endpoints = SDKEndpoints.resolve(input, settings: context.settings, environment: context.environment)
        var files = try template.render(templateValues(sdkKey: key, endpoints: endpoints, settings: context.settings))
        let snapshot = await takeSnapshot(sdkKey: key, context: context)
        if let taken = snapshot.snapshot { files.append((HandlerSnapshot.fileName, taken.data)) }
        var hasher = SHA256()
        for file in files {
            hasher.update(data: Data("\(file.path)\n\(file.data.count)\n".utf8))
            hasher.update(data: file.data)
        }
        let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        let installer = DependencyInstaller(runtime: runtime, template: template, environment: context.environment)
        let compiler = await BytecodeCompiler.find(for: runtime, environment: context.environment, in: context.workflowDirectory)
        return Prepared(
            template: template, files: files, renderDigest: digest, installer: installer, dependencyKey: installer.key,
            endpoints: endpoints, snapshot: snapshot, compiler: compiler)
    }

    /// The SDK key: the `sdkKey` input, else `LD_SDK_KEY`, else the LaunchDarkly environment's
    /// `apiKey` read through the API. Registered as a secret the moment it is known.
    func sdkKey(_ context: StepContext) async throws -> String {
        let candidates = [input.sdkKey, context.environment["LD_SDK_KEY"]]
        if let key = candidates.compactMap({ $0 }).first(where: { !$0.isEmpty && $0 != "***" }) {
            Secrets.shared.register(key)
            return key
        }
        let client: LaunchDarklyClient
        do {
            // Reading the environment is not a change, so plan may do it too.
            client = try context.launchDarklyClient()
        } catch LaunchDarklyError.missingAccessToken {
            throw BuildHandlerError.noSDKKey
        }
        let project = context.launchDarklyProject
        let environment = context.launchDarklyEnvironment
        do {
            let key = try await client.environment(project: project, environment: environment).apiKey
            Secrets.shared.register(key)
            return key
        } catch {
            throw BuildHandlerError.sdkKeyUnavailable(project: project, environment: environment, reason: Secrets.shared.redact("\(error)"))
        }
    }

    public func plan(_ context: StepContext) async throws -> StepPlan {
        let prepared: Prepared
        do {
            prepared = try await prepare(context)
        } catch let error as BuildHandlerError {
            return StepPlan(findings: [.error("\(error)")])
        }
        let build = buildDirectory(context, prepared)
        var reasons: [String] = []
        let previousRender = context.recall("render", as: String.self)
        let previousDependencies = context.recall("dependencies", as: String.self)
        let previousSnapshot = context.recall("snapshot", as: String.self)
        if previousRender == nil {
            reasons.append("first build")
        } else if previousRender != prepared.renderDigest {
            reasons.append(previousSnapshot != prepared.snapshot.snapshot?.digest
                ? "the flag changed in LaunchDarkly since the snapshot was taken" : "the template or the handler settings changed")
        }
        if previousRender != nil, context.recall("bytecode", as: String.self) ?? "none" != prepared.bytecode {
            reasons.append("bytecode changes to \(prepared.bytecode)")
        }
        if previousRender != nil, let key = prepared.dependencyKey, previousDependencies == Self.skipped(key) {
            // Installing was skipped last time (npm offline); rebuild only once it can succeed.
            if await DependencyInstaller.reachable(DependencyInstaller.npmRegistry(context.environment)) {
                reasons.append("dependencies were skipped last time and the npm registry is reachable now")
            }
        } else if previousRender != nil, previousDependencies != prepared.dependencyKey {
            reasons.append("the dependency manifest changed")
        }
        let summary = settingsSummary(endpoints: prepared.endpoints, settings: context.settings)
        let snapshotChange = snapshotPlan(prepared, context: context)
        guard !reasons.isEmpty else {
            // The state says these inputs were built; the folder is a cache of that build. When it is
            // not on this machine (another runner deployed), it is built again only if a later step
            // that changes something reads it.
            let here = FileManager.default.fileExists(atPath: build.path) ? "" : "; not built on this machine (built again only if a later step needs it)"
            return StepPlan(
                changes: [PlannedChange(.none, "handler build", detail: "unchanged: \(runtime.rawValue), \(summary)\(here)"), snapshotChange.change],
                findings: snapshotChange.findings, outputs: outputs(context, prepared))
        }
        var changes = [PlannedChange(
            previousRender == nil ? .create : .update, "handler build",
            detail: "\(reasons.joined(separator: "; ")): render \(prepared.template.directory.lastPathComponent) for \(runtime.rawValue) (\(summary))")]
        changes.append(snapshotChange.change)
        changes.append(PlannedChange(.none, "bytecode", detail: prepared.compiler.map { "compiled with Python \($0.version) (the runtime's version)" }
            ?? "none shipped: no Python \(runtime.pythonVersion ?? "") here (set LDEDGE_PYTHON to one); Lambda compiles modules at import"))
        var findings: [Diagnostic] = snapshotChange.findings
        if let key = prepared.dependencyKey {
            let cache = DependencyInstaller.cacheDirectory(context.workDirectory, key: key)
            if FileManager.default.fileExists(atPath: cache.path) {
                changes.append(PlannedChange(.none, "dependencies", detail: "cached (\(key.prefix(12)))"))
            } else {
                changes.append(PlannedChange(.create, "dependencies", detail: prepared.installer.commandSummary))
                if runtime == .nodejs20 {
                    let registry = DependencyInstaller.npmRegistry(context.environment)
                    if !(await DependencyInstaller.reachable(registry)) {
                        findings.append(.warning("the npm registry \(registry) cannot be reached: dependencies will not be installed and the package will not run on Lambda"))
                    }
                }
            }
        }
        // Known before the build runs, so later steps are planned in full; the folder is new (named
        // by its content), so they see it does not exist yet instead of reading the previous build.
        return StepPlan(changes: changes, findings: findings, outputs: outputs(context, prepared))
    }

    public func apply(_ plan: StepPlan, _ context: StepContext) async throws -> [String: String] {
        let prepared = try await prepare(context)
        let dependencies = try await build(prepared, context)
        try context.remember("render", prepared.renderDigest)
        try context.remember("bytecode", prepared.bytecode)
        try rememberSnapshot(prepared.snapshot, context: context)
        switch dependencies {
        case .installed(let key): try context.remember("dependencies", key)
        case .skipped(let key): try context.remember("dependencies", Self.skipped(key))
        case .none: try context.forget("dependencies")
        }
        return outputs(context, prepared)
    }

    /// Builds the recorded handler again when its folder is not on this machine (another runner
    /// built it); the inputs must be the recorded ones, so the folder's content is the same.
    public func materialize(_ context: StepContext) async throws -> [String: String] {
        let prepared = try await prepare(context)
        let folder = buildDirectory(context, prepared)
        guard !FileManager.default.fileExists(atPath: folder.path) else { return outputs(context, prepared) }
        if let recorded = context.recall("render", as: String.self), recorded != prepared.renderDigest {
            throw BuildHandlerError.inputsChanged
        }
        context.progress("the handler build is not on this machine: building it again from the recorded inputs")
        _ = try await build(prepared, context)
        return outputs(context, prepared)
    }

    /// Where the build's dependencies came from.
    enum DependencyOutcome {
        case installed(String), skipped(String), none
    }

    /// Renders, installs dependencies (from the cache when it has them), compiles bytecode, and
    /// moves the result into its content-named folder. Writes only in the step's work folder.
    func build(_ prepared: Prepared, _ context: StepContext) async throws -> DependencyOutcome {
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: context.workDirectory, withIntermediateDirectories: true)

        var dependencies: URL?
        var outcome = DependencyOutcome.none
        if let key = prepared.dependencyKey {
            let cache = DependencyInstaller.cacheDirectory(context.workDirectory, key: key)
            if fileManager.fileExists(atPath: cache.path) {
                dependencies = cache
                outcome = .installed(key)
            } else {
                let installer = prepared.installer
                let installed = try await context.waiting("installing dependencies (\(installer.commandSummary))") {
                    try await installer.install(into: cache, progress: { context.progress($0) })
                }
                switch installed {
                case .installed:
                    dependencies = cache
                    outcome = .installed(key)
                    removeOtherCaches(keeping: cache)
                case .skipped(let reason):
                    context.progress("warning: \(reason)")
                    outcome = .skipped(key)
                }
            }
        }

        let build = buildDirectory(context, prepared)
        let partial = context.workDirectory.appendingPathComponent("build.partial")
        try? fileManager.removeItem(at: partial)
        try fileManager.createDirectory(at: partial, withIntermediateDirectories: true)
        var written: Set<String> = []
        for file in prepared.files {
            let url = partial.appendingPathComponent(file.path)
            try fileManager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try file.data.write(to: url)
            written.insert(String(file.path.split(separator: "/").first ?? ""))
        }
        if let dependencies {
            for name in try fileManager.contentsOfDirectory(atPath: dependencies.path).sorted() where !written.contains(name) {
                try fileManager.copyItem(at: dependencies.appendingPathComponent(name), to: partial.appendingPathComponent(name))
            }
        }
        if let compiler = prepared.compiler {
            context.progress("compiling bytecode with Python \(compiler.version)")
            try await compiler.compile(partial)
            // package-zip keeps .pyc files only in a folder carrying this marker.
            try Data("cpython \(compiler.version)\n".utf8).write(to: partial.appendingPathComponent(".ldedge-bytecode"))
        }
        try? fileManager.removeItem(at: build)
        try fileManager.createDirectory(at: build.deletingLastPathComponent(), withIntermediateDirectories: true)
        try fileManager.moveItem(at: partial, to: build)
        for name in (try? fileManager.contentsOfDirectory(atPath: build.deletingLastPathComponent().path)) ?? [] where name != build.lastPathComponent {
            try? fileManager.removeItem(at: build.deletingLastPathComponent().appendingPathComponent(name))
        }
        context.progress("built the \(runtime.rawValue) handler in \(build.path)")
        return outcome
    }

    /// The plan line for the snapshot, and a warning when there is none to fall back on.
    func snapshotPlan(_ prepared: Prepared, context: StepContext) -> (change: PlannedChange, findings: [Diagnostic]) {
        let detail = describe(prepared.snapshot, context: context)
        if case .none(let reason) = prepared.snapshot, runtime.isPython, (input.fallback ?? .snapshot) == .snapshot {
            return (PlannedChange(.none, "flag snapshot", detail: detail),
                    [.warning("no flag snapshot for the handler (\(reason)): containers that cannot reach LaunchDarkly will serve the old site")])
        }
        if case .later = prepared.snapshot { return (PlannedChange(.create, "flag snapshot", detail: detail), []) }
        let changed = prepared.snapshot.snapshot.map { context.recall("snapshot", as: String.self) != $0.digest } ?? false
        return (PlannedChange(changed ? .update : .none, "flag snapshot", detail: detail), [])
    }


    public func teardown(_ state: StepState, _ context: StepContext) async throws {
        for name in ["build", "build.partial", "deps"] {
            try? FileManager.default.removeItem(at: context.workDirectory.appendingPathComponent(name))
        }
    }

    /// What is remembered when installing was skipped for `key`.
    static func skipped(_ key: String) -> String { "skipped:\(key)" }

    private func removeOtherCaches(keeping cache: URL) {
        let parent = cache.deletingLastPathComponent()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? [] where name != cache.lastPathComponent {
            try? FileManager.default.removeItem(at: parent.appendingPathComponent(name))
        }
    }
}

public enum BuildHandlerError: ConfigurationProblem, CustomStringConvertible {
    public var isConfigurationProblem: Bool {
        if case .noSDKKey = self { return true }
        return false
    }

    case noSDKKey
    case sdkKeyUnavailable(project: String, environment: String, reason: String)
    case templateNotFound(searched: [String], name: String)
    case badTemplate(path: String, reason: String)
    case installFailed(command: String, output: String)
    case snapshotUnreadable(String)
    case inputsChanged

    public var description: String {
        switch self {
        case .noSDKKey:
            return "no LaunchDarkly SDK key for the handler: write 'sdkKey: ${secret:LD_SDK_KEY}' in the step and export LD_SDK_KEY, "
                + "or export LD_ACCESS_TOKEN so ldedge reads it from the LaunchDarkly environment "
                + "(the key is baked into the package because Lambda@Edge has no environment variables; it is never printed or stored in state)"
        case .sdkKeyUnavailable(let project, let environment, let reason):
            return "cannot read the SDK key of LaunchDarkly environment '\(environment)' in project '\(project)': \(reason); "
                + "check launchdarkly.project/environment and the access token, or give the key with 'sdkKey: ${secret:LD_SDK_KEY}'"
        case .templateNotFound(let searched, let name):
            return "cannot find the handler template \(name); looked in \(searched.joined(separator: ", ")); set 'template:' to the folder or LDEDGE_TEMPLATES to the project's templates/ folder"
        case .badTemplate(let path, let reason):
            return "the template \(path) does not parse: \(reason)"
        case .inputsChanged:
            return "the handler's inputs (template, settings or the flag in LaunchDarkly) changed since this run planned it; run 'ldedge deploy' again"
        case .snapshotUnreadable(let reason):
            return "cannot take the flag snapshot: \(reason); check the SDK key and baseUri, or set 'fallback: default'"
        case .installFailed(let command, let output):
            let tail = output.split(separator: "\n").suffix(8).joined(separator: "\n    ")
            return "installing dependencies failed (\(command)):\n    \(tail)"
        }
    }
}
