import Foundation
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
}
