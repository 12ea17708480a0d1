import Foundation

/// An error about the machine's setup — AWS credentials or region, a LaunchDarkly token — rather
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

extension Diagnostic {
    /// How to try ldedge with no account at all, said once after configuration problems.
    public static let sandboxHint = "to try ldedge without an AWS or LaunchDarkly account, run ./scripts/demo.sh, or start the local AWS emulator (scripts/aws-emulator/server.py) and 'ldedge sandbox', export the lines they print, and plan again"
}
