import Foundation
import LDEdgeCore

#if canImport(Glibc)
import Glibc
#endif

/// The package's root folder, found from this file's path.
public let packageRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The built `ldedge` executable (`swift build` first; `LDEDGE_BINARY` overrides).
public func ldedgeBinary() throws -> URL {
    if let path = ProcessInfo.processInfo.environment["LDEDGE_BINARY"] { return URL(fileURLWithPath: path) }
    for candidate in [".build/debug/ldedge", ".build/x86_64-unknown-linux-gnu/debug/ldedge", ".build/release/ldedge"] {
        let url = packageRoot.appendingPathComponent(candidate)
        if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    throw TestSupportError("the ldedge executable is not built; run 'swift build' before 'swift test' (scripts/test.sh does)")
}

public struct TestSupportError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A fresh temporary folder, removed by `remove()`.
public struct TemporaryDirectory {
    public let url: URL

    public init(_ prefix: String = "ldedge-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public var path: String { url.path }

    public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    public func write(_ name: String, _ text: String) throws {
        let target = file(name)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: target)
    }

    public func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: file(name).path) }

    public func read(_ name: String) -> String? {
        FileManager.default.contents(atPath: file(name).path).map { String(decoding: $0, as: UTF8.self) }
    }

    public func remove() { try? FileManager.default.removeItem(at: url) }
}

/// The result of running a process to completion.
public struct ProcessResult {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    /// True when the process ended by a signal (SIGKILL in crash tests).
    public var signaled: Bool
}

/// Runs a program and waits for it; stdout/stderr are captured through files (no pipe deadlocks).
@discardableResult
public func runProcess(
    _ executable: URL, _ arguments: [String], in directory: URL, environment: [String: String] = [:], stdin: String? = nil
) throws -> ProcessResult {
    let process = try startProcess(executable, arguments, in: directory, environment: environment, stdin: stdin)
    return process.wait()
}

/// A process started in the background, with its output going to temporary files.
public final class RunningProcess {
    public let process: Process
    let out: URL
    let err: URL

    init(process: Process, out: URL, err: URL) {
        self.process = process
        self.out = out
        self.err = err
    }

    public var pid: Int32 { process.processIdentifier }

    public func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    public func wait() -> ProcessResult {
        process.waitUntilExit()
        let stdout = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: out)
        try? FileManager.default.removeItem(at: err)
        return ProcessResult(
            status: process.terminationStatus, stdout: stdout, stderr: stderr,
            signaled: process.terminationReason == .uncaughtSignal)
    }

    /// Current stdout, while the process runs.
    public var stdoutSoFar: String { (try? String(contentsOf: out, encoding: .utf8)) ?? "" }

    /// Current stderr, while the process runs.
    public var stderrSoFar: String { (try? String(contentsOf: err, encoding: .utf8)) ?? "" }
}

public func startProcess(
    _ executable: URL, _ arguments: [String], in directory: URL, environment: [String: String] = [:], stdin: String? = nil
) throws -> RunningProcess {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.currentDirectoryURL = directory
    var env = ProcessInfo.processInfo.environment
    env["NO_COLOR"] = "1"
    for (key, value) in environment { env[key] = value }
    process.environment = env
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("out-\(UUID().uuidString)")
    let err = FileManager.default.temporaryDirectory.appendingPathComponent("err-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    if let stdin {
        let input = Pipe()
        process.standardInput = input
        try process.run()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try? input.fileHandleForWriting.close()
    } else {
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }
    return RunningProcess(process: process, out: out, err: err)
}

/// Alive and not a zombie: a zombie left for a PID 1 that does not reap (some containers) counts
/// as gone.
public func processIsAlive(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return true }
    return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
}
