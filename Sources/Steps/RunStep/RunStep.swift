import ChildProcess
import Foundation
import LDEdgeKit

/// Runs a shell command, with an optional command that undoes it.
///
/// Dry run: shows the command (or the `dryRun:` text) and runs nothing.
///
/// Rollback: runs `undo:` when the command ran in this run; without `undo:` there is nothing to undo.
///
/// Teardown: runs `undo:` once for a command applied earlier; without `undo:` it only forgets the step.
public struct RunStep: Step {
    public struct Input: Decodable, Sendable {
        public var run: String
        public var undo: String?
        public var dryRun: String?
        public var always: Bool?
        public var directory: String?
        public var env: [String: String]?
    }

    public static let kind = "run"
    public static let summary = "Run a shell command (a check, a build script), with an optional undo command"
    public static let documentation = """
        Dry run: shows the command (or the dryRun text) and runs nothing. \
        Rollback: runs undo when the command ran in this run. \
        Teardown: runs undo once for a command applied earlier.
        """
    public static let inputs: [InputField] = [
        InputField("run", .string, required: true, "shell command, run with /bin/sh -c in the workflow's folder"),
        InputField("undo", .string, "command that reverses 'run'; used by rollback and teardown"),
        InputField("dryRun", .string, "text shown by plan instead of the command"),
        InputField("always", .boolean, default: "false", "run on every deploy, even when the inputs did not change"),
        InputField("directory", .string, "folder to run in, relative to the workflow file"),
        InputField("env", .dictionary(.string), "extra environment variables for the command"),
    ]
    public static let outputs: [OutputField] = [
        OutputField("stdout", "the command's standard output, trimmed"),
        OutputField("exitCode", "the command's exit status"),
    ]

    public let id: String
    public let input: Input

    public init(id: String, input: Input) {
        self.id = id
        self.input = input
    }

    public static func validate(_ input: Input) -> [InputIssue] {
        input.run.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? [InputIssue(["run"], "'run' is empty; give the command to run")] : []
    }

    public func plan(_ context: StepContext) async throws -> StepPlan {
        let digest = InputDigest.of(try JSONValue(encoding: InputEcho(input)))
        let sameAsBefore = context.previous?.status == .applied && context.recall("digest", as: String.self) == digest
        if sameAsBefore && input.always != true {
            return StepPlan(changes: [PlannedChange(.none, "command", detail: "already ran with these inputs")], outputs: context.previous?.outputs ?? [:])
        }
        let shown = input.dryRun ?? input.run
        var changes = [PlannedChange(.run, "command", detail: shown)]
        if let undo = input.undo { changes.append(PlannedChange(.none, "undo", detail: undo)) }
        return StepPlan(changes: changes, data: .string(digest))
    }

    public func apply(_ plan: StepPlan, _ context: StepContext) async throws -> [String: String] {
        let undo = input.undo.map { RunUndo.runCommand($0) }
        let (command, folder, variables) = (input.run, directory(context), environment(context))
        let result = try await context.perform("run: \(input.run)", undo: undo) {
            // Ctrl-C stops the command and everything it started (as make does), then the run rolls back.
            try await context.interruptible {
                try await context.waiting("running \(command)") {
                    try await Shell.run(command, in: folder, environment: variables) { context.progress($0) }
                }
            }
        }
        guard result.status == 0 else {
            throw RunStepError.failed(command: input.run, status: result.status, stderr: result.stderr)
        }
        if input.undo != nil {
            try context.own(Resource(type: "command", id: id, attributes: ["undo": input.undo ?? ""]))
        }
        if let digest = plan.data.stringValue { try context.remember("digest", digest) }
        return ["stdout": result.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "exitCode": String(result.status)]
    }

    public func rollback(_ changes: [RunUndo], _ context: StepContext) async throws {
        for change in changes {
            guard case .runCommand(let command) = change else { continue }
            try await runUndo(command, context)
        }
        for resource in context.ownedResources { try context.release(resource) }
        try context.forget("digest")
    }

    public func teardown(_ state: StepState, _ context: StepContext) async throws {
        for resource in state.resources where resource.type == "command" {
            if let command = resource.attributes["undo"], !command.isEmpty {
                try await runUndo(command, context)
            }
            try context.release(resource)
        }
    }

    func runUndo(_ command: String, _ context: StepContext) async throws {
        let result = try await context.perform("undo: \(command)") {
            try await Shell.run(command, in: directory(context), environment: environment(context)) { context.progress($0) }
        }
        guard result.status == 0 else { throw RunStepError.failed(command: command, status: result.status, stderr: result.stderr) }
    }

    func directory(_ context: StepContext) -> URL {
        input.directory.map { context.resolvePath($0) } ?? context.workflowDirectory
    }

    func environment(_ context: StepContext) -> [String: String] {
        var environment = context.environment
        environment["LDEDGE_WORKFLOW"] = context.workflowName
        environment["LDEDGE_ENVIRONMENT"] = context.environmentName ?? ""
        environment["LDEDGE_STEP"] = id
        for (key, value) in input.env ?? [:] { environment[key] = value }
        return environment
    }
}

/// The inputs that decide whether a run step must run again.
private struct InputEcho: Encodable {
    var run: String
    var undo: String?
    var directory: String?
    var env: [String: String]?

    init(_ input: RunStep.Input) {
        run = input.run
        undo = input.undo
        directory = input.directory
        env = input.env
    }
}

public enum RunStepError: Error, CustomStringConvertible {
    case failed(command: String, status: Int32, stderr: String)
    case cannotStart(command: String, reason: String)

    public var description: String {
        switch self {
        case .failed(let command, let status, let stderr):
            let tail = stderr.split(separator: "\n").suffix(5).joined(separator: "\n    ")
            return "command '\(command)' exited with status \(status)\(tail.isEmpty ? "" : ":\n    \(tail)")"
        case .cannotStart(let command, let reason):
            return "cannot start '\(command)': \(reason)"
        }
    }
}

/// Runs `/bin/sh -c` and collects its output; each stderr line is shown as progress as well.
enum Shell {
    static func run(_ command: String, in directory: URL, environment: [String: String], progress: @escaping @Sendable (String) -> Void) async throws -> ChildProcess.Result {
        let child = ChildProcess("/bin/sh", ["-c", command], directory: directory.path, environment: environment)
        do {
            return try await child.run(onStandardError: progress)
        } catch let error as ChildProcessError {
            throw RunStepError.cannotStart(command: command, reason: error.description)
        }
    }
}

/// What a run step undoes: its `undo:` command.
public enum RunUndo: StepUndo {
    case runCommand(String)

    public static let legacyActions: [String: @Sendable (UndoRecord) throws -> RunUndo] = [
        "run undo command": { record in .runCommand(record.data.stringValue ?? "") },
    ]
}
