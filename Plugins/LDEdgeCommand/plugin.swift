import Foundation
import PackagePlugin

/// `swift package --allow-writing-to-package-directory ldedge ARGS` runs the ldedge CLI in the
/// package directory. When the package it runs in defines its own executable product `ldedge`
/// (a team's build with its own steps, `LDEdgeCLI.main(extraSteps:)`), that one runs; otherwise
/// ldedge's own. When `.build/debug/ldedge` is newer than Package.swift and every file under
/// Sources/, it runs that binary at once (a SwiftPM build of this graph takes 20-30 s even when
/// nothing changed); otherwise it asks SwiftPM to build the product on demand, which avoids the
/// second host build a declared tool dependency would cause.
@main
struct LDEdgeCommand: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        let package = context.package.directoryURL
        let tool: URL
        if let current = upToDateBinary(in: package) {
            say("ldedge: running .build/debug/ldedge, which is newer than Package.swift and every file under Sources/ (no build)")
            tool = current
        } else {
            say("ldedge: building the ldedge product (sources changed since the last build, or none exists yet)")
            let ownsExecutable = context.package.products.contains { $0.name == "ldedge" && $0 is ExecutableProduct }
            let result = try packageManager.build(.product("ldedge"), parameters: .init(configuration: .debug, logging: .concise))
            guard result.succeeded else {
                let hint = ownsExecutable ? "" : "\n(\(context.package.displayName) defines no executable product 'ldedge'; add one whose main calls LDEdgeCLI.main(extraSteps:) to run your own steps)"
                Diagnostics.error("building ldedge failed:\n\(result.logText)\(hint)")
                return
            }
            guard let built = result.builtArtifacts.first(where: { $0.kind == .executable && $0.url.lastPathComponent == "ldedge" }) else {
                Diagnostics.error("the build produced no ldedge executable")
                return
            }
            tool = built.url
            // SwiftPM may leave the binary untouched when nothing it links changed (a touched file,
            // say); the stamp records that it is current for the sources as they are now.
            _ = FileManager.default.createFile(atPath: stamp(in: package).path, contents: Data())
        }
        let process = Process()
        process.executableURL = tool
        process.arguments = arguments
        process.currentDirectoryURL = package
        try process.run()
        process.waitUntilExit()
        if process.terminationStatus != 0 {
            Diagnostics.error("ldedge \(arguments.first ?? "") exited with status \(process.terminationStatus)")
        }
    }

    /// Touched after every build this plugin asks for.
    func stamp(in package: URL) -> URL {
        package.appendingPathComponent(".build/debug/ldedge.plugin-stamp")
    }

    /// `.build/debug/ldedge` when it (or the stamp of the last build this plugin made) is newer
    /// than Package.swift and everything under Sources/.
    func upToDateBinary(in package: URL) -> URL? {
        let binary = package.appendingPathComponent(".build/debug/ldedge")
        guard let linked = modified(binary) else { return nil }
        let built = max(linked, modified(stamp(in: package)) ?? linked)
        if let manifest = modified(package.appendingPathComponent("Package.swift")), manifest > built { return nil }
        let sources = package.appendingPathComponent("Sources")
        guard let walker = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: [.contentModificationDateKey]) else { return nil }
        for case let file as URL in walker {
            if let date = modified(file), date > built { return nil }
        }
        return binary
    }

    /// One line on stderr (a remark is shown only with --verbose).
    func say(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    func modified(_ url: URL) -> Date? {
        (try? url.resourceValues(forKeys: [.contentModificationDateKey]))?.contentModificationDate
    }
}
