import ChildProcess
import Foundation
import LDEdgeTestSupport
import Synchronization
import XCTest

/// Real child processes (sh, sleep, cat): output, exit status, limits, timeouts, cancellation.
final class ChildProcessTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("child-process-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func shell(_ script: String, timeout: Duration? = nil, grace: Duration = .seconds(5), limit: Int = 8 << 20) -> ChildProcess {
        ChildProcess("/bin/sh", ["-c", script], directory: folder.path, outputLimit: limit, timeout: timeout, grace: grace)
    }

    func testCollectsBothOutputsTheStatusAndStderrLinesAsTheyCome() async throws {
        let lines = LinesSeen()
        let result = try await shell("echo out; echo one >&2; echo two >&2; exit 3").run(onStandardError: { lines.add($0) })
        XCTAssertEqual(result.status, 3)
        XCTAssertNil(result.signal)
        XCTAssertFalse(result.succeeded)
        XCTAssertEqual(result.stdout, "out\n")
        XCTAssertEqual(result.stderr, "one\ntwo\n")
        XCTAssertEqual(lines.all, ["one", "two"])
    }

    func testInputEnvironmentAndWorkingDirectory() async throws {
        var child = ChildProcess("/bin/sh", ["-c", "cat; echo \"$GREETING\"; pwd"], directory: folder.path, environment: ["GREETING": "hi", "PATH": "/usr/bin:/bin"])
        child.outputLimit = 1 << 10
        let result = try await child.run(input: Array("from stdin\n".utf8))
        XCTAssertEqual(result.stdout, "from stdin\nhi\n\(folder.resolvingSymlinksInPath().path)\n")
    }

    func testOutputBeyondTheLimitIsDroppedAndSaidSo() async throws {
        let result = try await shell("head -c 100000 /dev/zero | tr '\\\\0' x", limit: 1000).run()
        XCTAssertTrue(result.succeeded)
        XCTAssertEqual(result.stdout.utf8.count, 1000)
        XCTAssertTrue(result.truncated)
    }

    func testASignalIsReportedAsAShellWould() async throws {
        let result = try await shell("kill -KILL $$").run()
        XCTAssertEqual(result.signal, SIGKILL)
        XCTAssertEqual(result.status, 128 + SIGKILL)
    }

    func testAMissingProgramIsAClearError() async throws {
        do {
            _ = try await ChildProcess("ldedge-no-such-program-\(UUID().uuidString)", []).run()
            XCTFail("expected an error")
        } catch let error as ChildProcessError {
            guard case .cannotStart = error else { return XCTFail("\(error)") }
            XCTAssertTrue(error.description.contains("cannot start 'ldedge-no-such-program"), error.description)
        }
    }

    func testATimeoutStopsTheCommandAndItsChild() async throws {
        let started = ContinuousClock.now
        do {
            _ = try await shell("sleep 60 & echo $! > child.pid; sleep 60", timeout: .milliseconds(500)).run()
            XCTFail("expected a timeout")
        } catch let error as ChildProcessError {
            XCTAssertEqual(error, .timedOut(command: "/bin/sh -c sleep 60 & echo $! > child.pid; sleep 60", after: .milliseconds(500)))
        }
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(5), "SIGTERM ends sh and sleep at once")
        try await assertGone(pidFile: "child.pid")
    }

    /// A grandchild that ignores SIGTERM still goes: the process group gets SIGKILL after the grace period.
    func testCancellationEndsAGrandchildThatIgnoresSIGTERM() async throws {
        let child = shell("(trap '' TERM; echo $$ > /dev/null; exec sleep 60) & echo $! > stubborn.pid; sleep 60", grace: .milliseconds(300))
        let task = Task { try await child.run() }
        try await waitFor("stubborn.pid")
        task.cancel()
        let started = ContinuousClock.now
        _ = try? await task.value
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(5))
        try await assertGone(pidFile: "stubborn.pid")
    }

    func testAConversationLineByLineWithTimeouts() async throws {
        let child = ChildProcess("/bin/cat", [], grace: .milliseconds(500))
        let (answers, ended) = try await child.interact(onStandardError: { _ in }) { conversation -> [LineQueue.Next] in
            var answers: [LineQueue.Next] = []
            await conversation.send("hello")
            answers.append(await conversation.nextLine(timeout: .seconds(5)))
            answers.append(await conversation.nextLine(timeout: .milliseconds(200)))
            await conversation.send("again")
            answers.append(await conversation.nextLine(timeout: .seconds(5)))
            return answers
        }
        XCTAssertEqual(answers, [.line("hello"), .timedOut, .line("again")])
        XCTAssertEqual(ended.status, 0, "cat ends on end of input")
    }

    // MARK: Helpers

    func waitFor(_ name: String) async throws {
        let path = folder.appendingPathComponent(name).path
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: path) { try await Task.sleep(for: .milliseconds(20)) }
        try await Task.sleep(for: .milliseconds(100))
    }

    func assertGone(pidFile: String, file: StaticString = #filePath, line: UInt = #line) async throws {
        let text = try String(contentsOf: folder.appendingPathComponent(pidFile), encoding: .utf8)
        let pid = try XCTUnwrap(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), file: file, line: line)
        for _ in 0..<100 where processIsAlive(pid) { try await Task.sleep(for: .milliseconds(50)) }
        XCTAssertFalse(processIsAlive(pid), "pid \(pid) outlived its process group", file: file, line: line)
    }
}

final class LinesSeen: Sendable {
    private let lines = Mutex<[String]>([])
    func add(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}
