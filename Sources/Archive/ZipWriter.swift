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

    /// Zips a folder into memory.
    public func zip(directory: String, exclude: [String] = FileTree.defaultExcludes) throws -> (Data, ZipSummary) {
        let output = MemoryZipOutput()
        let summary = try write(try FileTree.scan(directory, exclude: exclude), to: output)
        return (output.data, summary)
    }
}

/// Worker threads compress entries in index order; the caller takes them back in that order.
/// Workers stay at most `window` entries ahead, so memory stays bounded on big trees.
private final class CompressionPipeline: @unchecked Sendable {
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

/// Frames members into the zip format: local headers, data, central directory, end record.
private struct ZipAssembler {
    let output: ZipOutput
    private(set) var offset = 0
    private var central: [UInt8] = []
    private var count = 0
    /// DOS time 00:00:00 and date 1980-01-01: the zip epoch, the same everywhere.
    static let dosTime: UInt16 = 0
    static let dosDate: UInt16 = (0 << 9) | (1 << 5) | 1

    init(output: ZipOutput) {
        self.output = output
    }

    mutating func add(path: String, executable: Bool, member: CompressedEntry) throws {
        let name = Array(path.utf8)
        guard offset <= 0xFFFF_FFFE, name.count <= 0xFFFF else { throw ArchiveError.tooLarge(detail: "more than 4 GiB of compressed data") }
        let flags: UInt16 = name.allSatisfy { $0 < 0x80 } ? 0 : 0x0800
        let versionNeeded: UInt16 = member.method == 0 ? 10 : 20
        var header: [UInt8] = []
        header.reserveCapacity(30 + name.count)
        header.appendLE32(0x0403_4B50)
        header.appendLE16(versionNeeded)
        header.appendLE16(flags)
        header.appendLE16(member.method)
        header.appendLE16(Self.dosTime)
        header.appendLE16(Self.dosDate)
        header.appendLE32(member.crc32)
        header.appendLE32(UInt32(member.data.count))
        header.appendLE32(UInt32(member.uncompressedSize))
        header.appendLE16(UInt16(name.count))
        header.appendLE16(0)
        header.append(contentsOf: name)

        let mode: UInt32 = executable ? 0o100755 : 0o100644
        central.appendLE32(0x0201_4B50)
        central.appendLE16(3 << 8 | 20)  // made by: Unix, zip 2.0
        central.appendLE16(versionNeeded)
        central.appendLE16(flags)
        central.appendLE16(member.method)
        central.appendLE16(Self.dosTime)
        central.appendLE16(Self.dosDate)
        central.appendLE32(member.crc32)
        central.appendLE32(UInt32(member.data.count))
        central.appendLE32(UInt32(member.uncompressedSize))
        central.appendLE16(UInt16(name.count))
        central.appendLE16(0)  // extra
        central.appendLE16(0)  // comment
        central.appendLE16(0)  // disk
        central.appendLE16(0)  // internal attributes
        central.appendLE32(mode << 16)
        central.appendLE32(UInt32(offset))
        central.append(contentsOf: name)

        try header.withUnsafeBytes { try output.write($0) }
        try member.data.withUnsafeBytes { try output.write($0) }
        offset += header.count + member.data.count
        count += 1
    }

    mutating func finish() throws {
        guard offset <= 0xFFFF_FFFE else { throw ArchiveError.tooLarge(detail: "more than 4 GiB of compressed data") }
        var end: [UInt8] = []
        end.appendLE32(0x0605_4B50)
        end.appendLE16(0)
        end.appendLE16(0)
        end.appendLE16(UInt16(count))
        end.appendLE16(UInt16(count))
        end.appendLE32(UInt32(central.count))
        end.appendLE32(UInt32(offset))
        end.appendLE16(0)
        try central.withUnsafeBytes { try output.write($0) }
        try end.withUnsafeBytes { try output.write($0) }
        offset += central.count + end.count
    }
}

extension Array where Element == UInt8 {
    mutating func appendLE16(_ value: UInt16) {
        append(UInt8(value & 0xFF))
        append(UInt8(value >> 8))
    }

    mutating func appendLE32(_ value: UInt32) {
        append(UInt8(value & 0xFF))
        append(UInt8((value >> 8) & 0xFF))
        append(UInt8((value >> 16) & 0xFF))
        append(UInt8(value >> 24))
    }
}
