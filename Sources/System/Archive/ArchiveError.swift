import Foundation

/// Errors from scanning, zipping and unzipping, each saying what to do next.
public enum ArchiveError: Error, CustomStringConvertible, Sendable {
    case notADirectory(String)
    case unreadable(path: String, reason: String)
    case symlinkOutside(link: String, target: String)
    case tooLarge(detail: String)
    case libarchive(operation: String, message: String)
    case malformedEntry(path: String, detail: String)
    case unsafePath(String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .notADirectory(let path):
            return "\(path) is not a folder; give the folder to package (the build-handler step's 'dir' output, say)"
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .symlinkOutside(let link, let target):
            return "the symbolic link \(link) points outside the folder being packaged (to \(target)); Lambda would not get that file: copy it into the folder or exclude the link"
        case .tooLarge(let detail):
            return "the archive is too large for a plain zip (\(detail)); Lambda packages are far below this, so check the folder being packaged"
        case .libarchive(let operation, let message):
            return "libarchive failed to \(operation): \(message)"
        case .malformedEntry(let path, let detail):
            return "libarchive produced an unexpected zip entry for \(path) (\(detail)); this is a bug in ldedge's zip writer"
        case .unsafePath(let name):
            return "the zip contains the entry '\(name)', which would be written outside the destination folder; refusing to extract it"
        case .writeFailed(let path, let reason):
            return "cannot write \(path): \(reason)"
        }
    }
}

func posixReason(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }
