import AWS
import Foundation
import LDEdgeKit

/// Version pruning (`keepVersions`): every deploy publishes a version; once the deploy has succeeded,
/// the ones beyond the newest N that no distribution runs are deleted.
extension AttachTriggerStep: AfterDeployStep {
    var keepVersions: Int { max(1, input.keepVersions ?? 3) }

    /// Versions this step published (only those are ever pruned: an adopted function's own versions are not ldedge's).
    func rememberPublished(_ version: String, _ context: StepContext) throws {
        guard !version.isEmpty else { return }
        var published = context.recall("published", as: [String].self) ?? []
        if !published.contains(version) { published.append(version) }
        try context.remember("published", published)
    }

    /// Deletes published versions beyond the newest `keepVersions` that no distribution references.
    /// A version CloudFront still replicates is kept and tried again on the next deploy; so is one
    /// whose delete fails for another reason (reported as progress, never failing the deploy).
    public func afterDeploy(_ context: StepContext) async throws {
        let published = context.recall("published", as: [String].self) ?? []
        guard !published.isEmpty else { return }
        let client = try clients(context)
        let name = functionName(context)
        let existing = Set(try await client.lambda.listVersionsByFunction(name: name).compactMap(\.version))
        let numbered = existing.filter { $0 != "$LATEST" }.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }
        let newest = Set(numbered.prefix(keepVersions))
        let referenced = try await versionsReferenced(by: client.cloudFront, function: name)
        var candidates = published.filter { existing.contains($0) && !newest.contains($0) && !referenced.contains($0) }
        candidates.sort { (Int($0) ?? 0) < (Int($1) ?? 0) }
        var kept = published.filter { existing.contains($0) }
        for version in candidates {
            do {
                try await context.perform("delete version \(version) of function \(name) (keepVersions: \(keepVersions))") {
                    do { try await client.lambda.deleteFunction(name: name, qualifier: version) } catch where error.isAWSNotFound {}
                }
                kept.removeAll { $0 == version }
            } catch where Self.isReplicated(error) {
                context.progress("keeping version \(version) of \(name): CloudFront still replicates it; the next deploy deletes it")
            } catch {
                context.progress("could not delete version \(version) of \(name): \(error); the next deploy tries again")
            }
        }
        try context.remember("published", kept)
    }

    /// Version numbers of this function that any distribution's behaviors run (default and path patterns).
    func versionsReferenced(by cloudFront: CloudFrontClient, function: String) async throws -> Set<String> {
        let prefix = ":function:\(function):"
        var versions = Set<String>()
        for summary in try await cloudFront.listDistributions() {
            // A distribution that cannot be read might run any version: the error stops pruning (not the deploy).
            let config: DistributionConfig
            do { config = try await cloudFront.getDistributionConfig(id: summary.id).config } catch where error.isAWSNotFound { continue }
            let arns = config.lambdaFunctionAssociations().map(\.lambdaFunctionARN)
                + config.cacheBehaviorPathPatterns.flatMap { config.lambdaFunctionAssociations(pathPattern: $0).map(\.lambdaFunctionARN) }
            for arn in arns where arn.contains(prefix) {
                if let version = arn.split(separator: ":").last { versions.insert(String(version)) }
            }
        }
        return versions
    }
}
