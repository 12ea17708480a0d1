import Foundation
import Git
import LDEdgeTestSupport
import XCTest

final class RepositoryTests: XCTestCase {
    let git = URL(fileURLWithPath: "/usr/bin/git")
    let identity = ["GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"]

    func makeRepository() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory("git")
        try runProcess(git, ["init", "-q", "-b", "trunk"], in: directory.url)
        try directory.write("site/index.html", "v1")
        try runProcess(git, ["add", "."], in: directory.url)
        try runProcess(git, ["commit", "-q", "-m", "one"], in: directory.url, environment: identity)
        try runProcess(git, ["tag", "v1"], in: directory.url)
        try directory.write("site/index.html", "v2")
        try runProcess(git, ["commit", "-q", "-am", "two"], in: directory.url, environment: identity)
        return directory
    }

    func gitOutput(_ arguments: [String], _ directory: TemporaryDirectory) throws -> String {
        try runProcess(git, arguments, in: directory.url).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testStatusMatchesGit() throws {
        let directory = try makeRepository()
        defer { directory.remove() }
        try FileManager.default.createDirectory(at: directory.file("site/sub"), withIntermediateDirectories: true)
        let repository = try XCTUnwrap(try Repository.discover(at: directory.file("site/sub").path))
        XCTAssertEqual(repository.headCommit, try gitOutput(["rev-parse", "HEAD"], directory))
        XCTAssertEqual(repository.branch, "trunk")
        XCTAssertEqual(try repository.changedPaths(), [])
        try directory.write("site/index.html", "v3")
        try directory.write("new.txt", "x")
        try directory.write(".ldedge/rebrand/state.json", "{}")
        XCTAssertEqual(try repository.changedPaths(excluding: [".ldedge"]), ["new.txt", "site/index.html"])
    }

    func testOutsideARepositoryIsNil() throws {
        let directory = try TemporaryDirectory("nogit")
        defer { directory.remove() }
        XCTAssertNil(try Repository.discover(at: directory.path))
    }

    func testCloneAndCheckoutATag() throws {
        let source = try makeRepository()
        defer { source.remove() }
        let target = try TemporaryDirectory("clone")
        defer { target.remove() }
        let clone = try Repository.clone(source.path, to: target.file("checkout").path)
        let tagged = try clone.resolve("v1")
        XCTAssertEqual(tagged, try gitOutput(["rev-parse", "v1^{commit}"], source))
        try clone.checkout(commit: tagged)
        XCTAssertEqual(target.read("checkout/site/index.html"), "v1")
        XCTAssertNil(clone.branch, "detached HEAD")
        XCTAssertThrowsError(try clone.resolve("no-such-ref")) { error in
            XCTAssertTrue("\(error)".contains("no-such-ref"))
        }
    }
}
