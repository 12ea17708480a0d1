import Foundation
import LaunchDarkly

/// Renders stored objects into the JSON shapes the REST API (per the OpenAPI spec) and the SDKs expect.
enum SandboxRendering {
    static func link(_ href: String, _ type: String = "application/json") -> JSONValue {
        .object(["href": .string(href), "type": .string(type)])
    }

    static func encodeToJSON<T: Encodable>(_ value: T) -> JSONValue {
        guard let data = try? JSONEncoder().encode(value), let json = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            return .null
        }
        return json
    }

    /// `Environment` schema.
    static func environment(_ env: SandboxEnvironment, project: SandboxProject) -> JSONValue {
        .object([
            "_id": .string(env.id),
            "_links": .object(["self": link("/api/v2/projects/\(project.key)/environments/\(env.key)")]),
            "key": .string(env.key),
            "name": .string(env.name),
            "apiKey": .string(env.apiKey),
            "mobileKey": .string(env.mobileKey),
            "color": .string(env.color),
            "defaultTtl": .number(0),
            "secureMode": .bool(false),
            "defaultTrackEvents": .bool(false),
            "requireComments": .bool(false),
            "confirmChanges": .bool(false),
            "tags": .array([]),
            "critical": .bool(false),
        ])
    }

    /// `Project` schema.
    static func project(_ project: SandboxProject) -> JSONValue {
        .object([
            "_id": .string(project.id),
            "_links": .object(["self": link("/api/v2/projects/\(project.key)")]),
            "key": .string(project.key),
            "name": .string(project.name),
            "includeInSnippetByDefault": .bool(false),
            "tags": .array([]),
            "environments": .object([
                "_links": .object(["self": link("/api/v2/projects/\(project.key)/environments")]),
                "totalCount": .number(Double(project.environments.count)),
                "items": .array(project.environments.map { environment($0, project: project) }),
            ]),
        ])
    }

    /// `FeatureFlag` schema; `environments` limited to `only` when given.
    static func flag(_ flag: SandboxFlag, project: SandboxProject, only: String? = nil) -> JSONValue {
        var environments: [String: JSONValue] = [:]
        for env in project.environments where only == nil || env.key == only {
            guard let config = flag.environments[env.key] else { continue }
            guard case .object(var rendered) = encodeToJSON(config) else { continue }
            rendered["_site"] = link("/\(project.key)/\(env.key)/features/\(flag.key)", "text/html")
            rendered["_environmentName"] = .string(env.name)
            environments[env.key] = .object(rendered)
        }
        return .object([
            "key": .string(flag.key),
            "name": .string(flag.name),
            "description": .string(flag.description),
            "kind": .string(flag.kind),
            "_version": .number(Double(flag.version)),
            "creationDate": .number(Double(flag.creationDate)),
            "temporary": .bool(flag.temporary),
            "archived": .bool(flag.archived),
            "deprecated": .bool(false),
            "includeInSnippet": .bool(flag.clientSideAvailability.usingEnvironmentId),
            "tags": .array(flag.tags.map(JSONValue.string)),
            "variations": encodeToJSON(flag.variations),
            "defaults": encodeToJSON(flag.defaults),
            "clientSideAvailability": encodeToJSON(flag.clientSideAvailability),
            "customProperties": .object([:]),
            "goalIds": .array([]),
            "experiments": .object(["baselineIdx": .number(0), "items": .array([])]),
            "_links": .object([
                "parent": link("/api/v2/flags/\(project.key)"),
                "self": link("/api/v2/flags/\(project.key)/\(flag.key)"),
            ]),
            "environments": .object(environments),
        ])
    }

    /// The flag as server-side SDKs see it in one environment.
    static func sdkFlag(_ flag: SandboxFlag, config: SandboxFlagConfig) -> JSONValue {
        .object([
            "key": .string(flag.key),
            "version": .number(Double(config.version)),
            "on": .bool(config.on),
            "variations": .array(flag.variations.map(\.value)),
            "offVariation": config.offVariation.map { .number(Double($0)) } ?? .null,
            "fallthrough": encodeToJSON(config.fallthrough),
            "salt": .string(config.salt),
            "targets": .array(config.targets),
            "contextTargets": .array(config.contextTargets),
            "rules": .array(config.rules),
            "prerequisites": .array(config.prerequisites),
            "trackEvents": .bool(config.trackEvents),
            "trackEventsFallthrough": .bool(config.trackEventsFallthrough),
            "clientSide": .bool(flag.clientSideAvailability.usingEnvironmentId),
            "clientSideAvailability": encodeToJSON(flag.clientSideAvailability),
            "deleted": .bool(false),
            "debugEventsUntilDate": .null,
        ])
    }

    static func error(_ code: String, _ message: String) -> JSONValue {
        .object(["code": .string(code), "message": .string(message)])
    }
}
