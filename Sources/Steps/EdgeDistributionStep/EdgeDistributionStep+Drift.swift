import AWS
import AWSStepSupport
import Foundation
import LDEdgeKit

extension EdgeDistributionStep {
    /// Drift: the settings the last run applied to the distribution it created (comment, default
    /// root object, price class, enabled) against the live config. Adopted distributions are the
    /// user's to change and are not compared.
    public func drift(_ context: StepContext) async throws -> [DriftItem] {
        guard input.distribution == nil, let previous = context.previous, previous.status == .applied,
              let id = context.recall("distribution", as: String.self),
              let recorded = try? previous.input.decode(Input.self)
        else { return [] }
        let applied = EdgeDistributionStep(id: self.id, input: recorded)
        guard let live = try await context.awsClient().cloudFront.distributionIfPresent(id: id) else {
            return [DriftItem(resource: "distribution \(id)", field: "existence", recorded: "exists", actual: "deleted")]
        }
        let config = live.config
        var items: [DriftItem] = []
        func compare(_ field: String, _ expected: String?, _ actual: String?) {
            if (expected ?? "") != (actual ?? "") {
                items.append(DriftItem(resource: "distribution \(id)", field: field, recorded: expected, actual: actual))
            }
        }
        compare("Comment", applied.comment(context), config.comment)
        compare("DefaultRootObject", applied.defaultRootObject, config.defaultRootObject)
        compare("PriceClass", applied.priceClass, config.priceClass)
        compare("Enabled", "true", config.enabled ? "true" : "false")
        return items
    }
}
