import AWS
import Foundation
import LDEdgeCore
import LDEdgeTestSupport
import Synchronization
import XCTest

/// upload-site on its own: what is uploaded, what is refused, adopted buckets, git sources.
final class UploadSiteTests: AWSStepsTestCase {
    func siteWorkflow(_ with: String) -> String {
        "name: site\nsteps:\n  - id: site\n    uses: upload-site\n    with:\n" + with.split(separator: "\n").map { "      \($0)" }.joined(separator: "\n") + "\n"
    }

    func testSkipsGitAndEnvFilesAndSetsContentTypes() async throws {
        try writeSite()
        try directory.write("site/.git/config", "[core]")
        try directory.write("site/.env", "SECRET=1")
        try directory.write("site/.env.production", "SECRET=2")
        try directory.write("site/app.js", "console.log(1)")
        try directory.write("site/data.json", "{}")
        try directory.write("site/logo.svg", "<svg/>")
        try directory.write("site/font.woff2", "x")
        try directory.write("site/unknown.bin2", "x")
        let report = try await engine().deploy(try load(siteWorkflow("source: site\nbucket: plain-site\ncacheControl: max-age=60")))
        XCTAssertEqual(report.outputs["site"]?["regionalDomainName"], "plain-site.s3.us-east-1.amazonaws.com")
        let inventory = try await emulator.inventory()
        let objects = try XCTUnwrap(inventory.buckets["plain-site"]?.objects)
        XCTAssertEqual(Set(objects.keys), ["index.html", "beta/index.html", "style.css", "app.js", "data.json", "logo.svg", "font.woff2", "unknown.bin2"])
        XCTAssertEqual(objects["app.js"]?.contentType, "text/javascript; charset=utf-8")
        XCTAssertEqual(objects["data.json"]?.contentType, "application/json")
        XCTAssertEqual(objects["logo.svg"]?.contentType, "image/svg+xml")
        XCTAssertEqual(objects["font.woff2"]?.contentType, "font/woff2")
        XCTAssertEqual(objects["unknown.bin2"]?.contentType, "application/octet-stream")
        let metadata = try await emulator.client().s3.headObject(bucket: "plain-site", key: "index.html")
        XCTAssertEqual(metadata.cacheControl, "max-age=60")
    }

    func testALargerSyncReportsHowFarItHasGotEndingWithEveryFile() async throws {
        try writeSite(extra: 30)
        let transfers = Transfers()
        let options = EngineOptions(stateRoot: directory.file(".ldedge"), environment: environment)
        let engine = Engine(registry: Self.registry, options: options, reporter: transfers)
        _ = try await engine.deploy(try load(siteWorkflow("source: site\nbucket: plain-site")))
        let seen = transfers.seen.withLock { $0 }
        let last = try XCTUnwrap(seen.last)
        XCTAssertEqual(last.done, 33)
        XCTAssertEqual(last.total, 33)
        XCTAssertTrue(last.detail.hasPrefix("33/33 files, "), last.detail)
        XCTAssertTrue(seen.allSatisfy { $0.total == 33 && $0.done <= 33 }, "\(seen)")
    }

    func testRefusesSymlinksLeavingTheFolderBeforeAnyChange() async throws {
        try writeSite()
        try directory.write("secret.txt", "do not upload")
        try FileManager.default.createSymbolicLink(atPath: directory.file("site/leak.txt").path, withDestinationPath: directory.file("secret.txt").path)
        do {
            _ = try await engine().deploy(try load(siteWorkflow("source: site\nbucket: plain-site")))
            XCTFail("a link out of the folder must be refused")
        } catch let error as EngineError {
            XCTAssertTrue("\(error)".contains("leak.txt is a symbolic link"), "\(error)")
        }
        let calls1 = try await emulator.mutatingCalls()
        XCTAssertEqual(calls1, [])
    }

    func testAdoptedBucketTeardownRemovesOnlyWhatItUploadedAndRestoresTheRest() async throws {
        let s3 = emulator.client().s3
        try await s3.createBucket("shared-bucket")
        try await s3.putObject(bucket: "shared-bucket", key: "index.html", body: Data("original".utf8), options: S3PutObjectOptions(contentType: "text/html"))
        try await s3.putObject(bucket: "shared-bucket", key: "other/file.txt", body: Data("someone else's".utf8))
        let before = try await emulator.inventory()
        try writeSite()
        _ = try await engine().deploy(try load(siteWorkflow("source: site\nbucket: shared-bucket")))
        let (body, _) = try await s3.getObject(bucket: "shared-bucket", key: "index.html")
        XCTAssertEqual(String(decoding: body, as: UTF8.self), "<h1>old site v1</h1>")
        try writeSite(marker: "v2")
        _ = try await engine().deploy(try load(siteWorkflow("source: site\nbucket: shared-bucket")))
        _ = try await engine().teardown(workflow: "site")
        let world2 = try await emulator.inventory()
        XCTAssertEqual(world2, before)
        let (restored, _) = try await s3.getObject(bucket: "shared-bucket", key: "index.html")
        XCTAssertEqual(String(decoding: restored, as: UTF8.self), "original")
    }

    func testDeleteRemovesObjectsThatNoLongerExistLocally() async throws {
        try writeSite(extra: 2)
        _ = try await engine().deploy(try load(siteWorkflow("source: site\nbucket: plain-site\ndelete: true")))
        try FileManager.default.removeItem(at: directory.file("site/pages"))
        let report = try await engine().deploy(try load(siteWorkflow("source: site\nbucket: plain-site\ndelete: true")))
        XCTAssertEqual(report.applied, ["site"])
        let objects = try await emulator.inventory().buckets["plain-site"]?.objects.keys.sorted()
        XCTAssertEqual(objects, ["beta/index.html", "index.html", "style.css"])
    }

    func testGitSourceUploadsTheFolderAtTheRefAndRecordsTheCommit() async throws {
        let repository = directory.file("repo")
        try directory.write("repo/site/index.html", "<h1>tagged</h1>")
        func git(_ arguments: String...) throws -> String {
            let result = try runProcess(URL(fileURLWithPath: "/usr/bin/git"), ["-c", "user.name=t", "-c", "user.email=t@example.com"] + arguments,
                                        in: repository)
            XCTAssertEqual(result.status, 0, result.stderr)
            return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        _ = try git("init", "-q")
        _ = try git("add", ".")
        _ = try git("commit", "-q", "-m", "v1")
        _ = try git("tag", "v1")
        let tagged = try git("rev-parse", "HEAD")
        try directory.write("repo/site/index.html", "<h1>later</h1>")
        _ = try git("commit", "-q", "-am", "v2")
        let report = try await engine().deploy(try load(siteWorkflow("source:\n  git: repo\n  ref: v1\n  path: site\nbucket: git-site")))
        XCTAssertEqual(report.outputs["site"]?["commit"], tagged)
        XCTAssertEqual(try state("site").steps["site"]?.memory["commit"], .string(tagged))
        let (body, _) = try await emulator.client().s3.getObject(bucket: "git-site", key: "index.html")
        XCTAssertEqual(String(decoding: body, as: UTF8.self), "<h1>tagged</h1>")
    }

    func testInvalidatesChangedPathsOnTheDistribution() async throws {
        try writeSite()
        try writeZip()
        let first = try await engine().deploy(try load(rolloutWorkflow()))
        let distribution = try XCTUnwrap(first.outputs["cdn"]?["id"])
        try directory.write("site/beta/index.html", "<h1>v2</h1>")
        try await emulator.clearCalls()
        _ = try await engine().deploy(try load(rolloutWorkflow(extraSite: "\n      distribution: \(distribution)")))
        let operations = try await emulator.mutatingCalls().map(\.operation)
        XCTAssertEqual(operations.sorted(), ["CreateInvalidation", "PutObject"])
    }
}

/// Collects `EngineEvent.transfer`: how far an upload has got.
final class Transfers: Reporter, Sendable {
    let seen = Mutex<[(done: Int, total: Int, detail: String)]>([])

    func report(_ event: EngineEvent) {
        if case .transfer(_, let done, let total, let detail) = event { seen.withLock { $0.append((done, total, detail)) } }
    }
}
