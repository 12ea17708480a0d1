import Foundation
import LDEdgeCore
import Terminal

/// The commands' logic: each `ldedge` subcommand parses its flags and calls one method here.
public struct WorkflowService: Sendable {
    public var registry: StepRegistry
    public var console: Console
    public var environment: [String: String]
    public var stateRoot: URL
    /// `--state`, `LDEDGE_STATE`, the workflow's `state:` and the remote backends (S3).
    public var stateSelection: StateSelection
    /// `--env NAME` (or `LDEDGE_ENV`): the environment every workflow is loaded and resolved in.
    public var environmentName: String?

    public init(
        registry: StepRegistry, environment: [String: String] = ProcessInfo.processInfo.environment, stateRoot: URL? = nil,
        stateSelection: StateSelection = StateSelection(), environmentName: String? = nil
    ) {
        self.environmentName = environmentName

        self.registry = registry
        self.stateSelection = stateSelection
        self.environment = environment
        self.console = Console(environment: environment)
        self.stateRoot = stateRoot ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".ldedge")
        Secrets.shared.registerWellKnown(in: environment)
    }

    func engine(
        state: (any StateLocation)? = nil, events: EventStream? = nil, _ options: (inout EngineOptions) -> Void = { _ in }, quiet: Bool = false
    ) -> Engine {
        var engineOptions = EngineOptions(stateRoot: stateRoot, environment: environment)
        engineOptions.state = state
        options(&engineOptions)
        return Engine(registry: registry, options: engineOptions, reporter: events ?? ConsoleReporter(console: console, quiet: quiet))
    }

    func load(_ path: String) async throws -> Workflow {
        let loader = WorkflowLoader(registry: registry, environment: environment, environmentName: environmentName)
        await loader.prepare(path)
        return try loader.load(path: path)
    }

    /// Runs `body`, printing any error the way users read it, and returns the exit status.
    public func run(_ body: () async throws -> ExitStatus) async -> ExitStatus {
        do {
            return try await body()
        } catch let error as DiagnosticsError {
            console.diagnostics(error.diagnostics)
            let errors = error.diagnostics.filter { $0.severity == .error }.count
            console.err("\(errors) error\(errors == 1 ? "" : "s"); nothing was changed")
            return .invalidWorkflow
        } catch let error as StateError {
            console.err(console.paint("error: \(error)", .red))
            if error.isLockConflict { return .locked }
            return .failure
        } catch let error as EngineError {
            switch error {
            case .planHasErrors(let diagnostics):
                if reportConfigurationProblems(diagnostics) { return .configuration }
                console.diagnostics(diagnostics)
                console.err("the plan has errors; nothing was changed")
                return .invalidWorkflow
            case .teardownIncomplete(let failed, _):
                if failed.isEmpty {
                    // Waiting on AWS (replicas) is the expected course of a Lambda@Edge teardown, not a failure.
                    console.err(console.paint("\(error)", .yellow))
                    return .teardownPending
                }
                console.err(console.paint("error: \(error)", .red))
                return .failure
            case .declined:
                console.err(error.description)
                return .failure
            default:
                console.err(console.paint("error: \(error)", .red))
                return .failure
            }
        } catch let error as DeployOptionError {
            console.err(console.paint("error: \(error)", .red))
            return .usage
        } catch {
            console.err(console.paint("error: \(Secrets.shared.redact("\(error)"))", .red))
            return .failure
        }
    }

    /// How to try ldedge with no account at all, said once after configuration problems.
    static let sandboxHint = "to try ldedge without an AWS or LaunchDarkly account, run ./scripts/demo.sh, or start the local AWS emulator (scripts/aws-emulator/server.py) and 'ldedge sandbox', export the lines they print, and plan again"

    /// Prints the configuration problems among `findings` to stderr, with the way to run without
    /// an account; true when there were any (the command then exits 78).
    func reportConfigurationProblems(_ findings: [Diagnostic]) -> Bool {
        let problems = findings.configurationProblems
        guard !problems.isEmpty else { return false }
        console.err(console.paint("ldedge is not configured for \(problems.count == 1 ? "a step" : "\(problems.count) steps") of this workflow:", .red))
        console.diagnostics(problems)
        console.err("note: \(Self.sandboxHint)")
        console.err("nothing was changed")
        return true
    }

    /// `run` for commands with `--json`: errors also become `diagnostic` events, and a `summary`
    /// event with the exit code (and `result`, the command's report) closes the stream.
    func run(command: String, events: EventStream?, _ body: (ResultBox) async throws -> ExitStatus) async -> ExitStatus {
        let result = ResultBox()
        let status = await run {
            do {
                return try await body(result)
            } catch {
                events?.error(error)
                throw error
            }
        }
        events?.summary(command: command, status: status, result: result.value)
        return status
    }
}
