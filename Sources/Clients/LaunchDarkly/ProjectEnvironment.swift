import Foundation

/// A project environment (`Environment` in the spec; named so it cannot clash with other `Environment` types); `apiKey` is the server-side SDK key.
public struct ProjectEnvironment: Codable, Sendable, Equatable, CustomStringConvertible {
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

    public var description: String { "ProjectEnvironment(key: \(key), name: \(name), apiKey: <redacted>)" }
}
