import AWS
import Foundation
import LDEdgeCore
import Synchronization

/// Registers `s3://BUCKET/PREFIX` state URLs with the CLI.
public struct S3StateProvider: StateLocationProvider {
    public let scheme = "s3"
    /// Sees every state request (benchmarks and tests count them).
    public var observer: (any AWSRequestObserver)?
    /// Receives what the user should know but that does not stop the run (a bucket without
    /// versioning, a lock left in place); the CLI prints each as a warning.
    public var warn: @Sendable (String) -> Void

    public init(observer: (any AWSRequestObserver)? = nil, warn: @escaping @Sendable (String) -> Void = { _ in }) {
        self.observer = observer
        self.warn = warn
    }

    /// Uses the same AWS settings as the steps: the workflow's `aws:` block, then the environment
    /// (`AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_PROFILE`, web-identity credentials ...).
    public func location(url: String, settings: WorkflowSettings, kmsKey: String?, environment: [String: String], localRoot: URL) throws -> any StateLocation {
        let (bucket, prefix) = try Self.parse(url)
        var environment = environment
        if let endpoint = settings.aws?.endpoint { environment["AWS_ENDPOINT_URL"] = endpoint }
        let configuration: AWSConfiguration
        do {
            configuration = try AWSConfiguration.fromEnvironment(environment, profile: settings.aws?.profile, region: settings.aws?.region, observer: observer)
        } catch {
            throw StateError.remote(location: url, reason: "\(error)")
        }
        let encryption: S3ServerSideEncryption = kmsKey.map { .kms(keyID: $0.isEmpty ? nil : $0) } ?? .aes256
        return S3StateLocation(
            bucket: bucket, prefix: prefix, client: AWSClient(configuration: configuration), encryption: encryption, localRoot: localRoot, warn: warn)
    }

    /// `s3://bucket/some/prefix/` -> ("bucket", "some/prefix").
    public static func parse(_ url: String) throws -> (bucket: String, prefix: String) {
        guard url.lowercased().hasPrefix("s3://") else { throw StateError.badURL(url: url, reason: "expected s3://BUCKET/PREFIX") }
        let rest = url.dropFirst("s3://".count)
        let parts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let bucket = String(parts.first ?? "")
        let pattern = "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
        guard bucket.range(of: pattern, options: .regularExpression) != nil else {
            throw StateError.badURL(url: url, reason: "'\(bucket)' is not a valid S3 bucket name (3-63 lower-case letters, digits, '.' and '-'); write s3://BUCKET/PREFIX")
        }
        var prefix = parts.count > 1 ? String(parts[1]) : ""
        while prefix.hasSuffix("/") { prefix.removeLast() }
        while prefix.hasPrefix("/") { prefix.removeFirst() }
        return (bucket, prefix)
    }
}

/// State shared through an S3 bucket the user owns (ldedge never creates or deletes it):
/// `PREFIX/WORKFLOW/state.json`, `PREFIX/WORKFLOW/journal/00000017.json` and `PREFIX/WORKFLOW/lock.json`.
public struct S3StateLocation: StateLocation {
    public let bucket: String
    public let prefix: String
    public let client: AWSClient
    public let encryption: S3ServerSideEncryption
    /// Local scratch space (`.ldedge/<workflow>/work`): build output is never shared.
    public let localRoot: URL
    /// Where warnings go (`S3StateProvider.warn`).
    public let warn: @Sendable (String) -> Void
    let checks: BucketChecks

    public init(
        bucket: String, prefix: String, client: AWSClient, encryption: S3ServerSideEncryption, localRoot: URL,
        warn: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.bucket = bucket
        self.prefix = prefix
        self.client = client
        self.encryption = encryption
        self.localRoot = localRoot
        self.warn = warn
        checks = BucketChecks()
    }

    public var description: String { "s3://\(bucket)\(prefix.isEmpty ? "" : "/" + prefix)" }
    public var isRemote: Bool { true }
    var s3: S3Client { client.s3 }

    /// `PREFIX/WORKFLOW`.
    func base(_ workflow: String) -> String { prefix.isEmpty ? workflow : "\(prefix)/\(workflow)" }

    public func store(for workflow: String) -> any StateBackend { S3StateStore(location: self, workflow: workflow) }

    public func workflows() async throws -> [String] {
        try await preflight()
        let listPrefix = prefix.isEmpty ? "" : prefix + "/"
        do {
            let page = try await s3.listObjectsV2Page(bucket: bucket, prefix: listPrefix, delimiter: "/")
            return page.commonPrefixes.map { String($0.dropFirst(listPrefix.count).dropLast()) }.filter { !$0.isEmpty }.sorted()
        } catch {
            throw explain(error, key: listPrefix)
        }
    }

    public func environments(of workflow: String) async throws -> [String] {
        try await preflight()
        let listPrefix = base(workflow) + "/env/"
        do {
            let page = try await s3.listObjectsV2Page(bucket: bucket, prefix: listPrefix, delimiter: "/")
            return page.commonPrefixes.map { String($0.dropFirst(listPrefix.count).dropLast()) }
                .filter { Deployment.problem(environment: $0) == nil }.sorted()
        } catch {
            throw explain(error, key: listPrefix)
        }
    }

    public func lockHolder(workflow: String) async throws -> LockHolder? {
        try await readLock(workflow)?.holder
    }

    public func forceUnlock(workflow: String, runID: String) async throws {
        try await preflight()
        let key = base(workflow) + "/lock.json"
        let found: (holder: LockHolder, eTag: String)?
        do {
            found = try await readLock(workflow)
        } catch StateError.lockUnreadable(_, _, _, let token) where token == runID {
            // Not an ldedge lock, and the caller named exactly this object: remove it.
            do {
                try await s3.deleteObject(bucket: bucket, key: key, ifMatch: "\"\(token)\"")
            } catch let error as AWSError where error.serviceError?.status == 412 {
                throw StateError.conflict(location: "\(description)/\(workflow)", reason: "the lock object changed while it was being removed; nothing was changed. Try again")
            } catch {
                throw explain(error, key: key)
            }
            return
        }
        guard let lock = found else {
            throw StateError.conflict(location: "\(description)/\(workflow)", reason: "the workflow is not locked; nothing to unlock")
        }
        guard lock.holder.runId == runID else {
            throw StateError.conflict(
                location: "\(description)/\(workflow)",
                reason: "the lock belongs to run \(lock.holder.runId) (\(lock.holder.user)@\(lock.holder.host), pid \(lock.holder.pid)), not \(runID); nothing was changed. Check 'ldedge state show \(workflow)'")
        }
        do {
            try await s3.deleteObject(bucket: bucket, key: key, ifMatch: lock.eTag)
        } catch let error as AWSError where error.serviceError?.status == 412 {
            throw StateError.conflict(location: "\(description)/\(workflow)", reason: "the lock changed while it was being removed; nothing was changed. Run 'ldedge state show \(workflow)' and try again")
        } catch {
            throw explain(error, key: key)
        }
    }

    /// What an unreadable lock object holds, for the message: its size and its start, printable.
    static func excerpt(_ body: Data) -> String {
        guard !body.isEmpty else { return "0 bytes" }
        let text = String(decoding: body.prefix(120), as: UTF8.self)
        let printable = String(text.unicodeScalars.map { $0.properties.isWhitespace ? " " : ($0.value < 0x20 || $0.value == 0xFFFD ? "?" : Character($0)) })
        return "\(body.count) bytes: '\(Secrets.shared.redact(printable))\(body.count > 120 ? "..." : "")'"
    }

    /// The lock object and its entity tag, or nil when nobody holds the lock.
    func readLock(_ workflow: String) async throws -> (holder: LockHolder, eTag: String)? {
        let key = base(workflow) + "/lock.json"
        do {
            let (body, metadata) = try await s3.getObject(bucket: bucket, key: key)
            guard let holder = try? JSONDecoder().decode(LockHolder.self, from: body) else {
                throw StateError.lockUnreadable(
                    workflow: workflow, object: "s3://\(bucket)/\(key)", excerpt: Self.excerpt(body),
                    token: (metadata.eTag ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
            }
            return (holder, metadata.eTag ?? "")
        } catch let error as AWSError where error.isNotFound {
            return nil
        } catch let error as StateError {
            throw error
        } catch {
            throw explain(error, key: key)
        }
    }

    /// Checks the bucket once per process: it exists, is in our region, and keeps versions.
    func preflight() async throws {
        try await checks.run { [self] in
            // Both at once: one round trip before the first state request.
            async let versioningStatus = try? s3.bucketVersioning(bucket)
            let region: String?
            do {
                region = try await s3.bucketRegion(bucket)
            } catch {
                _ = await versioningStatus
                throw explain(error, key: prefix)
            }
            let ours = client.configuration.region
            if let region, region != ours {
                throw StateError.remote(
                    location: description,
                    reason: "the bucket '\(bucket)' is in region \(region), but ldedge uses \(ours) for state; set AWS_REGION=\(region) (or aws.region in the workflow) or use a bucket in \(ours)")
            }
            if await versioningStatus != "Enabled" {
                warn("versioning is off on the state bucket '\(bucket)'; enable it so an overwritten or deleted state can be recovered: aws s3api put-bucket-versioning --bucket \(bucket) --versioning-configuration Status=Enabled")
            }
        }
    }

    /// Turns AWS errors into messages that say what to do.
    func explain(_ error: Error, key: String) -> Error {
        guard let aws = error as? AWSError, let service = aws.serviceError else { return error }
        let object = "s3://\(bucket)/\(key)"
        // HeadBucket answers a missing bucket with a bare 404.
        let code = service.operation == "HeadBucket" && service.status == 404 ? "NoSuchBucket" : service.code
        switch code {
        case "NoSuchBucket":
            return StateError.remote(
                location: description,
                reason: "the bucket '\(bucket)' does not exist (ldedge never creates the state bucket); create it, with versioning: aws s3api create-bucket --bucket \(bucket) && aws s3api put-bucket-versioning --bucket \(bucket) --versioning-configuration Status=Enabled; or fix the state URL")
        case "AccessDenied", "Forbidden", "AllAccessDisabled":
            let area = "arn:aws:s3:::\(bucket)/\(prefix.isEmpty ? "" : prefix + "/")*"
            return StateError.remote(
                location: description,
                reason: "access denied for \(service.operation) on \(object); the credentials need s3:ListBucket on arn:aws:s3:::\(bucket) and s3:GetObject, s3:PutObject, s3:DeleteObject on \(area)\(service.code == "AccessDenied" && service.message.contains("kms") ? ", and kms:GenerateDataKey and kms:Decrypt on the state key" : "")")
        case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
            return StateError.remote(
                location: description,
                reason: "the bucket '\(bucket)' is in another region than \(client.configuration.region) (\(service.message)); set AWS_REGION to the bucket's region or aws.region in the workflow")
        default:
            return error
        }
    }
}

/// Runs the bucket checks once, and remembers a failure so every caller sees it.
final class BucketChecks: Sendable {
    /// The checks, started by the first caller.
    private let task = Mutex<Task<Void, Error>?>(nil)

    func run(_ body: @escaping @Sendable () async throws -> Void) async throws {
        try await started(body).value
    }

    private func started(_ body: @escaping @Sendable () async throws -> Void) -> Task<Void, Error> {
        task.withLock { task in
            let current = task ?? Task { try await body() }
            task = current
            return current
        }
    }
}
