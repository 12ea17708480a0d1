import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where ldedge writes: results to stdout, progress and diagnostics to stderr, colours only on a
/// terminal and never with `NO_COLOR`. Everything passes through secret redaction.
public struct Console: Sendable {
    public var colorsOnStdout: Bool
    public var colorsOnStderr: Bool

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let allowed = environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
        colorsOnStdout = allowed && isatty(STDOUT_FILENO) == 1
        colorsOnStderr = allowed && isatty(STDERR_FILENO) == 1
    }

    public static var standardInputIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    public func out(_ text: String) {
        FileHandle.standardOutput.write(Data((Secrets.shared.redact(text) + "\n").utf8))
    }

    public func err(_ text: String) {
        FileHandle.standardError.write(Data((Secrets.shared.redact(text) + "\n").utf8))
    }

    public func diagnostics(_ diagnostics: [Diagnostic]) {
        for diagnostic in diagnostics {
            let color = diagnostic.severity == .error ? "31" : "33"
            err(colorsOnStderr ? "\u{1B}[\(color)m\(diagnostic.description)\u{1B}[0m" : diagnostic.description)
        }
    }

    public func paint(_ text: String, _ code: String, stderr: Bool = true) -> String {
        (stderr ? colorsOnStderr : colorsOnStdout) ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    /// Asks a yes/no question on stderr and reads the answer from stdin.
    public func confirm(_ question: String) -> Bool {
        FileHandle.standardError.write(Data("\(question) [y/N] ".utf8))
        guard let answer = readLine() else { return false }
        return ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased())
    }
}

/// Prints engine progress to stderr: one line per step phase and per change, with timings.
public final class ConsoleReporter: Reporter, Sendable {
    let console: Console
    let quiet: Bool
    /// When each step phase started; held while a line is printed, so lines never interleave.
    private let started = Mutex<[String: Date]>([:])

    public init(console: Console, quiet: Bool = false) {
        self.console = console
        self.quiet = quiet
    }

    public func report(_ event: EngineEvent) {
        started.withLock { started in write(event, &started) }
    }

    private func write(_ event: EngineEvent, _ started: inout [String: Date]) {
        switch event {
        case .stepStarted(let id, let kind, let phase):
            started["\(phase)/\(id)"] = Date()
            guard !quiet else { return }
            console.err(console.paint("==> \(phase) \(id) (\(kind))", "1"))
        case .action(_, let description):
            guard !quiet else { return }
            console.err("    \(description)")
        case .progress(_, let message):
            guard !quiet else { return }
            console.err(console.paint("    ... \(message)", "2"))
        case .stepFinished(let id, let phase, let outcome):
            guard !quiet else { return }
            let elapsed = started["\(phase)/\(id)"].map { String(format: " in %.1fs", Date().timeIntervalSince($0)) } ?? ""
            console.err(console.paint("    \(id): \(outcome)\(elapsed)", outcome == "unchanged" ? "2" : "32"))
        case .stepFailed(let id, let phase, let error):
            console.err(console.paint("    \(id): \(phase) failed: \(error)", "31"))
        case .stepWaiting(let id, let phase, let reason):
            console.err(console.paint("    \(id): \(phase) waiting: \(reason)", "33"))
        case .notice(let message):
            console.err(console.paint("note: \(message)", "33"))
        }
    }
}
