import Foundation

/// A feature flag as the REST API returns it (`FeatureFlag` in the OpenAPI spec), reduced to what ldedge uses.
public struct FeatureFlag: Codable, Sendable, Equatable {
    public var key: String
    public var name: String
    public var kind: String
    public var description: String?
    /// `_version`: increments on every change to the flag.
    public var version: Int
    public var variations: [Variation]
    public var temporary: Bool
    public var archived: Bool
    public var tags: [String]
    public var creationDate: Int64?
    /// Per-environment configuration, keyed by environment key (only the environments asked for with `?env=`).
    public var environments: [String: FlagEnvironmentConfiguration]

    enum CodingKeys: String, CodingKey {
        case key, name, kind, description, variations, temporary, archived, tags, creationDate, environments
        case version = "_version"
    }

    public init(
        key: String, name: String, kind: String = "boolean", description: String? = nil, version: Int = 1,
        variations: [Variation], temporary: Bool = false, archived: Bool = false, tags: [String] = [],
        creationDate: Int64? = nil, environments: [String: FlagEnvironmentConfiguration] = [:]
    ) {
        self.key = key
        self.name = name
        self.kind = kind
        self.description = description
        self.version = version
        self.variations = variations
        self.temporary = temporary
        self.archived = archived
        self.tags = tags
        self.creationDate = creationDate
        self.environments = environments
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decode(String.self, forKey: .key)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? key
        kind = try c.decodeIfPresent(String.self, forKey: .kind) ?? "boolean"
        description = try c.decodeIfPresent(String.self, forKey: .description)
        version = try c.decodeIfPresent(Int.self, forKey: .version) ?? 0
        variations = try c.decode([Variation].self, forKey: .variations)
        temporary = try c.decodeIfPresent(Bool.self, forKey: .temporary) ?? false
        archived = try c.decodeIfPresent(Bool.self, forKey: .archived) ?? false
        tags = try c.decodeIfPresent([String].self, forKey: .tags) ?? []
        creationDate = try c.decodeIfPresent(Int64.self, forKey: .creationDate)
        environments = try c.decodeIfPresent([String: FlagEnvironmentConfiguration].self, forKey: .environments) ?? [:]
    }

    /// The index of the variation serving `value`.
    public func variationIndex(for value: JSONValue) throws -> Int {
        guard let index = variations.firstIndex(where: { $0.value == value }) else {
            throw LaunchDarklyError.unknownVariation(flag: key, detail: "no variation has value \(value)")
        }
        return index
    }

    /// The `_id` of the variation serving `value`, as semantic patches need it.
    public func variationID(for value: JSONValue) throws -> String {
        let variation = variations[try variationIndex(for: value)]
        guard let id = variation.id else {
            throw LaunchDarklyError.unknownVariation(flag: key, detail: "variation \(value) has no _id")
        }
        return id
    }

    /// The `_id` of the variation at `index`.
    public func variationID(at index: Int) throws -> String {
        guard variations.indices.contains(index), let id = variations[index].id else {
            throw LaunchDarklyError.unknownVariation(flag: key, detail: "no variation at index \(index)")
        }
        return id
    }

    /// The configuration of `environment`, or a typed error saying to ask for it with `?env=`.
    public func configuration(for environment: String) throws -> FlagEnvironmentConfiguration {
        guard let config = environments[environment] else {
            throw LaunchDarklyError.notFound(resource: "environment '\(environment)' of flag '\(key)'", message: "not in the response")
        }
        return config
    }
}

/// One value a flag can serve.
public struct Variation: Codable, Sendable, Equatable {
    /// `_id`: what semantic patch instructions refer to.
    public var id: String?
    public var value: JSONValue
    public var name: String?
    public var description: String?

    enum CodingKeys: String, CodingKey {
        case id = "_id"
        case value, name, description
    }

    public init(id: String? = nil, value: JSONValue, name: String? = nil, description: String? = nil) {
        self.id = id
        self.value = value
        self.name = name
        self.description = description
    }
}

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

/// A project environment (`Environment` in the spec); `apiKey` is the server-side SDK key.
public struct Environment: Codable, Sendable, Equatable, CustomStringConvertible {
    public var id: String
    public var key: String
    public var name: String
    /// The SDK key. Secret: never log it.
    public var apiKey: String
    public var mobileKey: String?
    public var color: String?

    enum CodingKeys: String, CodingKey {
        case id = "_id"
        case key, name, apiKey, mobileKey, color
    }

    public init(id: String, key: String, name: String, apiKey: String, mobileKey: String? = nil, color: String? = nil) {
        self.id = id
        self.key = key
        self.name = name
        self.apiKey = apiKey
        self.mobileKey = mobileKey
        self.color = color
    }

    public var description: String { "Environment(key: \(key), name: \(name), apiKey: <redacted>)" }
}
