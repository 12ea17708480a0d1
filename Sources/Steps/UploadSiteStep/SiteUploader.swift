import AWS
import Foundation
import LDEdgeCore

/// Uploads files with bounded parallelism, reporting files and bytes for larger syncs.
struct SiteUploader {
    var s3: S3Client
    var bucket: String
    var root: URL
    var cacheControl: String
    var concurrency: Int
    var context: StepContext

    /// Syncs of more files than this show a progress line.
    static let progressThreshold = 20

    func upload(_ uploads: [PlannedUpload]) async throws {
        let totalBytes = uploads.reduce(0) { $0 + $1.file.size }
        let meter = ProgressMeter(total: uploads.count, totalBytes: totalBytes, quiet: uploads.count <= Self.progressThreshold) { line in
            context.progress(line)
        }
        try await forEachConcurrently(uploads, limit: concurrency) { upload in
            let url = root.appendingPathComponent(upload.file.path)
            guard let body = FileManager.default.contents(atPath: url.path) else {
                throw SiteFolderError.unreadable(url.path, "the file disappeared after planning")
            }
            let options = S3PutObjectOptions(contentType: upload.file.contentType, cacheControl: cacheControl)
            try await s3.putObject(bucket: bucket, key: upload.key, body: body, options: options)
            meter.advance(bytes: body.count)
        }
        meter.finish()
    }
}

/// Runs `body` for every element with at most `limit` running at once; the first error cancels the rest.
func forEachConcurrently<T: Sendable>(_ items: [T], limit: Int, _ body: @escaping @Sendable (T) async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        var next = 0
        for _ in 0..<min(limit, items.count) {
            let item = items[next]
            next += 1
            group.addTask { try await body(item) }
        }
        while try await group.next() != nil {
            if next < items.count {
                let item = items[next]
                next += 1
                group.addTask { try await body(item) }
            }
        }
    }
}

/// "uploaded 120/1000 files, 1.2 MB/9.8 MB", at most a few times a second.
final class ProgressMeter: @unchecked Sendable {
    private let lock = NSLock()
    private let total: Int
    private let totalBytes: Int
    private let quiet: Bool
    private let emit: (String) -> Void
    private var done = 0
    private var bytes = 0
    private var lastEmit = Date.distantPast

    init(total: Int, totalBytes: Int, quiet: Bool, emit: @escaping (String) -> Void) {
        self.total = total
        self.totalBytes = totalBytes
        self.quiet = quiet
        self.emit = emit
    }

    func advance(bytes count: Int) {
        lock.lock()
        done += 1
        bytes += count
        let now = Date()
        let due = !quiet && (now.timeIntervalSince(lastEmit) >= 0.25 || done == total)
        if due { lastEmit = now }
        let text = line
        lock.unlock()
        if due { emit(text) }
    }

    func finish() {}

    private var line: String {
        let width = 24
        let filled = total == 0 ? width : width * done / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        return "[\(bar)] \(done)/\(total) files, \(UploadSiteStep.bytes(bytes))/\(UploadSiteStep.bytes(totalBytes))"
    }
}
