import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors about the state folder.
public enum StateError: Error, CustomStringConvertible, Sendable {
    case locked(workflow: String, pid: String, path: String)
    case io(path: String, reason: String)
    case corrupt(path: String, line: Int, reason: String)
    case noState(folder: String)
    case ambiguous(folder: String, workflows: [String])
    /// A remote lock object names another run.
    case lockHeld(workflow: String, holder: LockHolder)
    /// A remote lock object exists but is not a readable ldedge lock; `token` removes it.
    case lockUnreadable(workflow: String, object: String, excerpt: String, token: String)
    case badURL(url: String, reason: String)
    /// Another run wrote the state since this one read it (a broken lock).
    case conflict(location: String, reason: String)
    /// A remote backend refused or failed; `reason` says what to do.
    case remote(location: String, reason: String)

    /// True for "another run holds the lock" (exit 4).
    public var isLockConflict: Bool {
        switch self {
        case .locked, .lockHeld, .lockUnreadable: return true
        default: return false
        }
    }

    /// True when another run holds the lock (a live local run, or a remote lock object).
    public var isLockHeld: Bool {
        switch self {
        case .locked, .lockHeld, .lockUnreadable: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .locked(let workflow, let pid, let path):
            return "workflow \(Deployment(stateKey: workflow)) is in use by another ldedge run (pid \(pid)); wait for it to finish, or remove \(path) if that process is gone"
        case .io(let path, let reason):
            return "cannot write ldedge state at \(path): \(reason)"
        case .corrupt(let path, let line, let reason):
            return "\(path):\(line): the state journal is damaged (\(reason)); keep a copy of the folder and report it"
        case .noState(let folder):
            return "no ldedge state in \(folder): nothing has been deployed from this directory (name the workflow file, or run from the directory you deployed from)"
        case .ambiguous(let folder, let workflows):
            return "\(folder) holds state for several workflows (\(workflows.joined(separator: ", "))); name the one to use"
        case .lockHeld(let workflow, let holder):
            return holder.message(workflow: workflow)
        case .lockUnreadable(let workflow, let object, let excerpt, let token):
            return "locked: \(object) exists but is not a readable ldedge lock (it holds \(excerpt)); "
                + "if no ldedge run is using workflow '\(workflow)': ldedge state unlock \(workflow) --force \(token)"
        case .badURL(let url, let reason):
            return "state URL '\(url)': \(reason)"
        case .conflict(let location, let reason):
            return "\(location): \(reason)"
        case .remote(let location, let reason):
            return "state at \(location): \(reason)"
        }
    }
}

/// The on-disk state of one workflow: `.ldedge/<workflow>/state.json` (a snapshot, mode 0600,
/// written atomically) and `journal.jsonl` (append-only, fsync'd). Loading folds the journal
/// records newer than the snapshot, so a run killed at any point loses nothing it journaled.
public final class StateStore: StateBackend, Sendable {
    public let root: URL
    public let workflow: String
    public var directory: URL { root.appendingPathComponent(workflow) }
    public var statePath: URL { directory.appendingPathComponent("state.json") }
    public var journalPath: URL { directory.appendingPathComponent("journal.jsonl") }
    public var lockPath: URL { directory.appendingPathComponent("lock") }
    /// Scratch space for steps (build folders, zips), never under version control.
    public var workDirectory: URL { directory.appendingPathComponent("work") }

    /// The open lock and journal files (-1: not open) and how many records this process wrote.
    private struct Descriptors {
        var lock: Int32 = -1
        var journal: Int32 = -1
        var recordsWritten = 0
    }
    private let descriptors = Mutex(Descriptors())

    /// Test hook: `LDEDGE_CRASH_AFTER_RECORD=N` kills the process with SIGKILL right after the
    /// N-th journal record this process writes, to prove recovery from a crash at any point.
    private let crashAfterRecord = ProcessInfo.processInfo.environment["LDEDGE_CRASH_AFTER_RECORD"].flatMap(Int.init)

    public init(root: URL, workflow: String) {
        self.root = root
        self.workflow = workflow
    }

    deinit {
        descriptors.withLock { files in
            if files.journal >= 0 { close(files.journal) }
            if files.lock >= 0 { close(files.lock) }
        }
    }

    /// The workflows with state under `root` (with `includingEnvironments`, also those whose
    /// only state is in environments).
    public static func workflows(in root: URL, includingEnvironments: Bool = false) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.filter {
            FileManager.default.fileExists(atPath: root.appendingPathComponent($0).appendingPathComponent("journal.jsonl").path)
                || (includingEnvironments && !environments(of: $0, in: root).isEmpty)
        }.sorted()
    }

    /// The environments of `workflow` with state under `root` (`WORKFLOW/env/NAME/journal.jsonl`).
    public static func environments(of workflow: String, in root: URL) -> [String] {
        let folder = root.appendingPathComponent(workflow).appendingPathComponent("env")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter {
            Deployment.problem(environment: $0) == nil
                && FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).appendingPathComponent("journal.jsonl").path)
        }.sorted()
    }

    /// Creates the folder (0700) with a `.gitignore` that keeps it out of commits and `git status`.
    public func prepare() throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let ignore = root.appendingPathComponent(".gitignore")
            if !FileManager.default.fileExists(atPath: ignore.path) {
                try Data("# ldedge state: never commit it\n*\n".utf8).write(to: ignore)
            }
        } catch {
            throw StateError.io(path: directory.path, reason: error.localizedDescription)
        }
    }

    /// Takes the workflow's lock; a second run on the same workflow fails with the holder's pid.
    /// The kernel releases the lock when the process dies, so a crash never leaves it stale.
    public func lock() throws {
        try prepare()
        let descriptor = open(lockPath.path, O_RDWR | O_CREAT, 0o600)
        guard descriptor >= 0 else { throw StateError.io(path: lockPath.path, reason: String(cString: strerror(errno))) }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let holder = (try? String(contentsOf: lockPath, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            close(descriptor)
            throw StateError.locked(workflow: workflow, pid: holder.flatMap { $0.isEmpty ? nil : $0 } ?? "unknown", path: lockPath.path)
        }
        ftruncate(descriptor, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(descriptor, $0, strlen($0)) }
        fsync(descriptor)
        descriptors.withLock { $0.lock = descriptor }
    }

    public func lock(runID: String) throws { try lock() }

    public var location: String { directory.path }

    public func hasState() -> Bool { exists }

    /// Local appends are durable when `append` returns.
    public func flush() {}

    public func unlock() {
        descriptors.withLock { files in
            guard files.lock >= 0 else { return }
            ftruncate(files.lock, 0)
            flock(files.lock, LOCK_UN)
            close(files.lock)
            files.lock = -1
        }
    }

    public var exists: Bool { FileManager.default.fileExists(atPath: journalPath.path) }

    /// The snapshot plus every newer journal record. A torn last line (a crash mid-write) is ignored.
    public func load() throws -> WorkflowState {
        var state = WorkflowState(workflow: workflow)
        if let data = FileManager.default.contents(atPath: statePath.path) {
            do {
                state = try JSONDecoder.iso8601.decode(WorkflowState.self, from: data)
            } catch {
                throw StateError.corrupt(path: statePath.path, line: 1, reason: "\(error)")
            }
        }
        for record in try readJournal() where record.seq > state.seq {
            state.apply(record)
        }
        return state
    }

    public func readJournal() throws -> [JournalRecord] {
        guard let data = FileManager.default.contents(atPath: journalPath.path) else { return [] }
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        var records: [JournalRecord] = []
        for (index, line) in lines.enumerated() where !line.isEmpty {
            do {
                records.append(try JSONDecoder.iso8601.decode(JournalRecord.self, from: Data(line)))
            } catch {
                // Only the last line may be torn by a crash; anything else is damage.
                if index >= lines.count - 2 { break }
                throw StateError.corrupt(path: journalPath.path, line: index + 1, reason: "\(error)")
            }
        }
        return records
    }

    /// Appends one record and fsyncs it before returning.
    public func append(_ record: JournalRecord) throws {
        var line = Secrets.shared.redact(try JSONEncoder.canonical.encode(record))
        line.append(UInt8(ascii: "\n"))
        try descriptors.withLock { files in
            if files.journal < 0 {
                try prepare()
                let descriptor = open(journalPath.path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
                guard descriptor >= 0 else { throw StateError.io(path: journalPath.path, reason: String(cString: strerror(errno))) }
                files.journal = descriptor
                // A torn last line from a crash would glue onto this record; start on a fresh line.
                if let data = FileManager.default.contents(atPath: journalPath.path), let last = data.last, last != UInt8(ascii: "\n") {
                    _ = "\n".withCString { write(descriptor, $0, 1) }
                }
            }
            let journal = files.journal
            let written = line.withUnsafeBytes { write(journal, $0.baseAddress, $0.count) }
            guard written == line.count, fsync(journal) == 0 else {
                throw StateError.io(path: journalPath.path, reason: String(cString: strerror(errno)))
            }
            files.recordsWritten += 1
            if let crashAfterRecord, files.recordsWritten == crashAfterRecord {
                kill(getpid(), SIGKILL)
            }
        }
    }

    /// Replaces the journal and the snapshot, each atomically (`ldedge state pull`).
    public func replace(records: [JournalRecord], state: WorkflowState) throws {
        try prepare()
        descriptors.withLock { files in
            if files.journal >= 0 {
                close(files.journal)
                files.journal = -1
            }
        }
        var lines = Data()
        for record in records {
            lines.append(Secrets.shared.redact(try JSONEncoder.canonical.encode(record)))
            lines.append(UInt8(ascii: "\n"))
        }
        try Self.atomicWrite(lines, to: journalPath)
        try save(state)
    }

    /// Writes the snapshot atomically: temp file, fsync, rename, mode 0600.
    public func save(_ state: WorkflowState) throws {
        try prepare()
        let data = Secrets.shared.redact(try JSONEncoder.pretty.encode(state))
        try Self.atomicWrite(data, to: statePath)
    }

    // MARK: Recovery copies (`work/STEP/backups/NAME`, the layout earlier releases used)

    func copyPath(_ copy: RecoveryCopy) -> URL {
        workDirectory.appendingPathComponent(copy.step).appendingPathComponent("backups").appendingPathComponent(copy.name)
    }

    public func keepCopy(_ copy: RecoveryCopy, data: Data) throws {
        let path = copyPath(copy)
        if FileManager.default.fileExists(atPath: path.path) { return }
        do {
            try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StateError.io(path: path.deletingLastPathComponent().path, reason: error.localizedDescription)
        }
        try Self.atomicWrite(data, to: path)
    }

    public func readCopy(_ copy: RecoveryCopy) -> Data? {
        FileManager.default.contents(atPath: copyPath(copy).path)
    }

    public func listCopies() -> [RecoveryCopy] {
        let fileManager = FileManager.default
        var copies: [RecoveryCopy] = []
        for step in ((try? fileManager.contentsOfDirectory(atPath: workDirectory.path)) ?? []).sorted() {
            let folder = workDirectory.appendingPathComponent(step).appendingPathComponent("backups")
            for name in ((try? fileManager.contentsOfDirectory(atPath: folder.path)) ?? []).sorted() where RecoveryCopy.isValidName(name) {
                copies.append(RecoveryCopy(step: step, name: name))
            }
        }
        return copies
    }

    public func deleteCopies(_ copies: [RecoveryCopy]) {
        for copy in copies { try? FileManager.default.removeItem(at: copyPath(copy)) }
    }

    public static func atomicWrite(_ data: Data, to url: URL) throws {
        let temp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        let descriptor = open(temp.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw StateError.io(path: temp.path, reason: String(cString: strerror(errno))) }
        let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == data.count, synced == 0, rename(temp.path, url.path) == 0 else {
            unlink(temp.path)
            throw StateError.io(path: url.path, reason: String(cString: strerror(errno)))
        }
        let directory = open(url.deletingLastPathComponent().path, O_RDONLY)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }
}
