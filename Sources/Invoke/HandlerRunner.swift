import Foundation
import LDEdgeCore
#if canImport(Glibc)
import Glibc
#endif

/// A Lambda-like container for an unzipped package: one runner process (scripts/handler-runner)
/// that loads the handler once and serves many events, so the SDK client stays warm.
public final class HandlerRunner: @unchecked Sendable {
    /// One invocation's result.
    public struct Invocation: Sendable {
        public var response: JSONValue
        /// Time inside the handler, measured by the runner.
        public var durationMs: Double
        public var timedOut: Bool
    }

    public let runtime: String
    /// Process start to the runner's "ready" (the init phase, including the SDK's first fetch).
    public private(set) var initMs: Double = 0
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var reader: LineReader

    /// Starts the runner for `runtime` (python3.12, nodejs20.x) on `directory` and waits for it to load.
    public init(runtime: String, directory: String, handler: String, runnerDirectory: URL, environment: [String: String] = ProcessInfo.processInfo.environment, timeout: Double = 5, startTimeout: Double = 30) throws {
        self.runtime = runtime
        let script: URL
        let program: String
        if runtime.hasPrefix("python") {
            script = runnerDirectory.appendingPathComponent("runner.py")
            program = environment["LDEDGE_PYTHON"] ?? "python3"
        } else if runtime.hasPrefix("nodejs") {
            script = runnerDirectory.appendingPathComponent("runner.js")
            program = environment["LDEDGE_NODE"] ?? "node"
        } else {
            throw InvokeError.unsupportedRuntime(runtime)
        }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program, script.path, "--dir", directory, "--handler", handler, "--timeout", String(timeout)]
        process.environment = environment
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        reader = LineReader(descriptor: output.fileHandleForReading.fileDescriptor)
        let started = DispatchTime.now()
        do {
            try process.run()
        } catch {
            throw InvokeError.runnerFailed("cannot start \(program) \(script.path): \(error.localizedDescription)")
        }
        let ready = try readMessage(timeout: startTimeout)
        guard ready["type"]?.stringValue == "ready" else {
            close()
            throw InvokeError.runnerFailed("the handler did not load:\n\(ready["error"]?.stringValue ?? "\(ready)")")
        }
        initMs = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6
    }

    deinit { close() }

    /// Sends one event and waits for the handler's answer.
    public func invoke(_ event: JSONValue, timeout: Double = 30) throws -> Invocation {
        var line = try JSONEncoder.canonical.encode(JSONValue.object(["event": event]))
        line.append(0x0A)
        do {
            try input.fileHandleForWriting.write(contentsOf: line)
        } catch {
            throw InvokeError.runnerFailed("the runner stopped: \(error.localizedDescription)")
        }
        let message = try readMessage(timeout: timeout)
        let duration: Double
        if case .number(let value) = message["durationMs"] ?? .null { duration = value } else { duration = 0 }
        guard message["type"]?.stringValue == "result", let response = message["response"] else {
            throw InvokeError.handlerFailed(message["error"]?.stringValue ?? "\(message)")
        }
        return Invocation(response: response, durationMs: duration, timedOut: message["timedOut"] == .bool(true))
    }

    /// Stops the runner (closing its input ends it like a container being recycled).
    public func close() {
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        // SIGKILL, not SIGTERM: a child started from a dispatch worker thread inherits its blocked
        // signal mask (SIGTERM included), so SIGTERM would never arrive.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    private func readMessage(timeout: Double) throws -> JSONValue {
        guard let line = try reader.readLine(timeout: timeout) else {
            throw InvokeError.runnerFailed(process.isRunning ? "the runner did not answer within \(Int(timeout)) s" : "the runner exited (status \(process.isRunning ? 0 : process.terminationStatus)); see its output above")
        }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: line)
        } catch {
            throw InvokeError.runnerFailed("the runner wrote something that is not JSON: \(String(decoding: line.prefix(200), as: UTF8.self))")
        }
    }
}

/// Reads newline-terminated lines from a file descriptor, with a timeout.
struct LineReader {
    let descriptor: Int32
    private var buffer: [UInt8] = []

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// The next line without its newline; nil at end of file or when `timeout` seconds pass.
    mutating func readLine(timeout: Double) throws -> Data? {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeout * 1e9)
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = Data(buffer[..<newline])
                buffer.removeSubrange(...newline)
                return line
            }
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else { return nil }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(Double(Int32.max), Double(deadline - now) / 1e6)))
            if ready < 0 {
                if errno == EINTR { continue }
                throw InvokeError.runnerFailed("cannot read from the runner: \(String(cString: strerror(errno)))")
            }
            if ready == 0 { continue }
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw InvokeError.runnerFailed("cannot read from the runner: \(String(cString: strerror(errno)))")
            }
            if count == 0 { return nil }
            buffer.append(contentsOf: chunk[0..<count])
        }
    }
}
