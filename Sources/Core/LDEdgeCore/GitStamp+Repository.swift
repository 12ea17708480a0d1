import Foundation
import Git

extension GitStamp {
    /// The commit, branch and dirtiness of the repository holding `directory`; ldedge's own
    /// state folder is not counted as a change. Outside a repository: no commit, not dirty.
    public static func read(at directory: URL, stateRoot: URL) throws -> GitStamp {
        guard let repository = try Repository.discover(at: directory.path) else {
            return GitStamp(commit: nil, branch: nil, dirty: false, changedPaths: [])
        }
        let root = URL(fileURLWithPath: repository.workingDirectory ?? directory.path).standardizedFileURL.resolvingSymlinksInPath().path
        let state = stateRoot.standardizedFileURL.resolvingSymlinksInPath().path
        var excluded: [String] = []
        if state.hasPrefix(root) {
            excluded.append(String(state.dropFirst(root.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/")))
        }
        let status = try repository.status(excluding: excluded)
        return GitStamp(commit: status.commit, branch: status.branch, dirty: status.isDirty, changedPaths: status.changedPaths)
    }
}
