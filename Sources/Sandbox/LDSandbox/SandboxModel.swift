import Foundation
import LaunchDarkly

/// Everything the sandbox keeps, as persisted in the `--data` JSON file.
struct SandboxState: Codable, Sendable {
    var accessToken: String
    var projects: [SandboxProject]
}

struct SandboxProject: Codable, Sendable {
    var id: String
    var key: String
    var name: String
    var environments: [SandboxEnvironment]
    var flags: [String: SandboxFlag]
}

struct SandboxEnvironment: Codable, Sendable {
    var id: String
    var key: String
    var name: String
    var apiKey: String
    var mobileKey: String
    var color: String
}

/// A flag in the field names of the REST API, so JSON Patch paths (`/environments/production/on`) apply to it directly.
struct SandboxFlag: Codable, Sendable, Equatable {
    struct Defaults: Codable, Sendable, Equatable {
        var onVariation: Int
        var offVariation: Int
    }
    struct ClientSideAvailability: Codable, Sendable, Equatable {
        var usingEnvironmentId: Bool
        var usingMobileKey: Bool
    }

    var key: String
    var name: String
    var description: String
    var kind: String
    var version: Int
    var creationDate: Int64
    var temporary: Bool
    var archived: Bool
    var tags: [String]
    var variations: [Variation]
    var defaults: Defaults
    var clientSideAvailability: ClientSideAvailability
    var environments: [String: SandboxFlagConfig]

    enum CodingKeys: String, CodingKey {
        case key, name, description, kind, creationDate, temporary, archived, tags, variations, defaults
        case clientSideAvailability, environments
        case version = "_version"
    }
}

/// A flag's configuration in one environment.
struct SandboxFlagConfig: Codable, Sendable, Equatable {
    var on: Bool
    var archived: Bool
    var salt: String
    var sel: String
    var lastModified: Int64
    var version: Int
    var targets: [JSONValue]
    var contextTargets: [JSONValue]
    var rules: [JSONValue]
    var prerequisites: [JSONValue]
    var `fallthrough`: VariationOrRollout
    var offVariation: Int?
    var trackEvents: Bool
    var trackEventsFallthrough: Bool

    init(on: Bool, `fallthrough`: VariationOrRollout, offVariation: Int?, now: Int64) {
        self.on = on
        self.archived = false
        self.salt = SandboxIDs.hex(16)
        self.sel = SandboxIDs.hex(16)
        self.lastModified = now
        self.version = 1
        self.targets = []
        self.contextTargets = []
        self.rules = []
        self.prerequisites = []
        self.fallthrough = `fallthrough`
        self.offVariation = offVariation
        self.trackEvents = false
        self.trackEventsFallthrough = false
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        on = try c.decode(Bool.self, forKey: .on)
        archived = try c.decodeIfPresent(Bool.self, forKey: .archived) ?? false
        salt = try c.decodeIfPresent(String.self, forKey: .salt) ?? SandboxIDs.hex(16)
        sel = try c.decodeIfPresent(String.self, forKey: .sel) ?? SandboxIDs.hex(16)
        lastModified = try c.decodeIfPresent(Int64.self, forKey: .lastModified) ?? SandboxIDs.nowMillis()
        version = try c.decodeIfPresent(Int.self, forKey: .version) ?? 1
        targets = try c.decodeIfPresent([JSONValue].self, forKey: .targets) ?? []
        contextTargets = try c.decodeIfPresent([JSONValue].self, forKey: .contextTargets) ?? []
        rules = try c.decodeIfPresent([JSONValue].self, forKey: .rules) ?? []
        prerequisites = try c.decodeIfPresent([JSONValue].self, forKey: .prerequisites) ?? []
        self.fallthrough = try c.decode(VariationOrRollout.self, forKey: .fallthrough)
        offVariation = try c.decodeIfPresent(Int.self, forKey: .offVariation)
        trackEvents = try c.decodeIfPresent(Bool.self, forKey: .trackEvents) ?? false
        trackEventsFallthrough = try c.decodeIfPresent(Bool.self, forKey: .trackEventsFallthrough) ?? false
    }
}

/// Random identifiers and keys.
enum SandboxIDs {
    static func hex(_ bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    static func uuid() -> String { UUID().uuidString.lowercased() }

    static func objectID() -> String { hex(12) }

    static func nowMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
