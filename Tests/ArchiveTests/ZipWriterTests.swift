import Archive
import Foundation
import XCTest

final class ZipWriterTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("ldedge-archive-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    /// Writes a small handler-like tree; `mtime` and `mode` vary between copies on purpose.
    func makeTree(_ name: String, mtime: Date, mode: Int) throws -> String {
        let root = scratch.appendingPathComponent(name)
        let files: [String: String] = [
            "handler.py": "def handler(event, context):\n    return event\n",
            "ldedge_config.json": "{\"flag\": \"rebrand\"}\n",
            "pkg/__init__.py": "",
            "pkg/module.py": String(repeating: "x = 1\n", count: 2000),
            "pkg/__pycache__/module.cpython-311.pyc": "bytecode",
            ".git/HEAD": "ref: refs/heads/main\n",
            ".env.local": "SECRET=1\n",
            "bin/tool": "#!/bin/sh\necho hi\n",
            "é-unicode.txt": "accent\n",
        ]
        for (path, text) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
            try FileManager.default.setAttributes([.modificationDate: mtime, .posixPermissions: mode], ofItemAtPath: url.path)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root.appendingPathComponent("bin/tool").path)
        return root.path
    }

    func testSameFilesGiveIdenticalBytesRegardlessOfFolderMtimeModeAndThreads() throws {
        let first = try makeTree("a", mtime: Date(timeIntervalSince1970: 1_000_000), mode: 0o600)
        let second = try makeTree("elsewhere/b", mtime: Date(), mode: 0o664)
        let (one, _) = try ZipWriter(threads: 1).zip(directory: first)
        let (two, _) = try ZipWriter(threads: 4).zip(directory: second)
        XCTAssertEqual(one, two)
        XCTAssertFalse(one.isEmpty)
    }

    func testDefaultExcludesAndSortedEntriesWithoutExtraFields() throws {
        let root = try makeTree("t", mtime: Date(), mode: 0o644)
        let zip = scratch.appendingPathComponent("t.zip").path
        let output = try FileZipOutput(path: zip)
        let summary = try ZipWriter().write(try FileTree.scan(root), to: output)
        try output.finish()
        let names = summary.entries.map(\.path)
        XCTAssertEqual(names, ["bin/tool", "handler.py", "ldedge_config.json", "pkg/__init__.py", "pkg/module.py", "é-unicode.txt"])
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: zip)))
        XCTAssertEqual(summary.size, bytes.count)
        // Walk the local headers: no extra fields, no data descriptors, the zip epoch as date.
        var offset = 0
        for name in names {
            XCTAssertEqual(Array(bytes[offset..<offset + 4]), [0x50, 0x4B, 0x03, 0x04], name)
            let flags = Int(bytes[offset + 6]) | Int(bytes[offset + 7]) << 8
            XCTAssertEqual(flags & 0x0008, 0, "no data descriptor for \(name)")
            XCTAssertEqual(Int(bytes[offset + 12]) | Int(bytes[offset + 13]) << 8, 0x21, "DOS date 1980-01-01 for \(name)")
            let csize = Int(bytes[offset + 18]) | Int(bytes[offset + 19]) << 8 | Int(bytes[offset + 20]) << 16 | Int(bytes[offset + 21]) << 24
            let nameLength = Int(bytes[offset + 26]) | Int(bytes[offset + 27]) << 8
            let extraLength = Int(bytes[offset + 28]) | Int(bytes[offset + 29]) << 8
            XCTAssertEqual(extraLength, 0, "no extra field for \(name)")
            XCTAssertEqual(String(decoding: bytes[offset + 30..<offset + 30 + nameLength], as: UTF8.self), name)
            offset += 30 + nameLength + csize
        }
        XCTAssertEqual(Array(bytes[offset..<offset + 4]), [0x50, 0x4B, 0x01, 0x02], "central directory follows the last member")

        let test = try run("/usr/bin/unzip", ["-t", zip])
        XCTAssertEqual(test.status, 0, test.output)
        XCTAssertTrue(test.output.contains("No errors detected"), test.output)
        let listing = try run("/usr/bin/zipinfo", [zip])
        XCTAssertTrue(listing.output.contains("-rwxr-xr-x"), listing.output)
        XCTAssertTrue(listing.output.contains("-rw-r--r--"), listing.output)
        XCTAssertTrue(listing.output.contains("80-Jan-01 00:00"), listing.output)
    }

    func testRoundTripThroughExtract() throws {
        let root = try makeTree("r", mtime: Date(), mode: 0o644)
        let zip = scratch.appendingPathComponent("r.zip").path
        let output = try FileZipOutput(path: zip)
        _ = try ZipWriter().write(try FileTree.scan(root), to: output)
        try output.finish()
        let destination = scratch.appendingPathComponent("out").path
        try ZipReader.extract(zip, to: destination)
        XCTAssertEqual(try String(contentsOfFile: destination + "/pkg/module.py", encoding: .utf8), String(repeating: "x = 1\n", count: 2000))
        XCTAssertEqual(try String(contentsOfFile: destination + "/pkg/__init__.py", encoding: .utf8), "")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: destination + "/bin/tool"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: destination + "/.git/HEAD"))
        let entries = try ZipReader.entries(of: zip)
        XCTAssertEqual(entries.first { $0.path == "pkg/module.py" }?.size, 12000)
    }

    func testIncompressibleDataIsStored() throws {
        let root = scratch.appendingPathComponent("random")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        var generator = SystemRandomNumberGenerator()
        let random = (0..<50_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try Data(random).write(to: root.appendingPathComponent("blob.bin"))
        let (data, summary) = try ZipWriter().zip(directory: root.path)
        XCTAssertEqual(summary.entries.first?.compressedSize, 50_000)
        XCTAssertEqual(data[data.startIndex + 8], 0, "method 0 (stored)")
    }

    func testSymlinkInsideIsFollowedAndOutsideIsRefused() throws {
        let root = try makeTree("s", mtime: Date(), mode: 0o644)
        try FileManager.default.createSymbolicLink(atPath: root + "/alias.py", withDestinationPath: "handler.py")
        let names = try FileTree.scan(root).map(\.path)
        XCTAssertTrue(names.contains("alias.py"))

        let outside = scratch.appendingPathComponent("secret.txt")
        try Data("x".utf8).write(to: outside)
        try FileManager.default.createSymbolicLink(atPath: root + "/leak.txt", withDestinationPath: outside.path)
        XCTAssertThrowsError(try FileTree.scan(root)) { error in
            XCTAssertTrue("\(error)".contains("leak.txt"), "\(error)")
            XCTAssertTrue("\(error)".contains("outside the folder"), "\(error)")
        }
        XCTAssertNoThrow(try FileTree.scan(root, exclude: FileTree.defaultExcludes + ["leak.txt"]))
    }

    func testLinkedFoldersAreFollowedButLoopsAreNot() throws {
        let root = try makeTree("loop", mtime: Date(), mode: 0o644)
        try FileManager.default.createSymbolicLink(atPath: root + "/pkg/again", withDestinationPath: "..")
        try FileManager.default.createSymbolicLink(atPath: root + "/alias", withDestinationPath: "pkg")
        let names = try FileTree.scan(root).map(\.path)
        XCTAssertFalse(names.contains { $0.hasPrefix("pkg/again/") }, "a link back up the tree is not followed")
        XCTAssertTrue(names.contains("alias/module.py") && names.contains("pkg/module.py"), "a link to a folder is followed, like zip -r: \(names)")
    }

    func testExcludePatterns() {
        XCTAssertTrue(FileTree.isExcluded(".git/config", patterns: [".git"]))
        XCTAssertTrue(FileTree.isExcluded("a/.env.production", patterns: [".env*"]))
        XCTAssertTrue(FileTree.isExcluded("pkg/x.pyc", patterns: ["*.pyc"]))
        XCTAssertTrue(FileTree.isExcluded("tests/unit/a.py", patterns: ["tests/*/*.py"]))
        XCTAssertFalse(FileTree.isExcluded("pkg/environment.py", patterns: [".env*"]))
    }

    func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
