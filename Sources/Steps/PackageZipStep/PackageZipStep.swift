import Archive
import Crypto
import Foundation
import LDEdgeCore

/// Zips a build folder into a deterministic Lambda package and enforces the Lambda@Edge size limit.
///
/// Dry run: zips the folder in memory and shows the size, the `CodeSha256` and whether it differs
/// from the package on disk; a package over the event type's limit is an error, with its ten
/// largest entries, before anything is uploaded. Writes nothing.
///
/// Rollback: nothing to undo outside the step's own build folder; the zip stays there and the
/// next plan compares against it.
///
/// Teardown: deletes the zip from the step's build folder.
public struct PackageZipStep: Step {
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
        OutputField("zip", "path of the zip"),
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
            return StepPlan(changes: [PlannedChange(.create, destination.lastPathComponent, detail: "zip \(source.path) once it is built")])
        }
        let entries: [FileTreeEntry]
        let data: Data
        let summary: ZipSummary
        do {
            entries = try FileTree.scan(source.path, exclude: excludes(source))
            let output = MemoryZipOutput()
            summary = try writer.write(entries, to: output)
            data = output.data
        } catch {
            return StepPlan(findings: [.error("cannot package \(source.path): \(error)")])
        }
        let digest = Data(SHA256.hash(data: data)).base64EncodedString()
        let outputs = ["zip": destination.path, "size": String(summary.size), "sha256": digest]
        var findings: [Diagnostic] = []
        if let problem = PackageSizeReport(summary: summary, eventType: eventType).problem { findings.append(.error(problem)) }
        let existing = Self.digestOfFile(destination)
        let detail = "\(entries.count) files, \(PackageSizeReport.format(summary.size)), CodeSha256 \(digest)"
        let change: PlannedChange
        if existing == digest {
            change = PlannedChange(.none, destination.lastPathComponent, detail: "unchanged: \(detail)")
        } else if let existing {
            change = PlannedChange(.update, destination.lastPathComponent, detail: detail, before: existing, after: digest)
        } else {
            change = PlannedChange(.create, destination.lastPathComponent, detail: detail)
        }
        return StepPlan(changes: [change], findings: findings, outputs: outputs)
    }

    public func apply(_ plan: StepPlan, _ context: StepContext) async throws -> [String: String] {
        let source = context.resolvePath(input.source)
        let destination = zipPath(context)
        try FileManager.default.createDirectory(at: context.workDirectory, withIntermediateDirectories: true)
        let temporary = destination.appendingPathExtension("partial")
        let entries = try FileTree.scan(source.path, exclude: excludes(source))
        let hasher = StreamingSHA256()
        let output = try FileZipOutput(path: temporary.path) { hasher.update($0) }
        let summary: ZipSummary
        do {
            summary = try writer.write(entries, to: output)
            try output.finish()
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        if let problem = PackageSizeReport(summary: summary, eventType: eventType).problem {
            try? FileManager.default.removeItem(at: temporary)
            throw PackageZipError.overLimit(problem)
        }
        guard rename(temporary.path, destination.path) == 0 else {
            throw PackageZipError.cannotWrite(destination.path, String(cString: strerror(errno)))
        }
        let digest = hasher.base64Digest
        context.progress("packaged \(entries.count) files into \(destination.lastPathComponent): \(PackageSizeReport.format(summary.size)), CodeSha256 \(digest)")
        return ["zip": destination.path, "size": String(summary.size), "sha256": digest]
    }

    public func rollback(_ records: [UndoRecord], _ context: StepContext) async throws {}

    public func teardown(_ state: StepState, _ context: StepContext) async throws {
        let path = state.outputs["zip"].map { URL(fileURLWithPath: $0) } ?? zipPath(context)
        // Only ever the step's own build output: a path outside the work folder is left alone.
        guard path.standardizedFileURL.path.hasPrefix(context.workDirectory.standardizedFileURL.path + "/") else { return }
        try? FileManager.default.removeItem(at: path)
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

/// SHA-256 fed while the zip is written, so the file is not read back.
final class StreamingSHA256: @unchecked Sendable {
    private var hasher = SHA256()

    func update(_ bytes: UnsafeRawBufferPointer) { hasher.update(bufferPointer: bytes) }

    var base64Digest: String { Data(hasher.finalize()).base64EncodedString() }
}

public enum PackageZipError: Error, CustomStringConvertible {
    case overLimit(String)
    case cannotWrite(String, String)

    public var description: String {
        switch self {
        case .overLimit(let message): return message
        case .cannotWrite(let path, let reason): return "cannot write the package \(path): \(reason)"
        }
    }
}
