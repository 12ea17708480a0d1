import AWS
import Foundation
import LDEdgeCore
import LDEdgeTestSupport
import LDSandbox
import XCTest

/// workflows/rebrand.yaml from two fresh clones sharing S3 state, as a team and its CI runners use
/// it: the real `ldedge` binary, the patched moto emulator and `ldedge sandbox`. Nothing a later run
/// needs may live only in the `.ldedge/` of the machine that ran.
final class SharedStateRebrandTests: XCTestCase {
    var emulator: AWSEmulator!
    var sandbox: SandboxServer!
    var binary: URL!
    var clones: [TemporaryDirectory] = []
    var stateBucket = ""

    override func setUp() async throws {
        binary = try ldedgeBinary()
        emulator = try await AWSEmulator.start(cloudFrontDeploySeconds: 0.3, lambdaReadySeconds: 0.1, replicaReleaseSeconds: 0.5)
        sandbox = try await LDSandboxFixture.start()
        stateBucket = "team-state-\(UUID().uuidString.prefix(6).lowercased())"
        try await s3.createBucket(stateBucket)
        try await s3.enableVersioning(stateBucket)
    }

    override func tearDown() async throws {
        emulator?.stop()
        await sandbox?.stop()
        for clone in clones { clone.remove() }
    }

    var s3: S3Client { emulator.client().s3 }
    var statePrefix: String { "team/rebrand/" }

    /// A fresh checkout of the project (workflows and templates), as a new runner has it.
    func clone(_ name: String) throws -> TemporaryDirectory {
        let folder = try TemporaryDirectory("clone-\(name)")
        for part in ["workflows", "templates"] {
            try FileManager.default.copyItem(at: packageRoot.appendingPathComponent(part), to: folder.file(part))
        }
        clones.append(folder)
        return folder
    }

    var environment: [String: String] {
        var environment = emulator.environment.merging(LDSandboxFixture.sdkEnvironment(for: sandbox)) { _, new in new }
        environment["LDEDGE_POLL_INTERVAL"] = "0.2"
        environment["LDEDGE_STATE"] = "s3://\(stateBucket)/team"
        return environment
    }

    @discardableResult
    func ldedge(_ arguments: [String], in folder: TemporaryDirectory, extra: [String: String] = [:]) throws -> ProcessResult {
        try runProcess(binary, arguments, in: folder.url, environment: environment.merging(extra) { _, new in new })
    }

    func deploy(_ folder: TemporaryDirectory, extra: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) throws -> ProcessResult {
        let result = try ldedge(["deploy", "workflows/rebrand.yaml", "--yes"], in: folder, extra: extra)
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        return result
    }

    func planExit(_ folder: TemporaryDirectory) throws -> (status: Int32, output: String) {
        let result = try ldedge(["plan", "workflows/rebrand.yaml", "--detailed-exitcode"], in: folder)
        return (result.status, result.stdout + result.stderr)
    }

    func teardownUntilDone(_ folder: TemporaryDirectory) throws {
        for attempt in 1...30 {
            let result = try ldedge(["teardown", "workflows/rebrand.yaml", "--yes"], in: folder)
            if result.status == 0 { return }
            XCTAssertEqual(result.status, ExitStatus.teardownPending.rawValue, "teardown attempt \(attempt): \(result.stderr)")
            Thread.sleep(forTimeInterval: 0.5)
        }
        XCTFail("teardown did not finish")
    }

    /// Build work a run did, from its progress lines: renders, dependency installs, zips.
    func buildWork(_ result: ProcessResult) -> [String] {
        result.stderr.split(separator: "\n").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " .")) }.filter {
            $0.hasPrefix("built the ") || $0.contains("installing dependencies") || $0.hasPrefix("zipped ") || $0.hasPrefix("wrote package.zip")
        }
    }

    func siteObject(_ key: String) async throws -> String {
        String(decoding: try await s3.getObject(bucket: "ldedge-rebrand-site", key: key).body, as: UTF8.self)
    }

    func association() async throws -> String? {
        let inventory = try await emulator.inventory()
        let distribution = try XCTUnwrap(inventory.distributions.values.first)
        return distribution.lambdaAssociations.first { $0.eventType == "viewer-request" }?.arn
    }

    /// The journal records of the newest run in the shared state, oldest first.
    func lastRunRecords() async throws -> [JournalRecord] {
        var records: [JournalRecord] = []
        for key in try await s3.listAllObjects(bucket: stateBucket, prefix: statePrefix + "journal/").map(\.key) {
            records.append(try JSONDecoder.iso8601.decode(JournalRecord.self, from: try await s3.getObject(bucket: stateBucket, key: key).body))
        }
        records.sort { $0.seq < $1.seq }
        guard let begin = records.last(where: { $0.type == .runBegin }) else { return [] }
        return records.filter { $0.seq >= begin.seq }
    }

    /// How many records a run writes up to and including the result of its change whose
    /// description starts with `action` (for LDEDGE_CRASH_AFTER_RECORD), from a run that made the
    /// same kind of change.
    func recordsUntilResult(of action: String, in records: [JournalRecord]) throws -> Int {
        func described(_ record: JournalRecord) -> String? {
            if case .intent(_, let description, _) = record.entry { return description }
            return nil
        }
        let intent = try XCTUnwrap(records.first { described($0)?.hasPrefix(action) ?? false }, "no '\(action)' in \(records.compactMap(described))")
        let result = try XCTUnwrap(records.first { record in
            if case .result(_, let seq, _, _) = record.entry { return seq == intent.seq }
            return false
        })
        return result.seq - records[0].seq + 1
    }

    func copies() async throws -> [String] {
        try await s3.listAllObjects(bucket: stateBucket, prefix: statePrefix + "copies/").map(\.key)
    }

    /// After A deploys, a fresh clone B plans "no changes" and deploys without building, installing
    /// or zipping, and without any mutating AWS request outside the state prefix; the same once
    /// A's `.ldedge/` is gone. A site change or a handler template change is a change again, and a
    /// handler change publishes exactly one version.
    func testFreshCloneSeesNoChangesAndBuildsNothing() async throws {
        let a = try clone("a")
        let first = try deploy(a)
        XCTAssertFalse(buildWork(first).isEmpty, "the first deploy builds: \(first.stderr)")

        let b = try clone("b")
        let plan = try planExit(b)
        XCTAssertEqual(plan.status, 0, "a fresh clone's plan sees no changes:\n\(plan.output)")

        try await emulator.clearCalls()
        let started = Date()
        let noChange = try deploy(b)
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(buildWork(noChange), [], "nothing rendered, installed or zipped on the fresh clone:\n\(noChange.stderr)")
        let mutating = try await emulator.mutatingCalls()
        let outside = mutating.filter { !($0.service == "s3" && $0.path.hasPrefix("/\(stateBucket)/")) }
        XCTAssertEqual(outside.map { "\($0.operation) \($0.path)" }, [], "only state objects are written")
        print("fresh-clone no-change deploy: \(String(format: "%.2f", elapsed)) s, \(mutating.count) state objects written")
        let work = b.file(".ldedge/rebrand/work")
        let built = (FileManager.default.enumerator(atPath: work.path)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".zip") || $0.hasSuffix("handler.py") }
        XCTAssertEqual(built, [], "no build output on the fresh clone")

        try FileManager.default.removeItem(at: a.file(".ldedge"))
        XCTAssertEqual(try planExit(a).status, 0, "A without its .ldedge/ sees no changes either")

        // The site changes on B: a change, and no handler build.
        let index = b.file("templates/site/index.html")
        try (try String(contentsOf: index, encoding: .utf8) + "\n<!-- changed on B -->\n").write(to: index, atomically: true, encoding: .utf8)
        XCTAssertEqual(try planExit(b).status, 2)
        try await emulator.clearCalls()
        let siteChange = try deploy(b)
        XCTAssertEqual(buildWork(siteChange), [], siteChange.stderr)
        let changedIndex = try await siteObject("site/index.html")
        XCTAssertTrue(changedIndex.contains("changed on B"))
        let sitePublishes = try await emulator.calls().filter { $0.operation == "PublishVersion" }.count
        XCTAssertEqual(sitePublishes, 0)

        // The handler template changes on B: built, zipped and published once.
        let handler = b.file("templates/handler-python/handler.py")
        XCTAssertTrue(FileManager.default.fileExists(atPath: handler.path), "the Python handler template")
        try (try String(contentsOf: handler, encoding: .utf8) + "\n# changed on B\n").write(to: handler, atomically: true, encoding: .utf8)
        XCTAssertEqual(try planExit(b).status, 2)
        try await emulator.clearCalls()
        let handlerChange = try deploy(b)
        XCTAssertFalse(buildWork(handlerChange).isEmpty, handlerChange.stderr)
        let publishes = try await emulator.calls().filter { $0.operation == "PublishVersion" }.count
        XCTAssertEqual(publishes, 1, "exactly one new version")
        XCTAssertEqual(try planExit(b).status, 0)

        try teardownUntilDone(b)
        let leftCopies = try await copies()
        XCTAssertEqual(leftCopies, [], "no recovery copy is left in the state prefix")
    }

    /// A is killed right after an upload overwrote a site object, and (separately) right after it
    /// published a version and moved the association; its `.ldedge/` is deleted. B force-unlocks and
    /// deploys: the previous bytes and the previous association are back; teardown leaves nothing,
    /// no copy in the state prefix either.
    func testRunKilledMidDeployIsRecoveredByAnotherClone() async throws {
        let a = try clone("a")
        let b = try clone("b")
        _ = try deploy(a)
        let original = try await siteObject("site/index.html")

        // A reference run of the same kind of change, to know where to kill the next one.
        let index = "templates/site/index.html"
        try a.write(index, original + "\n<!-- change 1 -->\n")
        _ = try deploy(a)
        let uploadAt = try recordsUntilResult(of: "upload ", in: try await lastRunRecords())
        let afterChange1 = try await siteObject("site/index.html")

        try a.write(index, original + "\n<!-- change 2 -->\n")
        let killed = try ldedge(["deploy", "workflows/rebrand.yaml", "--yes"], in: a, extra: ["LDEDGE_CRASH_AFTER_RECORD": "\(uploadAt)"])
        XCTAssertTrue(killed.signaled, "A was killed: \(killed.stderr)")
        let overwritten = try await siteObject("site/index.html")
        XCTAssertTrue(overwritten.contains("change 2"), "A died right after the overwrite")
        try FileManager.default.removeItem(at: a.file(".ldedge"))

        try b.write(index, original + "\n<!-- change 1 -->\n")
        try await recover(in: b)
        let restored = try await siteObject("site/index.html")
        XCTAssertEqual(restored, afterChange1, "B put back the bytes from before the killed upload")

        // The same for a handler change: published, association moved, then killed. A's site is
        // what B deployed, so the killed run changes only the handler.
        try a.write(index, original + "\n<!-- change 1 -->\n")
        let handler = "templates/handler-python/handler.py"
        let handlerSource = try String(contentsOf: a.file(handler), encoding: .utf8)
        try a.write(handler, handlerSource + "\n# change 1\n")
        try b.write(handler, handlerSource + "\n# change 1\n")
        _ = try deploy(b)
        let associationAt = try recordsUntilResult(of: "point viewer-request", in: try await lastRunRecords())
        let associated = try await association()
        try a.write(handler, handlerSource + "\n# change 2\n")
        let killedAgain = try ldedge(["deploy", "workflows/rebrand.yaml", "--yes"], in: a, extra: ["LDEDGE_CRASH_AFTER_RECORD": "\(associationAt)"])
        XCTAssertTrue(killedAgain.signaled, "A was killed: \(killedAgain.stderr)")
        let moved = try await association()
        XCTAssertNotEqual(moved, associated, "A died after moving the association")
        try FileManager.default.removeItem(at: a.file(".ldedge"))

        try await recover(in: b)
        let restoredAssociation = try await association()
        XCTAssertEqual(restoredAssociation, associated, "B restored the previous association")
        let functions = try await emulator.inventory().functions
        let function = try XCTUnwrap(functions["rebrand-viewer-request"])
        XCTAssertEqual(function.versions.filter { $0 != "$LATEST" }.count, 2, "the killed run's version was deleted: \(function.versions)")
        XCTAssertEqual(try planExit(b).status, 0)

        try teardownUntilDone(b)
        let leftCopies = try await copies()
        XCTAssertEqual(leftCopies, [], "no recovery copy is left in the state prefix")
        let left = try await emulator.inventory()
        XCTAssertTrue(left.functions.isEmpty && left.distributions.isEmpty, "nothing left: \(left.functions.keys) \(left.distributions.keys)")
    }

    /// B unlocks the dead run's lock (exit 4 first, naming the command) and deploys.
    func recover(in folder: TemporaryDirectory) async throws {
        let refused = try ldedge(["deploy", "workflows/rebrand.yaml", "--yes"], in: folder)
        XCTAssertEqual(refused.status, 4, refused.stderr)
        let lock = try JSONDecoder().decode(LockHolder.self, from: try await s3.getObject(bucket: stateBucket, key: statePrefix + "lock.json").body)
        let unlocked = try ldedge(["state", "unlock", "workflows/rebrand.yaml", "--force", lock.runId], in: folder)
        XCTAssertEqual(unlocked.status, 0, unlocked.stderr)
        let recovered = try ldedge(["deploy", "workflows/rebrand.yaml", "--yes"], in: folder)
        XCTAssertEqual(recovered.status, 0, recovered.stderr)
    }

    /// A lock object that is not an ldedge lock: exit 4, what it holds, and the command that removes it.
    func testUnreadableLockObjectIsLockedWithTheCommandToRemoveIt() async throws {
        let a = try clone("a")
        _ = try await s3.putObject(bucket: stateBucket, key: statePrefix + "lock.json", body: Data("not a lock".utf8))
        let refused = try ldedge(["plan", "workflows/rebrand.yaml"], in: a)
        let deploy = try ldedge(["deploy", "workflows/rebrand.yaml", "--yes"], in: a)
        XCTAssertEqual(deploy.status, 4, deploy.stderr)
        XCTAssertTrue(deploy.stderr.contains("s3://\(stateBucket)/\(statePrefix)lock.json") && deploy.stderr.contains("not a lock"), deploy.stderr)
        let command = try XCTUnwrap(deploy.stderr.range(of: "ldedge state unlock rebrand --force ").map { deploy.stderr[$0.upperBound...].prefix { !$0.isWhitespace } })
        XCTAssertEqual(try ldedge(["state", "unlock", "workflows/rebrand.yaml", "--force", String(command)], in: a).status, 0)
        let lockLeft = try await s3.objectMetadataIfPresent(bucket: stateBucket, key: statePrefix + "lock.json")
        XCTAssertNil(lockLeft)
        XCTAssertNotEqual(refused.status, 1, "plan does not call it damage: \(refused.stderr)")
    }
}
