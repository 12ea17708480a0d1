import AWS
import Foundation
import LDEdgeKit
import Synchronization

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
        let meter = ProgressMeter(total: uploads.count, totalBytes: totalBytes, quiet: uploads.count <= Self.progressThreshold) { done, total, detail in
            // The CLI redraws the bar in place while it fills; the last state stays in the log.
            context.transfer(done: done, of: total, detail: detail)
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
final class ProgressMeter: Sendable {
    private struct Contents {
        var done = 0
        var bytes = 0
        var lastEmit = Date.distantPast
    }
    private let total: Int
    private let totalBytes: Int
    private let quiet: Bool
    private let emit: @Sendable (_ done: Int, _ total: Int, _ detail: String) -> Void
    private let contents = Mutex(Contents())

    init(total: Int, totalBytes: Int, quiet: Bool, emit: @escaping @Sendable (_ done: Int, _ total: Int, _ detail: String) -> Void) {
        self.total = total
        self.totalBytes = totalBytes
        self.quiet = quiet
        self.emit = emit
    }

    func advance(bytes count: Int) {
        let (due, done, detail) = contents.withLock { contents in
            contents.done += 1
            contents.bytes += count
            let now = Date()
            let due = !quiet && (now.timeIntervalSince(contents.lastEmit) >= 0.25 || contents.done == total)
            if due { contents.lastEmit = now }
            return (due, contents.done, summary(done: contents.done, bytes: contents.bytes))
        }
        if due { emit(done, total, detail) }
    }

    func finish() {}

    private func summary(done: Int, bytes: Int) -> String {
        "\(done)/\(total) files, \(UploadSiteStep.bytes(bytes))/\(UploadSiteStep.bytes(totalBytes))"
    }
}
