import Foundation

/// An error about the machine's setup — cloud credentials or region, an API token — rather
/// than about the workflow file. Commands report it before any plan and exit 78 (`EX_CONFIG`).
public protocol ConfigurationProblem: Error {
    /// False for the values of a conforming error type that are about something else.
    var isConfigurationProblem: Bool { get }
}

/// What a step throws when the environment lacks a setting it needs.
public struct ConfigurationError: ConfigurationProblem, CustomStringConvertible, Sendable {
    public var message: String
    public var isConfigurationProblem: Bool { true }
    public var description: String { message }

    public init(_ message: String) {
        self.message = message
    }
}

extension Error {
    /// True for errors a conforming type marks as configuration problems.
    public var isConfigurationProblem: Bool { (self as? any ConfigurationProblem)?.isConfigurationProblem ?? false }
}
