import Foundation
import LDEdgeCore
import Synchronization
import Terminal

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
            if case .transfer(let step, let done, let total, let detail) = event, done < total {
                showStatus(step, ProgressBar().render(done: done, total: total, detail: detail), &screen)
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
        case .transfer(_, let done, let total, let detail):
            // The finished transfer: its last bar stays in the log.
            guard !quiet else { return }
            console.err(console.paint("    ... \(ProgressBar().render(done: done, total: total, detail: detail))", .dim))
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
