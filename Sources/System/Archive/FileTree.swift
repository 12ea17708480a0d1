import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One regular file of a folder to be zipped, in the order and form it will have in the zip.
public struct FileTreeEntry: Sendable, Hashable {
    /// The path inside the zip: relative, `/`-separated, never starting with `/`.
    public var path: String
    /// Where the bytes come from (a symlink inside the folder is followed to its target).
    public var source: String
    public var size: Int
    /// True when any execute bit is set; the zip records 0755 for these and 0644 for the rest.
    public var executable: Bool
}

/// Lists the files of a folder the way they go into a deterministic zip: sorted by the bytes of
/// their path, excluded patterns left out, symlinks followed only when they stay inside the folder.
public enum FileTree {
    /// Patterns left out unless the caller says otherwise: version control, local secrets, bytecode.
    public static let defaultExcludes = [".git", ".env*", "*.pyc"]

    /// Scans `root`. A pattern without `/` matches any path component (so `.git` drops the whole
    /// folder); a pattern with `/` matches the whole relative path.
    public static func scan(_ root: String, exclude: [String] = defaultExcludes) throws -> [FileTreeEntry] {
        let rootPath = (root as NSString).standardizingPath
        guard let realRoot = realPath(rootPath) else { throw ArchiveError.notADirectory(root) }
        var info = stat()
        guard stat(realRoot, &info) == 0, isDirectory(info.st_mode) else { throw ArchiveError.notADirectory(root) }
        var entries: [FileTreeEntry] = []
        try walk(directory: rootPath, relative: "", realRoot: realRoot, exclude: exclude, ancestors: [realRoot], into: &entries)
        entries.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        return entries
    }

    /// True when `relative` (a path inside the folder) is excluded by one of `patterns`.
    public static func isExcluded(_ relative: String, patterns: [String]) -> Bool {
        let components = relative.split(separator: "/").map(String.init)
        for pattern in patterns where !pattern.isEmpty {
            if pattern.contains("/") {
                let trimmed = pattern.hasPrefix("/") ? String(pattern.dropFirst()) : pattern
                if fnmatch(trimmed, relative, FNM_PATHNAME) == 0 { return true }
            } else if components.contains(where: { fnmatch(pattern, $0, 0) == 0 }) {
                return true
            }
        }
        return false
    }

    private static func walk(
        directory: String, relative: String, realRoot: String, exclude: [String],
        ancestors: Set<String>, into entries: inout [FileTreeEntry]
    ) throws {
        let names: [String]
        do {
            // Sorted, so which of two paths to one folder (a link and its target) is walked first,
            // and so what ends up in the zip, does not depend on the file system's readdir order.
            names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        } catch {
            throw ArchiveError.unreadable(path: directory, reason: error.localizedDescription)
        }
        for name in names {
            let path = directory + "/" + name
            let relativePath = relative.isEmpty ? name : relative + "/" + name
            if isExcluded(relativePath, patterns: exclude) { continue }
            var info = stat()
            guard lstat(path, &info) == 0 else { throw ArchiveError.unreadable(path: path, reason: posixReason()) }
            var sourcePath = path
            if (info.st_mode & 0o170000) == 0o120000 {
                guard let target = realPath(path) else {
                    let destination = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?"
                    throw ArchiveError.unreadable(path: path, reason: "the symbolic link is broken (it points to \(destination))")
                }
                guard target == realRoot || target.hasPrefix(realRoot + "/") else {
                    throw ArchiveError.symlinkOutside(link: relativePath, target: target)
                }
                guard stat(target, &info) == 0 else { throw ArchiveError.unreadable(path: target, reason: posixReason()) }
                sourcePath = target
            }
            if isDirectory(info.st_mode) {
                // Links to folders are followed, like `zip -r`, except one back up the tree, which
                // would loop forever.
                let real = realPath(sourcePath) ?? sourcePath
                guard !ancestors.contains(real) else { continue }
                try walk(
                    directory: sourcePath, relative: relativePath, realRoot: realRoot, exclude: exclude,
                    ancestors: ancestors.union([real]), into: &entries)
            } else if (info.st_mode & 0o170000) == 0o100000 {
                entries.append(FileTreeEntry(path: relativePath, source: sourcePath, size: Int(info.st_size), executable: info.st_mode & 0o111 != 0))
            }
            // Sockets, fifos and devices have no place in a Lambda package; they are skipped.
        }
    }

    static func isDirectory(_ mode: mode_t) -> Bool { (mode & 0o170000) == 0o040000 }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
