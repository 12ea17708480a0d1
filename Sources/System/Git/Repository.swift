import CGit2
import Foundation

/// Errors from libgit2, with the operation and the path.
public struct GitError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var path: String
    public var message: String

    public var description: String { "git \(operation) failed for \(path): \(message)" }

    static func last(_ operation: String, _ path: String, code: Int32) -> GitError {
        let message = git_error_last().map { String(cString: $0.pointee.message) } ?? "error \(code)"
        return GitError(operation: operation, path: path, message: message)
    }
}

/// libgit2 is initialised once per process and never shut down: objects may still be released late.
private let libgit2Initialised: Bool = {
    git_libgit2_init()
    return true
}()

/// What a working tree is at: commit, branch, and uncommitted changes.
public struct WorkingTreeStatus: Sendable, Equatable {
    public var root: String
    public var commit: String?
    public var branch: String?
    public var changedPaths: [String]
    public var isDirty: Bool { !changedPaths.isEmpty }
}

/// A thin wrapper over a libgit2 repository handle.
public final class Repository {
    let handle: OpaquePointer
    public let path: String

    /// Opens the repository containing `path` (searching parent folders), or nil outside any repository.
    public static func discover(at path: String) throws -> Repository? {
        _ = libgit2Initialised
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        let found = git_repository_discover(&buffer, path, 0, nil)
        if found == GIT_ENOTFOUND.rawValue { return nil }
        guard found == 0, let pointer = buffer.ptr else { throw GitError.last("discover", path, code: found) }
        return try Repository(open: String(cString: pointer))
    }

    public init(open path: String) throws {
        _ = libgit2Initialised
        var pointer: OpaquePointer?
        let code = git_repository_open(&pointer, path)
        guard code == 0, let pointer else { throw GitError.last("open", path, code: code) }
        handle = pointer
        self.path = path
    }

    /// Clones `url` (a URL or a local path) into `destination`.
    public static func clone(_ url: String, to destination: String) throws -> Repository {
        _ = libgit2Initialised
        var pointer: OpaquePointer?
        var options = git_clone_options()
        git_clone_options_init(&options, UInt32(GIT_CLONE_OPTIONS_VERSION))
        let code = git_clone(&pointer, url, destination, &options)
        guard code == 0, let pointer else { throw GitError.last("clone", url, code: code) }
        git_repository_free(pointer)
        return try Repository(open: destination)
    }

    deinit { git_repository_free(handle) }

    /// The working tree folder (nil for a bare repository).
    public var workingDirectory: String? {
        git_repository_workdir(handle).map { String(cString: $0) }
    }

    /// The commit HEAD points at, nil in a repository without commits.
    public var headCommit: String? {
        var oid = git_oid()
        guard git_reference_name_to_id(&oid, handle, "HEAD") == 0 else { return nil }
        return Self.hex(&oid)
    }

    /// The current branch name, nil when HEAD is detached or unborn.
    public var branch: String? {
        var reference: OpaquePointer?
        guard git_repository_head(&reference, handle) == 0, let reference else { return nil }
        defer { git_reference_free(reference) }
        guard git_reference_is_branch(reference) != 0 else { return nil }
        var name: UnsafePointer<CChar>?
        guard git_branch_name(&name, reference) == 0, let name else { return nil }
        return String(cString: name)
    }

    /// Paths with uncommitted changes (untracked files included, ignored files not),
    /// leaving out paths under any of `excluding` (relative to the working tree).
    public func changedPaths(excluding: [String] = []) throws -> [String] {
        var options = git_status_options()
        git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION))
        options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
        options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue
        var list: OpaquePointer?
        let code = git_status_list_new(&list, handle, &options)
        guard code == 0, let list else { throw GitError.last("status", path, code: code) }
        defer { git_status_list_free(list) }
        var paths: [String] = []
        for index in 0..<git_status_list_entrycount(list) {
            guard let entry = git_status_byindex(list, index)?.pointee else { continue }
            let delta = entry.index_to_workdir ?? entry.head_to_index
            guard let delta, let raw = delta.pointee.new_file.path ?? delta.pointee.old_file.path else { continue }
            let path = String(cString: raw)
            if excluding.contains(where: { path == $0 || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }) { continue }
            paths.append(path)
        }
        return paths.sorted()
    }

    /// Resolves a tag, branch, remote branch or commit id to a commit id.
    public func resolve(_ reference: String) throws -> String {
        var object: OpaquePointer?
        var code = git_revparse_single(&object, handle, reference)
        if code != 0 { code = git_revparse_single(&object, handle, "origin/\(reference)") }
        guard code == 0, let object else { throw GitError.last("resolve '\(reference)'", path, code: code) }
        defer { git_object_free(object) }
        var commit: OpaquePointer?
        let peeled = git_object_peel(&commit, object, GIT_OBJECT_COMMIT)
        guard peeled == 0, let commit else { throw GitError.last("peel '\(reference)' to a commit", path, code: peeled) }
        defer { git_object_free(commit) }
        guard let id = git_object_id(commit) else { throw GitError(operation: "resolve", path: path, message: "no id") }
        var oid = id.pointee
        return Self.hex(&oid)
    }

    /// Checks out `commit` into the working tree (detached HEAD), forcing the tree to match it.
    public func checkout(commit: String) throws {
        var oid = git_oid()
        var code = git_oid_fromstr(&oid, commit)
        guard code == 0 else { throw GitError.last("parse commit id", path, code: code) }
        var object: OpaquePointer?
        code = git_object_lookup(&object, handle, &oid, GIT_OBJECT_COMMIT)
        guard code == 0, let object else { throw GitError.last("look up \(commit)", path, code: code) }
        defer { git_object_free(object) }
        var options = git_checkout_options()
        git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION))
        options.checkout_strategy = GIT_CHECKOUT_FORCE.rawValue
        code = git_checkout_tree(handle, object, &options)
        guard code == 0 else { throw GitError.last("checkout \(commit)", path, code: code) }
        code = git_repository_set_head_detached(handle, &oid)
        guard code == 0 else { throw GitError.last("detach HEAD at \(commit)", path, code: code) }
    }

    /// Commit, branch and changes of the working tree in one value.
    public func status(excluding: [String] = []) throws -> WorkingTreeStatus {
        WorkingTreeStatus(
            root: workingDirectory ?? path, commit: headCommit, branch: branch, changedPaths: try changedPaths(excluding: excluding))
    }

    static func hex(_ oid: inout git_oid) -> String {
        var buffer = [CChar](repeating: 0, count: Int(GIT_OID_HEXSZ) + 1)
        git_oid_tostr(&buffer, buffer.count, &oid)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
