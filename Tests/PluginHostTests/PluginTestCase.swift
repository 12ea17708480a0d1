import Foundation
import LDEdgeCore
import LDEdgeTestSupport
import XCTest

/// Runs the real `ldedge` executable on workflows that use the Python fixture plugin
/// (Fixtures/files-plugin.py) between built-in `run` steps.
class PluginTestCase: XCTestCase {
    var directory: TemporaryDirectory!
    var binary: URL!

    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/files-plugin.py")

    override func setUpWithError() throws {
        directory = try TemporaryDirectory("plugin")
        binary = try ldedgeBinary()
        try installPlugin(at: "plugins/files.py")
    }

    override func tearDown() {
        directory.remove()
    }

    func installPlugin(at path: String, executable: Bool = true) throws {
        let target = directory.file(path)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: target)
        try FileManager.default.copyItem(at: Self.fixture, to: target)
        try FileManager.default.setAttributes([.posixPermissions: executable ? 0o755 : 0o644], ofItemAtPath: target.path)
    }

    @discardableResult
    func ldedge(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        try runProcess(binary, arguments, in: directory.url, environment: environment)
    }

    /// `before` (run) -> `files` (the plugin) -> `after` (run, failing when asked).
    func writeWorkflow(mode: String = "ok", failAfter: Bool = false, uses: String = "./plugins/files.py", extraInputs: String = "") throws {
        try directory.write("wf.yaml", """
            name: plugins
            steps:
              - id: before
                uses: run
                with: {run: "touch before.txt", undo: "rm -f before.txt"}
              - id: files
                uses: \(uses)
                timeout: 3
                needs: before
                with:
                  dir: out
                  files: [a.txt, b.txt]
                  mode: \(mode)\(extraInputs)
              - id: after
                uses: run
                needs: files
                with: {run: "touch after.txt\(failAfter ? "; echo after broke >&2; exit 3" : "")", undo: "rm -f after.txt"}
            """)
    }

    /// What the plugin was called with, in order (Fixtures/files-plugin.py logs every call).
    func calls() -> [(method: String, params: JSONValue)] {
        let text = directory.read("out/calls.jsonl") ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(line.utf8)), let method = value["method"]?.stringValue else { return nil }
            return (method, value["params"] ?? .null)
        }
    }

    /// Files the workflow's steps create, still present.
    func leftovers() -> [String] {
        ["before.txt", "after.txt", "out/a.txt", "out/b.txt"].filter { directory.exists($0) }
    }

    func state() throws -> WorkflowState {
        try StateStore(root: directory.file(".ldedge"), workflow: "plugins").load()
    }

    func assertNothingLeft(_ context: String, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(leftovers(), [], "\(context): files left behind", file: file, line: line)
        if directory.exists(".ldedge/plugins/journal.jsonl") {
            XCTAssertTrue(try state().isEmpty, "\(context): state still owns something", file: file, line: line)
        }
    }
}
