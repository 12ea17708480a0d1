import Foundation
import Synchronization

/// Compiles the handler's own modules (the top level of the build folder: handler.py and the
/// ldedge_*.py it imports on the way to the first answer) to bytecode, only with an interpreter of
/// exactly the runtime's version (a `cpython-312` .pyc is ignored by any other Python, so shipping
/// another version's bytecode only adds bytes). Lambda's `/var/task` is read-only, so without
/// shipped bytecode every cold container compiles each module it imports. The SDK's own packages
/// stay source only: their bytecode would more than double the zip (about 1.5 MB, over the 1 MB
/// viewer-request limit), and the default handler does not import them before its first answer.
///
/// The .pyc files use `unchecked-hash` invalidation and `/var/task` as their source path, so they
/// do not depend on file times or the build folder: the same sources give the same bytes.
struct BytecodeCompiler {
    let python: String
    let version: String

    /// An interpreter for `runtime`: `LDEDGE_PYTHON` or `pythonX.Y` on PATH, when its version is
    /// the runtime's; nil otherwise (then no bytecode is shipped).
    static func find(for runtime: HandlerRuntime, environment: [String: String], in directory: URL) async -> BytecodeCompiler? {
        guard let wanted = runtime.pythonVersion else { return nil }
        var candidates = ["python\(wanted)"]
        if let configured = environment["LDEDGE_PYTHON"] { candidates.insert(configured, at: 0) }
        for candidate in candidates {
            if let known = probes.value(candidate) {
                if let known, known.version.hasPrefix(wanted + ".") { return known }
                continue
            }
            let probe = try? await ProcessRunner.run(
                candidate, ["-I", "-c", "import sys; print('%d.%d %s' % (sys.version_info[0], sys.version_info[1], sys.version.split()[0]))"],
                in: directory, environment: environment)
            guard let probe, probe.status == 0 else {
                probes.store(candidate, nil)
                continue
            }
            let words = probe.output.split(whereSeparator: \.isWhitespace).map(String.init)
            let found = words.count == 2 ? BytecodeCompiler(python: candidate, version: words[1]) : nil
            probes.store(candidate, found)
            if let found, words[0] == wanted { return found }
        }
        return nil
    }

    /// Interpreters already probed in this process (a plan and an apply ask the same question).
    private static let probes = ProbeCache()

    private final class ProbeCache: Sendable {
        /// Candidate command -> what it turned out to be (nil: not a usable Python).
        private let results = Mutex<[String: BytecodeCompiler?]>([:])

        func value(_ candidate: String) -> BytecodeCompiler?? {
            results.withLock { $0[candidate] }
        }

        func store(_ candidate: String, _ result: BytecodeCompiler?) {
            results.withLock { $0[candidate] = result }
        }
    }

    /// Writes `__pycache__/*.cpython-XY.pyc` next to the modules at the top of `folder`.
    func compile(_ folder: URL) async throws {
        let arguments = ["-I", "-m", "compileall", "-q", "-l", "--invalidation-mode", "unchecked-hash",
                         "-s", folder.path, "-p", "/var/task", folder.path]
        let result = try await ProcessRunner.run(python, arguments, in: folder, environment: ["PATH": "/usr/bin:/bin", "SOURCE_DATE_EPOCH": "0"])
        guard result.status == 0 else {
            throw BuildHandlerError.installFailed(command: "\(python) -m compileall", output: result.output)
        }
    }
}
