import AWS
import AWSStepSupport
import Foundation
import LDEdgeKit

extension UploadSiteStep {
    // MARK: Rollback

    public func rollback(_ changes: [UploadSiteUndo], _ context: StepContext) async throws {
        let s3 = try context.awsClient().s3
        let backups = BackupStore(context)
        for change in changes {
            switch change {
            case .restoreObjects(let undo):
                guard !undo.created.isEmpty || !undo.restore.isEmpty else { continue }
                try await context.perform("put back \(undo.restore.count) and remove \(undo.created.count) objects in s3://\(undo.bucket)") {
                    do {
                        try await Self.deleteKeys(undo.created, bucket: undo.bucket, s3: s3)
                        try await backups.restore(undo.restore, bucket: undo.bucket, s3: s3)
                    } catch where error.awsCode == "NoSuchBucket" {}
                }
            case .deleteBucket(let bucket):
                try await context.perform("empty and delete bucket \(bucket)") {
                    try await Self.emptyAndDelete(bucket, s3: s3)
                }
                for resource in context.ownedResources where resource.type == "bucket" && resource.id == bucket {
                    try context.release(resource)
                }
            }
        }
        // A first run that failed leaves nothing adopted or remembered behind.
        if context.phase == .rollback, context.previous?.previous == nil {
            for resource in context.ownedResources { try context.release(resource) }
            for key in ["memory", "cacheControl", "commit"] { try context.forget(key) }
        }
    }

    // MARK: Teardown

    public func teardown(_ state: StepState, _ context: StepContext) async throws {
        let s3 = try context.awsClient().s3
        let backups = BackupStore(context)
        for resource in state.resources where resource.type == "bucket" {
            if resource.adopted {
                let memory = context.recall("memory", as: SiteMemory.self) ?? SiteMemory()
                if !memory.created.isEmpty || !memory.originals.isEmpty {
                    try await context.perform("remove \(memory.created.count) uploaded objects and put back \(memory.originals.count) replaced ones in s3://\(resource.id)") {
                        do {
                            try await Self.deleteKeys(memory.created.sorted(), bucket: resource.id, s3: s3)
                            try await backups.restore(memory.originals.values.sorted { $0.key < $1.key }, bucket: resource.id, s3: s3)
                        } catch where error.awsCode == "NoSuchBucket" {}
                    }
                }
            } else {
                try await context.perform("empty and delete bucket \(resource.id)") {
                    try await Self.emptyAndDelete(resource.id, s3: s3)
                }
            }
            try context.release(resource)
        }
    }

    static func deleteKeys(_ keys: [String], bucket: String, s3: S3Client) async throws {
        guard !keys.isEmpty else { return }
        let result = try await s3.deleteObjects(bucket: bucket, keys: keys)
        if let failure = result.failures.first { throw UploadSiteError.deleteFailed(key: failure.key, reason: failure.message) }
    }

    /// Deletes every object, then the bucket; a bucket that is already gone is fine.
    static func emptyAndDelete(_ bucket: String, s3: S3Client) async throws {
        do {
            let keys = try await s3.listAllObjects(bucket: bucket).map(\.key)
            try await deleteKeys(keys, bucket: bucket, s3: s3)
            try await s3.deleteBucket(bucket)
        } catch where error.awsCode == "NoSuchBucket" {}
    }
}
