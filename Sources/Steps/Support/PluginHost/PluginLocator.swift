import Foundation
import LDEdgeCore

/// Finds the executable a `uses:` value names: `./path` (relative to the workflow file's folder,
/// also `../path` and absolute paths) or `plugin:NAME` (`ldedge-step-NAME` on `PATH`).
public enum PluginLocator {
    /// True when `uses` is plugin syntax rather than a built-in kind's name.
    public static func isPlugin(_ uses: String) -> Bool {
        uses.hasPrefix("./") || uses.hasPrefix("../") || uses.hasPrefix("/") || uses.hasPrefix("plugin:")
    }

    /// The executable for `uses`; nil when `uses` is not plugin syntax. Throws when the plugin is
    /// missing or not executable, saying what to do.
    public static func locate(_ uses: String, in context: StepResolutionContext) throws -> URL? {
        guard isPlugin(uses) else { return nil }
        if uses.hasPrefix("plugin:") {
            let name = String(uses.dropFirst("plugin:".count))
            guard !name.isEmpty, !name.contains("/") else {
                throw StepResolutionError("'\(uses)' must name a plugin, as in 'plugin:NAME' (runs ldedge-step-NAME from PATH)")
            }
            let program = "ldedge-step-\(name)"
            let path = context.environment["PATH"] ?? ""
            for folder in path.split(separator: ":") where !folder.isEmpty {
                let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent(program)
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.standardizedFileURL }
            }
            throw StepResolutionError("step plugin '\(uses)': no executable \(program) on PATH; install it, or put its folder on PATH")
        }
        let url = uses.hasPrefix("/")
            ? URL(fileURLWithPath: uses).standardizedFileURL
            : context.directory.appendingPathComponent(uses).standardizedFileURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw StepResolutionError("step plugin '\(uses)' not found: no file at \(url.path) (paths in 'uses:' are relative to the workflow file's folder)")
        }
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw StepResolutionError("step plugin '\(uses)' is not executable: \(url.path); run 'chmod +x \(url.path)' and give it a #! line")
        }
        return url
    }
}
