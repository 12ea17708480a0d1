import Foundation
import LaunchDarkly
import LDSandbox

/// Starts `ldedge sandbox` servers for tests, in-process or as a subprocess, on a free 127.0.0.1 port.
///
/// ```swift
/// let sandbox = try await LDSandboxFixture.start()
/// defer { Task { await sandbox.stop() } }
/// let client = LDSandboxFixture.client(for: sandbox)
/// // point the real Python SDK at it:
/// let env = LDSandboxFixture.sdkEnvironment(for: sandbox)   // LD_SDK_KEY, LD_BASE_URI, ...
/// ```
public enum LDSandboxFixture {
    /// An in-process sandbox on an ephemeral port with in-memory state (or `dataPath`).
    public static func start(
        dataPath: String? = nil, heartbeatInterval: Double = 15,
        project: String = "default", environment: String = "production"
    ) async throws -> SandboxServer {
        try await SandboxServer.start(SandboxOptions(
            port: 0, dataPath: dataPath, project: project, environment: environment, heartbeatInterval: heartbeatInterval))
    }

    /// A client for `sandbox` (no dry-run unless asked).
    public static func client(
        for sandbox: SandboxServer, dryRun: Bool = false, maxRetryDelay: TimeInterval = 2,
        observer: (@Sendable (LaunchDarklyRequestRecord) -> Void)? = nil
    ) -> LaunchDarklyClient {
        LaunchDarklyClient(configuration: LaunchDarklyConfiguration(
            accessToken: sandbox.accessToken, baseURI: sandbox.baseURI, dryRun: dryRun,
            maxRetryDelay: maxRetryDelay, observer: observer))
    }

    /// Environment variables that point ldedge and an SDK (base, stream and events URIs) at `sandbox`.
    public static func sdkEnvironment(for sandbox: SandboxServer) -> [String: String] {
        [
            "LD_ACCESS_TOKEN": sandbox.accessToken,
            "LD_BASE_URI": sandbox.baseURI,
            "LD_SDK_KEY": sandbox.sdkKey,
            "LD_STREAM_URI": sandbox.baseURI,
            "LD_EVENTS_URI": sandbox.baseURI,
            "LD_PROJECT": sandbox.projectKey,
            "LD_ENVIRONMENT": sandbox.environmentKey,
        ]
    }

    /// The repository root (found from this file's path).
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// `scripts/ld/` (SDK driver, OpenAPI validator).
    public static var scriptsDirectory: URL { repositoryRoot.appendingPathComponent("scripts/ld") }

    /// Starts `EXECUTABLE sandbox --port 0 --in-memory` (e.g. `.build/debug/ldedge`) and reads its export lines.
    public static func startSubprocess(executable: String, arguments: [String] = ["sandbox", "--port", "0", "--in-memory"]) throws -> SandboxProcess {
        try SandboxProcess(executable: executable, arguments: arguments)
    }

    /// Runs a command to completion, returning status, stdout and stderr.
    @discardableResult
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        stdin: Data? = nil
    ) throws -> (status: Int32, stdout: Data, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        // Read both pipes concurrently so a chatty child cannot block on a full pipe.
        let errorData = LockedData()
        let errorThread = Thread { errorData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        errorThread.start()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorData.isSet { usleep(1000) }
        return (process.terminationStatus, output, String(decoding: errorData.value, as: UTF8.self))
    }
}

/// A sandbox running as a child process.
public final class SandboxProcess: @unchecked Sendable {
    public let process: Process
    public private(set) var baseURI = ""
    public private(set) var accessToken = ""
    public private(set) var sdkKey = ""

    init(executable: String, arguments: [String]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        var buffer = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, baseURI.isEmpty || accessToken.isEmpty || sdkKey.isEmpty {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer += String(decoding: chunk, as: UTF8.self)
            for line in buffer.split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { continue }
                switch parts[0] {
                case "export LD_BASE_URI": baseURI = parts[1]
                case "export LD_ACCESS_TOKEN": accessToken = parts[1]
                case "export LD_SDK_KEY": sdkKey = parts[1]
                default: break
                }
            }
        }
        guard !baseURI.isEmpty else {
            process.terminate()
            throw NSError(domain: "LDSandboxFixture", code: 1, userInfo: [NSLocalizedDescriptionKey: "sandbox subprocess printed no LD_BASE_URI: \(buffer)"])
        }
    }

    public func stop() {
        if process.isRunning {
            process.interrupt()
            process.waitUntilExit()
        }
    }
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?

    func set(_ value: Data) {
        lock.lock()
        data = value
        lock.unlock()
    }

    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return data != nil
    }

    var value: Data {
        lock.lock()
        defer { lock.unlock() }
        return data ?? Data()
    }
}

// MARK: Checking JSON against the official OpenAPI spec

/// One JSON document to check against a schema of the LaunchDarkly OpenAPI spec.
public struct OpenAPIDocument: Sendable {
    public var schema: String
    public var json: Data
    public var label: String

    public init(schema: String, json: Data, label: String) {
        self.schema = schema
        self.json = json
        self.label = label
    }
}

extension LDSandboxFixture {
    /// The spec: `$LD_OPENAPI_SPEC`, else `/work/shared/reference/launchdarkly-openapi.yaml`.
    public static var openAPISpecPath: String {
        ProcessInfo.processInfo.environment["LD_OPENAPI_SPEC"] ?? "/work/shared/reference/launchdarkly-openapi.yaml"
    }

    /// Validates documents with `scripts/ld/validate_openapi.py` (one Python run for all of them);
    /// returns one message per failing document (empty when all conform).
    public static func validateAgainstOpenAPI(_ documents: [OpenAPIDocument]) throws -> [String] {
        var input = Data()
        for document in documents {
            let instance = try JSONSerialization.jsonObject(with: document.json, options: [.fragmentsAllowed])
            let line = try JSONSerialization.data(withJSONObject: ["schema": document.schema, "label": document.label, "instance": instance])
            input.append(line)
            input.append(0x0A)
        }
        let script = scriptsDirectory.appendingPathComponent("validate_openapi.py").path
        let result = try run("python3", [script, "--spec", openAPISpecPath], stdin: input)
        guard let report = try? JSONSerialization.jsonObject(with: result.stdout) as? [String: Any],
              let failures = report["failures"] as? [[String: Any]] else {
            return ["validator did not run (status \(result.status)): \(result.stderr)"]
        }
        return failures.map { failure in
            "\(failure["label"] ?? "") as \(failure["schema"] ?? ""): \((failure["errors"] as? [String])?.joined(separator: "; ") ?? "")"
        }
    }
}

// MARK: Long-running child processes (e.g. the Python SDK driver in watch mode)

/// A child process whose stdout lines are collected with arrival times as they come.
public final class LineReadingProcess: @unchecked Sendable {
    public let process = Process()
    private let lock = NSLock()
    private var collected: [(line: String, time: Date)] = []
    private var stderrText = ""

    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        Thread { [weak self] in
            var pending = ""
            while true {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                let now = Date()
                pending += String(decoding: chunk, as: UTF8.self)
                while let newline = pending.firstIndex(of: "\n") {
                    let line = String(pending[..<newline])
                    pending = String(pending[pending.index(after: newline)...])
                    self?.append(line, now)
                }
            }
        }.start()
        Thread { [weak self] in
            let data = err.fileHandleForReading.readDataToEndOfFile()
            self?.setStderr(String(decoding: data, as: UTF8.self))
        }.start()
    }

    private func append(_ line: String, _ time: Date) {
        lock.lock()
        collected.append((line, time))
        lock.unlock()
    }

    private func setStderr(_ text: String) {
        lock.lock()
        stderrText = text
        lock.unlock()
    }

    public var lines: [(line: String, time: Date)] {
        lock.lock()
        defer { lock.unlock() }
        return collected
    }

    public var stderr: String {
        lock.lock()
        defer { lock.unlock() }
        return stderrText
    }

    /// Waits (without blocking a thread) for a line starting with `prefix`.
    public func waitForLine(prefix: String, timeout: TimeInterval) async -> (line: String, time: Date)? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let hit = lines.first(where: { $0.line.hasPrefix(prefix) }) { return hit }
            if !process.isRunning, lines.first(where: { $0.line.hasPrefix(prefix) }) == nil {
                try? await Task.sleep(nanoseconds: 50_000_000)
                return lines.first(where: { $0.line.hasPrefix(prefix) })
            }
            try? await Task.sleep(nanoseconds: 2_000_000)
        }
        return nil
    }

    public func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}

extension LDSandboxFixture {
    /// `run` on a dedicated thread, so an async test does not block the cooperative pool the
    /// in-process sandbox needs to answer the child.
    public static func runDetached(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:]
    ) async throws -> (status: Int32, stdout: Data, stderr: String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                do {
                    continuation.resume(returning: try run(executable, arguments, environment: environment))
                } catch {
                    continuation.resume(throwing: error)
                }
            }.start()
        }
    }
}
