import Foundation
import LDEdgeCore
import LDEdgeTestSupport
import XCTest

/// A plugin that misbehaves fails its step with a message naming the step, the plugin, the
/// method and the last line it printed; the run rolls back and leaves nothing behind.
final class PluginFailureTests: PluginTestCase {
    func assertFails(mode: String, method: String, lastLine: String, reason: String, file: StaticString = #filePath, line: UInt = #line) throws {
        try writeWorkflow(mode: mode)
        let started = Date()
        let deploy = try ldedge(["deploy", "wf.yaml", "--yes"])
        XCTAssertEqual(deploy.status, 1, "\(mode): \(deploy.stderr)", file: file, line: line)
        let message = deploy.stderr
        for part in ["step 'files'", "plugin './plugins/files.py' \(method)", reason, "the last line it printed: '\(lastLine)'"] {
            XCTAssertTrue(message.contains(part), "\(mode): missing \"\(part)\" in:\n\(message)", file: file, line: line)
        }
        XCTAssertTrue(message.contains("rolled back 2 steps: files, before"), "\(mode): \(message)", file: file, line: line)
        XCTAssertLessThan(Date().timeIntervalSince(started), 20, "\(mode) took too long", file: file, line: line)
        try assertNothingLeft(mode, file: file, line: line)
    }

    func testGarbageOnStdoutFailsTheStepAndRollsBack() throws {
        try assertFails(
            mode: "garbage", method: "apply", lastLine: "hello, this is not JSON-RPC",
            reason: "printed something that is not a JSON-RPC 2.0 message")
    }

    func testNonZeroExitFailsTheStepAndRollsBackWhatItJournaled() throws {
        try assertFails(mode: "exit1", method: "apply", lastLine: "disk on fire", reason: "exited with status 1 without answering")
        let rollback = try XCTUnwrap(calls().last { $0.method == "rollback" })
        XCTAssertEqual(rollback.params["undo"]?.description.contains("file:a.txt"), true, "\(rollback.params)")
    }

    func testHangPastTimeoutKillsThePluginAndItsChildren() throws {
        try assertFails(mode: "hang", method: "apply", lastLine: "hanging now", reason: "did not answer within 3 s and was killed with its process group")
        let pid = try XCTUnwrap(directory.read("out/child.pid").flatMap { Int32($0) })
        XCTAssertFalse(isAlive(pid), "the plugin's child \(pid) survived the timeout")
    }

    func testJournalIntentDuringPlanIsRefusedAndFailsTheRun() throws {
        try writeWorkflow(mode: "intent-in-plan")
        let deploy = try ldedge(["deploy", "wf.yaml", "--yes"])
        XCTAssertNotEqual(deploy.status, 0, deploy.stderr)
        XCTAssertTrue(deploy.stderr.contains("plugin './plugins/files.py' plan tried to change something"), deploy.stderr)
        XCTAssertTrue(deploy.stderr.contains("journal.intent refused: -32001"), "the plugin saw the dry-run error: \(deploy.stderr)")
        XCTAssertTrue(deploy.stderr.contains("nothing was changed"), deploy.stderr)
        XCTAssertFalse(calls().contains { $0.method == "apply" })
        try assertNothingLeft("intent in plan")
    }

    /// True while the process exists and is not a zombie.
    func isAlive(_ pid: Int32) -> Bool {
        for _ in 0..<20 {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
            if let close = stat.lastIndex(of: ")"), stat[stat.index(close, offsetBy: 2)] == "Z" { return false }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return true
    }
}

/// `validate`, `steps` and `schema` see a plugin's `describe`.
final class PluginValidationTests: PluginTestCase {
    func testSchemaViolationIsReportedAtTheOffendingNode() throws {
        try directory.write("wf.yaml", """
            name: plugins
            steps:
              - id: files
                uses: ./plugins/files.py
                with:
                  dir: out
                  files: [a.txt, ""]
                  count: 50
            """)
        let validate = try ldedge(["validate", "wf.yaml"])
        XCTAssertEqual(validate.status, 65, validate.stderr)
        XCTAssertTrue(validate.stderr.contains("wf.yaml:8:14: error: step 'files' (./plugins/files.py): 'count' must be at most 10, found 50"), validate.stderr)
        XCTAssertTrue(validate.stderr.contains("wf.yaml:7:22: error: step 'files' (./plugins/files.py): 'files[1]' must have at least 1 characters"), validate.stderr)
        XCTAssertFalse(directory.exists("out"), "validate ran more than describe")

        try directory.write("wf.yaml", """
            name: plugins
            steps:
              - id: files
                uses: ./plugins/files.py
                with:
                  dir: out
                  files: a.txt
                  colour: red
            """)
        let shape = try ldedge(["validate", "wf.yaml"])
        XCTAssertEqual(shape.status, 65)
        XCTAssertTrue(shape.stderr.contains("wf.yaml:7:14: error: 'files' must be a list"), shape.stderr)
        XCTAssertTrue(shape.stderr.contains("wf.yaml:8:7: error: unknown key 'colour' for step kind './plugins/files.py'"), shape.stderr)
    }

    func testMissingOrNonExecutablePluginIsALocatedError() throws {
        try writeWorkflow(uses: "./plugins/missing.py")
        let missing = try ldedge(["validate", "wf.yaml"])
        XCTAssertEqual(missing.status, 65)
        XCTAssertTrue(missing.stderr.contains("wf.yaml:7:11: error: step 'files': step plugin './plugins/missing.py' not found"), missing.stderr)

        try installPlugin(at: "plugins/files.py", executable: false)
        try writeWorkflow()
        let notExecutable = try ldedge(["validate", "wf.yaml"])
        XCTAssertEqual(notExecutable.status, 65)
        XCTAssertTrue(notExecutable.stderr.contains("wf.yaml:7:11: error: step 'files': step plugin './plugins/files.py' is not executable"), notExecutable.stderr)

        try writeWorkflow(uses: "plugin:nosuch")
        let notOnPath = try ldedge(["validate", "wf.yaml"])
        XCTAssertTrue(notOnPath.stderr.contains("wf.yaml:7:11: error: step 'files': step plugin 'plugin:nosuch': no executable ldedge-step-nosuch on PATH"), notOnPath.stderr)
    }

    func testPluginOnPathAndStepsAndSchemaListIt() throws {
        try installPlugin(at: "bin/ldedge-step-files")
        let path = directory.file("bin").path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        try writeWorkflow(uses: "plugin:files")
        let validate = try ldedge(["validate", "wf.yaml"], environment: ["PATH": path])
        XCTAssertEqual(validate.status, 0, validate.stderr)

        let steps = try ldedge(["steps", "--workflow", "wf.yaml", "--json"], environment: ["PATH": path])
        XCTAssertEqual(steps.status, 0, steps.stderr)
        let kinds = try JSONDecoder().decode(JSONValue.self, from: Data(steps.stdout.utf8))
        guard case .array(let list) = kinds, let plugin = list.first(where: { $0["kind"] == .string("plugin:files") }) else {
            return XCTFail("plugin:files not listed: \(steps.stdout)")
        }
        XCTAssertEqual(plugin["summary"], .string("Create files in a folder (test fixture)"))
        guard case .array(let inputs)? = plugin["inputs"] else { return XCTFail("\(plugin)") }
        XCTAssertEqual(inputs.compactMap { $0["name"]?.stringValue }, ["count", "dir", "files", "mode", "secret"])
        XCTAssertTrue(list.contains { $0["kind"] == .string("run") }, "built-ins are listed too")

        let schema = try ldedge(["schema", "--workflow", "wf.yaml"], environment: ["PATH": path])
        XCTAssertEqual(schema.status, 0, schema.stderr)
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(schema.stdout.utf8))
        let variants = document["properties"]?["steps"]?["items"]?["allOf"]?.arrayValue ?? []
        let variant = try XCTUnwrap(variants.first { $0["if"]?["properties"]?["uses"]?["const"] == .string("plugin:files") }, schema.stdout)
        let with = variant["then"]?["properties"]?["with"]
        XCTAssertEqual(with?["properties"]?["count"]?["maximum"], .number(10), "the plugin's own schema is embedded: \(String(describing: with))")
        XCTAssertEqual(with?["required"], .array([.string("dir"), .string("files")]))

        let plain = try ldedge(["steps", "--json"], environment: ["PATH": path])
        XCTAssertFalse(plain.stdout.contains("plugin:files"), "without --workflow only built-ins are listed")
    }
}
