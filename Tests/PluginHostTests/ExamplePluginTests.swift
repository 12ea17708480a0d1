import Foundation
import LDEdgeCore
import LDEdgeTestSupport
import XCTest

/// The documented example plugin (Examples/plugins/ldedge-step-write-file) with its workflow.
final class ExamplePluginTests: XCTestCase {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Examples/plugins")

    func testExampleWorkflowDeploysAndTearsDownRestoringAnAdoptedFile() throws {
        let directory = try TemporaryDirectory("example-plugin")
        defer { directory.remove() }
        for name in ["ldedge-step-write-file", "workflow.yaml"] {
            try FileManager.default.copyItem(at: Self.examples.appendingPathComponent(name), to: directory.file(name))
        }
        try directory.write("site/release.txt", "hand-written\n")
        let binary = try ldedgeBinary()
        let deploy = try runProcess(binary, ["deploy", "workflow.yaml", "--yes"], in: directory.url, environment: ["RELEASE": "42"])
        XCTAssertEqual(deploy.status, 0, deploy.stderr)
        XCTAssertEqual(directory.read("site/release.txt"), "release 42")
        XCTAssertTrue(deploy.stderr.contains("[stamp] wrote site/release.txt"), deploy.stderr)
        XCTAssertTrue(deploy.stdout.contains("show.stdout = release 42"), deploy.stdout)

        let teardown = try runProcess(binary, ["teardown", "--yes"], in: directory.url)
        XCTAssertEqual(teardown.status, 0, teardown.stderr)
        XCTAssertEqual(directory.read("site/release.txt"), "hand-written\n", "teardown put the original content back")
        XCTAssertTrue(try StateStore(root: directory.file(".ldedge"), workflow: "plugin-example").load().isEmpty)
    }
}
