import Foundation

/// Shared pieces for handler, package and invoke tests.
public enum HandlerFixtures {
    /// The repository root (templates/, scripts/), found from this file's location.
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    public static var runnerDirectory: URL { repositoryRoot.appendingPathComponent("scripts/handler-runner") }

    /// A fresh scratch folder under the system temporary folder.
    public static func scratchDirectory(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ldedge-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A workflow that builds the Python (or Node) handler and packages it.
    public static func handlerWorkflow(
        name: String = "handler-test", runtime: String = "python3.12", mode: String = "redirect", baseURI: String?,
        sdkKey: String? = "${secret:LD_SDK_KEY}", initTimeout: Double = 1, extraBuildInputs: [String: String] = [:],
        packageInputs: [String: String] = [:]
    ) -> String {
        var build = [
            "flag: rebrand", "runtime: \(runtime)", "mode: \(mode)", "initTimeout: \(initTimeout)",
            "template: \(repositoryRoot.path)/templates/\(runtime.hasPrefix("python") ? "handler-python" : "handler-node")",
        ]
        if let sdkKey { build.append("sdkKey: \(sdkKey)") }
        if let baseURI { build += ["baseUri: \(baseURI)", "streamUri: \(baseURI)", "eventsUri: \(baseURI)"] }
        build += extraBuildInputs.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
        var package = ["source: ${steps.build.outputs.dir}"]
        package += packageInputs.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
        return """
            name: \(name)
            steps:
              - id: build
                uses: build-handler
                with:
            \(build.map { "      " + $0 }.joined(separator: "\n"))
              - id: package
                uses: package-zip
                with:
            \(package.map { "      " + $0 }.joined(separator: "\n"))

            """
    }

    /// Runs a program and returns its exit status and combined output.
    @discardableResult
    public static func run(_ program: String, _ arguments: [String], in directory: URL? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        if let directory { process.currentDirectoryURL = directory }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
