import LaunchDarkly
import XCTest

final class RolloutWeightsTests: XCTestCase {
    func testHalvesAndQuarters() throws {
        XCTAssertEqual(try RolloutWeights(percentages: ["t": 50, "f": 50]).weights, ["t": 50_000, "f": 50_000])
        XCTAssertEqual(try RolloutWeights(percentages: ["t": 25, "f": 75]).weights, ["t": 25_000, "f": 75_000])
        XCTAssertEqual(try RolloutWeights(percentages: ["t": 100, "f": 0]).weights, ["t": 100_000, "f": 0])
    }

    func testThirdsAlwaysSumToExactlyOneHundredThousand() throws {
        let third = 100.0 / 3
        let weights = try RolloutWeights(percentages: ["a": third, "b": third, "c": third]).weights
        XCTAssertEqual(weights.values.reduce(0, +), 100_000)
        XCTAssertEqual(weights.values.sorted(), [33_333, 33_333, 33_334])
        // Deterministic: the same input gives the same weights.
        XCTAssertEqual(try RolloutWeights(percentages: ["a": third, "b": third, "c": third]).weights, weights)
    }

    func testManyAwkwardSplitsSumExactly() throws {
        for parts in 2...9 {
            for offset in stride(from: 0.0, to: 1, by: 0.137) {
                var percentages: [String: Double] = [:]
                var remaining = 100.0
                for index in 0..<(parts - 1) {
                    let share = (100.0 / Double(parts)) + offset * (index.isMultiple(of: 2) ? 1 : -1)
                    percentages["v\(index)"] = share
                    remaining -= share
                }
                percentages["v\(parts - 1)"] = remaining
                guard percentages.values.allSatisfy({ $0 >= 0 }) else { continue }
                let weights = try RolloutWeights(percentages: percentages)
                XCTAssertEqual(weights.weights.values.reduce(0, +), 100_000, "\(percentages)")
                for (key, value) in percentages {
                    XCTAssertLessThanOrEqual(abs(Double(weights.weights[key]!) - value * 1000), 1.0, "\(key) \(value)")
                }
            }
        }
    }

    func testThousandthsOfAPercentArePreserved() throws {
        XCTAssertEqual(try RolloutWeights(percentages: ["a": 0.001, "b": 99.999]).weights, ["a": 1, "b": 99_999])
        XCTAssertEqual(try RolloutWeights(percentages: ["a": 12.345, "b": 87.655]).weights, ["a": 12_345, "b": 87_655])
    }

    func testRejectsBadInput() {
        XCTAssertThrowsError(try RolloutWeights(percentages: ["a": 50, "b": 40]))
        XCTAssertThrowsError(try RolloutWeights(percentages: ["a": -10, "b": 110]))
        XCTAssertThrowsError(try RolloutWeights(percentages: ["a": .nan, "b": 100]))
        XCTAssertThrowsError(try RolloutWeights(percentages: [:]))
        XCTAssertThrowsError(try RolloutWeights(weights: ["a": 50_000, "b": 49_999]))
        XCTAssertThrowsError(try RolloutWeights(weights: ["a": 100_001, "b": -1]))
    }

    func testBooleanPercentagesResolveVariationIDs() throws {
        let flag = FeatureFlag(key: "rebrand", name: "Rebrand", variations: [
            Variation(id: "id-true", value: .bool(true)), Variation(id: "id-false", value: .bool(false)),
        ])
        let weights = try RolloutWeights(percentages: [true: 10, false: 90], of: flag)
        XCTAssertEqual(weights.weights, ["id-true": 10_000, "id-false": 90_000])
        XCTAssertEqual(weights.rollout(for: flag, bucketBy: "key", contextKind: "user").variations,
                       [WeightedVariation(variation: 0, weight: 10_000), WeightedVariation(variation: 1, weight: 90_000)])
        XCTAssertThrowsError(try RolloutWeights(percentages: [true: 100], of: FeatureFlag(key: "x", name: "x", variations: [Variation(value: .string("a"))])))
    }

    func testInstructionsEncodeAsTheAPIExpects() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let rollout = SemanticPatchInstruction.updateFallthroughRollout(try RolloutWeights(weights: ["a": 60_000, "b": 40_000]), bucketBy: "key", contextKind: "user")
        XCTAssertEqual(String(decoding: try encoder.encode(rollout), as: UTF8.self),
                       #"{"kind":"updateFallthroughVariationOrRollout","rolloutBucketBy":"key","rolloutContextKind":"user","rolloutWeights":{"a":60000,"b":40000}}"#)
        XCTAssertEqual(String(decoding: try encoder.encode(SemanticPatchInstruction.updateOffVariation(variationID: "b")), as: UTF8.self),
                       #"{"kind":"updateOffVariation","variationId":"b"}"#)
        XCTAssertEqual(String(decoding: try encoder.encode(SemanticPatchInstruction.turnFlagOn), as: UTF8.self), #"{"kind":"turnFlagOn"}"#)
    }

    func testRestoringInstructionsRebuildAConfiguration() throws {
        let flag = FeatureFlag(key: "f", name: "f", variations: [Variation(id: "t", value: .bool(true)), Variation(id: "f", value: .bool(false))])
        let config = FlagEnvironmentConfiguration(
            on: true, salt: "s", version: 3, offVariation: 1,
            fallthrough: VariationOrRollout(rollout: Rollout(variations: [.init(variation: 0, weight: 25_000), .init(variation: 1, weight: 75_000)], bucketBy: "key", contextKind: "user")))
        XCTAssertEqual(try SemanticPatchInstruction.restoring(config, of: flag), [
            .turnFlagOn, .updateOffVariation(variationID: "f"),
            .updateFallthroughRollout(try RolloutWeights(weights: ["t": 25_000, "f": 75_000]), bucketBy: "key", contextKind: "user"),
        ])
    }
}
