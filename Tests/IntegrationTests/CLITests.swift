import Foundation
import LDEdgeApp
import LDEdgeCore
import LDEdgeTestSupport
import XCTest

/// The real `ldedge` executable, as users run it: crashes, locks, signals, secrets, git.
final class CLITests: XCTestCase {
    var directory: TemporaryDirectory!
    var binary: URL!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory("cli")
        binary = try ldedgeBinary()
    }

    override func tearDown() {
        directory.remove()
    }

    @discardableResult
    func ldedge(_ arguments: [String], in folder: URL? = nil, environment: [String: String] = [:]) throws -> ProcessResult {
        try runProcess(binary, arguments, in: folder ?? directory.url, environment: environment)
    }

    func writeMarkers(_ folder: TemporaryDirectory, name: String = "markers", slow: Bool = false) throws {
        try folder.write("\(name).yaml", """
            name: \(name)
            steps:
              - id: one
                uses: run
                with: {run: "touch m1", undo: "rm -f m1"}
              - id: two
                uses: run
                with: {run: "\(slow ? "sleep 2; " : "")touch m2", undo: "rm -f m2"}
              - id: three
                uses: run
                with: {run: "touch m3", undo: "rm -f m3"}
            """)
    }

    func markers(_ folder: TemporaryDirectory) -> [String] {
        ["m1", "m2", "m3"].filter { folder.exists($0) }
    }

    /// SIGKILL after every journal record of a deploy; the next deploy finishes and teardown
    /// then leaves nothing, and a teardown straight after the crash leaves nothing either.
    func testCrashAtEveryJournalRecordRecovers() throws {
        let probe = try TemporaryDirectory("crash-probe")
        defer { probe.remove() }
        try writeMarkers(probe)
        XCTAssertEqual(try ldedge(["deploy", "markers.yaml", "--yes"], in: probe.url).status, 0)
        let records = try StateStore(root: probe.file(".ldedge"), workflow: "markers").readJournal().count
        XCTAssertGreaterThan(records, 10)

        for crashAt in 1...records {
            for recovery in ["deploy", "teardown"] {
                let folder = try TemporaryDirectory("crash-\(crashAt)-\(recovery)")
                defer { folder.remove() }
                try writeMarkers(folder)
                let crashed = try ldedge(["deploy", "markers.yaml", "--yes"], in: folder.url, environment: ["LDEDGE_CRASH_AFTER_RECORD": "\(crashAt)"])
                XCTAssertTrue(crashed.signaled, "crash after record \(crashAt): \(crashed.stderr)")
                if recovery == "deploy" {
                    let resumed = try ldedge(["deploy", "markers.yaml", "--yes"], in: folder.url)
                    XCTAssertEqual(resumed.status, 0, "deploy after crash at \(crashAt): \(resumed.stderr)")
                    XCTAssertEqual(markers(folder), ["m1", "m2", "m3"], "deploy after crash at \(crashAt)")
                }
                let teardown = try ldedge(["teardown", "--yes"], in: folder.url)
                XCTAssertEqual(teardown.status, 0, "teardown after crash at \(crashAt) (\(recovery)): \(teardown.stderr)")
                XCTAssertEqual(markers(folder), [], "\(recovery) after crash at \(crashAt) left markers")
                let state = try StateStore(root: folder.file(".ldedge"), workflow: "markers").load()
                XCTAssertTrue(state.isEmpty, "state after crash at \(crashAt) (\(recovery))")
            }
        }
    }

    /// A torn last journal line (a crash in the middle of a write) is ignored on load.
    func testTornJournalLineIsIgnored() throws {
        try writeMarkers(directory)
        XCTAssertEqual(try ldedge(["deploy", "markers.yaml", "--yes"]).status, 0)
        let journal = directory.file(".ldedge/markers/journal.jsonl")
        let handle = try FileHandle(forWritingTo: journal)
        handle.seekToEndOfFile()
        handle.write(Data("{\"seq\": 9999, \"type\": \"inte".utf8))
        try handle.close()
        try? FileManager.default.removeItem(at: directory.file(".ldedge/markers/state.json"))
        let teardown = try ldedge(["teardown", "--yes"])
        XCTAssertEqual(teardown.status, 0, teardown.stderr)
        XCTAssertEqual(markers(directory), [])
    }

    func testSecondRunOnTheSameWorkflowIsRefusedWithTheHoldersPid() throws {
        try writeMarkers(directory, slow: true)
        let first = try startProcess(binary, ["deploy", "markers.yaml", "--yes"], in: directory.url)
        let lock = directory.file(".ldedge/markers/lock")
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, (try? String(contentsOf: lock, encoding: .utf8))?.isEmpty ?? true { usleep(20_000) }
        let second = try ldedge(["deploy", "markers.yaml", "--yes"])
        XCTAssertEqual(second.status, ExitStatus.locked.rawValue)
        XCTAssertTrue(second.stderr.contains("pid \(first.pid)"), second.stderr)
        let result = first.wait()
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(markers(directory), ["m1", "m2", "m3"])
    }

    func testSigintStopsTheCommandInProgressAndRollsBack() throws {
        try writeMarkers(directory, slow: true)
        let run = try startProcess(binary, ["deploy", "markers.yaml", "--yes"], in: directory.url)
        let deadline = Date().addingTimeInterval(10)
        // The intent line of step two's command: the signal lands while that command runs.
        while Date() < deadline, !run.stderrSoFar.contains("    run: sleep 2") { usleep(20_000) }
        run.signal(SIGINT)
        let result = run.wait()
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("interrupted"), result.stderr)
        XCTAssertFalse(result.stderr.contains("two: applied"), "the command in progress was stopped: \(result.stderr)")
        XCTAssertTrue(result.stderr.contains("rollback two") && result.stderr.contains("rollback one"), result.stderr)
        XCTAssertEqual(markers(directory), [], "the interrupted deploy was rolled back")
        let state = try StateStore(root: directory.file(".ldedge"), workflow: "markers").load()
        XCTAssertTrue(state.isEmpty)
        XCTAssertNil(state.steps["three"], "the step after the signal never started")
    }

    /// Issue 14: a command that sleeps for minutes and a child it started; SIGINT to ldedge stops
    /// both within 10 s (their process group gets SIGTERM), the run rolls back, and ldedge exits 1.
    func testSigintStopsALongCommandAndItsChildWithinTenSeconds() throws {
        try directory.write("long.yaml", """
            name: long
            steps:
              - id: one
                uses: run
                with: {run: "touch m1", undo: "rm -f m1"}
              - id: long
                uses: run
                with:
                  run: "sleep 600 & echo $! > child.pid; echo $$ > shell.pid; sleep 600"
                  undo: "touch undone"
            """)
        let run = try startProcess(binary, ["deploy", "long.yaml", "--yes"], in: directory.url)
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, !(directory.exists("child.pid") && directory.exists("shell.pid")) { usleep(20_000) }
        let (shell, child) = (try pid(in: "shell.pid"), try pid(in: "child.pid"))
        XCTAssertTrue(processIsAlive(shell) && processIsAlive(child), "both are running before the signal")

        let signalled = Date()
        run.signal(SIGINT)
        let result = run.wait()
        let elapsed = Date().timeIntervalSince(signalled)
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertLessThan(elapsed, 10, "ldedge took \(elapsed) s to stop")
        let gone = Date().addingTimeInterval(max(0, 10 - elapsed))
        while Date() < gone, processIsAlive(shell) || processIsAlive(child) { usleep(20_000) }
        XCTAssertFalse(processIsAlive(shell), "the command (pid \(shell)) outlived the interrupt")
        XCTAssertFalse(processIsAlive(child), "the command's child (pid \(child)) outlived the interrupt")
        XCTAssertTrue(result.stderr.contains("rollback long") && result.stderr.contains("rollback one"), result.stderr)
        XCTAssertTrue(directory.exists("undone"), "the interrupted command's undo ran in the rollback")
        XCTAssertFalse(directory.exists("m1"), "step one was rolled back")
        XCTAssertTrue(try StateStore(root: directory.file(".ldedge"), workflow: "long").load().isEmpty)
    }

    /// A second signal exits at once (130) and takes the command in progress with it: here the
    /// rollback's undo command, which the first signal does not stop.
    func testASecondSigintExitsAtOnceAndLeavesNoCommandRunning() throws {
        try directory.write("stuck.yaml", """
            name: stuck
            steps:
              - id: stuck
                uses: run
                with:
                  run: "sleep 600"
                  undo: "sleep 600 & echo $! > child.pid; echo $$ > shell.pid; sleep 600"
            """)
        let run = try startProcess(binary, ["deploy", "stuck.yaml", "--yes"], in: directory.url)
        let started = Date().addingTimeInterval(20)
        while Date() < started, !run.stderrSoFar.contains("    run: sleep 600") { usleep(20_000) }
        run.signal(SIGINT)
        let undoing = Date().addingTimeInterval(20)
        while Date() < undoing, !(directory.exists("child.pid") && directory.exists("shell.pid")) { usleep(20_000) }
        let (shell, child) = (try pid(in: "shell.pid"), try pid(in: "child.pid"))
        XCTAssertTrue(processIsAlive(shell) && processIsAlive(child))
        run.signal(SIGINT)
        let result = run.wait()
        XCTAssertEqual(result.status, 130, result.stderr)
        let gone = Date().addingTimeInterval(5)
        while Date() < gone, processIsAlive(shell) || processIsAlive(child) { usleep(20_000) }
        XCTAssertFalse(processIsAlive(shell), "the undo command outlived ldedge")
        XCTAssertFalse(processIsAlive(child), "the undo command's child outlived ldedge")
    }


    /// The pid a command wrote to `name` in the test folder.
    func pid(in name: String) throws -> Int32 {
        try XCTUnwrap(Int32(try String(contentsOf: directory.file(name), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)), name)
    }

    func testSecretsNeverReachOutputStateOrJournal() throws {
        let secret = "sekret-\(UUID().uuidString)"
        let token = "api-\(UUID().uuidString)"
        try directory.write("secret.yaml", """
            name: secret
            launchdarkly:
              accessToken: ${secret:LD_ACCESS_TOKEN}
            steps:
              - id: use
                uses: run
                with:
                  run: "echo token=${secret:MY_TOKEN}; echo $LD_ACCESS_TOKEN >&2"
                  undo: "echo undo ${secret:MY_TOKEN}"
              - id: echo
                uses: run
                with:
                  run: "echo '${steps.use.outputs.stdout}'"
            """)
        let environment = ["MY_TOKEN": secret, "LD_ACCESS_TOKEN": token]
        var output = ""
        for arguments in [["validate", "secret.yaml"], ["plan", "secret.yaml"], ["plan", "secret.yaml", "--json"], ["deploy", "secret.yaml", "--yes"],
            ["status"], ["status", "--json"], ["deploy", "secret.yaml", "--yes", "--json"], ["teardown", "--yes"]]
        {
            let result = try ldedge(arguments, environment: environment)
            XCTAssertEqual(result.status, 0, "\(arguments): \(result.stderr)")
            output += result.stdout + result.stderr
        }
        XCTAssertTrue(output.contains("token=***"), output)
        var files = ""
        let enumerator = FileManager.default.enumerator(atPath: directory.file(".ldedge").path)
        while let path = enumerator?.nextObject() as? String {
            if let data = FileManager.default.contents(atPath: directory.file(".ldedge/\(path)").path) {
                files += String(decoding: data, as: UTF8.self)
            }
        }
        XCTAssertTrue(files.contains("journal") || files.contains("intent"), "state was written")
        for value in [secret, token] {
            XCTAssertFalse(output.contains(value), "a secret reached the output")
            XCTAssertFalse(files.contains(value), "a secret reached the state folder")
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.file(".ldedge/secret/state.json").path)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
    }

    func testDirtyTreeIsRefusedUnlessAllowedAndTheCommitIsRecorded() throws {
        let git = URL(fileURLWithPath: "/usr/bin/git")
        let environment = ["GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"]
        try runProcess(git, ["init", "-q", "-b", "main"], in: directory.url)
        try writeMarkers(directory)
        try directory.write(".gitignore", "m1\nm2\nm3\n")
        try runProcess(git, ["add", "."], in: directory.url)
        try runProcess(git, ["commit", "-q", "-m", "workflow"], in: directory.url, environment: environment)
        let head = try runProcess(git, ["rev-parse", "HEAD"], in: directory.url).stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        try directory.write("notes.txt", "uncommitted")
        let refused = try ldedge(["deploy", "markers.yaml", "--yes"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("uncommitted changes") && refused.stderr.contains("notes.txt"), refused.stderr)
        XCTAssertEqual(markers(directory), [])

        XCTAssertEqual(try ldedge(["deploy", "markers.yaml", "--yes", "--allow-dirty"]).status, 0)
        try FileManager.default.removeItem(at: directory.file("notes.txt"))
        // ldedge's own .ldedge folder does not make the tree dirty.
        let clean = try ldedge(["deploy", "markers.yaml", "--yes"])
        XCTAssertEqual(clean.status, 0, clean.stderr)
        let status = try ldedge(["status"])
        XCTAssertTrue(status.stdout.contains(String(head.prefix(12))) && status.stdout.contains("main"), status.stdout)
        let plan = try ldedge(["plan", "markers.yaml"])
        XCTAssertTrue(plan.stdout.contains(String(head.prefix(12))), plan.stdout)
    }

    func testValidateAndPlanExitCodes() throws {
        try directory.write("bad.yaml", "name: bad\nsteps:\n  - id: a\n    uses: nope\n")
        let bad = try ldedge(["validate", "bad.yaml"])
        XCTAssertEqual(bad.status, ExitStatus.invalidWorkflow.rawValue)
        XCTAssertTrue(bad.stderr.hasPrefix("bad.yaml:4:11: error: unknown step kind 'nope'"), bad.stderr)
        try writeMarkers(directory)
        XCTAssertEqual(try ldedge(["plan", "markers.yaml", "--detailed-exitcode"]).status, 2)
        XCTAssertEqual(try ldedge(["deploy", "markers.yaml", "--yes"]).status, 0)
        XCTAssertEqual(try ldedge(["plan", "markers.yaml", "--detailed-exitcode"]).status, 0)
        // `plan --json` is an NDJSON event stream; the plan document is the `plan` event's "plan".
        let json = try ldedge(["plan", "markers.yaml", "--json"])
        struct PlanEvent: Decodable { var type: String; var plan: WorkflowPlan? }
        let events = try json.stdout.split(separator: "\n").map { try JSONDecoder().decode(PlanEvent.self, from: Data($0.utf8)) }
        XCTAssertEqual(events.map(\.type), ["plan", "summary"])
        XCTAssertEqual(events.first?.plan?.hasChanges, false)
        XCTAssertEqual(try ldedge(["teardown", "--yes"]).status, 0)
        // Nothing deployed under that name: the same answer as without a name (exit 0, "nothing deployed").
        let nothing = try ldedge(["teardown", "--yes", "nothing-here"])
        XCTAssertEqual(nothing.status, 0)
        XCTAssertTrue(nothing.stdout.hasPrefix("nothing deployed"), nothing.stdout)
    }
}
