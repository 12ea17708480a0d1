import AWS
import AWSStepSupport
import Foundation
import LDEdgeKit

extension EdgeDistributionStep {
    // MARK: Rollback

    public func rollback(_ changes: [EdgeDistributionUndo], _ context: StepContext) async throws {
        let client = try context.awsClient()
        for change in changes {
            switch change {
            case .restoreBucketPolicy(let bucket, let previous):
                try await restorePolicy(bucket: bucket, previous, context, client.s3)
                for resource in context.ownedResources where resource.type == "bucket-policy-statement" && resource.attributes["bucket"] == bucket {
                    try context.release(resource)
                }
            case .deleteDistribution(let callerReference, let comment):
                let owned = context.ownedResources.first { $0.type == "distribution" && $0.attributes["callerReference"] == callerReference }
                let found: String?
                if let owned {
                    found = owned.id
                } else {
                    found = try await findDistribution(callerReference: callerReference, comment: comment, client.cloudFront)
                }
                if let distributionID = found {
                    try await removeDistribution(distributionID, context, wait: true)
                }
                if let owned { try context.release(owned) }
                try context.forget("distribution")
            case .deleteOriginAccessControl(let name):
                try await removeOriginAccessControl(name: name, id: nil, context)
                for resource in context.ownedResources where resource.type == "origin-access-control" && resource.attributes["name"] == name {
                    try context.release(resource)
                }
            case .restoreSettings(let distribution, let settings):
                try await context.perform("restore settings of distribution \(distribution)") {
                    do {
                        try await client.cloudFront.updateDistribution(id: distribution) { config in
                            config.comment = settings.comment
                            config.setDefaultRootObject(settings.defaultRootObject)
                            config.priceClass = settings.priceClass
                        }
                    } catch where error.isAWSNotFound {}
                }
            }
        }
    }

    // MARK: Teardown

    public func teardown(_ state: StepState, _ context: StepContext) async throws {
        let client = try context.awsClient()
        let wait = context.options["no-wait"] == nil
        for resource in state.resources where resource.type == "bucket-policy-statement" {
            let bucket = resource.attributes["bucket"] ?? ""
            let sid = resource.attributes["sid"] ?? ""
            let current: String?
            do {
                current = try await client.s3.getBucketPolicy(bucket: bucket)
            } catch where error.awsCode == "NoSuchBucket" {
                try context.release(resource)
                continue
            }
            if BucketPolicy.contains(sid: sid, in: current) {
                let remaining = try BucketPolicy.replacing(sid: sid, with: nil, in: current)
                try await restorePolicy(bucket: bucket, remaining, context, client.s3)
            }
            try context.release(resource)
        }
        for resource in state.resources where resource.type == "distribution" {
            if !resource.adopted {
                try await removeDistribution(resource.id, context, wait: wait)
            }
            try context.release(resource)
        }
        for resource in state.resources where resource.type == "origin-access-control" {
            try await removeOriginAccessControl(name: resource.attributes["name"], id: resource.id, context)
            try context.release(resource)
        }
    }

    // MARK: Helpers

    func restorePolicy(bucket: String, _ policy: String?, _ context: StepContext, _ s3: S3Client) async throws {
        try await context.perform(policy == nil ? "delete the bucket policy of \(bucket)" : "put back the bucket policy of \(bucket)") {
            do {
                if let policy {
                    try await s3.putBucketPolicy(bucket: bucket, policy: policy)
                } else {
                    try await s3.deleteBucketPolicy(bucket: bucket)
                }
            } catch where error.isAWSNotFound {}
        }
    }

    /// Finds a distribution this step created by its caller reference (rollback of an uncertain create).
    func findDistribution(callerReference: String, comment: String?, _ cloudFront: CloudFrontClient) async throws -> String? {
        for summary in try await cloudFront.listDistributions() where comment == nil || summary.comment == comment {
            if let config = try? await cloudFront.getDistributionConfig(id: summary.id).config, config.callerReference == callerReference {
                return summary.id
            }
        }
        return nil
    }

    /// Disables the distribution, waits until it is Deployed and deletes it with If-Match.
    /// Without waiting, stops after disabling and asks for another teardown later.
    func removeDistribution(_ distributionID: String, _ context: StepContext, wait: Bool) async throws {
        let cloudFront = try context.awsClient().cloudFront
        guard let distribution = try await cloudFront.distributionIfPresent(id: distributionID) else { return }
        if distribution.config.enabled {
            try await context.perform("disable distribution \(distributionID)") {
                try await cloudFront.updateDistribution(id: distributionID) { $0.enabled = false }
            }
        }
        guard wait else {
            throw TeardownPending("distribution \(distributionID) is being disabled; CloudFront needs about 15 minutes before it can be deleted: run 'ldedge teardown\(context.deployment.envFlag)' again then")
        }
        _ = try await waitDeployed(distributionID, context)
        let eTag = try await cloudFront.getDistributionConfig(id: distributionID).eTag
        try await context.perform("delete distribution \(distributionID)") {
            do {
                try await cloudFront.deleteDistribution(id: distributionID, ifMatch: eTag)
            } catch where error.isAWSNotFound {}
        }
    }

    func removeOriginAccessControl(name: String?, id: String?, _ context: StepContext) async throws {
        let cloudFront = try context.awsClient().cloudFront
        var target = id
        if target == nil, let name {
            target = try await cloudFront.listOriginAccessControls().first { $0.name == name }?.id
        }
        guard let target else { return }
        let current: OriginAccessControl
        do {
            current = try await cloudFront.getOriginAccessControl(id: target)
        } catch where error.isAWSNotFound {
            return
        }
        try await context.perform("delete origin access control \(current.name)") {
            do {
                try await cloudFront.deleteOriginAccessControl(id: target, ifMatch: current.eTag ?? "")
            } catch where error.isAWSNotFound {}
        }
    }
}
