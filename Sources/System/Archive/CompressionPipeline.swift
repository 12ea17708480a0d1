import Foundation

/// Worker threads compress entries in index order; the caller takes them back in that order.
/// Workers stay at most `window` entries ahead, so memory stays bounded on big trees. Only
/// dedicated threads wait here (`ZipWriter.zipInMemory` runs the caller on one of its own).
// @unchecked: `next`, `taken`, `results` and `cancelled` are only touched with `condition` locked.
final class CompressionPipeline: @unchecked Sendable {
    let entries: [FileTreeEntry]
    let level: Int
    let workers: Int
    let window: Int
    private let condition = NSCondition()
    private var next = 0
    private var taken = 0
    private var results: [Int: Result<CompressedEntry, Error>] = [:]
    private var cancelled = false

    init(entries: [FileTreeEntry], level: Int, workers: Int) {
        self.entries = entries
        self.level = level
        self.workers = workers
        window = max(16, workers * 8)
    }

    func start() {
        for _ in 0..<workers {
            let thread = Thread { [self] in self.work() }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    func take(_ index: Int) throws -> CompressedEntry {
        condition.lock()
        while results[index] == nil { condition.wait() }
        let result = results.removeValue(forKey: index)!
        taken = index + 1
        condition.broadcast()
        condition.unlock()
        return try result.get()
    }

    private func work() {
        let compressor: EntryCompressor
        do {
            compressor = try EntryCompressor(compressionLevel: level)
        } catch {
            failAll(error)
            return
        }
        while true {
            condition.lock()
            while !cancelled, next < entries.count, next - taken >= window { condition.wait() }
            guard !cancelled, next < entries.count else {
                condition.unlock()
                return
            }
            let index = next
            next += 1
            condition.unlock()
            let result = Result { try compress(entries[index], with: compressor) }
            condition.lock()
            results[index] = result
            condition.broadcast()
            condition.unlock()
        }
    }

    /// A worker that cannot start fails every entry not yet handed out, so `take` never hangs.
    private func failAll(_ error: Error) {
        condition.lock()
        while next < entries.count {
            results[next] = .failure(error)
            next += 1
        }
        condition.broadcast()
        condition.unlock()
    }

    private func compress(_ entry: FileTreeEntry, with compressor: EntryCompressor) throws -> CompressedEntry {
        let bytes = try readFile(entry.source)
        guard bytes.count <= 0xFFFF_FFFE else { throw ArchiveError.tooLarge(detail: "\(entry.path) is \(bytes.count) bytes; the limit without zip64 is 4 GiB") }
        return try bytes.withUnsafeBytes { try compressor.compress($0, name: entry.path) }
    }
}
