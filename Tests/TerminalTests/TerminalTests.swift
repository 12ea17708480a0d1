import Foundation
import Synchronization
import Terminal
import XCTest

final class TerminalTests: XCTestCase {
    func testColoursOnlyOnATerminalWithoutNoColorOrDumbTerm() {
        let terminal = TerminalCapabilities(environment: ["TERM": "xterm-256color"], stdoutIsTerminal: true, stderrIsTerminal: true)
        XCTAssertEqual(terminal, TerminalCapabilities(environment: ["TERM": "xterm-256color"], stdoutIsTerminal: true, stderrIsTerminal: true))
        XCTAssertTrue(terminal.colorsOnStdout && terminal.colorsOnStderr && terminal.liveStderr)

        let noColor = TerminalCapabilities(environment: ["NO_COLOR": "0", "TERM": "xterm"], stdoutIsTerminal: true, stderrIsTerminal: true)
        XCTAssertFalse(noColor.colorsOnStdout || noColor.colorsOnStderr, "NO_COLOR with any non-empty value turns colours off")
        XCTAssertTrue(noColor.liveStderr, "NO_COLOR is about colour; a terminal still redraws status lines")
        let empty = TerminalCapabilities(environment: ["NO_COLOR": "", "TERM": "xterm"], stdoutIsTerminal: true, stderrIsTerminal: true)
        XCTAssertTrue(empty.colorsOnStderr, "an empty NO_COLOR is as if unset (no-color.org)")

        let dumb = TerminalCapabilities(environment: ["TERM": "dumb"], stdoutIsTerminal: true, stderrIsTerminal: true)
        XCTAssertFalse(dumb.colorsOnStdout || dumb.colorsOnStderr || dumb.liveStderr, "TERM=dumb: no escapes at all")

        let piped = TerminalCapabilities(environment: ["TERM": "xterm"], stdoutIsTerminal: false, stderrIsTerminal: false)
        XCTAssertFalse(piped.colorsOnStdout || piped.colorsOnStderr || piped.liveStderr, "output into a file or a pipe stays plain")
        let mixed = TerminalCapabilities(environment: ["TERM": "xterm"], stdoutIsTerminal: false, stderrIsTerminal: true)
        XCTAssertFalse(mixed.colorsOnStdout)
        XCTAssertTrue(mixed.colorsOnStderr)
    }

    func testStylesAreSGRCodesOnlyWhenEnabled() {
        XCTAssertEqual(Style.red.paint("x", enabled: true), "\u{1B}[31mx\u{1B}[0m")
        XCTAssertEqual(Style.red.paint("x", enabled: false), "x")
    }

    func testElapsedTimes() {
        XCTAssertEqual(Elapsed.format(0.44), "0.4s")
        XCTAssertEqual(Elapsed.format(12.9), "12s")
        XCTAssertEqual(Elapsed.format(125), "2m05s")
        XCTAssertEqual(Elapsed.format(3725), "1h02m")
        XCTAssertEqual(Elapsed.format(-1), "0s")
        XCTAssertEqual(Elapsed.format(Duration.milliseconds(61_000)), "1m01s")
        XCTAssertEqual(Elapsed.whole(1), "1s")
        XCTAssertEqual(Elapsed.whole(185), "3m05s")
        XCTAssertEqual(Elapsed.whole(-3), "0s")
    }

    func testProgressBar() {
        XCTAssertEqual(ProgressBar(width: 10).render(done: 5, total: 10, detail: "5/10 files"), "[#####.....] 5/10 files")
        XCTAssertEqual(ProgressBar(width: 4).render(done: 9, total: 3), "[####]")
        XCTAssertEqual(ProgressBar(width: 4).render(done: 0, total: 0), "[####]")
    }

    func testLiveLinesNeverWrap() {
        XCTAssertEqual(LiveLine.fit("abcdef", width: 4), "abc")
        let painted = Style.dim.paint("abcdef", enabled: true)
        let fitted = LiveLine.fit(painted, width: 4)
        XCTAssertTrue(fitted.hasPrefix("\u{1B}[2mabc") && fitted.hasSuffix("\u{1B}[0m"), fitted)
        XCTAssertEqual(LiveLine.fit("short", width: 80), "short")
    }

    func testWaitProgressIsQuietForShortWaitsThenTicksWithTheElapsedTime() async throws {
        let lines = Mutex<[String]>([])
        _ = try await WaitProgress.run("quick", quietFor: .milliseconds(300), interval: .milliseconds(50), report: { line in lines.withLock { $0.append(line) } }) {
            try await Task.sleep(for: .milliseconds(50))
        }
        try await Task.sleep(for: .milliseconds(400))
        XCTAssertEqual(lines.withLock { $0 }, [], "a wait shorter than the quiet period shows nothing, before or after it ends")

        _ = try await WaitProgress.run("CloudFront", quietFor: .milliseconds(100), interval: .milliseconds(100), report: { line in lines.withLock { $0.append(line) } }) {
            try await Task.sleep(for: .milliseconds(650))
        }
        let count = lines.withLock { $0.count }
        try await Task.sleep(for: .milliseconds(300))
        let shown = lines.withLock { $0 }
        XCTAssertEqual(shown.count, count, "nothing is reported after the wait ended")
        XCTAssertGreaterThanOrEqual(shown.count, 3, "\(shown)")
        XCTAssertTrue(shown.allSatisfy { $0.hasPrefix("CloudFront: ") && $0.hasSuffix("s") }, "\(shown)")
    }
}
