import Archive
import Foundation

// Zips a folder with ldedge's deterministic zip writer and prints the wall time in seconds.
// Usage: ZipBench FOLDER OUTPUT.zip [--level N] [--threads N]
// Benchmarks/zip/run.sh runs it next to `zip -r -q -X` on the same folders.

var arguments = Array(CommandLine.arguments.dropFirst())
@MainActor func option(_ name: String) -> Int? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    defer { arguments.removeSubrange(index...(index + 1)) }
    return Int(arguments[index + 1])
}
let level = option("--level") ?? 6
let threads = option("--threads") ?? min(ProcessInfo.processInfo.activeProcessorCount, 4)
guard arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: ZipBench FOLDER OUTPUT.zip [--level N] [--threads N]\n".utf8))
    exit(64)
}
let started = DispatchTime.now()
do {
    let entries = try FileTree.scan(arguments[0], exclude: [])
    let output = try FileZipOutput(path: arguments[1])
    let summary = try ZipWriter(compressionLevel: level, threads: threads).write(entries, to: output)
    try output.finish()
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
    print(String(format: "%.4f %d %d", seconds, summary.entries.count, summary.size))
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
