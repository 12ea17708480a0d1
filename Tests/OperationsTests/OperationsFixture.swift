import AWS
import BuiltinSteps
import Foundation
import LDEdgeCore
import LDEdgeTestSupport
import XCTest

/// A deployed edge workflow (site -> distribution -> viewer-request trigger) on the AWS emulator,
/// driven through the engine; the operating commands then run as the real `ldedge` binary.
class OperationsTestCase: XCTestCase {
    var emulator: AWSEmulator!
    var directory: TemporaryDirectory!
    let functionName = "ops-edge"

    override func setUp() async throws {
        emulator = try await AWSEmulator.shared()
        try await emulator.reset()
        try await emulator.configure(cloudFrontDeploySeconds: 0.2, lambdaReadySeconds: 0.1, replicaReleaseSeconds: 0.5)
        directory = try TemporaryDirectory("operations")
    }

    override func tearDown() async throws {
        directory?.remove()
    }

    /// The emulator's environment, with HOME pointing away from any real AWS configuration.
    var environment: [String: String] {
        emulator.environment.merging(["HOME": directory.path]) { _, new in new }
    }

    func engine(_ extra: [String: String] = [:], options: [String: String] = [:]) -> Engine {
        var engineOptions = EngineOptions(stateRoot: directory.file(".ldedge"), environment: environment.merging(extra) { _, new in new })
        engineOptions.stepOptions = options
        return Engine(registry: .builtin, options: engineOptions)
    }

    func load(_ yaml: String, file: String = "ops.yaml", extra: [String: String] = [:]) throws -> Workflow {
        try directory.write(file, yaml)
        return try WorkflowLoader(registry: .builtin, environment: environment.merging(extra) { _, new in new }).load(path: directory.file(file).path)
    }

    /// A small deterministic Python handler package; `body` changes its code (and CodeSha256).
    func writeZip(_ name: String = "handler.zip", body: String = "return request") throws {
        let script = """
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_STORED) as z:
                info = zipfile.ZipInfo('handler.py', (2020, 1, 1, 0, 0, 0))
                z.writestr(info, 'def handler(event, context):\\n    request = event["Records"][0]["cf"]["request"]\\n    %s\\n' % sys.argv[2])
            """
        try directory.write("make_zip.py", script)
        let result = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "make_zip.py", name, body], in: directory.url)
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    /// site -> distribution -> trigger; `trigger` adds lines under the trigger's `with:`, `more` adds steps.
    func edgeWorkflow(trigger: String = "", more: String = "", header: String = "") -> String {
        """
        name: ops
        \(header)steps:
          - id: site
            uses: upload-site
            with:
              source: site
              bucket: ldedge-ops-site
          - id: cdn
            uses: edge-distribution
            with:
              bucket: ${steps.site.outputs.bucket}
              pollInterval: 0.1
          - id: edge
            uses: attach-trigger
            with:
              zip: handler.zip
              functionName: \(functionName)
              distribution: ${steps.cdn.outputs.id}
              pollInterval: 0.1
              replicaWait: 30\(trigger)
        \(more)
        """
    }

    /// Deploys `yaml` (the edge workflow by default) and returns the recorded state.
    @discardableResult
    func deploy(_ yaml: String? = nil, extra: [String: String] = [:]) async throws -> WorkflowState {
        try directory.write("site/index.html", "<h1>old</h1>")
        try directory.write("site/beta/index.html", "<h1>new</h1>")
        if !directory.exists("handler.zip") { try writeZip() }
        _ = try await engine(extra).deploy(try load(yaml ?? edgeWorkflow(), extra: extra))
        return try StateStore(root: directory.file(".ldedge"), workflow: "ops").load()
    }

    /// Runs the real binary in the test folder.
    @discardableResult
    func ldedge(_ arguments: [String], extra: [String: String] = [:]) throws -> ProcessResult {
        try runProcess(try ldedgeBinary(), arguments, in: directory.url, environment: environment.merging(extra) { _, new in new })
    }

    /// Writes `messages` (timestamp in ms, text) into one stream of `group` in `region`, creating both when needed.
    func putLogs(region: String, group: String, stream: String = "2026/12/01/[1]abcdef", _ events: [(Int64, String)]) async throws {
        let logs = emulator.client(region: region).logs
        if try await !logs.describeLogGroups(prefix: group).contains(where: { $0.logGroupName == group }) {
            try await logs.createLogGroup(name: group)
        }
        do {
            try await logs.createLogStream(group: group, stream: stream)
        } catch let error as AWSError where error.code == "ResourceAlreadyExistsException" {}
        for chunk in stride(from: 0, to: events.count, by: 1000) {
            let slice = events[chunk..<min(chunk + 1000, events.count)].map { (timestamp: $0.0, message: $0.1) }
            try await logs.putLogEvents(group: group, stream: stream, events: slice)
        }
    }

    static func nowMilliseconds(offset: TimeInterval = 0) -> Int64 {
        Int64((Date().timeIntervalSince1970 + offset) * 1000)
    }

    /// Waits until `condition` holds or `timeout` passes.
    func eventually(_ timeout: TimeInterval, _ condition: () -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        return condition()
    }
}
