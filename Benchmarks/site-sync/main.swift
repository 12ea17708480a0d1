// Syncs a folder to S3 with the upload-site step, driven by the engine exactly as `ldedge deploy`
// does (plan with MD5/ETag comparison, journaled apply), and prints the wall time of each run.
// Benchmarks/site-sync/run.sh runs it next to `aws s3 sync` against the same emulator.
//
// usage: site-sync-bench FOLDER BUCKET STATE_DIR [RUNS]   (AWS_* variables point at the emulator)

import Foundation
import LDEdgeCore
import UploadSiteStep

let arguments = CommandLine.arguments
guard arguments.count >= 4 else {
    FileHandle.standardError.write(Data("usage: site-sync-bench FOLDER BUCKET STATE_DIR [RUNS]\n".utf8))
    exit(2)
}
let folder = URL(fileURLWithPath: arguments[1]).standardizedFileURL
let bucket = arguments[2]
let stateRoot = URL(fileURLWithPath: arguments[3])
let runs = arguments.count > 4 ? Int(arguments[4]) ?? 2 : 2

let workflowFile = stateRoot.appendingPathComponent("site-sync.yaml")
try FileManager.default.createDirectory(at: stateRoot, withIntermediateDirectories: true)
try Data("""
    name: site-sync
    steps:
      - id: site
        uses: upload-site
        with:
          source: \(folder.path)
          bucket: \(bucket)
          delete: true
          concurrency: \(ProcessInfo.processInfo.environment["BENCH_CONCURRENCY"] ?? "16")

    """.utf8).write(to: workflowFile)

let registry = StepRegistry([StepKind(UploadSiteStep.self)])
let environment = ProcessInfo.processInfo.environment
/// With BENCH_TRACE set, prints when each engine event happens (where the time goes).
struct TraceReporter: Reporter {
    let start = Date()
    func report(_ event: EngineEvent) {
        FileHandle.standardError.write(Data("  +\(String(format: "%.3f", Date().timeIntervalSince(start))) \(event)\n".utf8))
    }
}
let reporter: any Reporter = environment["BENCH_TRACE"] != nil ? TraceReporter() : SilentReporter()
let engine = Engine(registry: registry, options: EngineOptions(stateRoot: stateRoot.appendingPathComponent(".ldedge"), environment: environment),
                    reporter: reporter)
if ProcessInfo.processInfo.environment["BENCH_PLAN_ONLY"] != nil {
    for _ in 1...3 {
        let start = Date()
        let workflow = try WorkflowLoader(registry: registry, environment: environment).load(path: workflowFile.path)
        _ = try await engine.plan(workflow)
        print("PLAN \(String(format: "%.3f", Date().timeIntervalSince(start)))")
    }
}
for run in stride(from: 1, through: runs, by: 1) {
    let start = Date()
    let workflow = try WorkflowLoader(registry: registry, environment: environment).load(path: workflowFile.path)
    let report = try await engine.deploy(workflow)
    let seconds = Date().timeIntervalSince(start)
    let outputs = report.outputs["site"] ?? [:]
    print("RUN \(run) \(String(format: "%.3f", seconds)) uploaded=\(outputs["uploaded"] ?? "?") unchanged=\(outputs["unchanged"] ?? "?")")
}
