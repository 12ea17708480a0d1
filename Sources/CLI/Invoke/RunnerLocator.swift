import Foundation

/// Finds scripts/handler-runner: `LDEDGE_RUNNER_DIR`, else walking up from the current folder
/// and from the `ldedge` executable.
public enum RunnerLocator {
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment, extraStarts: [URL] = []) throws -> URL {
        if let explicit = environment["LDEDGE_RUNNER_DIR"] { return URL(fileURLWithPath: explicit) }
        var starts = extraStarts + [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        if executable.path.hasPrefix("/") { starts.append(executable.deletingLastPathComponent()) }
        for start in starts {
            var folder = start.standardizedFileURL
            while true {
                let candidate = folder.appendingPathComponent("scripts/handler-runner")
                if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("runner.py").path) { return candidate }
                let parent = folder.deletingLastPathComponent()
                if parent.path == folder.path { break }
                folder = parent
            }
        }
        throw InvokeError.runnerNotFound
    }
}
