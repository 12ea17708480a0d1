import ChildProcess
import Foundation
import LDEdgeCore

/// A Lambda-like container for an unzipped package: one runner process (scripts/handler-runner)
/// that loads the handler once and serves many events, so the SDK client stays warm. The runner
/// is a `ChildProcess`: every wait is asynchronous, and it is stopped and reaped when the runner
/// is closed, the session ends or the task is cancelled.
public final class HandlerRunner: Sendable {
    /// One invocation's result.
    public struct Invocation: Sendable {
        public var response: JSONValue
        /// Time inside the handler, measured by the runner.
        public var durationMs: Double
        public var timedOut: Bool
    }

    /// One event line for the runner, answered with the runner's next line.
    struct Request: Sendable {
        var line: String
        var timeout: Duration
        var reply: CheckedContinuation<LineQueue.Next, Never>
    }

    public let runtime: String
    /// Process start to the runner's "ready" (the init phase, including the SDK's first fetch).
    public let initMs: Double
    private let requests: AsyncStream<Request>.Continuation
    private let running: Task<Void, Never>

    /// Starts the runner for `runtime` (python3.12, nodejs20.x) on `directory` and waits for it to load.
    public init(runtime: String, directory: String, handler: String, runnerDirectory: URL, environment: [String: String] = ProcessInfo.processInfo.environment, timeout: Double = 5, startTimeout: Double = 30) async throws {
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
        let child = ChildProcess(program, [script.path, "--dir", directory, "--handler", handler, "--timeout", String(timeout)], environment: environment, grace: .seconds(2))
        let (stream, requests) = AsyncStream<Request>.makeStream()
        let started = ContinuousClock.now
        let (readyStream, readyContinuation) = AsyncStream<Result<LineQueue.Next, any Error>>.makeStream()
        running = Task {
            do {
                _ = try await child.interact(onStandardError: { line in FileHandle.standardError.write(Data((Secrets.shared.redact(line) + "\n").utf8)) }) { conversation in
                    readyContinuation.yield(.success(await conversation.nextLine(timeout: .seconds(startTimeout))))
                    for await request in stream {
                        guard await conversation.send(request.line) else {
                            request.reply.resume(returning: .end)
                            continue
                        }
                        request.reply.resume(returning: await conversation.nextLine(timeout: request.timeout))
                    }
                }
            } catch {
                readyContinuation.yield(.failure(error))
            }
            readyContinuation.finish()
            // Whatever arrives after the runner ended is answered with its end.
            requests.finish()
            for await request in stream { request.reply.resume(returning: .end) }
        }
        self.requests = requests
        var first: Result<LineQueue.Next, any Error> = .success(.end)
        for await value in readyStream {
            first = value
            break
        }
        let ready: JSONValue
        do {
            ready = try Self.message(try first.get(), timeout: startTimeout)
        } catch let error as ChildProcessError {
            requests.finish()
            throw InvokeError.runnerFailed("cannot start \(program) \(script.path): \(error)")
        } catch {
            requests.finish()
            await running.value
            throw error
        }
        guard ready["type"]?.stringValue == "ready" else {
            requests.finish()
            await running.value
            throw InvokeError.runnerFailed("the handler did not load:\n\(ready["error"]?.stringValue ?? "\(ready)")")
        }
        let elapsed = ContinuousClock.now - started
        initMs = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
    }

    deinit { requests.finish() }

    /// Sends one event and waits for the handler's answer.
    public func invoke(_ event: JSONValue, timeout: Double = 30) async throws -> Invocation {
        let line = String(decoding: try JSONEncoder.canonical.encode(JSONValue.object(["event": event])), as: UTF8.self)
        let next = await withCheckedContinuation { (continuation: CheckedContinuation<LineQueue.Next, Never>) in
            if case .terminated = requests.yield(Request(line: line, timeout: .seconds(timeout), reply: continuation)) {
                continuation.resume(returning: .end)
            }
        }
        let message = try Self.message(next, timeout: timeout)
        let duration: Double
        if case .number(let value) = message["durationMs"] ?? .null { duration = value } else { duration = 0 }
        guard message["type"]?.stringValue == "result", let response = message["response"] else {
            throw InvokeError.handlerFailed(message["error"]?.stringValue ?? "\(message)")
        }
        return Invocation(response: response, durationMs: duration, timedOut: message["timedOut"] == .bool(true))
    }

    /// Closes the runner's input, which ends it like a container being recycled; one that does not
    /// exit is stopped (SIGTERM to its process group, then SIGKILL) and reaped. Does not wait.
    public func close() {
        requests.finish()
    }

    /// Closes the runner and returns once it has exited and been reaped.
    public func stop() async {
        requests.finish()
        await running.value
    }

    private static func message(_ next: LineQueue.Next, timeout: Double) throws -> JSONValue {
        switch next {
        case .end:
            throw InvokeError.runnerFailed("the runner exited; see its output above")
        case .timedOut:
            throw InvokeError.runnerFailed("the runner did not answer within \(Int(timeout)) s")
        case .line(let line):
            do {
                return try JSONDecoder().decode(JSONValue.self, from: Data(line.utf8))
            } catch {
                throw InvokeError.runnerFailed("the runner wrote something that is not JSON: \(line.prefix(200))")
            }
        }
    }
}
