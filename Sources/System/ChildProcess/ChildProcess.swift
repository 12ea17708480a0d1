import Foundation
import Subprocess
import Synchronization

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Every child process ldedge starts (a `run` step's command, pip, a plugin, the handler runner)
/// goes through here, on swift-subprocess: output captured up to a bound, an optional timeout,
/// and the child in a process group of its own, so that cancelling the calling task (Ctrl-C, a
/// timeout) sends SIGTERM to the child and everything it started, SIGKILL after `grace`, and
/// reaps it before returning. Nothing here blocks a concurrency thread.
public struct ChildProcess: Sendable {
    /// A path (with a `/`) or a program name looked up on the `PATH` of `environment`.
    public var executable: String
    public var arguments: [String]
    /// The working directory; nil keeps ldedge's.
    public var directory: String?
    /// The child's complete environment.
    public var environment: [String: String]
    /// Bytes kept of each of stdout and stderr; the rest is counted and dropped.
    public var outputLimit: Int
    /// Stops the child (SIGTERM, then SIGKILL) when it runs longer.
    public var timeout: Duration?
    /// Time between SIGTERM and SIGKILL when the child is stopped.
    public var grace: Duration

    public init(
        _ executable: String, _ arguments: [String] = [], directory: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        outputLimit: Int = 8 << 20, timeout: Duration? = nil, grace: Duration = .seconds(5)
    ) {
        self.executable = executable
        self.arguments = arguments
        self.directory = directory
        self.environment = environment
        self.outputLimit = outputLimit
        self.timeout = timeout
        self.grace = grace
    }

    /// How a finished child ended and what it printed.
    public struct Result: Sendable {
        /// The exit code; 128 + the signal number when a signal ended it (as a shell reports it).
        public var status: Int32
        /// The signal that ended the child, if one did.
        public var signal: Int32?
        public var stdout: String
        public var stderr: String
        /// True when more was printed than `outputLimit` kept.
        public var truncated: Bool

        public var succeeded: Bool { signal == nil && status == 0 }
    }

    /// Runs the child to its end, feeding `input` on stdin, collecting both outputs; each complete
    /// stderr line also goes to `onStandardError` as it arrives (progress). Throws
    /// `ChildProcessError.timedOut` or `CancellationError` after the child has been stopped and reaped.
    public func run(input: [UInt8] = [], mergingStandardError: Bool = false, onStandardError: (@Sendable (String) -> Void)? = nil) async throws -> Result {
        _ = Self.ignoreBrokenPipes
        let stdout = Capture(limit: outputLimit)
        let stderr = Capture(limit: outputLimit)
        let outcome = try await supervise { processGroup in
            try await Subprocess.run(
                self.executableValue, arguments: Arguments(self.arguments), environment: .custom(self.environmentValue),
                workingDirectory: self.directory.map { FilePath($0) }, platformOptions: self.platformOptions,
                input: .inputWriter, output: .sequence, error: .sequence
            ) { execution in
                processGroup.started(execution.processIdentifier.value)
                return try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        if !input.isEmpty { _ = try await execution.standardInputWriter.write(input) }
                        try await execution.standardInputWriter.finish()
                    }
                    group.addTask {
                        for try await buffer in execution.standardOutput {
                            buffer.withUnsafeBytes { bytes in stdout.append(bytes) }
                        }
                    }
                    group.addTask {
                        for try await buffer in execution.standardError {
                            buffer.withUnsafeBytes { bytes in
                                if mergingStandardError { stdout.append(bytes) } else { stderr.append(bytes) }
                            }
                            if let onStandardError { for line in stderr.takeLines(from: buffer) { onStandardError(line) } }
                        }
                    }
                    try await group.waitForAll()
                }
            }
        }
        let (status, signal) = Self.decode(outcome.terminationStatus)
        return Result(status: status, signal: signal, stdout: stdout.text, stderr: stderr.text, truncated: stdout.truncated || stderr.truncated)
    }

    /// Runs the child while `body` talks to it over stdin and stdout (one line at a time); stderr
    /// lines go to `onStandardError`. When `body` returns, stdin is closed and the child is waited
    /// for (stopped after `grace` if it does not exit by itself).
    public func interact<Value: Sendable>(
        onStandardError: @escaping @Sendable (String) -> Void,
        _ body: @escaping @Sendable (Conversation) async throws -> Value
    ) async throws -> (value: Value, result: Result) {
        _ = Self.ignoreBrokenPipes
        let stderr = Capture(limit: outputLimit)
        let grace = self.grace
        let outcome = try await supervise { processGroup in
            try await Subprocess.run(
                self.executableValue, arguments: Arguments(self.arguments), environment: .custom(self.environmentValue),
                workingDirectory: self.directory.map { FilePath($0) }, platformOptions: self.platformOptions,
                input: .inputWriter, output: .sequence, error: .sequence
            ) { execution -> Value in
                processGroup.started(execution.processIdentifier.value)
                let lines = LineQueue()
                let conversation = Conversation(writer: execution.standardInputWriter, lines: lines)
                return try await withThrowingTaskGroup(of: Value?.self) { group in
                    group.addTask {
                        do {
                            for try await line in execution.standardOutput.strings() { lines.push(line) }
                        } catch {}
                        lines.finish()
                        return nil
                    }
                    group.addTask {
                        do {
                            for try await buffer in execution.standardError {
                                buffer.withUnsafeBytes { bytes in stderr.append(bytes) }
                                for line in stderr.takeLines(from: buffer) { onStandardError(line) }
                            }
                        } catch {}
                        return nil
                    }
                    let value = try await body(conversation)
                    // (Already closed when the child ended first: nothing left to do.)
                    try? await execution.standardInputWriter.finish()
                    // The child exits on end of input; one that does not is stopped after the grace period.
                    group.addTask {
                        try await Task.sleep(for: grace)
                        try? execution.send(signal: .terminate, toProcessGroup: true)
                        try await Task.sleep(for: grace)
                        try? execution.send(signal: .kill, toProcessGroup: true)
                        return nil
                    }
                    _ = try await group.next()
                    _ = try await group.next()
                    group.cancelAll()
                    return value
                }
            }
        }
        let (status, signal) = Self.decode(outcome.terminationStatus)
        return (outcome.closureResult, Result(status: status, signal: signal, stdout: "", stderr: stderr.text, truncated: stderr.truncated))
    }

    /// What `body` in `interact` uses to talk to the child.
    public struct Conversation: Sendable {
        let writer: StandardInputWriter
        let lines: LineQueue

        /// Writes `line` and a newline to the child's stdin; false when the child closed it.
        @discardableResult
        public func send(_ line: String) async -> Bool {
            do {
                _ = try await writer.write(Array((line + "\n").utf8))
                return true
            } catch {
                return false
            }
        }

        /// The next line the child printed on stdout; nil at its end or when `timeout` passes first.
        public func nextLine(timeout: Duration? = nil) async -> LineQueue.Next {
            await lines.next(timeout: timeout)
        }

        /// Closes the child's stdin (it sees end of file).
        public func finishInput() async {
            try? await writer.finish()
        }
    }

    // MARK: Supervision

    /// Runs `launch` under the timeout; a timeout or a cancelled task stops the child through the
    /// teardown sequence, after which the whole process group gets one more SIGKILL (a grandchild
    /// that ignored SIGTERM must not outlive the run).
    private func supervise<Value: Sendable>(_ launch: @escaping @Sendable (ProcessGroup) async throws -> Value) async throws -> Value {
        let processGroup = ProcessGroup()
        defer { processGroup.ended() }
        let grace = self.grace
        do {
            return try await withThrowingTaskGroup(of: Value?.self) { group in
                group.addTask {
                    try await withTaskCancellationHandler {
                        try await launch(processGroup)
                    } onCancel: {
                        processGroup.killAfter(grace + .seconds(1))
                    }
                }
                if let timeout {
                    group.addTask {
                        try await Task.sleep(for: timeout)
                        throw ChildProcessError.timedOut(command: self.commandLine, after: timeout)
                    }
                }
                defer { group.cancelAll() }
                while let next = try await group.next() {
                    if let value = next { return value }
                }
                throw CancellationError()
            }
        } catch let error as SubprocessError {
            throw ChildProcessError.cannotStart(command: commandLine, reason: "\(error)")
        }
    }

    /// A write to a child that already exited must fail with EPIPE, not end ldedge (children
    /// start with every signal at its default).
    private static let ignoreBrokenPipes: Void = {
        signal(SIGPIPE, SIG_IGN)
    }()

    var platformOptions: PlatformOptions {
        var options = PlatformOptions()
        // Its own process group (pgid = its pid), so signals reach whatever it starts.
        options.processGroupID = 0
        options.teardownSequence = [
            .send(signal: .terminate, toProcessGroup: true, allowedDurationToNextStep: grace),
            .send(signal: .kill, toProcessGroup: true, allowedDurationToNextStep: .seconds(1)),
        ]
        return options
    }

    var executableValue: Executable {
        executable.contains("/") ? .path(FilePath(executable)) : .name(executable)
    }

    var environmentValue: [Environment.Key: String] {
        var values: [Environment.Key: String] = [:]
        for (key, value) in environment {
            if let key = Environment.Key(rawValue: key) { values[key] = value }
        }
        return values
    }

    /// SIGKILL to the process group of every child still running: for a second Ctrl-C, when
    /// ldedge exits at once and must not leave a command running behind it.
    public static func killAll() {
        for pid in ProcessGroup.running.withLock({ $0 }) { _ = kill(-pid, SIGKILL) }
    }

    /// The command as a user would type it, for messages.
    public var commandLine: String { ([executable] + arguments).joined(separator: " ") }

    static func decode(_ status: TerminationStatus) -> (Int32, Int32?) {
        switch status {
        case .exited(let code): return (code, nil)
        case .signaled(let signal): return (128 + signal, signal)
        }
    }
}

public enum ChildProcessError: Error, CustomStringConvertible, Equatable {
    case cannotStart(command: String, reason: String)
    case timedOut(command: String, after: Duration)

    public var description: String {
        switch self {
        case .cannotStart(let command, let reason): return "cannot start '\(command)': \(reason)"
        case .timedOut(let command, let after): return "'\(command)' did not finish within \(after.components.seconds) s and was stopped"
        }
    }
}

/// The child's process group, for the last SIGKILL after a cancellation: the teardown sequence
/// stops at the child's own exit, and a grandchild that ignored SIGTERM must not outlive the run.
final class ProcessGroup: Sendable {
    private let leader = Mutex<pid_t?>(nil)

    /// Every child's group while it runs, for `ChildProcess.killAll` when ldedge must exit at once.
    static let running = Mutex<Set<pid_t>>([])

    func started(_ pid: pid_t) {
        leader.withLock { $0 = pid }
        Self.running.withLock { _ = $0.insert(pid) }
    }

    func ended() {
        if let pid = leader.withLock({ $0 }) { Self.running.withLock { _ = $0.remove(pid) } }
    }

    func killAfter(_ delay: Duration) {
        Task.detached { [self] in
            try? await Task.sleep(for: delay)
            if let pid = leader.withLock({ $0 }) { _ = kill(-pid, SIGKILL) }
        }
    }
}

/// Output kept up to a bound; stderr is also split into lines for progress.
final class Capture: Sendable {
    private struct Contents {
        var bytes: [UInt8] = []
        var truncated = false
        var partialLine: [UInt8] = []
    }
    private let limit: Int
    private let contents = Mutex(Contents())

    init(limit: Int) { self.limit = limit }

    func append(_ chunk: UnsafeRawBufferPointer) {
        contents.withLock { contents in
            let room = max(0, limit - contents.bytes.count)
            if chunk.count > room { contents.truncated = true }
            contents.bytes.append(contentsOf: chunk.prefix(room))
        }
    }

    /// The complete lines that `buffer` finished, without their newlines.
    func takeLines(from buffer: SubprocessOutputSequence.Buffer) -> [String] {
        contents.withLock { contents in
            buffer.withUnsafeBytes { bytes in contents.partialLine.append(contentsOf: bytes) }
            var lines: [String] = []
            while let newline = contents.partialLine.firstIndex(of: 0x0A) {
                let line = String(decoding: contents.partialLine[..<newline], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                contents.partialLine.removeSubrange(...newline)
                if !line.isEmpty { lines.append(line) }
            }
            if contents.partialLine.count > 64 << 10 { contents.partialLine.removeAll() }
            return lines
        }
    }

    var text: String { contents.withLock { String(decoding: $0.bytes, as: UTF8.self) } }
    var truncated: Bool { contents.withLock { $0.truncated } }
}

/// Lines from a child's stdout, waited for without blocking a thread.
public final class LineQueue: Sendable {
    public enum Next: Sendable, Equatable {
        case line(String)
        case end
        case timedOut
    }

    private struct Contents {
        var lines: [String] = []
        var finished = false
        var waiter: (id: UInt64, continuation: CheckedContinuation<Next, Never>)?
        var nextID: UInt64 = 0
    }
    private let contents = Mutex(Contents())

    func push(_ line: String) {
        let waiter: CheckedContinuation<Next, Never>? = contents.withLock { contents in
            if let waiter = contents.waiter {
                contents.waiter = nil
                return waiter.continuation
            }
            contents.lines.append(line)
            return nil
        }
        waiter?.resume(returning: .line(line))
    }

    func finish() {
        let waiter = contents.withLock { contents -> CheckedContinuation<Next, Never>? in
            contents.finished = true
            defer { contents.waiter = nil }
            return contents.waiter?.continuation
        }
        waiter?.resume(returning: .end)
    }

    func next(timeout: Duration?) async -> Next {
        let id = contents.withLock { contents -> UInt64 in
            contents.nextID += 1
            return contents.nextID
        }
        let timer = timeout.map { timeout in
            Task { [self] in
                try? await Task.sleep(for: timeout)
                guard !Task.isCancelled else { return }
                resume(id, with: .timedOut)
            }
        }
        defer { timer?.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready: Next? = contents.withLock { contents in
                    if !contents.lines.isEmpty { return .line(contents.lines.removeFirst()) }
                    if contents.finished { return .end }
                    contents.waiter = (id, continuation)
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            resume(id, with: .timedOut)
        }
    }

    private func resume(_ id: UInt64, with next: Next) {
        let waiter = contents.withLock { contents -> CheckedContinuation<Next, Never>? in
            guard let waiter = contents.waiter, waiter.id == id else { return nil }
            contents.waiter = nil
            return waiter.continuation
        }
        waiter?.resume(returning: next)
    }
}
