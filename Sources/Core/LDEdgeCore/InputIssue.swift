import Foundation

/// A problem with an input value found by `Step.validate`; `path` is relative to `with:`.
public struct InputIssue: Sendable, Equatable {
    /// Where the issue is located: at the input's key (`memory:`, the default for a step's rules)
    /// or at its value (a JSON Schema violation of a plugin's input, at the offending node).
    public enum Anchor: Sendable, Equatable {
        case key, value
    }

    public var path: [String]
    public var message: String
    public var anchor: Anchor = .key

    public init(_ path: [String], _ message: String) {
        self.path = path
        self.message = message
    }
}
