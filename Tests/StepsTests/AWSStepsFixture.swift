import AttachTriggerStep
import AWS
import EdgeDistributionStep
import Foundation
import LDEdgeCore
import LDEdgeTestSupport
import RelayProxyStep
import RunStep
import UploadSiteStep
import XCTest

/// The three AWS step kinds driven through the engine against the AWS emulator (one per test process,
/// reset before every test).
class AWSStepsTestCase: XCTestCase {
    var emulator: AWSEmulator!
    var directory: TemporaryDirectory!

    static let registry = StepRegistry([
        StepKind(RunStep.self), StepKind(UploadSiteStep.self), StepKind(EdgeDistributionStep.self), StepKind(AttachTriggerStep.self),
        StepKind(RelayProxyStep.self),
    ])

    override func setUp() async throws {
        emulator = try await AWSEmulator.shared()
        try await emulator.reset()
        try await emulator.configure(cloudFrontDeploySeconds: 0.3, lambdaReadySeconds: 0.2, replicaReleaseSeconds: 0.5)
        directory = try TemporaryDirectory("aws-steps")
    }

    override func tearDown() async throws {
        directory?.remove()
    }

    /// The emulator's environment, with HOME pointing away from any real AWS configuration.
    var environment: [String: String] {
        emulator.environment.merging(["HOME": directory.path]) { _, new in new }
    }

    func engine(stateRoot: String = ".ldedge", options: [String: String] = [:]) -> Engine {
        var engineOptions = EngineOptions(stateRoot: directory.file(stateRoot), environment: environment)
        engineOptions.stepOptions = options
        return Engine(registry: Self.registry, options: engineOptions)
    }

    func load(_ yaml: String, file: String = "workflow.yaml") throws -> Workflow {
        try directory.write(file, yaml)
        return try WorkflowLoader(registry: Self.registry, environment: environment).load(path: directory.file(file).path)
    }

    /// A site folder with index.html, beta/index.html, a stylesheet and `extra` generated pages.
    func writeSite(_ folder: String = "site", extra: Int = 0, marker: String = "v1") throws {
        try directory.write("\(folder)/index.html", "<h1>old site \(marker)</h1>")
        try directory.write("\(folder)/beta/index.html", "<h1>new site \(marker)</h1>")
        try directory.write("\(folder)/style.css", "body { color: #333 }")
        for index in 0..<extra {
            try directory.write("\(folder)/pages/page-\(index).html", "<p>page \(index) \(marker)</p>")
        }
    }

    /// A small deterministic Python handler package.
    func writeZip(_ name: String = "handler.zip", body: String = "return request", padding: Int = 0) throws {
        let script = """
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_STORED) as z:
                info = zipfile.ZipInfo('handler.py', (2020, 1, 1, 0, 0, 0))
                z.writestr(info, 'def handler(event, context):\\n    request = event["Records"][0]["cf"]["request"]\\n    %s\\n' % sys.argv[2])
                if int(sys.argv[3]) > 0:
                    import os
                    z.writestr(zipfile.ZipInfo('padding.bin', (2020, 1, 1, 0, 0, 0)), os.urandom(int(sys.argv[3])))
            """
        try directory.write("make_zip.py", script)
        let result = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "make_zip.py", name, body, String(padding)], in: directory.url)
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    /// The rollout workflow: site -> distribution -> viewer-request trigger.
    func rolloutWorkflow(bucket: String = "ldedge-test-site", site: String = "site", extraSite: String = "", extraTrigger: String = "") -> String {
        """
        name: rollout
        steps:
          - id: site
            uses: upload-site
            with:
              source: \(site)
              bucket: \(bucket)\(extraSite)
          - id: cdn
            uses: edge-distribution
            with:
              bucket: ${steps.site.outputs.bucket}
              pollInterval: 0.1
          - id: edge
            uses: attach-trigger
            with:
              zip: handler.zip
              functionName: rollout-edge
              distribution: ${steps.cdn.outputs.id}
              pollInterval: 0.1
              replicaWait: 30\(extraTrigger)

        """
    }

    func state(_ workflow: String = "rollout", stateRoot: String = ".ldedge") throws -> WorkflowState {
        try StateStore(root: directory.file(stateRoot), workflow: workflow).load()
    }
}
