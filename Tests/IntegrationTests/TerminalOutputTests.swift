import Foundation
import LDEdgeTestSupport
import XCTest

/// What `ldedge` draws, on a real pseudo-terminal (`script`) and into a pipe: colours only on a
/// terminal and never with `NO_COLOR` or `TERM=dumb`; a wait over 2 s shows its elapsed time,
/// redrawn in place on a terminal and printed once (then every 10 s) into a pipe.
final class TerminalOutputTests: XCTestCase {
    var directory: TemporaryDirectory!
    var binary: URL!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory("terminal-output")
        binary = try ldedgeBinary()
        try directory.write("wait.yaml", """
            name: wait
            steps:
              - id: slow
                uses: run
                with: {run: "sleep 3.5", undo: "true"}
            """)
    }

    override func tearDown() {
        directory.remove()
    }

    /// Runs ldedge on a pseudo-terminal; returns what the terminal showed (stdout and stderr).
    func onTerminal(_ arguments: [String], environment: [String: String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        let command = ([binary.path] + arguments).map { "'\($0)'" }.joined(separator: " ")
        process.arguments = ["-qec", command, "/dev/null"]
        process.currentDirectoryURL = directory.url
        var values = ProcessInfo.processInfo.environment
        values.removeValue(forKey: "NO_COLOR")
        values["TERM"] = "xterm-256color"
        for (key, value) in environment { values[key] = value }
        process.environment = values
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, String(decoding: data, as: UTF8.self))
        return String(decoding: data, as: UTF8.self)
    }

    func testColoursOnATerminalOnlyWithoutNoColorOrDumbTerm() throws {
        let painted = try onTerminal(["plan", "wait.yaml"], environment: [:])
        XCTAssertTrue(painted.contains("\u{1B}[36m"), "the plan's run line is cyan on a terminal: \(painted.debugDescription)")
        let empty = try onTerminal(["plan", "wait.yaml"], environment: ["NO_COLOR": ""])
        XCTAssertTrue(empty.contains("\u{1B}["), "an empty NO_COLOR counts as unset")
        for environment in [["NO_COLOR": "1"], ["TERM": "dumb"]] {
            let plain = try onTerminal(["plan", "wait.yaml"], environment: environment)
            XCTAssertFalse(plain.contains("\u{1B}"), "\(environment): \(plain.debugDescription)")
            XCTAssertTrue(plain.contains("sleep 3.5"), plain)
        }
        let piped = try runProcess(binary, ["plan", "wait.yaml"], in: directory.url, environment: ["NO_COLOR": ""])
        XCTAssertFalse((piped.stdout + piped.stderr).contains("\u{1B}"), "output into a pipe stays plain")
    }

    func testAWaitOverTwoSecondsShowsItsElapsedTime() throws {
        let terminal = try onTerminal(["deploy", "wait.yaml", "--yes"], environment: [:])
        XCTAssertTrue(terminal.contains("\r\u{1B}[K"), "redrawn in place on a terminal: \(terminal.debugDescription)")
        XCTAssertTrue(terminal.contains("running sleep 3.5: 2."), terminal.debugDescription)
        XCTAssertTrue(terminal.contains("running sleep 3.5: 3."), "it ticks every second: \(terminal.debugDescription)")
        XCTAssertEqual(try runProcess(binary, ["teardown", "--yes"], in: directory.url).status, 0)

        let piped = try runProcess(binary, ["deploy", "wait.yaml", "--yes"], in: directory.url)
        XCTAssertEqual(piped.status, 0, piped.stderr)
        XCTAssertEqual(piped.stderr.components(separatedBy: "... running sleep 3.5: ").count - 1, 1, "once into a pipe, no redraws: \(piped.stderr)")
        XCTAssertFalse(piped.stderr.contains("\r") || piped.stderr.contains("\u{1B}"), piped.stderr.debugDescription)
    }
}
