import Foundation
@_exported import Terminal
import Synchronization

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

/// Prints engine progress to stderr: one line per step phase and per change, with timings.
public final class ConsoleReporter: Reporter, Sendable {
    let console: Console
    let quiet: Bool
    /// When each step phase started, whether a status line is on screen, and when each step's
    /// last status line was printed; held while a line is printed, so lines never interleave.
    private struct Screen {
        var started: [String: Date] = [:]
        var statusShown = false
        var lastStatus: [String: ContinuousClock.Instant] = [:]
    }
    private let screen = Mutex(Screen())

    public init(console: Console, quiet: Bool = false) {
        self.console = console
        self.quiet = quiet
    }

    public func report(_ event: EngineEvent) {
        screen.withLock { screen in
            if case .status(let step, let message) = event {
                showStatus(step, message, &screen)
                return
            }
            if screen.statusShown {
                console.errRaw(LiveLine.clear)
                screen.statusShown = false
            }
            write(event, &screen.started)
        }
    }

    /// On a terminal the status replaces the previous one in place; elsewhere (a CI log) one
    /// line per step every 10 s.
    private func showStatus(_ step: String, _ message: String, _ screen: inout Screen) {
        guard !quiet else { return }
        let line = console.paint("    ... \(message)", .dim)
        if console.liveStderr {
            console.errRaw(LiveLine.clear + LiveLine.fit(line))
            screen.statusShown = true
            return
        }
        let now = ContinuousClock.now
        guard screen.lastStatus[step].map({ now - $0 >= .seconds(10) }) ?? true else { return }
        screen.lastStatus[step] = now
        console.err(line)
    }

    private func write(_ event: EngineEvent, _ started: inout [String: Date]) {
        switch event {
        case .status:
            return
        case .stepStarted(let id, let kind, let phase):
            started["\(phase)/\(id)"] = Date()
            guard !quiet else { return }
            console.err(console.paint("==> \(phase) \(id) (\(kind))", .bold))
        case .action(_, let description):
            guard !quiet else { return }
            console.err("    \(description)")
        case .progress(_, let message):
            guard !quiet else { return }
            console.err(console.paint("    ... \(message)", .dim))
        case .stepFinished(let id, let phase, let outcome):
            guard !quiet else { return }
            let elapsed = started["\(phase)/\(id)"].map { String(format: " in %.1fs", Date().timeIntervalSince($0)) } ?? ""
            console.err(console.paint("    \(id): \(outcome)\(elapsed)", outcome == "unchanged" ? .dim : .green))
        case .stepFailed(let id, let phase, let error):
            console.err(console.paint("    \(id): \(phase) failed: \(error)", .red))
        case .stepWaiting(let id, let phase, let reason):
            console.err(console.paint("    \(id): \(phase) waiting: \(reason)", .yellow))
        case .notice(let message):
            console.err(console.paint("note: \(message)", .yellow))
        }
    }
}
