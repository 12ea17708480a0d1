import Foundation
import LaunchDarkly
import LDEdgeTestSupport
import XCTest

/// `ldedge sandbox` as a child process (what a user runs). Skipped until the command is wired into
/// the root command and `ldedge` is built.
final class SandboxProcessTests: XCTestCase {
    func testSubprocessPrintsExportsServesAndStopsOnSigint() async throws {
        let binary = LDSandboxFixture.repositoryRoot.appendingPathComponent(".build/debug/ldedge").path
        guard FileManager.default.isExecutableFile(atPath: binary),
              let help = try? LDSandboxFixture.run(binary, ["sandbox", "--help"]), help.status == 0,
              String(decoding: help.stdout, as: UTF8.self).contains("--port") else {
            throw XCTSkip("`ldedge sandbox` is not available in \(binary) yet")
        }
        let sandbox = try LDSandboxFixture.startSubprocess(executable: binary)
        defer { sandbox.stop() }
        XCTAssertTrue(sandbox.baseURI.hasPrefix("http://127.0.0.1:"))
        XCTAssertTrue(sandbox.sdkKey.hasPrefix("sdk-"))
        let client = LaunchDarklyClient(configuration: LaunchDarklyConfiguration(accessToken: sandbox.accessToken, baseURI: sandbox.baseURI))
        let env = try await client.environment(project: "default", environment: "production")
        XCTAssertEqual(env.apiKey, sandbox.sdkKey)
        sandbox.stop()
        XCTAssertFalse(sandbox.process.isRunning)
        XCTAssertEqual(sandbox.process.terminationStatus, 0)
    }
}
