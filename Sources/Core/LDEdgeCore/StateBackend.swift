import Foundation

/// Where one workflow's state lives: the local folder (`StateStore`) or a remote backend (S3).
///
/// The engine talks only to this protocol. `append` must not block on the network: a remote
/// backend queues the record and `flush` makes every queued record durable. The engine flushes
/// before each change it is about to make (the intent is durable before the change happens) and
/// at every checkpoint, so a run killed on one machine is recovered from another.
public protocol StateBackend: AnyObject, Sendable {
    var workflow: String { get }
    /// Where the state is, for messages: `.ldedge/rebrand` or `s3://bucket/prefix/rebrand`.
    var location: String { get }
    /// Local scratch space for steps (build folders, zips); never shared.
    var workDirectory: URL { get }

    /// True when a journal or snapshot exists for the workflow.
    func hasState() async throws -> Bool
    /// Takes the workflow's lock for the run `runID`; throws `StateError.locked`/`.lockHeld`.
    func lock(runID: String) async throws
    /// Releases the lock this backend took (never someone else's).
    func unlock() async
    /// The snapshot plus every newer journal record.
    func load() async throws -> WorkflowState
    /// Every journal record, oldest first.
    func readJournal() async throws -> [JournalRecord]
    /// Records one journal entry (secrets redacted); durable now (local) or after `flush` (remote).
    func append(_ record: JournalRecord) throws
    /// Makes every appended record durable.
    func flush() async throws
    /// Replaces the snapshot.
    func save(_ state: WorkflowState) async throws
    /// Replaces the journal and the snapshot wholesale (`ldedge state pull|push`); hold the lock.
    func replace(records: [JournalRecord], state: WorkflowState) async throws

    /// Stores a recovery copy durably (acknowledged when this returns); an existing copy of the
    /// same name is kept as it is (names are content digests).
    func keepCopy(_ copy: RecoveryCopy, data: Data) async throws
    /// The bytes of a recovery copy, or nil when there is none.
    func readCopy(_ copy: RecoveryCopy) async throws -> Data?
    /// Every recovery copy of the workflow.
    func listCopies() async throws -> [RecoveryCopy]
    /// Deletes recovery copies; missing ones are fine.
    func deleteCopies(_ copies: [RecoveryCopy]) async throws
}

/// A set of workflow states: the `.ldedge/` folder, or `s3://BUCKET/PREFIX`.
public protocol StateLocation: Sendable {
    /// `.ldedge` or `s3://bucket/prefix`, for messages.
    var description: String { get }
    /// True for shared (remote) locations; `ldedge state pull|push|unlock` need one.
    var isRemote: Bool { get }
    func store(for workflow: String) -> any StateBackend
    /// The workflows that have state here (also those with state only in environments).
    func workflows() async throws -> [String]
    /// The environments of `workflow` that have state here (`WORKFLOW/env/NAME/`), sorted.
    func environments(of workflow: String) async throws -> [String]
    /// Who holds a workflow's lock, when the location can tell (nil: nobody, or not knowable).
    func lockHolder(workflow: String) async throws -> LockHolder?
    /// Deletes a lock left by a dead run, only when it belongs to `runID`.
    func forceUnlock(workflow: String, runID: String) async throws
}

extension StateLocation {
    public var isRemote: Bool { true }
    public func lockHolder(workflow: String) async throws -> LockHolder? { nil }
}

/// The body of a remote lock object: who holds the workflow's lock, and since when.
public struct LockHolder: Codable, Sendable, Equatable {
    public var runId: String
    public var user: String
    public var host: String
    public var pid: Int32
    /// ISO 8601.
    public var started: String
    /// The ldedge version that took the lock.
    public var version: String

    public init(runId: String, user: String, host: String, pid: Int32, started: String, version: String) {
        self.runId = runId
        self.user = user
        self.host = host
        self.pid = pid
        self.started = started
        self.version = version
    }

    /// Who runs this process: `USER`, `LOGNAME` or the account name ("unknown" when none is set).
    public static var currentUser: String {
        let environment = ProcessInfo.processInfo.environment
        let user = environment["USER"] ?? environment["LOGNAME"] ?? NSUserName()
        return user.isEmpty ? "unknown" : user
    }

    /// A holder describing this process.
    public static func current(runID: String, now: Date = Date()) -> LockHolder {
        let user = currentUser
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return LockHolder(
            runId: runID, user: user.isEmpty ? "unknown" : user, host: ProcessInfo.processInfo.hostName,
            pid: ProcessInfo.processInfo.processIdentifier, started: formatter.string(from: now), version: LDEdgeVersion.current)
    }

    /// "locked by USER@HOST (pid N, run ID) since TIME; if that run is dead: ldedge state unlock WORKFLOW --force ID"
    /// `workflow` is a workflow name or a state key (`rebrand/env/pr-42`).
    public func message(workflow: String) -> String {
        let deployment = Deployment(stateKey: workflow)
        return "locked by \(user)@\(host) (pid \(pid), run \(runId)) since \(started); if that run is dead: ldedge state unlock \(deployment.workflow)\(deployment.envFlag) --force \(runId)"
    }
}

/// The version ldedge writes into locks and plan files.
public enum LDEdgeVersion {
    public static let current = "0.1.0"
}

/// The local `.ldedge/` folder as a `StateLocation`.
public struct LocalStateLocation: StateLocation {
    public let root: URL

    public init(root: URL) { self.root = root }

    public var description: String { root.path }
    public var isRemote: Bool { false }
    public func store(for workflow: String) -> any StateBackend { StateStore(root: root, workflow: workflow) }
    public func workflows() async throws -> [String] { StateStore.workflows(in: root, includingEnvironments: true) }
    public func environments(of workflow: String) async throws -> [String] { StateStore.environments(of: workflow, in: root) }

    public func forceUnlock(workflow: String, runID: String) async throws {
        throw StateError.io(
            path: root.appendingPathComponent(workflow).path,
            reason: "local state is locked with flock, which the kernel releases when the process dies; there is no stale lock to remove")
    }
}

/// Makes a `StateLocation` for a URL scheme (`s3`); the CLI registers the S3 backend.
public protocol StateLocationProvider: Sendable {
    var scheme: String { get }
    /// `url` is the whole `scheme://...`; `kmsKey` is the workflow's `stateKmsKey`.
    func location(url: String, settings: WorkflowSettings, kmsKey: String?, environment: [String: String], localRoot: URL) throws -> any StateLocation
}

/// Picks the state location: `--state` > `LDEDGE_STATE` > the workflow's `state:` > `.ldedge/`.
public struct StateSelection: Sendable {
    public var flag: String?
    public var providers: [any StateLocationProvider]

    public init(flag: String? = nil, providers: [any StateLocationProvider] = []) {
        self.flag = flag
        self.providers = providers
    }

    /// The chosen URL, or nil for the local folder.
    public func url(workflow: Workflow?, environment: [String: String]) -> String? {
        if let flag, !flag.isEmpty { return flag }
        if let env = environment["LDEDGE_STATE"], !env.isEmpty { return env }
        return workflow?.state
    }

    public func location(workflow: Workflow?, settings: WorkflowSettings? = nil, environment: [String: String], localRoot: URL) throws -> any StateLocation {
        guard let url = url(workflow: workflow, environment: environment) else { return LocalStateLocation(root: localRoot) }
        if url.hasPrefix("file://") { return LocalStateLocation(root: URL(fileURLWithPath: String(url.dropFirst("file://".count)))) }
        guard let schemeEnd = url.range(of: "://") else {
            return LocalStateLocation(root: URL(fileURLWithPath: url, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL)
        }
        let scheme = String(url[..<schemeEnd.lowerBound]).lowercased()
        guard let provider = providers.first(where: { $0.scheme == scheme }) else {
            let known = (["file"] + providers.map(\.scheme)).map { "\($0)://" }.joined(separator: ", ")
            throw StateError.badURL(url: url, reason: "unknown state scheme '\(scheme)://'; use one of: \(known)")
        }
        let kmsKey = environment["LDEDGE_STATE_KMS_KEY"] ?? workflow?.stateKmsKey
        return try provider.location(
            url: url, settings: settings ?? workflow?.settings ?? WorkflowSettings(), kmsKey: kmsKey, environment: environment, localRoot: localRoot)
    }
}
