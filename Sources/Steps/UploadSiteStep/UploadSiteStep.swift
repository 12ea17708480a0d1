import AWS
import AWSStepSupport
import Foundation
import Git
import LDEdgeKit

/// Syncs a site folder (local, or from git at a ref) to an S3 bucket, uploading only what changed.
///
/// Dry run: compares each file's MD5 with the object's ETag and lists the bucket to create, the files
/// to upload (new and changed), the objects to delete (`delete: true`) and the invalidation to create.
///
/// Rollback: restores byte for byte every object this run overwrote or deleted (kept locally before
/// the change), deletes every object it created, and deletes the bucket when this run created it.
///
/// Teardown: empties and deletes the bucket when the workflow created it; otherwise removes only the
/// objects it uploaded and puts back what they replaced.
public struct UploadSiteStep: Step {
    public static let kind = "upload-site"
    public static let summary = "Sync a static site folder (local or from git at a ref) to an S3 bucket, uploading only changed files"
    public static let documentation = """
        Dry run: lists the bucket to create and the files to upload, delete and invalidate (MD5 against ETag). \
        Rollback: restores overwritten objects byte for byte and deletes created ones (and the bucket if this run created it). \
        Teardown: empties and deletes the bucket if the workflow created it; otherwise removes only what it uploaded.
        """
    public static let defaultCacheControl = "public, max-age=300"
    static let defaultConcurrency = 16

    public static let inputs: [InputField] = [
        InputField("source", .oneOf([.string, .object([
            InputField("git", .string, required: true, "repository URL or path"),
            InputField("ref", .string, "tag, branch or commit (default: the remote HEAD)"),
            InputField("path", .string, "folder inside the repository (default: its root)"),
        ])]), required: true, "the site folder, or {git, ref, path} to take it from a repository"),
        InputField("bucket", .string, required: true, "S3 bucket; created private when missing"),
        InputField("prefix", .string, default: "", "key prefix the site is stored under"),
        InputField("public", .boolean, default: "false", "reproduce the guide's public bucket (public read policy) instead of a private one"),
        InputField("delete", .boolean, default: "false", "delete objects under the prefix that no longer exist locally"),
        InputField("cacheControl", .string, default: defaultCacheControl, "Cache-Control header of every uploaded object"),
        InputField("distribution", .string, "CloudFront distribution id to invalidate the changed paths on"),
        InputField("concurrency", .integer, default: String(defaultConcurrency), "parallel uploads"),
    ]
    public static let outputs: [OutputField] = [
        OutputField("bucket", "the bucket name"),
        OutputField("prefix", "the key prefix (empty or ending with /)"),
        OutputField("regionalDomainName", "bucket.s3.REGION.amazonaws.com, the CloudFront origin domain"),
        OutputField("uploaded", "files uploaded by the last apply"),
        OutputField("unchanged", "files already up to date"),
        OutputField("commit", "the git commit the site came from (empty for a local folder)"),
    ]

    public let id: String
    public let input: Input

    public init(id: String, input: Input) {
        self.id = id
        self.input = input
    }

    public static func validate(_ input: Input) -> [InputIssue] {
        var issues: [InputIssue] = []
        if !BucketName.isValid(input.bucket) && !input.bucket.contains("${") {
            issues.append(InputIssue(["bucket"], "'\(input.bucket)' is not a valid S3 bucket name: use 3-63 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"))
        }
        if let prefix = input.prefix, prefix.split(separator: "/").contains("..") {
            issues.append(InputIssue(["prefix"], "the prefix must not contain '..'; give a plain key prefix like 'site/'"))
        }
        switch input.source {
        case .folder(let path) where path.isEmpty:
            issues.append(InputIssue(["source"], "'source' is empty; give the site folder"))
        case .git(_, _, let path?) where path.hasPrefix("/") || path.split(separator: "/").contains(".."):
            issues.append(InputIssue(["source", "path"], "'path' must stay inside the repository: use a relative path without '..'"))
        default:
            break
        }
        if let concurrency = input.concurrency, !(1...64).contains(concurrency) {
            issues.append(InputIssue(["concurrency"], "concurrency must be between 1 and 64"))
        }
        return issues
    }

    // MARK: Plan

    public func plan(_ context: StepContext) async throws -> StepPlan {
        let bucket = context.scopedName(input.bucket, limit: 63)
        let prefix = input.normalizedPrefix
        let client = try context.awsClient()
        let s3 = client.s3
        let (root, commit) = try prepareSource(context)
        let files: [SiteFile]
        do {
            // Deploy plans every step, then plans each again just before applying it: scan once per run.
            let scans = context.shared("upload-site.scans") { ScanCache() }
            files = try await scans.files(root) { try await SiteFolder.scan(root) }
        } catch let error as SiteFolderError {
            return StepPlan(findings: [.error(error.description)])
        }
        // The listing the whole-workflow plan made is reused by the plan right before apply, so
        // apply makes exactly the changes that were shown (and the bucket is listed once per run).
        let listings = context.shared("upload-site.listings") { ListingCache() }
        let listingKey = "\(bucket)/\(prefix)"
        let listing: RemoteListing
        if let cached = listings[listingKey] {
            listing = cached
        } else {
            var fetched = RemoteListing(exists: try await s3.bucketExists(bucket), etags: [:])
            if fetched.exists {
                // Multipart ETags ("...-3") are not MD5s: such objects always count as changed.
                fetched.etags = try await s3.listETags(bucket: bucket, prefix: prefix).mapValues { $0.contains("-") ? "multipart" : $0.lowercased() }
            }
            listings[listingKey] = fetched
            listing = fetched
        }
        let exists = listing.exists
        let remote = listing.etags
        let previousCacheControl = context.recall("cacheControl", as: String.self)
        let cacheControlChanged = previousCacheControl != nil && previousCacheControl != input.cacheControlValue
        var uploads: [PlannedUpload] = []
        var unchanged = 0
        for file in files {
            let key = prefix + file.path
            if let existing = remote[key], existing == file.md5, !cacheControlChanged {
                unchanged += 1
            } else {
                uploads.append(PlannedUpload(file: file, key: key, replaces: remote[key]))
            }
        }
        let local = Set(files.map { prefix + $0.path })
        let deletes = input.delete == true ? remote.keys.filter { !local.contains($0) }.sorted() : []
        var invalidate: String?
        if let distribution = input.distribution, !uploads.isEmpty || !deletes.isEmpty {
            invalidate = distribution
        }
        let sync = SyncPlan(bucket: bucket, prefix: prefix, root: root.path, commit: commit, createBucket: !exists,
                            uploads: uploads, deletes: deletes, unchanged: unchanged, invalidate: invalidate)

        var changes: [PlannedChange] = []
        if !exists {
            changes.append(PlannedChange(.create, "bucket \(bucket)", detail: input.public == true
                ? "public website bucket (public read policy)" : "private, public access blocked"))
        }
        if !uploads.isEmpty {
            let created = uploads.filter { $0.replaces == nil }.count
            let bytes = uploads.reduce(0) { $0 + $1.file.size }
            changes.append(PlannedChange(uploads.count == files.count && !exists ? .create : .update, "s3://\(bucket)/\(prefix)",
                                         detail: "upload \(uploads.count) of \(files.count) files (\(created) new, \(uploads.count - created) changed, \(Self.bytes(bytes)))"
                                            + Self.sample(uploads.map(\.file.path))))
        }
        if !deletes.isEmpty {
            changes.append(PlannedChange(.delete, "s3://\(bucket)/\(prefix)", detail: "delete \(deletes.count) objects no longer in the folder" + Self.sample(deletes)))
        }
        if let invalidate {
            let target = context.isKnown(invalidate) ? invalidate : "(known after apply)"
            changes.append(PlannedChange(.create, "invalidation on distribution \(target)", detail: Self.invalidationPaths(sync).joined(separator: " ")))
        }
        if changes.isEmpty {
            changes.append(PlannedChange(.none, "s3://\(bucket)/\(prefix)", detail: "\(files.count) files up to date"))
        }
        let outputs: [String: String] = [
            "bucket": bucket, "prefix": prefix, "regionalDomainName": "\(bucket).s3.\(client.configuration.region).amazonaws.com",
            "uploaded": String(uploads.count), "unchanged": String(unchanged), "commit": commit ?? "",
        ]
        return StepPlan(changes: changes, outputs: outputs, data: try JSONValue(encoding: sync))
    }

    /// The local folder to upload: the input folder, or a fresh checkout of the git source.
    func prepareSource(_ context: StepContext) throws -> (URL, String?) {
        switch input.source {
        case .folder(let path):
            return (context.resolvePath(path), nil)
        case .git(let url, let ref, let path):
            let sources = context.shared("upload-site.sources") { SourceCache() }
            return try sources.checkout("\(url)#\(ref ?? "")#\(path ?? "")") { try clone(url, ref: ref, path: path, context) }
        }
    }

    /// Clones the repository into the work folder and checks out the ref.
    func clone(_ url: String, ref: String?, path: String?, _ context: StepContext) throws -> (URL, String?) {
        let checkouts = context.workDirectory.appendingPathComponent("checkouts")
        try? FileManager.default.removeItem(at: checkouts)
        try FileManager.default.createDirectory(at: checkouts, withIntermediateDirectories: true)
        let destination = checkouts.appendingPathComponent(UUID().uuidString.prefix(8).lowercased())
        let location = url.contains("://") || url.hasPrefix("git@") ? url : context.resolvePath(url).path
        let repository = try Repository.clone(location, to: destination.path)
        let commit = try ref.map { try repository.resolve($0) } ?? repository.headCommit
        guard let commit else { throw UploadSiteError.emptyRepository(url) }
        try repository.checkout(commit: commit)
        let folder = path.map { destination.appendingPathComponent($0).standardizedFileURL } ?? destination
        return (folder, commit)
    }

    // MARK: Apply

    public func apply(_ plan: StepPlan, _ context: StepContext) async throws -> [String: String] {
        let sync = try plan.data.decode(SyncPlan.self)
        let s3 = try context.awsClient().s3
        // From here on the bucket changes: a later plan in this run must list it again.
        context.shared("upload-site.listings") { ListingCache() }["\(sync.bucket)/\(sync.prefix)"] = nil
        let bucket = sync.bucket
        var memory = context.recall("memory", as: SiteMemory.self) ?? SiteMemory()
        if sync.createBucket {
            try await context.perform("create bucket \(bucket)", undo: UploadSiteUndo.deleteBucket(bucket)) {
                try await s3.createBucket(bucket)
            }
            try context.own(Resource(type: "bucket", id: bucket))
            if input.public == true {
                try await context.perform("allow public reads of bucket \(bucket)") {
                    do { try await s3.deletePublicAccessBlock(bucket: bucket) } catch where error.isAWSNotFound {}
                    try await s3.putBucketPolicy(bucket: bucket, policy: BucketPolicyDocument.publicRead(bucket: bucket))
                }
            } else {
                try await context.perform("block public access to bucket \(bucket)") {
                    try await s3.putPublicAccessBlock(bucket: bucket)
                }
            }
        } else if !context.ownedResources.contains(where: { $0.type == "bucket" && $0.id == bucket }) {
            try context.own(Resource(type: "bucket", id: bucket, adopted: true))
        }
        let backups = BackupStore(context)

        if !sync.uploads.isEmpty {
            // Keep what is about to be overwritten, so rollback can put it back byte for byte.
            let replaced = sync.uploads.filter { $0.replaces != nil }.map(\.key)
            let kept = try await backups.keep(replaced, bucket: bucket, s3: s3)
            let created = sync.uploads.filter { $0.replaces == nil }.map(\.key)
            let undo = UploadSiteUndo.restoreObjects(ObjectsUndo(bucket: bucket, created: created, restore: kept))
            let bytes = sync.uploads.reduce(0) { $0 + $1.file.size }
            try await context.perform("upload \(sync.uploads.count) files (\(Self.bytes(bytes))) to s3://\(bucket)/\(sync.prefix)", undo: undo) {
                try await SiteUploader(s3: s3, bucket: bucket, root: URL(fileURLWithPath: sync.root), cacheControl: input.cacheControlValue,
                                       concurrency: input.concurrency ?? Self.defaultConcurrency, context: context).upload(sync.uploads)
            }
            memory.record(created: created, replaced: kept)
        }
        if !sync.deletes.isEmpty {
            let kept = try await backups.keep(sync.deletes, bucket: bucket, s3: s3)
            let undo = UploadSiteUndo.restoreObjects(ObjectsUndo(bucket: bucket, created: [], restore: kept))
            try await context.perform("delete \(sync.deletes.count) objects from s3://\(bucket)/\(sync.prefix)", undo: undo) {
                let result = try await s3.deleteObjects(bucket: bucket, keys: sync.deletes)
                if let failure = result.failures.first { throw UploadSiteError.deleteFailed(key: failure.key, reason: failure.message) }
            }
            memory.record(deleted: sync.deletes, kept: kept)
        }
        if let distribution = sync.invalidate {
            let paths = Self.invalidationPaths(sync)
            try await context.perform("invalidate \(paths.count) path\(paths.count == 1 ? "" : "s") on distribution \(distribution)") {
                _ = try await context.awsClient().cloudFront.createInvalidation(distributionId: distribution, paths: paths)
            }
        }
        try context.remember("memory", memory)
        try context.remember("cacheControl", input.cacheControlValue)
        if let commit = sync.commit { try context.remember("commit", commit) }
        return plan.outputs
    }

    /// What CloudFront must forget: each changed path, or the whole prefix when there are many.
    static func invalidationPaths(_ sync: SyncPlan) -> [String] {
        let keys = sync.uploads.map(\.key) + sync.deletes
        if keys.count > 10 { return ["/\(sync.prefix)*"] }
        var paths = keys.map { "/" + $0 }
        for key in keys where key.hasSuffix("/index.html") || key == "index.html" {
            paths.append("/" + String(key.dropLast("index.html".count)))
        }
        return Array(Set(paths)).sorted()
    }

    static func bytes(_ count: Int) -> String {
        if count < 1024 { return "\(count) B" }
        if count < 1024 * 1024 { return String(format: "%.1f KB", Double(count) / 1024) }
        return String(format: "%.1f MB", Double(count) / 1_048_576)
    }

    static func sample(_ names: [String]) -> String {
        guard !names.isEmpty else { return "" }
        let shown = names.prefix(3).joined(separator: ", ")
        return ": \(shown)\(names.count > 3 ? ", ..." : "")"
    }
}

/// What `plan` found, handed to `apply`.
struct SyncPlan: Codable, Sendable {
    var bucket: String
    var prefix: String
    var root: String
    var commit: String?
    var createBucket: Bool
    var uploads: [PlannedUpload]
    var deletes: [String]
    var unchanged: Int
    var invalidate: String?
}

struct PlannedUpload: Codable, Sendable {
    var file: SiteFile
    var key: String
    /// The MD5 of the object this upload overwrites; nil for a new key.
    var replaces: String?
}

public enum UploadSiteError: Error, CustomStringConvertible {
    case emptyRepository(String)
    case deleteFailed(key: String, reason: String)
    case backupMissing(key: String, path: String)

    public var description: String {
        switch self {
        case .emptyRepository(let url):
            return "the repository \(url) has no commits; give 'ref' or push a commit"
        case .deleteFailed(let key, let reason):
            return "S3 refused to delete \(key): \(reason)"
        case .backupMissing(let key, let path):
            return "the copy of \(key) kept before it was overwritten is missing (\(path)): it was kept on another machine by an ldedge that kept copies only locally, or removed by hand; the object cannot be restored. Put back its old content yourself if you have it"
        }
    }
}

/// S3 bucket naming rules (the common subset that works in every region).
enum BucketName {
    static func isValid(_ name: String) -> Bool {
        guard (3...63).contains(name.count), let first = name.first, let last = name.last,
              first.isLetter || first.isNumber, last.isLetter || last.isNumber, !name.contains("..") else { return false }
        return name.allSatisfy { ($0.isLowercase && $0.isASCII) || ($0.isNumber && $0.isASCII) || $0 == "-" || $0 == "." }
    }
}

/// Bucket policies written by the step.
enum BucketPolicyDocument {
    static func publicRead(bucket: String) -> String {
        """
        {"Version":"2012-10-17","Statement":[{"Sid":"PublicReadGetObject","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::\(bucket)/*"}]}
        """
    }
}
