import CArchive
import Foundation

/// One file compressed by libarchive: the raw member data and what the zip headers need.
struct CompressedEntry: Sendable {
    var method: UInt16
    var crc32: UInt32
    var uncompressedSize: Int
    var data: [UInt8]
}

/// Drives libarchive's zip writer for one file at a time and keeps only the compressed member.
///
/// libarchive does the deflate and the CRC. Its framing is not deterministic enough for Lambda
/// packages: it always adds `UT`/`ux` extra fields and data descriptors, and writes DOS dates
/// through `localtime_r`, so the bytes change with the machine's timezone. `ZipWriter` therefore
/// takes the member data and CRC from each entry libarchive writes and frames them itself.
final class EntryCompressor {
    private let archive: OpaquePointer
    private let sink = ByteSink()
    private var closed = false

    init(compressionLevel: Int) throws {
        guard let archive = archive_write_new() else {
            throw ArchiveError.libarchive(operation: "create a writer", message: "out of memory")
        }
        self.archive = archive
        do {
            try check(archive_write_set_format_zip(archive), "select the zip format")
            try check(archive_write_set_options(archive, "zip:compression=deflate,zip:compression-level=\(compressionLevel)"), "set the compression level")
            // Unblocked output: every byte reaches the sink as soon as libarchive writes it.
            try check(archive_write_set_bytes_per_block(archive, 0), "disable output blocking")
            let context = Unmanaged.passUnretained(sink).toOpaque()
            try check(archive_write_open2(archive, context, nil, byteSinkWrite, nil, nil), "open the writer")
        } catch {
            archive_write_free(archive)
            throw error
        }
    }

    deinit {
        if !closed { archive_write_close(archive) }
        archive_write_free(archive)
    }

    /// Compresses `bytes` as one member; `name` is used only in error messages.
    func compress(_ bytes: UnsafeRawBufferPointer, name: String) throws -> CompressedEntry {
        sink.bytes.removeAll(keepingCapacity: true)
        guard let entry = archive_entry_new() else { throw ArchiveError.libarchive(operation: "create an entry", message: "out of memory") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, "e")
        archive_entry_set_filetype(entry, ldedge_ae_ifreg)
        archive_entry_set_perm(entry, 0o644)
        archive_entry_set_size(entry, la_int64_t(bytes.count))
        try check(archive_write_header(archive, entry), "write the header of \(name)")
        var offset = 0
        while offset < bytes.count {
            let written = archive_write_data(archive, bytes.baseAddress! + offset, bytes.count - offset)
            guard written > 0 else { throw libarchiveError("compress \(name)") }
            offset += written
        }
        try check(archive_write_finish_entry(archive), "finish \(name)")
        return try member(of: sink.bytes, size: bytes.count, raw: bytes, name: name)
    }

    /// Splits what libarchive wrote for one entry into the member data and its CRC.
    private func member(of written: [UInt8], size: Int, raw: UnsafeRawBufferPointer, name: String) throws -> CompressedEntry {
        guard written.count >= 30, written.le32(0) == 0x0403_4B50 else {
            throw ArchiveError.malformedEntry(path: name, detail: "no local header")
        }
        let flags = written.le16(6)
        let method = written.le16(8)
        let dataStart = 30 + Int(written.le16(26)) + Int(written.le16(28))
        var crc = written.le32(14)
        var dataEnd = dataStart + Int(written.le32(18))
        if flags & 0x0008 != 0 {
            // A data descriptor follows the data: 16 bytes, or 24 with 64-bit sizes.
            let end = written.count
            if end - 16 >= dataStart, written.le32(end - 16) == 0x0807_4B50, dataStart + Int(written.le32(end - 8)) == end - 16 {
                crc = written.le32(end - 12)
                dataEnd = end - 16
            } else if end - 24 >= dataStart, written.le32(end - 24) == 0x0807_4B50 {
                crc = written.le32(end - 20)
                dataEnd = end - 24
            } else {
                throw ArchiveError.malformedEntry(path: name, detail: "no data descriptor")
            }
        }
        guard dataEnd <= written.count, dataStart <= dataEnd else {
            throw ArchiveError.malformedEntry(path: name, detail: "sizes do not add up")
        }
        // Info-ZIP stores what deflate cannot shrink; so do we (smaller and still deterministic).
        if method == 8, dataEnd - dataStart >= size {
            return CompressedEntry(method: 0, crc32: crc, uncompressedSize: size, data: Array(raw))
        }
        return CompressedEntry(method: method, crc32: crc, uncompressedSize: size, data: Array(written[dataStart..<dataEnd]))
    }

    private func check(_ status: Int32, _ operation: String) throws {
        if status != ARCHIVE_OK && status != ARCHIVE_WARN { throw libarchiveError(operation) }
    }

    private func libarchiveError(_ operation: String) -> ArchiveError {
        let message = archive_error_string(archive).map { String(cString: $0) } ?? "unknown error"
        return .libarchive(operation: operation, message: message)
    }
}

/// Collects libarchive's output for the entry being written.
final class ByteSink {
    var bytes: [UInt8] = []
}

private func byteSinkWrite(_ archive: OpaquePointer?, _ context: UnsafeMutableRawPointer?, _ buffer: UnsafeRawPointer?, _ length: Int) -> la_ssize_t {
    guard let context, let buffer else { return 0 }
    let sink = Unmanaged<ByteSink>.fromOpaque(context).takeUnretainedValue()
    sink.bytes.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: length))
    return la_ssize_t(length)
}

extension Array where Element == UInt8 {
    func le16(_ offset: Int) -> UInt16 { UInt16(self[offset]) | UInt16(self[offset + 1]) << 8 }
    func le32(_ offset: Int) -> UInt32 {
        UInt32(self[offset]) | UInt32(self[offset + 1]) << 8 | UInt32(self[offset + 2]) << 16 | UInt32(self[offset + 3]) << 24
    }
}
