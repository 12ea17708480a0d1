import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One member of a written zip, for reports such as "the ten largest entries".
public struct ZipEntrySummary: Sendable, Hashable {
    public var path: String
    public var uncompressedSize: Int
    public var compressedSize: Int
}

/// What `ZipWriter` wrote.
public struct ZipSummary: Sendable {
    public var entries: [ZipEntrySummary]
    /// Total bytes of the zip file.
    public var size: Int

    public init(entries: [ZipEntrySummary], size: Int) {
        self.entries = entries
        self.size = size
    }
}

/// Writes deterministic zips: the same files give the same bytes on any machine, in any timezone,
/// on any run.
///
/// Entries come sorted by path with no directory entries; every timestamp is 1980-01-01 00:00
/// (the zip epoch); permissions are 0644, or 0755 for files with an execute bit; there are no
/// extra fields, data descriptors or comments. libarchive compresses (see `EntryCompressor`),
/// one libarchive writer per worker thread, and the members are framed here in path order.
public struct ZipWriter: Sendable {
    /// Deflate level 0-9; 6 is Info-ZIP's and zlib's default.
    public var compressionLevel: Int
    /// Files compressed in parallel (each with its own libarchive writer).
    public var threads: Int

    public init(compressionLevel: Int = 6, threads: Int = min(ProcessInfo.processInfo.activeProcessorCount, 4)) {
        self.compressionLevel = max(0, min(9, compressionLevel))
        self.threads = max(1, threads)
    }

    /// Zips `entries` (from `FileTree.scan`) into `output`.
    public func write(_ entries: [FileTreeEntry], to output: ZipOutput) throws -> ZipSummary {
        guard entries.count <= 0xFFFF else { throw ArchiveError.tooLarge(detail: "\(entries.count) files; the limit without zip64 is 65,535") }
        let pipeline = CompressionPipeline(entries: entries, level: compressionLevel, workers: min(threads, max(1, entries.count)))
        pipeline.start()
        var assembler = ZipAssembler(output: output)
        var summaries: [ZipEntrySummary] = []
        summaries.reserveCapacity(entries.count)
        do {
            for index in entries.indices {
                let member = try pipeline.take(index)
                try assembler.add(path: entries[index].path, executable: entries[index].executable, member: member)
                summaries.append(ZipEntrySummary(path: entries[index].path, uncompressedSize: member.uncompressedSize, compressedSize: member.data.count))
            }
            try assembler.finish()
        } catch {
            pipeline.cancel()
            throw error
        }
        return ZipSummary(entries: summaries, size: assembler.offset)
    }

    /// Zips `entries` into memory on a thread of its own: the writer's workers hand entries back
    /// through a condition variable, a wait that must never happen on a Swift concurrency thread.
    public func zipInMemory(_ entries: [FileTreeEntry]) async throws -> (Data, ZipSummary) {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result {
                    let output = MemoryZipOutput()
                    let summary = try write(entries, to: output)
                    return (output.data, summary)
                })
            }
            thread.name = "ldedge-zip"
            thread.start()
        }
    }

    /// Zips a folder into memory.
    public func zip(directory: String, exclude: [String] = FileTree.defaultExcludes) throws -> (Data, ZipSummary) {
        let output = MemoryZipOutput()
        let summary = try write(try FileTree.scan(directory, exclude: exclude), to: output)
        return (output.data, summary)
    }
}

/// Reads a whole file with POSIX calls (faster than Foundation for thousands of small files).
func readFile(_ path: String) throws -> [UInt8] {
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else { throw ArchiveError.unreadable(path: path, reason: posixReason()) }
    defer { close(descriptor) }
    var info = stat()
    guard fstat(descriptor, &info) == 0 else { throw ArchiveError.unreadable(path: path, reason: posixReason()) }
    var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
    var offset = 0
    while offset < bytes.count {
        let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + offset, $0.count - offset) }
        if count < 0 {
            if errno == EINTR { continue }
            throw ArchiveError.unreadable(path: path, reason: posixReason())
        }
        if count == 0 { break }
        offset += count
    }
    if offset < bytes.count { bytes.removeSubrange(offset...) }
    return bytes
}
