import Archive
import Crypto
import Foundation
import LDEdgeKit
import Synchronization

/// Zips a build folder into a deterministic Lambda package and enforces the Lambda@Edge size limit.
///
/// Dry run: zips the folder in memory and shows the size, the `CodeSha256` and whether it differs
/// from the package on disk; a package over the event type's limit is an error, with its ten
/// largest entries, before anything is uploaded. The zip is content-addressed by its inputs (the
/// files' paths, modes and bytes and the compression level): built once per run, reused by the
/// re-plan and the apply, and not built at all when `<step>.zip.inputs` says the zip on disk came
/// from exactly these inputs. Writes nothing but that record. When the folder is not on this
/// machine (another runner built and zipped it), the package the state records for that
/// content-named folder is the plan's answer: no changes, nothing zipped.
///
/// Rollback: nothing to undo outside the step's own build folder; the zip stays there and the
/// next plan compares against it.
///
/// Teardown: deletes the zip from the step's build folder.
public struct PackageZipStep: BuildOutputStep {
    public struct Input: Decodable, Sendable {
        public var source: String
        public var eventType: EventType?
        public var exclude: [String]?
        public var compressionLevel: Int?
    }

    /// The CloudFront event the function is attached to; it decides the size limit.
    public enum EventType: String, Decodable, Sendable, CaseIterable {
        case viewerRequest = "viewer-request"
        case viewerResponse = "viewer-response"
        case originRequest = "origin-request"
        case originResponse = "origin-response"

        /// Lambda@Edge's zipped package limit: 1 MB for viewer triggers, 50 MB for origin triggers.
        public var sizeLimit: Int {
            switch self {
            case .viewerRequest, .viewerResponse: return 1 << 20
            case .originRequest, .originResponse: return 50 << 20
            }
        }
    }

    public static let kind = "package-zip"
    public static let summary = "Zip a build folder into a byte-for-byte reproducible Lambda@Edge package, within the size limit"
    public static let documentation = """
        Dry run: zips in memory and shows size, CodeSha256 and whether the package changes; over the \
        event type's limit (viewer 1 MB, origin 50 MB) it is an error listing the ten largest entries. \
        Rollback: nothing outside the step's build folder to undo. \
        Teardown: deletes the zip from the step's build folder.
        """
    public static let inputs: [InputField] = [
        InputField("source", .string, required: true, "folder to zip, usually ${steps.build.outputs.dir}"),
        InputField("eventType", .choice(EventType.allCases.map(\.rawValue)), default: "viewer-request", "CloudFront event the function serves; sets the size limit (viewer 1 MB, origin 50 MB)"),
        InputField("exclude", .list(.string), "patterns left out in addition to .git, .env* and *.pyc; a pattern without '/' matches any path component"),
        InputField("compressionLevel", .integer, default: "6", "deflate level 0-9"),
    ]
    public static let outputs: [OutputField] = [
        OutputField("zip", "path of the zip", role: .handlerPackage),
        OutputField("size", "size of the zip in bytes"),
        OutputField("sha256", "base64 SHA-256 of the zip, the form Lambda reports as CodeSha256"),
    ]

    public let id: String
    public let input: Input

    public init(id: String, input: Input) {
        self.id = id
        self.input = input
    }

    public static func validate(_ input: Input) -> [InputIssue] {
        var issues: [InputIssue] = []
        if let level = input.compressionLevel, !(0...9).contains(level) {
            issues.append(InputIssue(["compressionLevel"], "compressionLevel must be between 0 (store) and 9 (smallest), found \(level)"))
        }
        if input.source.trimmingCharacters(in: .whitespaces).isEmpty {
            issues.append(InputIssue(["source"], "'source' is empty; give the folder to zip, for example ${steps.build.outputs.dir}"))
        }
        return issues
    }

    var eventType: EventType { input.eventType ?? .viewerRequest }
    /// The default excludes plus the input's. `.pyc` files stay only in a folder build-handler
    /// marked with `.ldedge-bytecode`: it compiled them with the Lambda runtime's own Python.
    func excludes(_ source: URL) -> [String] {
        let marked = FileManager.default.fileExists(atPath: source.appendingPathComponent(Self.bytecodeMarker).path)
        let defaults = marked ? FileTree.defaultExcludes.filter { $0 != "*.pyc" } + [Self.bytecodeMarker] : FileTree.defaultExcludes
        return defaults + (input.exclude ?? [])
    }

    static let bytecodeMarker = ".ldedge-bytecode"
    var writer: ZipWriter { ZipWriter(compressionLevel: input.compressionLevel ?? 6) }

    func zipPath(_ context: StepContext) -> URL { context.workDirectory.appendingPathComponent("\(id).zip") }

    public func plan(_ context: StepContext) async throws -> StepPlan {
        let destination = zipPath(context)
        guard context.isKnown(input.source) else {
            return StepPlan(changes: [PlannedChange(.create, destination.lastPathComponent, detail: "zip the folder once the step that builds it has run")])
        }
        let source = context.resolvePath(input.source)
        guard FileManager.default.fileExists(atPath: source.path) else {
            if let recorded = recordedPackage(source: source, context) {
                // A content-named build folder this step already zipped: the state knows the
                // package, so nothing is built here unless a later step needs the bytes.
                return StepPlan(
                    changes: [PlannedChange(.none, destination.lastPathComponent,
                                            detail: "unchanged: \(PackageSizeReport.format(recorded.size)), CodeSha256 \(recorded.sha256) (recorded; zipped here only if a later step needs it)")],
                    outputs: ["zip": destination.path, "size": String(recorded.size), "sha256": recorded.sha256])
            }
            return StepPlan(changes: [PlannedChange(.create, destination.lastPathComponent, detail: "zip \(source.path) once it is built")])
        }
        let package: Package
        do {
            package = try await self.package(source, destination: destination, context)
        } catch {
            return StepPlan(findings: [.error("cannot package \(source.path): \(error)")])
        }
        var findings: [Diagnostic] = []
        if let problem = package.problem(eventType) { findings.append(.error(problem)) }
        let detail = "\(package.files) files, \(PackageSizeReport.format(package.size)), CodeSha256 \(package.digest)"
        let existing = package.isOnDisk ? package.digest : Self.digestOfFile(destination)
        if !package.isOnDisk, existing == package.digest {
            // The zip on disk is exactly these bytes but has no inputs record (an older ldedge
            // wrote it): record them, a cache entry about ldedge's own build output, so the next
            // run needs no zip work. Nothing the workflow manages changes.
            Self.writeRecord(package, destination)
        }
        let change: PlannedChange
        if existing == package.digest {
            change = PlannedChange(.none, destination.lastPathComponent, detail: "unchanged: \(detail)")
        } else if let existing {
            change = PlannedChange(.update, destination.lastPathComponent, detail: detail, before: existing, after: package.digest)
        } else {
            change = PlannedChange(.create, destination.lastPathComponent, detail: detail)
        }
        return StepPlan(changes: [change], findings: findings, outputs: package.outputs(destination))
    }

    public func apply(_ plan: StepPlan, _ context: StepContext) async throws -> [String: String] {
        let source = context.resolvePath(input.source)
        let destination = zipPath(context)
        let package = try await self.package(source, destination: destination, context)
        if let problem = package.problem(eventType) { throw PackageZipError.overLimit(problem) }
        // The state records what the package was built from and what came out, so any machine
        // can tell the package is current without zipping (the zip itself is a cache).
        let record = PackageRecord(inputs: package.inputs, sha256: package.digest, size: package.size, files: package.files)
        if context.recall("package", as: PackageRecord.self) != record { try context.remember("package", record) }
        guard !package.isOnDisk else { return package.outputs(destination) }
        try write(package, to: destination, context)
        return package.outputs(destination)
    }

    /// Writes a package built in memory to its path (through a temporary file and a rename) with
    /// its inputs record.
    func write(_ package: Package, to destination: URL, _ context: StepContext) throws {
        guard !package.isOnDisk else { return }
        guard let data = package.data else { throw PackageZipError.cannotWrite(destination.path, "the package was not built") }
        try FileManager.default.createDirectory(at: context.workDirectory, withIntermediateDirectories: true)
        let temporary = destination.appendingPathExtension("partial")
        do {
            let output = try FileZipOutput(path: temporary.path)
            try data.withUnsafeBytes { try output.write($0) }
            try output.finish()
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        guard rename(temporary.path, destination.path) == 0 else {
            throw PackageZipError.cannotWrite(destination.path, String(cString: strerror(errno)))
        }
        // What the zip on disk was built from, so the next run knows it without zipping again.
        Self.writeRecord(package, destination)
        context.progress("wrote \(destination.lastPathComponent): \(package.files) files, \(PackageSizeReport.format(package.size)), CodeSha256 \(package.digest)")
    }

    /// The package for the folder as it is now: the zip on disk when it was built from exactly
    /// these inputs (no zip work), else the one built earlier in this run from them, else built now.
    func package(_ source: URL, destination: URL, _ context: StepContext) async throws -> Package {
        let entries = try FileTree.scan(source.path, exclude: excludes(source))
        let inputs = try Self.inputsDigest(entries, compressionLevel: writer.compressionLevel)
        if let record = Self.record(destination), record.inputs == inputs,
            let size = (try? FileManager.default.attributesOfItem(atPath: destination.path))?[.size] as? Int, size == record.size
        {
            return Package(inputs: inputs, digest: record.sha256, size: record.size, files: record.files, data: nil, summary: nil)
        }
        return try await PackageBuilds.shared.package(for: destination.path, inputs: inputs) {
            let (data, summary) = try await writer.zipInMemory(entries)
            let digest = Data(SHA256.hash(data: data)).base64EncodedString()
            context.progress("zipped \(entries.count) files: \(PackageSizeReport.format(summary.size)), CodeSha256 \(digest)")
            return Package(inputs: inputs, digest: digest, size: summary.size, files: entries.count, data: data, summary: summary)
        }
    }

    /// SHA-256 of everything that decides the zip's bytes: the writer's recipe, the compression
    /// level, and each entry's path, mode and content.
    static func inputsDigest(_ entries: [FileTreeEntry], compressionLevel: Int) throws -> String {
        var hasher = SHA256()
        hasher.update(data: Data("ldedge-package-zip 1\nlevel \(compressionLevel)\n".utf8))
        for entry in entries {
            hasher.update(data: Data("\(entry.path)\u{0}\(entry.executable ? 755 : 644)\u{0}\(entry.size)\u{0}".utf8))
            hasher.update(data: try Data(contentsOf: URL(fileURLWithPath: entry.source), options: .mappedIfSafe))
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    static func recordPath(_ destination: URL) -> URL { destination.appendingPathExtension("inputs") }

    static func writeRecord(_ package: Package, _ destination: URL) {
        try? JSONEncoder().encode(PackageRecord(inputs: package.inputs, sha256: package.digest, size: package.size, files: package.files))
            .write(to: recordPath(destination), options: .atomic)
    }

    static func record(_ destination: URL) -> PackageRecord? {
        guard let data = try? Data(contentsOf: recordPath(destination)) else { return nil }
        return try? JSONDecoder().decode(PackageRecord.self, from: data)
    }

    /// What the state records of the package this step last made from a source with the same
    /// name: build folders are named by their content, so the same name is the same package.
    func recordedPackage(source: URL, _ context: StepContext) -> (sha256: String, size: Int)? {
        guard let previous = context.previous, previous.status == .applied,
              let recordedSource = previous.input["source"]?.stringValue,
              URL(fileURLWithPath: recordedSource).lastPathComponent == source.lastPathComponent,
              let sha256 = previous.outputs["sha256"], let size = previous.outputs["size"].flatMap(Int.init) else { return nil }
        return (sha256, size)
    }

    /// Zips the recorded package again on this machine when it is not here, and checks that the
    /// bytes are the recorded ones (same `CodeSha256`).
    public func materialize(_ context: StepContext) async throws -> [String: String] {
        let destination = zipPath(context)
        let recorded = context.previous?.outputs["sha256"]
        if let record = Self.record(destination), record.sha256 == recorded, FileManager.default.fileExists(atPath: destination.path) {
            return ["zip": destination.path, "size": String(record.size), "sha256": record.sha256]
        }
        let source = context.resolvePath(input.source)
        guard FileManager.default.fileExists(atPath: source.path) else { throw PackageZipError.sourceMissing(source.path) }
        let package = try await self.package(source, destination: destination, context)
        if let recorded, package.digest != recorded {
            throw PackageZipError.notReproducible(recorded: recorded, rebuilt: package.digest)
        }
        try write(package, to: destination, context)
        return package.outputs(destination)
    }


    public func teardown(_ state: StepState, _ context: StepContext) async throws {
        let path = state.outputs["zip"].map { URL(fileURLWithPath: $0) } ?? zipPath(context)
        // Only ever the step's own build output: a path outside the work folder is left alone.
        guard path.standardizedFileURL.path.hasPrefix(context.workDirectory.standardizedFileURL.path + "/") else { return }
        try? FileManager.default.removeItem(at: path)
        try? FileManager.default.removeItem(at: Self.recordPath(path))
    }

    /// The CodeSha256 of a zip on disk, or nil when there is none.
    static func digestOfFile(_ url: URL) -> String? {
        guard let data = try? Data(contentsOf: url, options: .mappedIfSafe) else { return nil }
        return Data(SHA256.hash(data: data)).base64EncodedString()
    }
}

/// Explains a package over its size limit: how far over, and the ten largest entries.
struct PackageSizeReport {
    var summary: ZipSummary
    var eventType: PackageZipStep.EventType

    var problem: String? {
        guard summary.size > eventType.sizeLimit else { return nil }
        let largest = summary.entries.sorted { ($0.compressedSize, $1.path) > ($1.compressedSize, $0.path) }.prefix(10)
        let lines = largest.map { "    \(Self.format($0.compressedSize).padding(toLength: 10, withPad: " ", startingAt: 0)) (\(Self.format($0.uncompressedSize)) unzipped)  \($0.path)" }
        return """
            the package is \(Self.format(summary.size)) (\(summary.size) bytes), over the \(Self.format(eventType.sizeLimit)) limit \
            for \(eventType.rawValue) functions; the ten largest entries, zipped:
            \(lines.joined(separator: "\n"))
              leave out what Lambda never loads with 'exclude:', or attach the function to an origin event (50 MB)
            """
    }

    static func format(_ bytes: Int) -> String {
        if bytes >= 1 << 20 { return String(format: "%.1f MB", Double(bytes) / Double(1 << 20)) }
        if bytes >= 1 << 10 { return String(format: "%.1f KB", Double(bytes) / Double(1 << 10)) }
        return "\(bytes) B"
    }
}

/// One package: where it came from and what it is.
struct Package: Sendable {
    var inputs: String
    var digest: String
    var size: Int
    var files: Int
    /// The zip's bytes when it was built in this run; nil when the zip on disk is it.
    var data: Data?
    var summary: ZipSummary?

    var isOnDisk: Bool { data == nil }

    func outputs(_ destination: URL) -> [String: String] {
        ["zip": destination.path, "size": String(size), "sha256": digest]
    }

    /// Over the event type's limit: how far, and the largest entries when they are known.
    func problem(_ eventType: PackageZipStep.EventType) -> String? {
        guard size > eventType.sizeLimit else { return nil }
        return PackageSizeReport(summary: summary ?? ZipSummary(entries: [], size: size), eventType: eventType).problem
    }
}

/// Written next to the zip: the inputs it was built from (`<step>.zip.inputs`).
struct PackageRecord: Codable, Sendable, Equatable {
    var inputs: String
    var sha256: String
    var size: Int
    var files: Int
}

/// Packages built in this process, by destination and inputs: the first plan of a deploy zips,
/// the re-plan before apply and the apply reuse its bytes. One package per destination is kept.
final class PackageBuilds: Sendable {
    static let shared = PackageBuilds()
    private let builds = Mutex<[String: (inputs: String, build: Task<Package, any Error>)]>([:])

    func package(for destination: String, inputs: String, build: @escaping @Sendable () async throws -> Package) async throws -> Package {
        let task = builds.withLock { builds -> Task<Package, any Error> in
            if let known = builds[destination], known.inputs == inputs { return known.build }
            let task = Task { try await build() }
            builds[destination] = (inputs, task)
            return task
        }
        do {
            return try await task.value
        } catch {
            builds.withLock { builds in
                if builds[destination]?.inputs == inputs { builds[destination] = nil }
            }
            throw error
        }
    }
}

public enum PackageZipError: Error, CustomStringConvertible {
    case overLimit(String)
    case cannotWrite(String, String)
    case sourceMissing(String)
    case notReproducible(recorded: String, rebuilt: String)

    public var description: String {
        switch self {
        case .sourceMissing(let path):
            return "the folder to zip, \(path), does not exist on this machine; check 'source' (usually the build step's 'dir' output, which ldedge builds again when it is missing)"
        case .notReproducible(let recorded, let rebuilt):
            return "zipping the recorded inputs again gave CodeSha256 \(rebuilt), not the deployed \(recorded): the build is not reproducible "
                + "(an unpinned dependency, say); nothing was published. Pin the handler's dependencies to exact versions, then run 'ldedge deploy' to publish the new build"
        case .overLimit(let message): return message
        case .cannotWrite(let path, let reason): return "cannot write the package \(path): \(reason)"
        }
    }
}
