import Foundation
import LDEdgeCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A JSON-RPC 2.0 error object, sent to or received from a plugin.
public struct RPCError: Error, Sendable, Equatable {
    public var code: Int
    public var message: String

    public init(_ code: Int, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Answer to `journal.intent` (and `state.own`) during a plan or dry run.
    public static let dryRun = RPCError(-32001, "dry run: no changes allowed")
    static func methodNotFound(_ method: String) -> RPCError { RPCError(-32601, "method not found: \(method)") }
    static func invalidParams(_ message: String) -> RPCError { RPCError(-32602, "invalid params: \(message)") }
}

/// Serves the requests a plugin sends back while it works (`journal.intent`, `state.own`, ...).
/// Called on the plugin's I/O thread, one request at a time.
protocol PluginRequestHandler: Sendable {
    func handle(method: String, params: JSONValue) -> Result<JSONValue, RPCError>
}

/// Why one plugin call failed, with the last line the plugin printed.
struct PluginCallFailure: Error {
    enum Reason {
        case cannotStart(String)
        case rpcError(RPCError)
        case exitStatus(Int32, answered: Bool)
        case signal(Int32)
        case garbage(String)
        case timeout(TimeInterval)
        case noAnswer
        case refusedInDryRun
    }

    var reason: Reason
    var lastLine: String?
}

/// One plugin process serving exactly one request: started, sent the request as one line on
/// stdin, its own requests answered until it answers, then expected to exit.
///
/// The protocol runs on a dedicated thread with blocking reads (never on the cooperative pool);
/// stderr is read on a second thread and forwarded line by line. The plugin runs in its own
/// process group (Foundation's `Process` makes it a group leader), so a timeout or a cancelled
/// task kills the plugin and everything it started.
final class PluginProcess: @unchecked Sendable {
    let executable: URL
    let directory: URL
    let environment: [String: String]
    let timeout: TimeInterval
    let onStderrLine: @Sendable (String) -> Void

    /// Guards `pid`, `timedOut`, `lastLine` and `dryRunRefused`.
    private let lock = NSLock()
    private var pid: Int32 = 0
    private var timedOut = false
    private var lastLine: String?
    private var dryRunRefused = false

    init(executable: URL, directory: URL, environment: [String: String], timeout: TimeInterval, onStderrLine: @escaping @Sendable (String) -> Void) {
        self.executable = executable
        self.directory = directory
        self.environment = environment
        self.timeout = timeout
        self.onStderrLine = onStderrLine
    }

    /// Calls `method` and waits on a dedicated thread; cancelling the task kills the plugin.
    func call(_ method: String, params: JSONValue, handler: any PluginRequestHandler) async throws -> JSONValue {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let thread = Thread { continuation.resume(with: Result { try self.callBlocking(method, params: params, handler: handler) }) }
                thread.name = "ldedge-plugin-\(method)"
                thread.start()
            }
        } onCancel: {
            self.killGroup()
        }
    }

    /// Calls `method` on the current thread (used for `describe` while a workflow is loaded).
    func callBlocking(_ method: String, params: JSONValue, handler: any PluginRequestHandler) throws -> JSONValue {
        _ = Self.ignoreSIGPIPE
        let process = Process()
        process.executableURL = executable
        process.currentDirectoryURL = directory
        process.environment = environment
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        do {
            try process.run()
        } catch {
            throw PluginCallFailure(reason: .cannotStart(error.localizedDescription), lastLine: nil)
        }
        // The child holds its own copies; closing ours makes EOF arrive when it exits.
        try? stdout.fileHandleForWriting.close()
        try? stderr.fileHandleForWriting.close()
        try? stdin.fileHandleForReading.close()
        lock.withLock { pid = process.processIdentifier }

        let stderrDone = DispatchSemaphore(value: 0)
        let stderrThread = Thread { [self] in
            let reader = LineReader(descriptor: stderr.fileHandleForReading.fileDescriptor)
            while let line = reader.next() {
                let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                guard !text.isEmpty else { continue }
                lock.withLock { lastLine = text }
                onStderrLine(text)
            }
            stderrDone.signal()
        }
        stderrThread.start()

        let deadline = DispatchWorkItem { [self] in
            lock.withLock { timedOut = true }
            killGroup()
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: deadline)
        defer { deadline.cancel() }

        let input = stdin.fileHandleForWriting.fileDescriptor
        var inputOpen = true
        func send(_ message: JSONValue) {
            guard inputOpen, var line = try? JSONEncoder.canonical.encode(message) else { return }
            line.append(UInt8(ascii: "\n"))
            if !Self.writeAll(line, to: input) { inputOpen = false }
        }
        func closeInput() {
            guard inputOpen else { return }
            inputOpen = false
            try? stdin.fileHandleForWriting.close()
        }

        let requestID = JSONValue.number(1)
        send(.object(["jsonrpc": .string("2.0"), "id": requestID, "method": .string(method), "params": params]))
        var answer: Result<JSONValue, RPCError>?
        var garbage: String?
        let reader = LineReader(descriptor: stdout.fileHandleForReading.fileDescriptor)
        while let line = reader.next() {
            let text = String(decoding: line, as: UTF8.self)
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { continue }
            guard garbage == nil else { continue }
            guard answer == nil, let message = try? JSONDecoder().decode(JSONValue.self, from: line),
                case .object(let object) = message, object["jsonrpc"] == .string("2.0")
            else {
                garbage = text
                lock.withLock { lastLine = text.trimmingCharacters(in: .whitespacesAndNewlines) }
                killGroup()
                continue
            }
            if case .string(let requested)? = object["method"] {
                let result = handler.handle(method: requested, params: object["params"] ?? .object([:]))
                if case .failure(let error) = result, error == .dryRun { lock.withLock { dryRunRefused = true } }
                guard let id = object["id"] else { continue }  // a notification gets no answer
                switch result {
                case .success(let value):
                    send(.object(["jsonrpc": .string("2.0"), "id": id, "result": value]))
                case .failure(let error):
                    send(.object(["jsonrpc": .string("2.0"), "id": id, "error": .object(["code": .number(Double(error.code)), "message": .string(error.message)])]))
                }
            } else if object["id"] == requestID, let result = object["result"] {
                answer = .success(result)
                closeInput()
            } else if object["id"] == requestID, case .object(let error)? = object["error"] {
                let code = error["code"].flatMap { value -> Int? in if case .number(let number) = value { return Int(number) } else { return nil } } ?? 0
                answer = .failure(RPCError(code, error["message"]?.stringValue ?? "(no message)"))
                closeInput()
            } else {
                garbage = text
                killGroup()
            }
        }
        closeInput()
        exited.wait()
        _ = stderrDone.wait(timeout: .now() + 2)

        let (didTimeOut, last, refused) = lock.withLock { (timedOut, lastLine, dryRunRefused) }
        func failure(_ reason: PluginCallFailure.Reason) -> PluginCallFailure { PluginCallFailure(reason: reason, lastLine: last) }
        if didTimeOut { throw failure(.timeout(timeout)) }
        if let garbage { throw failure(.garbage(garbage)) }
        if process.terminationReason == .uncaughtSignal { throw failure(.signal(process.terminationStatus)) }
        if case .failure(let error)? = answer { throw failure(.rpcError(error)) }
        if process.terminationStatus != 0 { throw failure(.exitStatus(process.terminationStatus, answered: answer != nil)) }
        guard case .success(let value)? = answer else { throw failure(.noAnswer) }
        if refused { throw failure(.refusedInDryRun) }
        return value
    }

    /// SIGKILL to the plugin's process group (the plugin and whatever it started).
    func killGroup() {
        let target = lock.withLock { pid }
        guard target > 0 else { return }
        kill(-target, SIGKILL)
        kill(target, SIGKILL)
    }

    /// A write to a plugin that already exited must fail with EPIPE, not kill ldedge.
    private static let ignoreSIGPIPE: Void = {
        signal(SIGPIPE, SIG_IGN)
    }()

    private static func writeAll(_ data: Data, to descriptor: Int32) -> Bool {
        data.withUnsafeBytes { buffer -> Bool in
            guard let base = buffer.baseAddress else { return true }
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, base + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += written
            }
            return true
        }
    }
}

/// Reads newline-delimited lines from a file descriptor with blocking reads; nil at end of file.
final class LineReader {
    /// A line longer than this is cut: plugins send one JSON object per line, not megabytes.
    static let maximumLine = 16 * 1024 * 1024
    let descriptor: Int32
    private var buffer = Data()
    private var finished = false

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    func next() -> Data? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[buffer.startIndex..<newline]
                buffer = Data(buffer[(newline + 1)...])
                return Data(line)
            }
            if finished || buffer.count > Self.maximumLine {
                guard !buffer.isEmpty else { return nil }
                let rest = buffer
                buffer = Data()
                finished = true
                return rest
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = read(descriptor, &chunk, chunk.count)
            if count < 0, errno == EINTR { continue }
            if count <= 0 {
                finished = true
                continue
            }
            buffer.append(contentsOf: chunk[0..<count])
        }
    }
}
