import Foundation
import LDEdgeCore
import Terminal

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where ldedge writes: results to stdout, progress and diagnostics to stderr, colours only on a
/// terminal and never with `NO_COLOR` or `TERM=dumb` (`TerminalCapabilities`). Everything passes
/// through secret redaction.
public struct Console: Sendable {
    public var colorsOnStdout: Bool
    public var colorsOnStderr: Bool
    /// Status lines (a wait's elapsed time, an upload's bar) are redrawn in place on stderr.
    public var liveStderr: Bool

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.init(TerminalCapabilities(environment: environment))
    }

    public init(_ capabilities: TerminalCapabilities) {
        colorsOnStdout = capabilities.colorsOnStdout
        colorsOnStderr = capabilities.colorsOnStderr
        liveStderr = capabilities.liveStderr
    }

    public static var standardInputIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    public func out(_ text: String) {
        FileHandle.standardOutput.write(Data((Secrets.shared.redact(text) + "\n").utf8))
    }

    public func err(_ text: String) {
        FileHandle.standardError.write(Data((Secrets.shared.redact(text) + "\n").utf8))
    }

    /// Writes `text` to stderr as it is (no newline): for lines redrawn in place.
    func errRaw(_ text: String) {
        FileHandle.standardError.write(Data(Secrets.shared.redact(text).utf8))
    }

    public func diagnostics(_ diagnostics: [Diagnostic]) {
        for diagnostic in diagnostics {
            err(paint(diagnostic.description, diagnostic.severity == .error ? .red : .yellow))
        }
    }

    public func paint(_ text: String, _ style: Style, stderr: Bool = true) -> String {
        style.paint(text, enabled: stderr ? colorsOnStderr : colorsOnStdout)
    }

    /// Asks a yes/no question on stderr and reads the answer from stdin, on a thread of its own
    /// (waiting for a person must not hold a concurrency thread).
    public func confirm(_ question: String) async -> Bool {
        FileHandle.standardError.write(Data("\(question) [y/N] ".utf8))
        let answer: String? = await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: readLine()) }.start()
        }
        guard let answer else { return false }
        return ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased())
    }
}
