import Foundation

/// A flag's configuration in one environment (`FeatureFlagConfig` in the spec).
public struct FlagEnvironmentConfiguration: Codable, Sendable, Equatable {
    public var on: Bool
    public var archived: Bool
    public var salt: String
    public var version: Int
    public var lastModified: Int64?
    public var offVariation: Int?
    public var `fallthrough`: VariationOrRollout?
    public var environmentName: String?

    enum CodingKeys: String, CodingKey {
        case on, archived, salt, version, lastModified, offVariation, `fallthrough`
        case environmentName = "_environmentName"
    }

    public init(
        on: Bool, archived: Bool = false, salt: String, version: Int, lastModified: Int64? = nil,
        offVariation: Int?, `fallthrough`: VariationOrRollout?, environmentName: String? = nil
    ) {
        self.on = on
        self.archived = archived
        self.salt = salt
        self.version = version
        self.lastModified = lastModified
        self.offVariation = offVariation
        self.fallthrough = `fallthrough`
        self.environmentName = environmentName
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        on = try c.decode(Bool.self, forKey: .on)
        archived = try c.decodeIfPresent(Bool.self, forKey: .archived) ?? false
        salt = try c.decodeIfPresent(String.self, forKey: .salt) ?? ""
        version = try c.decodeIfPresent(Int.self, forKey: .version) ?? 0
        lastModified = try c.decodeIfPresent(Int64.self, forKey: .lastModified)
        offVariation = try c.decodeIfPresent(Int.self, forKey: .offVariation)
        self.fallthrough = try c.decodeIfPresent(VariationOrRollout.self, forKey: .fallthrough)
        environmentName = try c.decodeIfPresent(String.self, forKey: .environmentName)
    }
}

/// What a flag serves by default when on: one variation or a percentage rollout.
public struct VariationOrRollout: Codable, Sendable, Equatable {
    public var variation: Int?
    public var rollout: Rollout?

    public init(variation: Int) {
        self.variation = variation
        self.rollout = nil
    }

    public init(rollout: Rollout) {
        self.variation = nil
        self.rollout = rollout
    }
}

/// A percentage rollout: weights in thousandths of a percent per variation index.
public struct Rollout: Codable, Sendable, Equatable {
    public var variations: [WeightedVariation]
    public var bucketBy: String?
    public var contextKind: String?
    public var seed: Int?

    public init(variations: [WeightedVariation], bucketBy: String? = nil, contextKind: String? = nil, seed: Int? = nil) {
        self.variations = variations
        self.bucketBy = bucketBy
        self.contextKind = contextKind
        self.seed = seed
    }
}

public struct WeightedVariation: Codable, Sendable, Equatable {
    /// Index into the flag's variations.
    public var variation: Int
    /// Thousandths of a percent (0...100000).
    public var weight: Int
    public var untracked: Bool?

    public init(variation: Int, weight: Int, untracked: Bool? = nil) {
        self.variation = variation
        self.weight = weight
        self.untracked = untracked
    }
}
