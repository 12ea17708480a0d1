import Foundation
import PackagePlugin

/// `swift package --allow-writing-to-package-directory ldedge ARGS` runs the ldedge CLI in the
/// package directory. It asks SwiftPM to build the `ldedge` product on demand instead of declaring
/// a tool dependency, which would build the whole graph a second time for the host.
@main
struct LDEdgeCommand: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        let result = try packageManager.build(.product("ldedge"), parameters: .init(configuration: .debug, logging: .concise))
        guard result.succeeded else {
            Diagnostics.error("building ldedge failed:\n\(result.logText)")
            return
        }
        guard let tool = result.builtArtifacts.first(where: { $0.kind == .executable && $0.url.lastPathComponent == "ldedge" }) else {
            Diagnostics.error("the build produced no ldedge executable")
            return
        }
        let process = Process()
        process.executableURL = tool.url
        process.arguments = arguments
        process.currentDirectoryURL = context.package.directoryURL
        try process.run()
        process.waitUntilExit()
        if process.terminationStatus != 0 {
            Diagnostics.error("ldedge \(arguments.first ?? "") exited with status \(process.terminationStatus)")
        }
    }
}
