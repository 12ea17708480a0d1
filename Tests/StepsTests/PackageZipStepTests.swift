import Crypto
import Foundation
import LDEdgeCore
import LDEdgeTestSupport
import PackageZipStep
import RunStep
import Synchronization
import XCTest

final class PackageZipStepTests: XCTestCase {
    var scratch: URL!
    let registry = StepRegistry([StepKind(RunStep.self), StepKind(PackageZipStep.self)])

    override func setUpWithError() throws {
        scratch = try HandlerFixtures.scratchDirectory("package-zip")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    func workflow(source: String, extra: String = "", name: String = "pkg") throws -> Workflow {
        let text = """
            name: \(name)
            steps:
              - id: package
                uses: package-zip
                with:
                  source: \(source)
            \(extra)
            """
        let file = scratch.appendingPathComponent("\(name).yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return try WorkflowLoader(registry: registry, environment: [:]).load(path: file.path)
    }

    func engine(_ stateFolder: String = "state") -> Engine {
        Engine(registry: registry, options: EngineOptions(stateRoot: scratch.appendingPathComponent(stateFolder), environment: [:]))
    }

    func writeFiles(_ root: URL, _ files: [String: Data], mtime: Date = Date()) throws {
        for (path, data) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
            try FileManager.default.setAttributes([.modificationDate: mtime], ofItemAtPath: url.path)
        }
    }

    /// Issue 14: the zip is built once per deploy (the plan, the re-plan before apply and the
    /// apply share it) and not at all on a no-change redeploy, even from a new process.
    func testOneZipPerDeployAndNoneOnANoChangeRedeploy() async throws {
        let build = scratch.appendingPathComponent("build")
        try writeFiles(build, ["handler.py": Data("def handler(e, c):\n    return e\n".utf8), "lib/util.py": Data(repeating: 0x41, count: 50_000)])
        let workflow = try workflow(source: build.path, name: "once")
        let messages = ProgressMessages()
        func deploy() async throws -> DeployReport {
            let engine = Engine(registry: registry, options: EngineOptions(stateRoot: scratch.appendingPathComponent("state"), environment: [:]), reporter: messages)
            return try await engine.deploy(workflow)
        }

        let first = try await deploy()
        XCTAssertEqual(first.applied, ["package"])
        XCTAssertEqual(messages.take().filter { $0.hasPrefix("zipped ") }.count, 1, "one zip for the plan, the re-plan and the apply")
        let zip = try XCTUnwrap(first.outputs["package"]?["zip"])
        XCTAssertEqual(first.outputs["package"]?["sha256"], Data(SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: zip)))).base64EncodedString())

        let again = try await deploy()
        XCTAssertEqual(again.unchanged, ["package"])
        XCTAssertEqual(messages.take().filter { $0.hasPrefix("zipped ") }, [], "a no-change redeploy does no zip work")
        XCTAssertEqual(again.outputs["package"], first.outputs["package"])

        // Same bytes again but a new modification time: still nothing to zip (content-addressed).
        try writeFiles(build, ["handler.py": Data("def handler(e, c):\n    return e\n".utf8)], mtime: Date().addingTimeInterval(3600))
        _ = try await deploy()
        XCTAssertEqual(messages.take().filter { $0.hasPrefix("zipped ") }, [])

        try writeFiles(build, ["handler.py": Data("def handler(e, c):\n    return None\n".utf8)])
        let changed = try await deploy()
        XCTAssertEqual(changed.applied, ["package"])
        XCTAssertEqual(messages.take().filter { $0.hasPrefix("zipped ") }.count, 1)
        XCTAssertEqual(changed.outputs["package"]?["sha256"], Data(SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: zip)))).base64EncodedString())
        XCTAssertNotEqual(changed.outputs["package"]?["sha256"], first.outputs["package"]?["sha256"])

        // A zip without its inputs record (written by an older ldedge): one zip to check it is the
        // same, which fills the record; then no zip work again.
        try FileManager.default.removeItem(atPath: zip + ".inputs")
        let unrecorded = try await deploy()
        XCTAssertEqual(unrecorded.unchanged, ["package"])
        // (In this process the bytes built earlier from the same inputs are reused; a new
        // process zips once here.)
        XCTAssertLessThanOrEqual(messages.take().filter { $0.hasPrefix("zipped ") }.count, 1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: zip + ".inputs"))
        _ = try await deploy()
        XCTAssertEqual(messages.take().filter { $0.hasPrefix("zipped ") }, [])

        // A zip removed by hand is built again, not trusted from its inputs record.
        try FileManager.default.removeItem(atPath: zip)
        let rebuilt = try await deploy()
        XCTAssertEqual(rebuilt.applied, ["package"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: zip))
    }

    func testPackagesOnceThenPlansNoChangeWithOutputsKnownAtPlanTime() async throws {
        let site = scratch.appendingPathComponent("build")
        try writeFiles(site, ["handler.py": Data("def handler(e, c):\n    return e\n".utf8), ".env": Data("SECRET=1".utf8), "__pycache__/x.pyc": Data([1, 2])])
        let workflow = try workflow(source: site.path)
        let engine = engine()
        let report = try await engine.deploy(workflow)
        XCTAssertEqual(report.applied, ["package"])
        let outputs = try XCTUnwrap(report.outputs["package"])
        let zip = try XCTUnwrap(outputs["zip"])
        let data = try Data(contentsOf: URL(fileURLWithPath: zip))
        XCTAssertEqual(outputs["sha256"], Data(SHA256.hash(data: data)).base64EncodedString(), "CodeSha256 form: base64 of the SHA-256")
        XCTAssertEqual(outputs["size"], String(data.count))
        XCTAssertEqual(try HandlerFixtures.run("unzip", ["-Z1", zip]).output.split(separator: "\n"), ["handler.py"], "default excludes drop .env and bytecode")

        let plan = try await engine.plan(workflow)
        let step = try XCTUnwrap(plan.steps.first?.plan)
        XCTAssertFalse(step.hasChanges)
        XCTAssertEqual(step.outputs, outputs)
        let again = try await engine.deploy(workflow)
        XCTAssertEqual(again.unchanged, ["package"])

        try writeFiles(site, ["handler.py": Data("def handler(e, c):\n    return None\n".utf8)])
        let changed = try await engine.plan(workflow)
        let change = try XCTUnwrap(changed.steps.first?.plan?.changes.first)
        XCTAssertEqual(change.action, .update)
        XCTAssertEqual(change.before, outputs["sha256"])
        XCTAssertNotEqual(change.after, outputs["sha256"])
    }

    func testSameContentInDifferentFoldersWithDifferentMtimesGivesTheSameSha256() async throws {
        let files: [String: Data] = [
            "handler.py": Data("print('hi')\n".utf8),
            "lib/a.py": Data(String(repeating: "a = 1\n", count: 500).utf8),
            "lib/b/c.json": Data("{}".utf8),
        ]
        let first = scratch.appendingPathComponent("one/build")
        let second = scratch.appendingPathComponent("two/elsewhere/build")
        try writeFiles(first, files, mtime: Date(timeIntervalSince1970: 0))
        try writeFiles(second, files, mtime: Date())
        let a = try await engine("state-a").deploy(try workflow(source: first.path, name: "one"))
        let b = try await engine("state-b").deploy(try workflow(source: second.path, name: "two"))
        XCTAssertEqual(a.outputs["package"]?["sha256"], b.outputs["package"]?["sha256"])
        XCTAssertEqual(try HandlerFixtures.run("unzip", ["-tq", a.outputs["package"]?["zip"] ?? ""]).status, 0)
    }

    func testOverTheViewerLimitIsAPlanErrorListingTheTenLargestEntries() async throws {
        let site = scratch.appendingPathComponent("big")
        var generator = SystemRandomNumberGenerator()
        var files: [String: Data] = [:]
        for index in 0..<12 {
            files["blob\(index).bin"] = Data((0..<(100_000 + index * 1000)).map { _ in UInt8.random(in: 0...255, using: &generator) })
        }
        try writeFiles(site, files)
        let workflow = try workflow(source: site.path)
        let plan = try await engine().plan(workflow)
        let findings = plan.allFindings.filter { $0.severity == .error }
        XCTAssertEqual(findings.count, 1)
        let message = try XCTUnwrap(findings.first).description
        XCTAssertTrue(message.contains("over the 1.0 MB limit for viewer-request"), message)
        XCTAssertTrue(message.contains("blob11.bin"), message)
        XCTAssertFalse(message.contains("blob0.bin"), "only the ten largest: \(message)")
        XCTAssertTrue(message.contains("pkg.yaml:"), "located in the workflow file: \(message)")
        do {
            _ = try await engine().deploy(workflow)
            XCTFail("deploy must refuse a package over the limit")
        } catch let error as EngineError {
            guard case .planHasErrors = error else { return XCTFail("\(error)") }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("state/pkg/work/package/package.zip").path))

        let origin = try self.workflow(source: site.path, extra: "      eventType: origin-request", name: "origin")
        let report = try await engine().deploy(origin)
        XCTAssertGreaterThan(Int(report.outputs["package"]?["size"] ?? "0") ?? 0, 1 << 20)
    }

    func testSymlinkOutsideTheFolderIsRefusedAtPlanTime() async throws {
        let site = scratch.appendingPathComponent("linked")
        try writeFiles(site, ["handler.py": Data("x".utf8)])
        let outside = scratch.appendingPathComponent("credentials")
        try Data("secret".utf8).write(to: outside)
        try FileManager.default.createSymbolicLink(atPath: site.appendingPathComponent("creds").path, withDestinationPath: outside.path)
        let plan = try await engine().plan(try workflow(source: site.path))
        let message = plan.allFindings.map(\.description).joined(separator: "\n")
        XCTAssertTrue(message.contains("points outside the folder"), message)
    }

    func testCompressionLevelIsValidatedWithItsLocation() throws {
        let file = scratch.appendingPathComponent("bad.yaml")
        try """
            name: bad
            steps:
              - id: package
                uses: package-zip
                with:
                  source: /tmp
                  compressionLevel: 12
            """.write(to: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try WorkflowLoader(registry: registry, environment: [:]).load(path: file.path)) { error in
            XCTAssertTrue("\(error)".contains("bad.yaml:7:"), "\(error)")
            XCTAssertTrue("\(error)".contains("between 0"), "\(error)")
        }
    }
}

/// Collects the engine's progress messages.
final class ProgressMessages: Reporter, Sendable {
    private let messages = Mutex<[String]>([])

    func report(_ event: EngineEvent) {
        if case .progress(_, let message) = event { messages.withLock { $0.append(message) } }
    }

    /// The messages so far, and forgets them.
    func take() -> [String] {
        messages.withLock { messages in
            defer { messages = [] }
            return messages
        }
    }
}
