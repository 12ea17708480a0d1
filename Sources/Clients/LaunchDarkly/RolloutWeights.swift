import Foundation

/// Rollout weights in thousandths of a percent per variation `_id`, always summing to exactly 100000.
///
/// Percentages are converted with the largest-remainder method, so `{a: 33.3334, b: 33.3333, c: 33.3333}`
/// becomes 33334/33333/33333 and never 99999 or 100001.
public struct RolloutWeights: Sendable, Equatable, CustomStringConvertible {
    public static let total = 100_000

    /// Weight per variation `_id`.
    public let weights: [String: Int]

    /// Exact weights; they must each be in 0...100000 and sum to 100000.
    public init(weights: [String: Int]) throws {
        guard !weights.isEmpty else { throw LaunchDarklyError.invalidRolloutPercentages("no variations given") }
        if let bad = weights.first(where: { $0.value < 0 || $0.value > Self.total }) {
            throw LaunchDarklyError.invalidRolloutPercentages("weight \(bad.value) for '\(bad.key)' is outside 0...100000")
        }
        let sum = weights.values.reduce(0, +)
        guard sum == Self.total else {
            throw LaunchDarklyError.invalidRolloutPercentages("weights sum to \(sum), not 100000")
        }
        self.weights = weights
    }

    /// Percentages (0...100, up to three decimals are representable) per variation `_id`; they must sum to 100.
    public init(percentages: [String: Double]) throws {
        guard !percentages.isEmpty else { throw LaunchDarklyError.invalidRolloutPercentages("no variations given") }
        for (key, value) in percentages where !value.isFinite || value < 0 || value > 100 {
            throw LaunchDarklyError.invalidRolloutPercentages("\(value)% for '\(key)' is outside 0...100")
        }
        let sum = percentages.values.reduce(0, +)
        guard abs(sum - 100) < 1e-6 else {
            throw LaunchDarklyError.invalidRolloutPercentages("percentages sum to \(sum), not 100")
        }
        // Largest remainder: floor every share, then hand the missing units to the largest fractions
        // (ties broken by key so the result is deterministic).
        let exact = percentages.map { (key: $0.key, value: $0.value * 1000) }
        var floors = Dictionary(uniqueKeysWithValues: exact.map { ($0.key, Int(($0.value + 1e-7).rounded(.down))) })
        var missing = Self.total - floors.values.reduce(0, +)
        let order = exact.sorted {
            let a = $0.value - Double(floors[$0.key]!), b = $1.value - Double(floors[$1.key]!)
            return a != b ? a > b : $0.key < $1.key
        }
        var index = 0
        while missing > 0, !order.isEmpty {
            floors[order[index % order.count].key]! += 1
            missing -= 1
            index += 1
        }
        while missing < 0, let largest = floors.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }) {
            floors[largest.key] = largest.value - 1
            missing += 1
        }
        try self.init(weights: floors)
    }

    /// Percentages keyed by variation value (`[true: 25, false: 75]`), resolved to `_id`s through `flag`.
    public init(percentages: [Bool: Double], of flag: FeatureFlag) throws {
        var byID: [String: Double] = [:]
        for (value, percentage) in percentages {
            byID[try flag.variationID(for: .bool(value))] = percentage
        }
        try self.init(percentages: byID)
    }

    /// The percentage for a variation `_id` (weight / 1000).
    public func percentage(for variationID: String) -> Double {
        Double(weights[variationID] ?? 0) / 1000
    }

    /// The rollout the flag serves after applying these weights (variation indexes in flag order).
    public func rollout(for flag: FeatureFlag, bucketBy: String? = nil, contextKind: String? = nil) -> Rollout {
        Rollout(
            variations: flag.variations.enumerated().map { index, variation in
                WeightedVariation(variation: index, weight: variation.id.flatMap { weights[$0] } ?? 0)
            },
            bucketBy: bucketBy,
            contextKind: contextKind
        )
    }

    public var description: String {
        weights.keys.sorted().map { "\($0)=\(weights[$0]!)" }.joined(separator: ",")
    }
}
