import Foundation

/// Something a step created (or adopted) and teardown must remove (or restore).
public struct Resource: Codable, Hashable, Sendable {
    public var type: String
    public var id: String
    public var attributes: [String: String]
    /// Adopted resources existed before ldedge; teardown restores them and never deletes them.
    public var adopted: Bool

    public init(type: String, id: String, attributes: [String: String] = [:], adopted: Bool = false) {
        self.type = type
        self.id = id
        self.attributes = attributes
        self.adopted = adopted
    }

    public var label: String { "\(type) \(id)" }
}
