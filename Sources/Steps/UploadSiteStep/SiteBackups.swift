import AWS
import Foundation
import LDEdgeKit
import Synchronization

/// An object as it was before ldedge overwrote or deleted it, kept in the step's work folder.
public struct KeptObject: Codable, Hashable, Sendable {
    var key: String
    /// File name of the kept bytes in the backup folder (their MD5: identical contents are stored once).
    var backup: String
    var contentType: String?
    var cacheControl: String?
}

/// What an upload-site step undoes.
public enum UploadSiteUndo: StepUndo {
    /// Put back overwritten or deleted objects from their recovery copies, delete created ones.
    case restoreObjects(ObjectsUndo)
    /// Empty and delete a bucket the run created.
    case deleteBucket(String)

    public static let legacyActions: [String: @Sendable (UndoRecord) throws -> UploadSiteUndo] = [
        "restore-objects": { .restoreObjects(try $0.payload(ObjectsUndo.self)) },
        "delete-bucket": { .deleteBucket($0.resource) },
    ]
}

/// How to undo one batch of object changes.
public struct ObjectsUndo: Codable, Sendable {
    var bucket: String
    /// Keys that did not exist before the change: deleted on undo.
    var created: [String]
    /// Keys that existed: put back from their kept copy on undo.
    var restore: [KeptObject]
}

/// What the workflow changed in a bucket it did not create, across runs, for teardown.
struct SiteMemory: Codable, Sendable {
    /// Keys ldedge created (they did not exist before the first run touched them).
    var created: Set<String> = []
    /// The content of keys ldedge overwrote or deleted, as it was before ldedge touched them.
    var originals: [String: KeptObject] = [:]

    mutating func record(created keys: [String], replaced kept: [KeptObject]) {
        for key in keys where originals[key] == nil { created.insert(key) }
        for object in kept where !created.contains(object.key) && originals[object.key] == nil { originals[object.key] = object }
    }

    mutating func record(deleted keys: [String], kept: [KeptObject]) {
        let byKey = Dictionary(kept.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        for key in keys {
            if created.contains(key) {
                created.remove(key)
            } else if originals[key] == nil, let object = byKey[key] {
                originals[key] = object
            }
        }
    }
}

/// Copies of objects, kept in the state backend before they are overwritten or deleted, so a
/// rollback or teardown on any machine can put them back byte for byte.
struct BackupStore {
    let context: StepContext

    init(_ context: StepContext) { self.context = context }

    func keep(_ keys: [String], bucket: String, s3: S3Client) async throws -> [KeptObject] {
        guard !keys.isEmpty else { return [] }
        let collected = KeptCollector()
        let context = self.context
        try await forEachConcurrently(keys, limit: 16) { key in
            let (body, metadata) = try await s3.getObject(bucket: bucket, key: key)
            let name = ContentDigest.md5Hex(body)
            try await context.keepCopy(name, body)
            collected.add(KeptObject(key: key, backup: name, contentType: metadata.contentType, cacheControl: metadata.cacheControl))
        }
        return collected.objects.sorted { $0.key < $1.key }
    }

    func restore(_ objects: [KeptObject], bucket: String, s3: S3Client) async throws {
        let context = self.context
        try await forEachConcurrently(objects, limit: 16) { object in
            guard let body = try await context.keptCopy(object.backup) else {
                throw UploadSiteError.backupMissing(key: object.key, path: "\(context.copyLocation)/\(object.backup)")
            }
            let options = S3PutObjectOptions(contentType: object.contentType, cacheControl: object.cacheControl)
            try await s3.putObject(bucket: bucket, key: object.key, body: body, options: options)
        }
    }
}

private final class KeptCollector: Sendable {
    private let kept = Mutex<[KeptObject]>([])

    func add(_ object: KeptObject) {
        kept.withLock { $0.append(object) }
    }

    var objects: [KeptObject] {
        kept.withLock { $0 }
    }
}
