import Foundation
import LDEdgeCore

/// A failed plugin call: names the step, the plugin, the method and the last line it printed.
public struct PluginError: Error, CustomStringConvertible, Sendable {
    public var step: String?
    public var plugin: String
    public var method: String
    public var reason: String
    public var lastLine: String?

    init(step: String?, plugin: String, method: String, failure: PluginCallFailure) {
        self.step = step
        self.plugin = plugin
        self.method = method
        self.lastLine = failure.lastLine
        switch failure.reason {
        case .cannotStart(let why): reason = "could not be started: \(why)"
        case .rpcError(let error): reason = "answered with error \(error.code): \(error.message)"
        case .exitStatus(let status, let answered): reason = "exited with status \(status)\(answered ? " after answering" : " without answering")"
        case .signal(let number): reason = "was killed by signal \(number) (crashed)"
        case .garbage(let line): reason = "printed something that is not a JSON-RPC 2.0 message on stdout: '\(Self.clip(line))' (stdout carries only the protocol; print logs to stderr)"
        case .timeout(let seconds): reason = "did not answer within \(PluginSchema.format(seconds)) s and was killed with its process group (raise the step's 'timeout:')"
        case .noAnswer: reason = "exited without answering the request"
        case .refusedInDryRun: reason = "tried to change something (journal.intent or state.own) during \(method), which must change nothing; it was refused"
        }
    }

    init(step: String?, plugin: String, method: String, reason: String) {
        self.step = step
        self.plugin = plugin
        self.method = method
        self.reason = reason
    }

    public var description: String {
        let scope = step.map { "step '\($0)': " } ?? ""
        let last = lastLine.map { "; the last line it printed: '\(Self.clip($0))'" } ?? "; it printed nothing"
        return Secrets.shared.redact("\(scope)plugin '\(plugin)' \(method) \(reason)\(last)")
    }

    static func clip(_ text: String) -> String {
        text.count > 300 ? String(text.prefix(297)) + "..." : text
    }
}
