import Foundation
import PackagePlugin

/// `swift package --allow-writing-to-package-directory ldedge ARGS` runs the ldedge CLI in the
/// package directory. When the package it runs in defines its own executable product `ldedge`
/// (a team's build with its own steps, `LDEdgeCLI.main(extraSteps:)`), that one runs; otherwise
/// ldedge's own. It asks SwiftPM to build the product on demand instead of declaring a tool
/// dependency, which would build the whole graph a second time for the host.
@main
struct LDEdgeCommand: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        let ownsExecutable = context.package.products.contains { $0.name == "ldedge" && $0 is ExecutableProduct }
        let result = try packageManager.build(.product("ldedge"), parameters: .init(configuration: .debug, logging: .concise))
        guard result.succeeded else {
            let hint = ownsExecutable ? "" : "\n(\(context.package.displayName) defines no executable product 'ldedge'; add one whose main calls LDEdgeCLI.main(extraSteps:) to run your own steps)"
            Diagnostics.error("building ldedge failed:\n\(result.logText)\(hint)")
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
