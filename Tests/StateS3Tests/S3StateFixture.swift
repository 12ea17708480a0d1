import AWS
import Foundation
import LDEdgeCore
import LDEdgeTestSupport
import XCTest

/// Shared set-up for the S3 state tests: the real `ldedge` binary against the AWS emulator, with
/// a state bucket per test and "world" marker files in a folder every working directory shares
/// (standing in for cloud resources both machines see).
class S3StateTestCase: XCTestCase {
    var emulator: AWSEmulator!
    var binary: URL!
    var world: TemporaryDirectory!
    var folders: [TemporaryDirectory] = []
    var bucket = ""

    override func setUp() async throws {
        emulator = try await AWSEmulator.shared()
        binary = try ldedgeBinary()
        world = try TemporaryDirectory("state-world")
        bucket = "state-\(UUID().uuidString.prefix(8).lowercased())"
        try await s3.createBucket(bucket)
        try await s3.enableVersioning(bucket)
    }

    override func tearDown() {
        world.remove()
        for folder in folders { folder.remove() }
    }

    var s3: S3Client { emulator.client().s3 }

    func folder(_ name: String) throws -> TemporaryDirectory {
        let folder = try TemporaryDirectory(name)
        folders.append(folder)
        return folder
    }

    /// A workflow of three `run` steps that create and undo markers in the shared world folder.
    func markersWorkflow(name: String = "markers", state: String?, slow: Bool = false) -> String {
        let w = world.path
        return """
            name: \(name)
            \(state.map { "state: \($0)" } ?? "")
            steps:
              - id: one
                uses: run
                with: {run: "echo one >> \(w)/m1", undo: "rm -f \(w)/m1"}
              - id: two
                uses: run
                with: {run: "\(slow ? "sleep 3; " : "")echo two >> \(w)/m2", undo: "rm -f \(w)/m2"}
              - id: three
                uses: run
                with: {run: "echo three >> \(w)/m3", undo: "rm -f \(w)/m3"}
            """
    }

    var markers: [String] { ["m1", "m2", "m3"].filter { world.exists($0) } }

    @discardableResult
    func ldedge(_ arguments: [String], in folder: TemporaryDirectory, environment: [String: String] = [:]) throws -> ProcessResult {
        try runProcess(binary, arguments, in: folder.url, environment: emulator.environment.merging(environment) { _, new in new })
    }

    func start(_ arguments: [String], in folder: TemporaryDirectory, environment: [String: String] = [:]) throws -> RunningProcess {
        try startProcess(binary, arguments, in: folder.url, environment: emulator.environment.merging(environment) { _, new in new })
    }

    /// Every key in the state bucket.
    func keys(_ prefix: String = "") async throws -> [String] {
        try await s3.listAllObjects(bucket: bucket, prefix: prefix).map(\.key).sorted()
    }

    func lock(_ key: String) async throws -> LockHolder? {
        guard try await s3.objectMetadataIfPresent(bucket: bucket, key: key) != nil else { return nil }
        return try JSONDecoder().decode(LockHolder.self, from: try await s3.getObject(bucket: bucket, key: key).body)
    }
}
