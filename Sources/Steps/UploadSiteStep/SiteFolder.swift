import AWS
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One local file of the site, as it will be stored.
struct SiteFile: Codable, Hashable, Sendable {
    /// Path relative to the site folder, with "/" separators.
    var path: String
    var md5: String
    var size: Int
    var contentType: String
}

/// Why a site folder cannot be uploaded.
public enum SiteFolderError: Error, CustomStringConvertible, Equatable {
    case missing(String)
    case notAFolder(String)
    case escapes(path: String, target: String)
    case unreadable(String, String)

    public var description: String {
        switch self {
        case .missing(let path):
            return "the site folder \(path) does not exist; check 'source' (relative paths start at the workflow file's folder)"
        case .notAFolder(let path):
            return "the site source \(path) is a file, not a folder; point 'source' at the folder holding index.html"
        case .escapes(let path, let target):
            return "\(path) is a symbolic link to \(target), outside the site folder; ldedge uploads only files inside the folder: replace the link with the file"
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        }
    }
}

/// Reads a site folder: every regular file except `.git`, `.env*` and links leaving the folder.
enum SiteFolder {
    /// Names never uploaded: version control data and environment files (secrets).
    static func isExcluded(_ name: String) -> Bool {
        name == ".git" || name.hasPrefix(".env") || name == ".DS_Store"
    }

    static func scan(_ root: URL) async throws -> [SiteFile] {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: root.path, isDirectory: &isDirectory) else { throw SiteFolderError.missing(root.path) }
        guard isDirectory.boolValue else { throw SiteFolderError.notAFolder(root.path) }
        let realRoot = root.resolvingSymlinksInPath().standardizedFileURL.path
        // Listing and lstat first; hashing afterwards on every core (the scan runs on each deploy),
        // in child tasks that each take every n-th file, so no thread waits on another.
        var found: [(path: String, url: URL)] = []
        try collect(root, relative: "", realRoot: realRoot, into: &found)
        let entries = found
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, entries.count))
        let files = try await withThrowingTaskGroup(of: [SiteFile].self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var hashed: [SiteFile] = []
                    for (count, index) in stride(from: worker, to: entries.count, by: workers).enumerated() {
                        try Task.checkCancellation()
                        // Hashing is one long job per worker; yield now and then so the pool's
                        // other work (timers, HTTP responses) never waits behind it.
                        if count % 32 == 31 { await Task.yield() }
                        let entry = entries[index]
                        guard let data = FileManager.default.contents(atPath: entry.url.path) else {
                            throw SiteFolderError.unreadable(entry.url.path, "permission denied")
                        }
                        let name = (entry.path as NSString).lastPathComponent
                        hashed.append(SiteFile(path: entry.path, md5: ContentDigest.md5Hex(data), size: data.count, contentType: ContentTypes.type(for: name)))
                    }
                    return hashed
                }
            }
            var all: [SiteFile] = []
            for try await part in group { all.append(contentsOf: part) }
            return all
        }
        return files.sorted { $0.path < $1.path }
    }

    private static func collect(_ folder: URL, relative: String, realRoot: String, into found: inout [(path: String, url: URL)]) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        } catch {
            throw SiteFolderError.unreadable(folder.path, error.localizedDescription)
        }
        for name in names where !isExcluded(name) {
            let url = folder.appendingPathComponent(name)
            let path = relative.isEmpty ? name : "\(relative)/\(name)"
            var info = stat()
            guard lstat(url.path, &info) == 0 else { continue }
            var target = url
            if info.st_mode & S_IFMT == S_IFLNK {
                target = url.resolvingSymlinksInPath().standardizedFileURL
                let resolved = target.path
                guard resolved == realRoot || resolved.hasPrefix(realRoot + "/") else {
                    throw SiteFolderError.escapes(path: path, target: resolved)
                }
                // A link back into the folder would loop; linked folders are not walked.
                guard stat(target.path, &info) == 0, info.st_mode & S_IFMT != S_IFDIR else { continue }
            }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                try collect(url, relative: path, realRoot: realRoot, into: &found)
            case S_IFREG:
                found.append((path, target))
            default:
                continue
            }
        }
    }
}

/// Content-Type by file extension, for every common web file.
enum ContentTypes {
    static let byExtension: [String: String] = [
        "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8",
        "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8", "mjs": "text/javascript; charset=utf-8",
        "json": "application/json", "map": "application/json", "webmanifest": "application/manifest+json",
        "xml": "application/xml", "txt": "text/plain; charset=utf-8", "md": "text/markdown; charset=utf-8",
        "csv": "text/csv; charset=utf-8",
        "svg": "image/svg+xml", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
        "webp": "image/webp", "avif": "image/avif", "ico": "image/x-icon", "bmp": "image/bmp",
        "woff": "font/woff", "woff2": "font/woff2", "ttf": "font/ttf", "otf": "font/otf", "eot": "application/vnd.ms-fontobject",
        "mp4": "video/mp4", "webm": "video/webm", "mp3": "audio/mpeg", "wav": "audio/wav", "ogg": "audio/ogg",
        "pdf": "application/pdf", "zip": "application/zip", "wasm": "application/wasm", "gz": "application/gzip",
    ]

    static func type(for name: String) -> String {
        let ext = (name as NSString).pathExtension.lowercased()
        return byExtension[ext] ?? "application/octet-stream"
    }
}

/// Scans of site folders made during one run, so the plan before apply does not hash every file again.
final class ScanCache: Sendable {
    private let scans = Mutex<[String: Task<[SiteFile], any Error>]>([:])

    func files(_ root: URL, scan: @escaping @Sendable () async throws -> [SiteFile]) async throws -> [SiteFile] {
        let task = scans.withLock { scans in
            if let running = scans[root.path] { return running }
            let task = Task { try await scan() }
            scans[root.path] = task
            return task
        }
        do {
            return try await task.value
        } catch {
            scans.withLock { _ = $0.removeValue(forKey: root.path) }
            throw error
        }
    }
}

/// Git checkouts made during one run (plan, then plan again before apply).
final class SourceCache: Sendable {
    private let checkouts = Mutex<[String: (URL, String?)]>([:])

    func checkout(_ key: String, make: () throws -> (URL, String?)) throws -> (URL, String?) {
        try checkouts.withLock { checkouts in
            if let cached = checkouts[key] { return cached }
            let made = try make()
            checkouts[key] = made
            return made
        }
    }
}

/// What a bucket held under a prefix when it was planned.
struct RemoteListing: Sendable {
    var exists: Bool
    /// Key -> MD5 hex ("multipart" for objects uploaded in parts).
    var etags: [String: String]
}

/// Bucket listings made during one run, keyed by "bucket/prefix".
final class ListingCache: Sendable {
    private let listings = Mutex<[String: RemoteListing]>([:])

    subscript(key: String) -> RemoteListing? {
        get { listings.withLock { $0[key] } }
        set { listings.withLock { $0[key] = newValue } }
    }
}
