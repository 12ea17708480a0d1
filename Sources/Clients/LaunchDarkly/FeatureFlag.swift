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
