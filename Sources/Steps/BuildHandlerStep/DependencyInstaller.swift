import ChildProcess
import Crypto
import Foundation
import HTTPProbe

/// Installs a template's dependencies for the Lambda platform into a cache folder keyed by the
/// manifest, the runtime and what is stripped, so an unchanged rebuild never installs again.
struct DependencyInstaller {
    let runtime: HandlerRuntime
    let template: HandlerTemplate
    let environment: [String: String]

    /// Bumped when the install command or the strip list changes meaning.
    static let recipeVersion = "2"

    /// The cache key: the manifests, the runtime and the recipe. Nil when the template has no manifest.
    var key: String? {
        let manifests = runtime.manifests.compactMap { name in template.manifest(name).map { (name, $0) } }
        guard !manifests.isEmpty else { return nil }
        var hasher = SHA256()
        hasher.update(data: Data("\(runtime.rawValue)|\(Self.recipeVersion)|\(runtime.strippedPatterns.joined(separator: ","))".utf8))
        for (name, data) in manifests {
            hasher.update(data: Data("\n\(name)\n".utf8))
            hasher.update(data: data)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// A one-line description of the install for plans.
    var commandSummary: String {
        if let version = runtime.pythonVersion {
            return "pip install -r requirements.txt for Python \(version) on manylinux2014_x86_64 (wheels only)"
        }
        return template.manifest("package-lock.json") == nil ? "npm install --omit=dev" : "npm ci --omit=dev"
    }

    /// Where the dependencies for `key` are cached.
    static func cacheDirectory(_ workDirectory: URL, key: String) -> URL {
        workDirectory.appendingPathComponent("deps").appendingPathComponent(String(key.prefix(16)))
    }

    enum Outcome: Sendable {
        case installed
        /// Nothing installed, with the reason (npm cannot reach its registry).
        case skipped(String)
    }

    /// Installs into `destination` (via a temporary sibling renamed into place on success).
    func install(into destination: URL, progress: (String) -> Void) async throws -> Outcome {
        let temporary = destination.deletingLastPathComponent().appendingPathComponent(destination.lastPathComponent + ".partial")
        try? FileManager.default.removeItem(at: temporary)
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: temporary) }
        let installed: URL
        if let version = runtime.pythonVersion {
            installed = temporary
            let python = environment["LDEDGE_PYTHON"] ?? "python3"
            let arguments = [
                "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input",
                "--target", temporary.path, "--platform", "manylinux2014_x86_64", "--implementation", "cp",
                "--only-binary=:all:", "--python-version", version, "--no-compile",
                "-r", template.directory.appendingPathComponent("requirements.txt").path,
            ]
            progress("installing Python dependencies for Lambda (\(commandSummary))")
            let result = try await ProcessRunner.run(python, arguments, in: temporary, environment: environment)
            guard result.status == 0 else { throw BuildHandlerError.installFailed(command: "\(python) -m pip install ...", output: result.output) }
        } else {
            let registry = Self.npmRegistry(environment)
            guard await Self.reachable(registry) else {
                return .skipped("the npm registry \(registry) cannot be reached, so '\(commandSummary)' was skipped: the package has no node_modules and will not run on Lambda; build it where the registry is reachable")
            }
            for name in runtime.manifests {
                if let data = template.manifest(name) { try data.write(to: temporary.appendingPathComponent(name)) }
            }
            let arguments = template.manifest("package-lock.json") == nil
                ? ["install", "--omit=dev", "--no-audit", "--no-fund", "--no-package-lock"]
                : ["ci", "--omit=dev", "--no-audit", "--no-fund"]
            progress("installing Node.js dependencies (\(commandSummary))")
            let result = try await ProcessRunner.run("npm", arguments, in: temporary, environment: environment)
            guard result.status == 0 else { throw BuildHandlerError.installFailed(command: "npm \(arguments.joined(separator: " "))", output: result.output) }
            installed = temporary.appendingPathComponent("node_modules")
            for name in runtime.manifests { try? FileManager.default.removeItem(at: temporary.appendingPathComponent(name)) }
        }
        try Self.strip(installed, patterns: runtime.strippedPatterns)
        try? FileManager.default.removeItem(at: destination)
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        if installed == temporary {
            try FileManager.default.moveItem(at: temporary, to: destination)
        } else {
            try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
            try FileManager.default.moveItem(at: installed, to: destination.appendingPathComponent("node_modules"))
        }
        return .installed
    }

    /// Removes what Lambda never loads from an installed dependency folder.
    static func strip(_ root: URL, patterns: [String]) throws {
        guard let enumerator = FileManager.default.enumerator(atPath: root.path) else { return }
        var doomed: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            let matches = patterns.contains { pattern in
                pattern.contains("/") ? fnmatch(pattern, relative, FNM_PATHNAME) == 0 : fnmatch(pattern, name, 0) == 0
            }
            if matches {
                doomed.append(relative)
                if (enumerator.fileAttributes?[.type] as? FileAttributeType) == .typeDirectory { enumerator.skipDescendants() }
            }
        }
        for relative in doomed { try? FileManager.default.removeItem(at: root.appendingPathComponent(relative)) }
    }

    /// The npm registry npm would use (`npm_config_registry`, else the public one).
    static func npmRegistry(_ environment: [String: String]) -> String {
        environment["npm_config_registry"] ?? environment["NPM_CONFIG_REGISTRY"] ?? "https://registry.npmjs.org/"
    }

    /// True when an HTTP request to `url` gets any answer within three seconds.
    static func reachable(_ url: String) async -> Bool {
        await HTTPProbe.answers(url, timeout: 3)
    }
}

/// Runs a program found on PATH (pip, npm, a Python probe) and collects its combined output.
enum ProcessRunner {
    static func run(_ program: String, _ arguments: [String], in directory: URL, environment: [String: String]) async throws -> (status: Int32, output: String) {
        let child = ChildProcess(program, arguments, directory: directory.path, environment: environment)
        do {
            let result = try await child.run(mergingStandardError: true)
            return (result.status, result.stdout)
        } catch let error as ChildProcessError {
            throw BuildHandlerError.installFailed(command: program, output: error.description)
        }
    }
}
