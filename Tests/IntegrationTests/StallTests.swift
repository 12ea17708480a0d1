import Foundation
import LDEdgeTestSupport
import LDSandbox
import XCTest

/// Issue 14: nothing ldedge does blocks Swift's cooperative pool. `LDEDGE_STALL_PROBE=FILE`
/// starts a timer task on the pool inside the `ldedge` process that wakes every 10 ms and records
/// how late it ever woke; a deploy of a 10,000-file site (scan, hash, 10,000 PUTs, the zip, the
/// child processes) and `invoke --ips 1000` (1,000 events through the handler runner) must never
/// delay it by more than 100 ms.
final class StallTests: XCTestCase {
    var emulator: AWSEmulator!
    var sandbox: SandboxServer!
    var project: TemporaryDirectory!
    var binary: URL!

    override func setUp() async throws {
        binary = try ldedgeBinary()
        emulator = try await AWSEmulator.start(cloudFrontDeploySeconds: 0.3, lambdaReadySeconds: 0.1, replicaReleaseSeconds: 0.5)
        sandbox = try await LDSandboxFixture.start()
        project = try TemporaryDirectory("stall")
        for folder in ["workflows", "templates"] {
            try FileManager.default.copyItem(at: packageRoot.appendingPathComponent(folder), to: project.file(folder))
        }
    }

    override func tearDown() async throws {
        emulator?.stop()
        await sandbox?.stop()
        project?.remove()
    }

    func ldedge(_ arguments: [String], probe: URL) throws -> ProcessResult {
        var environment = emulator.environment.merging(LDSandboxFixture.sdkEnvironment(for: sandbox)) { _, new in new }
        environment["LDEDGE_POLL_INTERVAL"] = "0.2"
        environment["LDEDGE_STALL_PROBE"] = probe.path
        return try runProcess(binary, arguments, in: project.url, environment: environment)
    }

    func worstDelay(_ probe: URL) throws -> Double {
        let text = try String(contentsOf: probe, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return try XCTUnwrap(Double(text), "the probe wrote '\(text)'")
    }

    func testNoStallOverOneHundredMillisecondsDuringABigDeployAndAThousandInvocations() throws {
        // 10,000 site files next to the template's own pages, in 100 folders.
        let site = project.file("templates/site")
        for folder in 0..<100 {
            let directory = site.appendingPathComponent("bulk/\(folder)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for index in 0..<100 {
                try Data("<p>page \(folder)-\(index)</p>\n".utf8).write(to: directory.appendingPathComponent("\(index).html"))
            }
        }

        let deployProbe = project.file("deploy.probe")
        let deploy = try ldedge(["deploy", "workflows/rebrand.yaml", "--yes", "--json"], probe: deployProbe)
        XCTAssertEqual(deploy.status, 0, deploy.stderr)
        let uploaded = deploy.stdout.firstMatch(of: /upload (\d+) files/).flatMap { Int($0.1) } ?? 0
        XCTAssertGreaterThanOrEqual(uploaded, 10_000, "the deploy uploads the whole site: \(deploy.stdout.suffix(2000))")
        let deployWorst = try worstDelay(deployProbe)
        XCTAssertLessThan(deployWorst, 100, "the cooperative pool stalled for \(deployWorst) ms during the deploy")

        let invokeProbe = project.file("invoke.probe")
        let invoke = try ldedge(["invoke", "workflows/rebrand.yaml", "--ips", "1000", "--json"], probe: invokeProbe)
        XCTAssertEqual(invoke.status, 0, invoke.stderr)
        let report = try JSONSerialization.jsonObject(with: Data(invoke.stdout.utf8)) as? [String: Any]
        XCTAssertEqual((report?["oldSite"] as? Int ?? 0) + (report?["newSite"] as? Int ?? 0), 1000, invoke.stdout)
        let invokeWorst = try worstDelay(invokeProbe)
        XCTAssertLessThan(invokeWorst, 100, "the cooperative pool stalled for \(invokeWorst) ms during invoke --ips 1000")
        print("worst scheduling delay: deploy \(deployWorst) ms, invoke --ips 1000 \(invokeWorst) ms")

        for _ in 0..<20 {
            let teardown = try ldedge(["teardown", "--yes"], probe: project.file("teardown.probe"))
            if teardown.status == 0 { return }
            usleep(500_000)
        }
        XCTFail("teardown did not finish")
    }
}
