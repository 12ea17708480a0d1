import CArchive
import Foundation

/// Reads zips with libarchive: lists members and extracts them safely.
public enum ZipReader {
    /// One member as stored in the zip.
    public struct Entry: Sendable, Hashable {
        public var path: String
        public var size: Int
        public var permissions: Int
        public var isDirectory: Bool
    }

    /// The members of the zip at `path`, in stored order.
    public static func entries(of path: String) throws -> [Entry] {
        var result: [Entry] = []
        try read(path) { archive, entry, name in
            let type = archive_entry_filetype(entry)
            result.append(Entry(
                path: name, size: Int(archive_entry_size(entry)), permissions: Int(archive_entry_perm(entry)),
                isDirectory: UInt32(type) == ldedge_ae_ifdir))
            _ = archive
        }
        return result
    }

    /// Extracts the zip at `path` into `destination` (created when missing). Refuses members that
    /// would land outside it (absolute paths, `..`) and does not create symlinks.
    public static func extract(_ path: String, to destination: String) throws {
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        try read(path) { archive, entry, name in
            let components = name.split(separator: "/", omittingEmptySubsequences: true)
            guard !name.hasPrefix("/"), !components.contains(".."), !components.isEmpty else { throw ArchiveError.unsafePath(name) }
            let target = destination + "/" + components.joined(separator: "/")
            let type = UInt32(archive_entry_filetype(entry))
            if type == ldedge_ae_ifdir {
                try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
                return
            }
            guard type == ldedge_ae_ifreg else { return }
            let parent = (target as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            let output = try FileZipOutput(path: target)
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, $0.count) }
                if count < 0 { throw readError(archive, "read \(name)") }
                if count == 0 { break }
                try buffer.withUnsafeBytes { try output.write(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            }
            try output.finish()
            let permissions = archive_entry_perm(entry) & 0o777
            chmod(target, permissions == 0 ? 0o644 : permissions)
        }
    }

    private static func read(_ path: String, _ body: (OpaquePointer, OpaquePointer, String) throws -> Void) throws {
        // libarchive converts UTF-8 names to the thread's locale; in the "C" locale a non-ASCII
        // name would come back empty, so read under C.UTF-8 and restore the caller's locale after.
        let utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", nil)
        let previous = utf8.map { uselocale($0) }
        defer {
            if let previous { uselocale(previous) }
            if let utf8 { freelocale(utf8) }
        }
        guard let archive = archive_read_new() else { throw ArchiveError.libarchive(operation: "create a reader", message: "out of memory") }
        defer { archive_read_free(archive) }
        archive_read_support_format_zip(archive)
        guard archive_read_open_filename(archive, path, 64 * 1024) == ARCHIVE_OK else { throw readError(archive, "open \(path)") }
        var entry: OpaquePointer?
        while true {
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF { break }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else { throw readError(archive, "read \(path)") }
            let name = (archive_entry_pathname_utf8(entry) ?? archive_entry_pathname(entry)).map { String(cString: $0) } ?? ""
            try body(archive, entry, name)
        }
    }

    private static func readError(_ archive: OpaquePointer, _ operation: String) -> ArchiveError {
        .libarchive(operation: operation, message: archive_error_string(archive).map { String(cString: $0) } ?? "unknown error")
    }
}
