import ChildProcess
import Foundation
import LDEdgeCore
import Synchronization

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
/// Called while the plugin waits for the answer, one request at a time.
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
/// The plugin is a `ChildProcess` in its own process group: a timeout or a cancelled task stops
/// the plugin and everything it started (SIGTERM, then SIGKILL), and it is reaped before the call
/// returns. Every wait is asynchronous; stderr is forwarded line by line.
final class PluginProcess: Sendable {
    let executable: URL
    let directory: URL
    let environment: [String: String]
    let timeout: TimeInterval
    let onStderrLine: @Sendable (String) -> Void

    init(executable: URL, directory: URL, environment: [String: String], timeout: TimeInterval, onStderrLine: @escaping @Sendable (String) -> Void) {
        self.executable = executable
        self.directory = directory
        self.environment = environment
        self.timeout = timeout
        self.onStderrLine = onStderrLine
    }

    /// What the plugin said on stdout during one call.
    struct Exchange: Sendable {
        var answer: Result<JSONValue, RPCError>?
        var garbage: String?
        var refusedInDryRun = false
    }

    /// Calls `method`; cancelling the task stops the plugin.
    func call(_ method: String, params: JSONValue, handler: any PluginRequestHandler) async throws -> JSONValue {
        let child = ChildProcess(executable.path, [], directory: directory.path, environment: environment, timeout: .seconds(timeout), grace: .seconds(2))
        let lastLine = LastLine()
        let forward = onStderrLine
        let exchange: Exchange
        let ended: ChildProcess.Result
        do {
            (exchange, ended) = try await child.interact(onStandardError: { line in
                lastLine.set(line)
                forward(line)
            }) { conversation in
                try await Self.converse(conversation, method: method, params: params, handler: handler, lastLine: lastLine)
            }
        } catch ChildProcessError.timedOut {
            throw PluginCallFailure(reason: .timeout(timeout), lastLine: lastLine.value)
        } catch ChildProcessError.cannotStart(_, let reason) {
            throw PluginCallFailure(reason: .cannotStart(reason), lastLine: nil)
        }
        func failure(_ reason: PluginCallFailure.Reason) -> PluginCallFailure { PluginCallFailure(reason: reason, lastLine: lastLine.value) }
        if let garbage = exchange.garbage { throw failure(.garbage(garbage)) }
        if let signal = ended.signal { throw failure(.signal(signal)) }
        if case .failure(let error)? = exchange.answer { throw failure(.rpcError(error)) }
        if ended.status != 0 { throw failure(.exitStatus(ended.status, answered: exchange.answer != nil)) }
        guard case .success(let value)? = exchange.answer else { throw failure(.noAnswer) }
        if exchange.refusedInDryRun { throw failure(.refusedInDryRun) }
        return value
    }

    /// Calls `method` from synchronous code (`describe`, while a workflow is loaded): the call
    /// runs as a task and this thread waits for it.
    func callBlocking(_ method: String, params: JSONValue, handler: any PluginRequestHandler) throws -> JSONValue {
        let answer = Mutex<Result<JSONValue, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            let result: Result<JSONValue, any Error>
            do {
                result = .success(try await self.call(method, params: params, handler: handler))
            } catch {
                result = .failure(error)
            }
            answer.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        guard let result = answer.withLock({ $0 }) else { throw PluginCallFailure(reason: .noAnswer, lastLine: nil) }
        return try result.get()
    }

    /// Sends the request, answers the plugin's own requests, and reads until the plugin's answer;
    /// then closes stdin and reads to the end (the plugin exits).
    private static func converse(
        _ conversation: ChildProcess.Conversation, method: String, params: JSONValue, handler: any PluginRequestHandler, lastLine: LastLine
    ) async throws -> Exchange {
        var exchange = Exchange()
        func send(_ message: JSONValue) async {
            guard let line = try? JSONEncoder.canonical.encode(message) else { return }
            await conversation.send(String(decoding: line, as: UTF8.self))
        }
        let requestID = JSONValue.number(1)
        await send(.object(["jsonrpc": .string("2.0"), "id": requestID, "method": .string(method), "params": params]))
        while case .line(let text) = await conversation.nextLine() {
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, exchange.garbage == nil, exchange.answer == nil else { continue }
            guard let message = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)),
                case .object(let object) = message, object["jsonrpc"] == .string("2.0")
            else {
                exchange.garbage = text
                lastLine.set(text.trimmingCharacters(in: .whitespacesAndNewlines))
                return exchange
            }
            if case .string(let requested)? = object["method"] {
                let result = handler.handle(method: requested, params: object["params"] ?? .object([:]))
                if case .failure(let error) = result, error == .dryRun { exchange.refusedInDryRun = true }
                guard let id = object["id"] else { continue }  // a notification gets no answer
                switch result {
                case .success(let value):
                    await send(.object(["jsonrpc": .string("2.0"), "id": id, "result": value]))
                case .failure(let error):
                    await send(.object(["jsonrpc": .string("2.0"), "id": id, "error": .object(["code": .number(Double(error.code)), "message": .string(error.message)])]))
                }
            } else if object["id"] == requestID, let result = object["result"] {
                exchange.answer = .success(result)
                await conversation.finishInput()
            } else if object["id"] == requestID, case .object(let error)? = object["error"] {
                let code = error["code"].flatMap { value -> Int? in if case .number(let number) = value { return Int(number) } else { return nil } } ?? 0
                exchange.answer = .failure(RPCError(code, error["message"]?.stringValue ?? "(no message)"))
                await conversation.finishInput()
            } else {
                exchange.garbage = text
                return exchange
            }
        }
        return exchange
    }
}

/// The last line a plugin printed (stdout or stderr), for failure messages.
final class LastLine: Sendable {
    private let line = Mutex<String?>(nil)
    func set(_ text: String) { line.withLock { $0 = text } }
    var value: String? { line.withLock { $0 } }
}
